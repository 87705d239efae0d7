"""`'server-only'` is written as a bare string instead of imported.

## What it does
Finds `'server-only';` standing as an expression statement — often at the top of a file, where it
looks like a directive — instead of `import 'server-only'`.

## Why it matters
`server-only` protects a module only when it is *imported*: the package's client entry throws
at build time. A bare string is not a directive React or Next.js knows; it does nothing, and
the module can be pulled into a Client Component with its secrets.

## Example
```ts
'server-only'

import { db } from '@/lib/db'
```

## Fix
Rewrite it as an import:
```ts
import 'server-only'

import { db } from '@/lib/db'
```
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..model import Finding, Fix, Severity, Span, TextEdit
from .base import Rule


class ServerOnlyNotImported(Rule):
    code = "NG208"
    name = "server-only-not-imported"
    severity = Severity.ERROR

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        facts = analysis.index.modules[path]
        source = analysis.index.sources[path]
        for span in facts.bare_server_only:
            text = source[span.start : span.end].decode("utf-8", "replace").strip()
            quote = text[0] if text[:1] in ("'", '"') else "'"
            semicolon = ";" if text.endswith(";") else ""
            statement = f"import {quote}server-only{quote}{semicolon}"
            if facts.prologue_end is not None and span.end < facts.prologue_end:
                # Directives after it would stop being directives once an import precedes them:
                # move the import below the prologue instead of rewriting in place.
                end = _line_end(source, span.end)
                anchor = facts.prologue_end
                edits: tuple[TextEdit, ...] = (
                    TextEdit(path, Span(span.start, end), ""),
                    TextEdit(path, Span(anchor, anchor), "\n" + statement),
                )
            else:
                edits = (TextEdit(path, span, statement),)
            message = "`'server-only'` is a bare string here, which protects nothing: it must be imported."
            fix = Fix("Rewrite as `import 'server-only'`", edits, "safe")
            yield Finding(self.code, self.name, self.severity, message, path, span, fixes=(fix,))


def _line_end(source: bytes, offset: int) -> int:
    newline = source.find(b"\n", offset)
    return len(source) if newline == -1 else newline + 1
