"""A Data Access Layer module does not import `server-only`.

## What it does
Finds modules that the Next.js app bundles (imported, directly or transitively, from `app/` or
`pages/`) and that act as a Data Access Layer — they import a database client, perform data
access, read `cookies()`/`headers()`, read non-`NEXT_PUBLIC_` environment secrets, or define an
auth check — but do not `import 'server-only'`. A `'use server'` module is reported when it reads
environment secrets. Pages, layouts, route handlers, `'use client'` modules, middleware/proxy,
config files, scripts, seeds, `.tsx`/`.jsx` component files, and modules that only build action
clients are not DAL modules.

## Why it matters
`import 'server-only'` makes the build fail when the module is imported from a Client Component,
so database credentials, secrets and auth logic can never be shipped to the browser by a stray
import. Without it, the only protection is every reviewer noticing every import.

## Example
```ts
// lib/dal.ts
import { cookies } from 'next/headers'
import { db } from '@/lib/db'

export async function getUser() { /* … */ }
```

## Fix
Insert `import 'server-only'` as the module's first import:
```ts
import 'server-only'
import { cookies } from 'next/headers'
import { db } from '@/lib/db'
```
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from ..analysis import Analysis
from ..facts.model import FileFacts
from ..fixes.edits import style_of
from ..model import Finding, Fix, Severity, Span, TextEdit
from ..workspace.dal import data_access_reason, secret_env_reads
from .base import Rule


class DalMissingServerOnly(Rule):
    code = "NG203"
    name = "dal-missing-server-only"
    severity = Severity.WARNING

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        facts = index.modules[path]
        if facts.server_only_import or facts.bare_server_only or facts.use_client:
            return
        if path.suffix in (".tsx", ".jsx") or index.app_kind(path) is not None or index.is_outside_bundle(path):
            return
        if path not in index.reachable_from_app:
            return
        reason = self._reason(analysis, path, facts)
        if reason is None or facts.first_statement is None:
            return
        source = index.sources[path]
        style = style_of(source, facts)
        line = f"import {style.quote}server-only{style.quote}{style.semicolon}{style.newline}"
        at = facts.first_statement.start
        if facts.use_server is not None and facts.first_statement.start <= facts.use_server.start:
            at = facts.use_server.end
            line = style.newline + line.rstrip("\r\n")
        message = (
            f"This module {reason} but does not `import 'server-only'`, "
            "so nothing stops a Client Component from importing it."
        )
        applicability: Literal["safe", "unsafe"] = "safe"
        importer = index.client_reachable.get(path)
        if importer is not None:
            # The build would fail until that import goes: not a fix to apply unattended.
            applicability = "unsafe"
            message += f" It is already in the client bundle, imported by {index.rel(importer)}."
        fix = Fix("Add `import 'server-only'`", (TextEdit(path, Span(at, at), line),), applicability)
        yield Finding(self.code, self.name, self.severity, message, path, facts.first_statement, fixes=(fix,))

    @staticmethod
    def _reason(analysis: Analysis, path: Path, facts: FileFacts) -> str | None:
        if facts.use_server is not None:
            secrets = secret_env_reads(facts)
            return f"is a 'use server' module that reads the secret `process.env.{secrets[0]}`" if secrets else None
        return data_access_reason(analysis.index, analysis.summaries, path)
