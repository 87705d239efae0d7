"""One workspace, analysed: the index, the call-graph summaries and what rules share (endpoints,
the project's auth helper). Rules read it; it never reads rules."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from .facts.model import FileFacts, Unit
from .facts.partial import Moves
from .fixes.auth_guard import AuthHelper, choose_helper
from .model import Span
from .workspace.actions import Endpoint, endpoints_in
from .workspace.calls import Kind
from .workspace.index import WorkspaceIndex
from .workspace.summaries import Summaries

_MISSING = object()
# Memo keys whose values read only the workspace's package.json files (rules/ng401, rules/ng112).
_PACKAGE_MEMO = ("ng401-next-major", "clerk-async-auth")
_T = TypeVar("_T")


def _shape(facts: FileFacts) -> tuple[object, ...]:
    """What other files see of a module: its names and exports."""
    return (
        tuple(sorted((b.name, b.body is not None, tuple(sorted(b.members))) for b in facts.bindings.values())),
        tuple((e.exported, e.local, e.source, e.imported) for e in facts.exports),
        tuple(facts.star_exports),
        facts.use_server is not None,
        facts.use_client,
    )


def _imports(facts: FileFacts) -> tuple[object, ...]:
    return tuple((i.local, i.imported, i.source, i.type_only) for i in facts.imports)


class Analysis:
    def __init__(self, index: WorkspaceIndex) -> None:
        self.index = index
        self.summaries = Summaries(index)
        self._endpoints: dict[Path, list[Endpoint]] = {}
        self._helper: object = _MISSING
        self._memo: dict[str, object] = {}
        # While set: ``endpoints`` and ``units`` of that file yield only the functions that start
        # in one of these spans (``engine.Workspace.rule_findings`` runs ``per_function`` rules so).
        self.focus: tuple[Path, list[Span]] | None = None

    def update(
        self, path: Path, facts: FileFacts | None, source: bytes | None = None, moves: Moves | None = None
    ) -> set[Path]:
        """Take a file's new facts (None: the file is gone) and bring every summary up to date.
        Returns the files whose findings may have changed. ``moves``: what ``facts/partial.py``
        moved to make ``facts`` from the file's previous facts."""
        index = self.index
        old = index.modules.get(path)
        old_source = index.sources.get(path)
        added, removed = old is None and facts is not None, old is not None and facts is None
        if facts is None:
            index.modules.pop(path, None)
            index.sources.pop(path, None)
        else:
            index.modules[path] = facts
            index.sources[path] = source if source is not None else b""
        reclassify = {path}
        everything = False
        if added or removed:
            # A new or vanished file can change what any specifier resolves to.
            index.resolver.update_files(added=[path] if added else (), removed=[path] if removed else ())
            index.forget_resolution()
            reclassify = set(index.modules) | {path}
            everything = True
        elif old is not None and facts is not None:
            if _shape(old) != _shape(facts):
                # What other files can import from it changed: their calls may name it differently.
                index.forget_resolution()
                reclassify |= index.importers_of(path)
                everything = True
            if _imports(old) != _imports(facts):
                index.forget_graph()
                everything = True
        # Only the edited file can have untouched functions (the others re-classified keep their
        # facts, but what their calls resolve to may have changed).
        previous = (
            {path: (old, old_source)}
            if not everything and old is not None and facts is not None and old_source is not None
            else None
        )
        self.summaries.update(reclassify, previous, {path: moves} if previous and moves is not None else None)
        self._endpoints.clear()
        self._helper = _MISSING
        # What only package.json decides outlives an edit of a source file (a package.json that
        # changes makes the language server read the folder again).
        stable = {key: index.memo[key] for key in _PACKAGE_MEMO if key in index.memo}
        index.memo.clear()
        index.memo.update(stable)
        stable = {key: self._memo[key] for key in _PACKAGE_MEMO if key in self._memo}
        self._memo.clear()
        self._memo.update(stable)
        self.__dict__.pop("proxy_with_auth", None)
        if everything:
            return set(index.modules) | {path}
        # Only units whose summaries came out different (and what depends on them) change other
        # files' findings; the rest of the cone was solved again to the same answer. A module that
        # starts or stops acting as a DAL changes the findings of the client modules that bundle it
        # (NG204), whose own facts did not change.
        clients = index.client_importers_of(path) if path in index.modules else set()
        return {key[0] for key in self.summaries.last_changed} | reclassify | self._route_relatives(path) | clients

    def _route_relatives(self, path: Path) -> set[Path]:
        """Files whose findings read this one's as a layout or a page does (NG108/NG109): the
        pages under a layout, the layouts above a page."""
        kind = self.index.app_kind(path)
        if kind not in ("layout", "page"):
            return set()
        if kind == "layout":
            return {o for o in self.index.modules if self.index.app_kind(o) == "page" and path.parent in o.parents}
        return {o for o in self.index.modules if self.index.app_kind(o) == "layout" and o.parent in path.parents}

    def memo(self, key: str, compute: Callable[[], _T]) -> _T:
        """A workspace-wide value rules share (which layouts check auth, the owner-column naming),
        computed once and dropped whenever a file changes."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[return-value]

    def endpoints(self, path: Path) -> list[Endpoint]:
        found = self._endpoints.get(path)
        if found is None:
            found = self._endpoints[path] = endpoints_in(self.index, path)
        focus = self.focus
        if focus is not None and focus[0] == path:
            spans = focus[1]
            return [e for e in found if any(s.start <= e.unit.span.start < s.end for s in spans)]
        return found

    def units(self, path: Path, module: bool = False) -> list[Unit]:
        """The functions of a file (with ``module``, the module level first), in source order.
        Under a focus the module level is read whole: what it finds outside the focus is dropped
        (``engine.Workspace.rule_findings``)."""
        everything = self.index.modules[path].units
        units = everything if module else everything[1:]
        focus = self.focus
        if focus is not None and focus[0] == path:
            spans = focus[1]
            return [unit for unit in units if unit.index == 0 or any(s.start <= unit.span.start < s.end for s in spans)]
        return units

    @property
    def auth_helper(self) -> AuthHelper | None:
        if self._helper is _MISSING:
            self._helper = choose_helper(self.index, self.summaries)
        return self._helper  # type: ignore[return-value]

    @cached_property
    def proxy_with_auth(self) -> Path | None:
        """A `middleware.ts`/`proxy.ts` that authenticates, if the project has one: its matcher
        does not protect Server Actions, which POST to whatever page the form is on."""
        for path, facts in self.index.modules.items():
            name = self.index.rel_parts(path)[-1]
            if not name.startswith(("middleware.", "proxy.")):
                continue
            if any(
                self.summaries.unit(path, unit.index).auth
                or any(event.kind in (Kind.AUTH, Kind.VERIFY) for event in self.summaries.unit(path, unit.index).events)
                for unit in facts.units
            ):
                return path
            if any(
                imported.source.startswith(("next-auth", "@clerk/", "@auth0/", "@kinde-oss/", "@workos-inc/"))
                for imported in facts.imports
            ):
                return path
        return None
