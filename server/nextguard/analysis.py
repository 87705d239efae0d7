"""One workspace, analysed: the index, the call-graph summaries and what rules share (endpoints,
the project's auth helper). Rules read it; it never reads rules."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path, PurePosixPath

from .fixes.auth_guard import AuthHelper, choose_helper
from .workspace.actions import Endpoint, endpoints_in
from .workspace.calls import Kind
from .workspace.index import WorkspaceIndex
from .workspace.summaries import Summaries

_MISSING = object()


class Analysis:
    def __init__(self, index: WorkspaceIndex) -> None:
        self.index = index
        self.summaries = Summaries(index)
        self._endpoints: dict[Path, list[Endpoint]] = {}
        self._helper: object = _MISSING

    def endpoints(self, path: Path) -> list[Endpoint]:
        found = self._endpoints.get(path)
        if found is None:
            found = self._endpoints[path] = endpoints_in(self.index, path)
        return found

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
            name = PurePosixPath(self.index.rel(path)).name
            if not name.startswith(("middleware.", "proxy.")):
                continue
            if any(
                self.summaries.unit(path, unit.index).auth
                or any(event.kind in (Kind.AUTH, Kind.VERIFY) for event in self.summaries.unit(path, unit.index).events)
                for unit in facts.units
            ):
                return path
            if any(imported.source.startswith(("next-auth", "@clerk/", "@auth0/", "@kinde-oss/", "@workos-inc/"))
                   for imported in facts.imports):
                return path
        return None
