"""A Server Action returns a whole database record to the client.

## What it does
Finds Server Actions (exported from a `'use server'` module, or inline) that return the result of
a database query that reads whole rows: Prisma `db.post.findUnique(…)`/`findMany`/`create`/
`update`…, Drizzle `db.query.posts.findFirst(…)` or `db.select().from(posts)`, Supabase
`.from('posts').select('*')` — directly, through a variable that holds it, as a property of the
returned object (`{ success: true, post }`), or through a workspace function in any file that
returns one (`return getPost(id)` when `getPost` returns `db.post.findUnique({ where })`). A query
with an explicit `select`/`columns`/`omit` is not reported unless its select names secret fields
(`password…`, `…hash…`, `…token…`, `…secret…`, `apiKey`). Returns of primitives, counts, booleans,
objects built from fields, DTO function results and mapped records (`posts.map((p) => ({ id:
p.id }))`) are not records; route handlers are not reported (they choose what to serialize).

## Why it matters
Whatever a Server Action returns is serialized to the browser. A whole row carries every column —
password hashes, tokens, internal flags, other users' ids — whether or not the page shows them,
and a column added to the table next month leaks without anyone touching the action. Return a
Data Transfer Object: only the fields the client needs.

## Example
```ts
'use server'
export async function getProfile(id: string) {
  await verifySession()
  return db.user.findUnique({ where: { id } }) // email, passwordHash, resetToken…
}
```

## Fix
The quick fixes, all unsafe (they change what the caller receives, so they are offered in the
editor and applied only with `--unsafe-fixes`):
- return `{ success: true }` when no call site in the workspace reads the action's result (a
  `<form action={…}>`, a bare `await action(formData);`) — a returned write still runs;
- return an object of only the fields the record was selected with, or — without a select — the
  fields the calling components read (`const p = await getProfile(id); p.name`, `const { name } =
  …`), leaving out secret-named fields;
- call the project's DTO function for the model (`toUserDTO(user)`) when the workspace exports one
  (`to<Model>DTO`, `<model>ToDto`…), imported the way the project imports it.
```ts
export async function getProfile(id: string) {
  await verifySession()
  const user = await db.user.findUnique({ where: { id } })
  return user && { name: user.name, image: user.image }
}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..facts.model import Unit
from ..fixes.dto import dto_fix, fields_fix, success_fix
from ..model import Finding, Fix, Related, Severity
from ..workspace.exposure import RawReturn, Usage, dto_for, raw_returns, usage_of
from .base import Rule


class RawRecordReturned(Rule):
    code = "NG201"
    name = "raw-record-returned"
    severity = Severity.WARNING

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        summaries = analysis.summaries
        for endpoint in analysis.endpoints(path):
            if endpoint.kind == "route":
                continue
            unit = endpoint.unit
            found = raw_returns(index, summaries, path, unit.index)
            if not found:
                continue
            usage: Usage | None = None
            names = sorted(summaries.names_of_unit(path, unit.index)) if endpoint.binding is not None else []
            for name in names:
                one = usage_of(index, summaries, name)
                usage = one if usage is None else usage.merge(one)
            for raw in found:
                yield self._finding(analysis, path, endpoint.name, unit, raw, usage)

    def _finding(
        self, analysis: Analysis, path: Path, name: str, unit: Unit, raw: RawReturn, usage: Usage | None
    ) -> Finding:
        index = analysis.index

        read = raw.read
        where = f" as `{raw.key}`" if raw.key else ""
        via = f" through `{raw.trail[0].label}`" if raw.trail else ""
        if read.secrets:
            what = f"a record whose select includes {', '.join(f'`{s}`' for s in read.secrets)}"
        else:
            what = "a whole database record"
        message = (
            f"`{name}` returns {what} (`{read.label}`){where}{via} to the client: every field it holds is "
            "serialized to the browser. Return a DTO of only the fields the client needs."
        )
        related = [Related(step.path, step.span, f"calls `{step.label}`") for step in raw.trail[1:]]
        related.append(Related(read.path, read.span, f"the record is read here: `{read.label}`"))
        fixes: list[Fix] = []
        if usage is not None and usage.references > 0 and not usage.value_used:
            fix = success_fix(index, path, unit, raw)
            if fix is not None:
                fixes.append(fix)
        dto = dto_for(index, read.model) if read.selected is None else None
        if dto is not None:
            fix = dto_fix(index, path, unit, raw, dto)
            if fix is not None:
                fixes.append(fix)
        fields: list[str] | None = None
        if read.selected is not None:
            fields = list(read.selected)
        elif usage is not None and usage.fields and not read.many and raw.whole and raw.ret.kind != "object":
            # (a list's call sites read `.map`/`.length`, not fields: not followed)
            fields = sorted(usage.fields)
        if fields:
            fix = fields_fix(index, path, unit, raw, fields)
            if fix is not None:
                fixes.append(fix)
        return Finding(
            self.code,
            self.name,
            self.severity,
            message,
            path,
            raw.span,
            related=tuple(related),
            fixes=tuple(fixes),
        )
