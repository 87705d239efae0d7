"""A Data Access Layer module is marked `'use server'`.

## What it does
Finds modules whose directive prologue holds `'use server'` but which are a Data Access Layer:
they access data, and their exports are read helpers for server code (`getNote(id)`,
`findUserByEmail(email)`, `listInvoices()`), imported by Server Components, route handlers or
other server modules. To stay quiet on ordinary action files it asks for all of these: the module
lives outside `app/` and is not named or filed as actions (`actions.ts`, `lib/actions/…`); it
accesses data; at least half of its exported functions are getters that do not write; and some
server module imports one of those getters directly. A module that only client code imports is
being used as actions, and is left alone.

## Why it matters
`'use server'` does not mean "runs on the server": it makes every export of the module a Server
Action, a public POST endpoint that anyone can call with any arguments — `getNote('someone
else's id')` included, whether or not a page ever calls it that way. Data-access helpers meant
to be called by server code should be unreachable from the network, which is what
`import 'server-only'` gives: the build fails if a Client Component imports them.

## Example
```ts
// lib/notes.ts
'use server'
import { db } from '@/lib/db'

export async function getNote(id: string) {
  return db.note.findUnique({ where: { id } })
}
```

## Fix
Replace the `'use server'` directive with `import 'server-only'`. The fix is marked unsafe when a
client module imports the module (as an action): the build would then fail until that import
goes, which the message says.
```ts
import 'server-only'
import { db } from '@/lib/db'
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Literal

from ..analysis import Analysis
from ..model import Finding, Fix, Related, Severity, Span, TextEdit
from ..workspace.dal import DATA_REASONS, data_access_reason
from .base import Rule

# Read helpers: what a DAL exports for server code to call.
GETTER = re.compile(r"^(get|find|fetch|list|load|read|query|select|count|search|lookup|retrieve)([A-Z_0-9]|$)")
# Where actions live by convention: a module there is an actions file whatever it exports.
_ACTIONS = re.compile(r"action", re.IGNORECASE)


class UseServerOnDal(Rule):
    code = "NG207"
    name = "use-server-on-dal"
    severity = Severity.WARNING

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        facts = index.modules[path]
        directive = facts.use_server
        if directive is None or facts.use_client or index.app_kind(path) is not None:
            return
        rel = PurePosixPath(index.rel(path))
        if "app" in rel.parts[:-1] or any(_ACTIONS.search(part) for part in rel.parts[-3:]):
            return
        reason = data_access_reason(index, analysis.summaries, path)
        if reason is None or not reason.startswith(DATA_REASONS):
            return
        getters: set[str] = set()
        exported = 0
        for endpoint in analysis.endpoints(path):
            if endpoint.kind != "action":
                continue
            exported += 1
            summary = analysis.summaries.unit(path, endpoint.unit.index)
            if GETTER.match(endpoint.name) and not summary.mutates:
                getters.add(endpoint.name)
        if not getters or 2 * len(getters) < exported:
            return
        server_use, client_importers = self._importers(analysis, path, getters)
        if server_use is None:
            return
        importer, span = server_use
        source = index.sources[path]
        text = source[directive.start : directive.end]
        quote = '"' if text.startswith(b'"') else "'"
        semicolon = ";" if text.rstrip().endswith(b";") else ""
        replacement = f"import {quote}server-only{quote}{semicolon}"
        names = ", ".join(f"`{name}`" for name in sorted(getters)[:3])
        message = (
            f"This module {reason} and exports data-access helpers ({names}) that server code calls, "
            "but `'use server'` makes every export a public POST endpoint: use `import 'server-only'` instead."
        )
        applicability: Literal["safe", "unsafe"] = "safe"
        related = [Related(importer, span, f"{index.rel(importer)} calls it as a server function")]
        if client_importers:
            applicability = "unsafe"
            first = client_importers[0]
            message += (
                f" {index.rel(first[0])}, which is bundled for the client, imports it as an action: the build "
                "would fail until that call goes through a real Server Action."
            )
            related.append(Related(first[0], first[1], f"{index.rel(first[0])} (client code) imports it"))
        edit = TextEdit(path, directive, replacement)
        fix = Fix("Replace `'use server'` with `import 'server-only'`", (edit,), applicability)
        yield Finding(self.code, self.name, self.severity, message, path, directive, tuple(related), (fix,))

    @staticmethod
    def _importers(
        analysis: Analysis, path: Path, getters: set[str]
    ) -> tuple[tuple[Path, Span] | None, list[tuple[Path, Span]]]:
        """The first server module that imports one of ``getters`` from ``path``, and the client
        modules (or modules bundled for the client) that import anything from it."""
        index = analysis.index
        importers = index.value_importers.get(path, [])
        server_use: tuple[Path, Span] | None = None
        clients: list[tuple[Path, Span]] = []
        for importer in importers:
            facts = index.modules[importer]
            spans = [
                imported
                for imported in facts.imports
                if not imported.type_only and index.resolve_import(importer, imported.source) == path
            ]
            if not spans:
                continue
            if facts.use_client or importer in index.client_reachable:
                clients.append((importer, spans[0].span))
            elif server_use is None:
                hit = next((imported for imported in spans if imported.imported in getters), None)
                if hit is not None:
                    server_use = (importer, hit.span)
        return server_use, clients
