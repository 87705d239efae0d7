"""One workspace, analysed: the index, the call-graph summaries and what rules share (endpoints,
workspace-wide values they memoise). Rules read it; it knows no rule."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from .facts.model import FileFacts, Unit
from .facts.partial import Moves
from .model import Span
from .workspace.actions import Endpoint, endpoints_in
from .workspace.calls import Kind
from .workspace.index import WorkspaceIndex
from .workspace.routes import layout_relatives
from .workspace.summaries import Summaries

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
        self._memo: dict[str, object] = {}
        self._package_keys: set[str] = set()  # memo keys whose values read only package.json files
        self._focus: tuple[Path, list[Span]] | None = None  # see ``focused``

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
        index.memo.clear()
        # What only package.json decides outlives an edit of a source file (a package.json that
        # changes makes the language server read the folder again).
        stable = {key: self._memo[key] for key in self._package_keys if key in self._memo}
        self._memo.clear()
        self._memo.update(stable)
        self.__dict__.pop("proxy_with_auth", None)
        if everything:
            return set(index.modules) | {path}
        # Only units whose summaries came out different (and what depends on them) change other
        # files' findings; the rest of the cone was solved again to the same answer. A module that
        # starts or stops acting as a DAL changes the findings of the client modules that bundle it,
        # whose own facts did not change; what a layout checks is read by the pages under it, and
        # a page by the layouts above it (``routes.layout_relatives``).
        clients = index.client_importers_of(path) if path in index.modules else set()
        changed = {key[0] for key in self.summaries.last_changed}
        return changed | reclassify | layout_relatives(index, path) | clients

    def memo(self, key: str, compute: Callable[[], _T], *, packages_only: bool = False) -> _T:
        """A workspace-wide value rules share (which layouts check auth, the owner-column naming,
        the project's auth helper), computed once and dropped whenever a file changes. With
        ``packages_only`` the value reads nothing but the workspace's package.json files (the
        version of a dependency): it outlives edits of source files."""
        if key not in self._memo:
            self._memo[key] = compute()
            if packages_only:
                self._package_keys.add(key)
        return self._memo[key]  # type: ignore[return-value]

    @contextmanager
    def focused(self, path: Path, spans: list[Span]) -> Iterator[None]:
        """For the ``with`` block: ``endpoints`` and ``units`` of ``path`` give only the functions
        that start in one of ``spans`` — the statements an edit touched — so ``per_function`` rules
        check those alone (``engine.LiveWorkspace.rule_findings`` keeps the rest of their findings)."""
        self._focus = (path, spans)
        try:
            yield
        finally:
            self._focus = None

    def endpoints(self, path: Path) -> list[Endpoint]:
        found = self._endpoints.get(path)
        if found is None:
            found = self._endpoints[path] = endpoints_in(self.index, path)
        focus = self._focus
        if focus is not None and focus[0] == path:
            spans = focus[1]
            return [e for e in found if any(s.start <= e.unit.span.start < s.end for s in spans)]
        return found

    def units(self, path: Path, module: bool = False) -> list[Unit]:
        """The functions of a file (with ``module``, the module level first), in source order.
        Under a focus the module level is read whole: what it finds outside the focus is dropped
        (``engine.LiveWorkspace.rule_findings``)."""
        everything = self.index.modules[path].units
        units = everything if module else everything[1:]
        focus = self._focus
        if focus is not None and focus[0] == path:
            spans = focus[1]
            return [unit for unit in units if unit.index == 0 or any(s.start <= unit.span.start < s.end for s in spans)]
        return units

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
