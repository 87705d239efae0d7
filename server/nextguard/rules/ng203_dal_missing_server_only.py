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
from ..workspace import vocabulary as vocab
from ..workspace.calls import Kind
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
        secrets = [
            name
            for unit in facts.units
            for name, _ in unit.env_reads
            if not name.startswith(vocab.PUBLIC_ENV_PREFIX) and vocab.SECRET_ENV.search(name)
        ]
        if any(imported.source in vocab.ENV_VALIDATORS for imported in facts.imports):
            secrets = []
        if facts.use_server is not None:
            return f"is a 'use server' module that reads the secret `process.env.{secrets[0]}`" if secrets else None
        bindings = list(facts.bindings.values())
        if bindings and all(_is_action_client(binding.init, binding.chain_refs) for binding in bindings):
            return None
        classifier = analysis.summaries.classifier
        for imported in facts.imports:
            if imported.local is None or imported.type_only:
                continue
            if classifier.is_client(analysis.index.target(path, (imported.local,))):
                return f"imports the database client `{imported.local}`"
        for binding in bindings:
            if binding.body is None and classifier.binding_is_client(path, binding.name):
                return f"creates the database client `{binding.name}`"
        for unit in facts.units:
            if unit.kind == "middleware":
                continue
            summary = analysis.summaries.unit(path, unit.index)
            for event in summary.events:
                if event.kind is Kind.DATA:
                    return f"accesses data (`{event.label}`)"
                if event.kind is Kind.COOKIE:
                    return f"reads `{event.label}()`"
                if event.kind is Kind.AUTH:
                    return f"checks auth (`{event.label}`)"
            if unit.kind == "function" and summary.auth and not any(e.kind is Kind.CALL for e in summary.events):
                return f"defines the auth check `{unit.name}`"
        if secrets:
            return f"reads the secret `process.env.{secrets[0]}`"
        return None


def _is_action_client(init: tuple[str, ...] | None, refs: tuple[tuple[str, ...], ...]) -> bool:
    names = {part for ref in refs for part in ref} | set(init or ())
    return bool(names & vocab.ACTION_CLIENT_FACTORIES) or any(
        part in ("use", "middleware", "createServerAction", "handler") for part in names
    )
