"""A Client Component imports a server-only or Data Access Layer module.

## What it does
Finds `'use client'` modules that import — directly, or through the modules they import — a
module that does `import 'server-only'` or that acts as a Data Access Layer (it imports a
database client, accesses data, reads `cookies()`/`headers()`, checks auth, or reads an
environment secret). The finding is on the client module's import that starts the chain; each
further hop is listed as a related location. Type-only imports (`import type`) do not count, and
neither do imports of `'use server'` modules: that is how a Client Component calls a Server
Action, and the browser only gets a reference to the action, not the module's imports. Another
`'use client'` module on the way is reported on its own.

## Why it matters
Everything a `'use client'` module imports is bundled for the browser. A DAL module there ships
database queries, auth logic, and whatever secrets it reads to every visitor — or, when it does
`import 'server-only'`, makes the build fail. Either way, the import is a mistake: the component
should receive the data as props from a Server Component, or call a Server Action.

## Example
```tsx
// components/note-list.tsx
'use client'
import { getMyNotes } from '@/lib/notes' // lib/notes.ts queries the database

export function NoteList() { /* … */ }
```

## Fix
No automatic fix: move the data access into a Server Component that passes the result down as
props, or into a `'use server'` action the client calls. Split shared helpers (formatters, types)
out of the DAL module so the client can import them without the data access.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from ..analysis import Analysis
from ..model import Finding, Related, Severity, Span
from ..workspace.dal import data_access_reason, is_dal_module
from ..workspace.index import WorkspaceIndex
from .base import Rule


@dataclass(frozen=True, slots=True)
class ServerReach:
    """For every module a client module may import: the next module on the shortest import path
    to a server-only or DAL module (None for such a module itself)."""

    next_hop: dict[Path, Path | None]
    edges: dict[Path, tuple[Path, ...]]


class ServerModuleInClient(Rule):
    code = "NG204"
    name = "server-module-in-client"
    severity = Severity.ERROR

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        facts = index.modules[path]
        if not facts.use_client:
            return
        reach = server_reach(analysis)
        reported: set[Path] = set()
        for target in reach.edges.get(path, ()):
            if target in reported or target not in reach.next_hop:
                continue
            reported.add(target)
            span = import_span(index, path, target)
            chain = [target]
            while (hop := reach.next_hop[chain[-1]]) is not None and hop not in chain:
                chain.append(hop)
            end = chain[-1]
            why = _why(analysis, end)
            related = [
                Related(before, import_span(index, before, after), f"{index.rel(before)} imports {index.rel(after)}")
                for before, after in pairwise(chain)
            ]
            end_facts = index.modules[end]
            related.append(Related(end, end_facts.first_statement or Span(0, 0), f"{index.rel(end)} {why}"))
            if len(chain) > 1:
                message = (
                    f"This client module imports {index.rel(target)}, which imports {index.rel(end)}: "
                    f"{index.rel(end)} {why}, so it must stay on the server."
                )
            else:
                message = f"This client module imports {index.rel(target)}, which {why}, so it must stay on the server."
            yield Finding(self.code, self.name, self.severity, message, path, span, tuple(related))


def _why(analysis: Analysis, path: Path) -> str:
    facts = analysis.index.modules[path]
    if facts.server_only_import or facts.bare_server_only:
        return "is marked `server-only`"
    return data_access_reason(analysis.index, analysis.summaries, path) or "is a DAL module"


def server_reach(analysis: Analysis) -> ServerReach:
    """Computed once per analysis: the modules client modules bundle (never entering a `'use
    server'` module, whose imports stay on the server, nor continuing past another client module,
    which is reported itself), and for each the shortest way to a server module, found by one
    backward search from all of them at once."""
    index = analysis.index
    key = "ng204.reach"
    found = index.memo.get(key)
    if isinstance(found, ServerReach):
        return found
    modules = index.modules
    edges: dict[Path, tuple[Path, ...]] = {}
    stack = [path for path, facts in modules.items() if facts.use_client]
    while stack:
        path = stack.pop()
        if path in edges:
            continue
        targets = bundled_imports_of(index, path)
        edges[path] = targets
        for target in targets:
            other = modules[target]
            if target not in edges and other.use_server is None and not other.use_client:
                stack.append(target)
    bundled = [path for path in edges if not modules[path].use_client]
    reverse: dict[Path, list[Path]] = {}
    for path in bundled:
        for target in edges[path]:
            reverse.setdefault(target, []).append(path)
    next_hop: dict[Path, Path | None] = {}
    queue: deque[Path] = deque()
    for path in bundled:
        facts = modules[path]
        if facts.server_only_import or facts.bare_server_only or is_dal_module(index, analysis.summaries, path):
            next_hop[path] = None
            queue.append(path)
    while queue:
        path = queue.popleft()
        for importer in reverse.get(path, ()):
            if importer not in next_hop:
                next_hop[importer] = path
                queue.append(importer)
    result = ServerReach(next_hop, edges)
    index.memo[key] = result
    return result


def bundled_imports_of(index: WorkspaceIndex, path: Path) -> tuple[Path, ...]:
    """The workspace modules the bundler keeps as imports of ``path``: its value imports
    (``WorkspaceIndex.value_imports_of``) less those whose names the module uses only as types
    (`useSWR<z.infer<typeof Schema>>`) or not at all, which TypeScript drops from the output."""
    facts = index.modules[path]
    if path.suffix not in (".ts", ".tsx", ".mts", ".cts"):
        return index.value_imports_of(path)  # JavaScript keeps every import it writes
    source = index.sources.get(path, b"")
    statements = sorted(
        {imported.span.start: imported.span for imported in facts.imports}.values(), key=lambda s: s.start
    )
    kept: dict[Path, bool] = {}
    for imported in facts.imports:
        if imported.type_only:
            continue
        target = index.resolve_import(path, imported.source)
        if target is None or kept.get(target):
            continue
        kept[target] = imported.local is None or _used_as_value(source, imported.local, statements)
    return tuple(target for target in index.value_imports_of(path) if kept.get(target, True))


def _used_as_value(source: bytes, name: str, statements: list[Span]) -> bool:
    """Whether ``name`` occurs outside the import statements other than after `typeof` (as a
    property name, `x.name`, it is another name)."""
    word = name.encode()
    at = source.find(word)
    while at != -1:
        end = at + len(word)
        inside_import = any(span.start <= at < span.end for span in statements)
        if (
            not inside_import
            and (source[at - 1 : at] not in _NAME_BEFORE or source[at - 3 : at] == b"...")
            and source[end : end + 1] not in _NAME_AFTER
            and not source[max(0, at - 16) : at].rstrip().endswith(b"typeof")
        ):
            return True
        at = source.find(word, end)
    return False


_NAME_AFTER = {bytes([c]) for c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$"}
_NAME_BEFORE = _NAME_AFTER | {b"."}


def import_span(index: WorkspaceIndex, path: Path, target: Path) -> Span:
    """The statement of ``path`` that imports (or re-exports) ``target``."""
    facts = index.modules[path]
    for imported in facts.imports:
        if imported.type_only or index.resolve_import(path, imported.source) != target:
            continue
        if imported.imported in ("", "*", "default") or index.resolve_export(target, imported.imported):
            return imported.span
    for export in facts.exports:
        if export.source is None or export.span is None:
            continue
        if index.resolve_import(path, export.source) == target:
            return export.span
    source = index.sources.get(path, b"")
    for specifier in facts.star_exports:
        if index.resolve_import(path, specifier) == target:
            at = source.find(specifier.encode())
            if at >= 0:
                start = source.rfind(b"\n", 0, at) + 1
                end = source.find(b"\n", at)
                return Span(start, end if end >= 0 else len(source))
    return Span(0, 0)
