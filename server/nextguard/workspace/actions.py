"""Server Actions and route handlers: the workspace's public endpoints.

Every export of a module whose directive prologue holds `'use server'` is an action, as is every
function whose own body starts with `'use server'` (an inline action). A binding re-exported from a
`'use server'` module is an action where it is defined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Literal

from ..facts.model import Binding, FileFacts, Unit
from ..model import Span
from .index import ROUTE_METHODS, WorkspaceIndex

ActionKind = Literal["action", "inline", "route"]
_PUBLIC = re.compile(r"nextguard-public:\s*(.*?)\s*(\*/\s*\}?)?$")


@dataclass(frozen=True, slots=True)
class Endpoint:
    path: Path
    name: str  # the exported name, the inline function's name, or the HTTP method
    kind: ActionKind
    unit: Unit
    binding: Binding | None
    statement: Span  # the statement or function that defines it (for comments above it)


def endpoints_in(index: WorkspaceIndex, path: Path) -> list[Endpoint]:
    facts = index.modules[path]
    found: list[Endpoint] = []
    seen: set[int] = set()

    def add(name: str, kind: ActionKind, binding: Binding | None, unit: Unit, statement: Span) -> None:
        if unit.index in seen:
            return
        seen.add(unit.index)
        found.append(Endpoint(path, name, kind, unit, binding, statement))

    if facts.use_server and not facts.use_client:
        for export in facts.exports:
            if export.local is None:
                continue
            binding = facts.bindings.get(export.local)
            if binding is not None and binding.body is not None:
                add(export.exported, "action", binding, facts.units[binding.body], export.span or binding.span)
    for name in index.reexported_actions.get(path, ()):
        binding = facts.bindings.get(name)
        if binding is not None and binding.body is not None:
            add(name, "action", binding, facts.units[binding.body], facts.units[binding.body].span)
    if index.app_kind(path) == "route":
        for export in facts.exports:
            if export.exported in ROUTE_METHODS and export.local is not None:
                binding = facts.bindings.get(export.local)
                if binding is not None and binding.body is not None:
                    add(
                        export.exported,
                        "route",
                        binding,
                        facts.units[binding.body],
                        export.span or binding.span,
                    )
    for unit in facts.units:
        if unit.use_server is not None and unit.index not in seen:
            name = unit.name or "inline action"
            add(name, "inline", None, unit, unit.span)
    return found


def public_reason(index: WorkspaceIndex, endpoint: Endpoint) -> str | None:
    """Why an endpoint is public by design: a `// nextguard-public: reason` comment on the line
    above it, or an entry of config `publicActions`."""
    facts: FileFacts = index.modules[endpoint.path]
    lines = facts.lines
    rows = {lines.row_of(endpoint.statement.start), lines.row_of(endpoint.unit.report.start)}
    for row, text in facts.comments:
        match = _PUBLIC.search(text)
        if match is not None and row + 1 in rows:
            return match.group(1) or "marked public"
    rel = index.rel(endpoint.path)
    for entry in index.config.public_actions:
        file_part, _, name = entry.partition("#")
        if (name and name == endpoint.name and fnmatch(rel, file_part)) or (not name and fnmatch(rel, file_part)):
            return f"listed in publicActions ({entry})"
    return None
