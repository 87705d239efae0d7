"""A data-access function returns a record read without an explicit `select`.

## What it does
Finds functions outside Server Actions, route handlers and pages — the Data Access Layer — that
return the result of a query reading whole rows (Prisma `findUnique`/`findFirst`/`findMany`/
`create`/`update`…, Drizzle `db.query.<table>.findFirst/findMany` or `db.select().from(t)`,
Supabase `.select('*')`) with no `select`/`columns`/`omit`, directly or through a variable. The
finding is on the query.

## Why it matters
A DAL function is where the data that leaves the server is chosen. Reading every column hands
every caller — and, through any action or component that passes it on, the browser — fields it
never needed, including the ones added to the table later. An explicit select is the list of what
may leave.

## Example
```ts
// lib/dal.ts
export async function getPost(id: string) {
  return db.post.findUnique({ where: { id } })
}
```

## Fix
When the workspace's call sites show which fields callers read (`const post = await getPost(id);
post.title`, `const { title } = await getPost(id)`, through actions that return it as it is), the
quick fix adds a select of those fields (secret-named fields left out): Prisma `select: { title:
true }`, Drizzle `columns: { title: true }` for `db.query.*.findFirst/findMany`. It changes what
the function returns, so it is unsafe. No fix is offered when no caller's use is known.
```ts
return db.post.findUnique({ where: { id }, select: { title: true } })
```
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..fixes.dto import select_fix
from ..model import Finding, Fix, Severity
from ..workspace.exposure import Usage, own_fields, raw_returns, usage_of
from .base import Rule


class QueryWithoutSelect(Rule):
    code = "NG202"
    name = "query-without-select"
    severity = Severity.INFO

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        facts = index.modules[path]
        if facts.use_client or not any(unit.returns for unit in facts.units):
            return
        if index.app_kind(path) is not None or index.is_outside_bundle(path):
            return
        summaries = analysis.summaries
        endpoints = {endpoint.unit.index for endpoint in analysis.endpoints(path)}
        for unit in facts.units[1:]:
            if unit.index in endpoints or unit.kind == "inline" or not unit.returns:
                continue
            names = summaries.names_of_unit(path, unit.index)
            if not names:
                continue
            reported: set[int] = set()
            for raw in raw_returns(index, summaries, path, unit.index):
                read = raw.read
                if raw.trail or read.explicit or read.call in reported:
                    continue
                reported.add(read.call)
                usage: Usage | None = None
                for name in sorted(names):
                    one = usage_of(index, summaries, name)
                    usage = one if usage is None else usage.merge(one)
                fixes: list[Fix] = []
                # Callers' fields are the record's only when the record is the whole value returned (not
                # `{ customer, event }`) and not a list (whose call sites read `.map`, `.length`).
                own = own_fields(facts, unit, raw)
                if (
                    usage is not None
                    and usage.fields
                    and own is not None
                    and not read.many
                    and raw.key is None
                    and raw.ret.kind != "object"
                ):
                    fix = select_fix(index, read, unit, sorted(usage.fields | own))
                    if fix is not None:
                        fixes.append(fix)
                label = unit.name or "this function"
                yield Finding(
                    self.code,
                    self.name,
                    self.severity,
                    f"`{label}` returns a record read without an explicit select (`{read.label}`): every column "
                    "reaches its callers. List the fields they need.",
                    path,
                    read.span,
                    fixes=tuple(fixes),
                )
