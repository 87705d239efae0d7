"""A session that can be null is fetched, then data is touched without checking it.

## What it does
Finds calls of auth primitives that return null (or an empty identity) when nobody is signed in —
`auth()`, `getServerSession()`, `currentUser()`, `supabase.auth.getUser()`, Clerk's
`const { userId } = await auth()`, and the project's own helpers that return `null` instead of
redirecting — whose result is kept in a variable that is neither tested (`if (!session)`,
`session?.user ? … : …`) nor dereferenced (`session.user.id`, which throws on null) nor handed to
another function before the function reads or writes data.

## Why it matters
Fetching the session is not checking it. When the caller is signed out the value is `null`, and
the code carries on: `session?.user?.id` quietly becomes `undefined`, and
`where: { userId: undefined }` makes Prisma drop the condition — the query now matches every
user's rows.

## Example
```ts
export async function listInvoices() {
  const session = await auth()
  return db.invoice.findMany({ where: { userId: session?.user?.id } })
}
```

## Fix
Bail out when there is no user, right after fetching the session:
```ts
export async function listInvoices() {
  const session = await auth()
  if (!session) throw new Error('Unauthorized')
  return db.invoice.findMany({ where: { userId: session?.user?.id } })
}
```
With `"unauthorized": "redirect:/login"` in the config the inserted line redirects instead; in a
route handler it answers 401. A guard that enforces itself — `verifySession()` that redirects when
there is no session — needs no check and is not reported; a result that is never read at all is
NG113.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..fixes.auth_guard import bail_statement
from ..fixes.edits import insert_after_statement, merge_insertions, style_of
from ..model import Finding, Fix, Related, Severity, TextEdit
from ..workspace.session_use import (
    auth_uses,
    checked_before,
    first_data_after,
    identity_name,
    is_clerk,
    nullable,
    read_after,
)
from .base import Rule


class UncheckedSession(Rule):
    code = "NG103"
    name = "unchecked-session"
    severity = Severity.WARNING
    per_function = True

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        summaries = analysis.summaries
        facts = index.modules[path]
        routes = {e.unit.index for e in analysis.endpoints(path) if e.kind == "route"}
        for unit in analysis.units(path):
            summary = summaries.unit(path, unit.index)
            if not summary.auth or not summary.data:
                continue
            flow = summaries.flow(path, unit.index)
            for use in auth_uses(unit, flow):
                if not nullable(summaries, use.event) or not read_after(facts, unit, use.local):
                    continue
                data = first_data_after(summaries, summary, use.local.span.end)
                if data is None:
                    continue
                call = unit.calls[use.local.call] if use.local.call is not None else None
                clerk = call is not None and is_clerk(index, path, call)
                # Clerk's `auth()` always returns an object: only a test of its `userId` counts.
                # Reads anywhere in the data access's whole chained expression run before it.
                end = max(c.span.end for c in unit.calls if c.span.start == data.span.start)
                if checked_before(facts, index.sources[path], use.names, use.local.span.end, end, deref=not clerk):
                    continue
                name = identity_name(use.local)
                if clerk and len(use.local.binders) == 1 and not use.local.binders[0].path:
                    name = f"{name}.userId"
                message = (
                    f"`{name}` from `{use.event.label}` is null when nobody is signed in, and it is not checked "
                    f"before data is accessed (`{data.label}`)."
                )
                fixes: tuple[Fix, ...] = ()
                source = index.sources[path]
                style = style_of(source, facts)
                edits: list[TextEdit] = []
                bail = bail_statement(index, path, edits, style.quote, route=unit.index in routes)
                if bail is not None:
                    line = f"if (!{name}) {bail}{style.semicolon}"
                    edits.append(insert_after_statement(path, source, use.local.statement, line, style))
                    fixes = (Fix(f"Bail out when `{name}` is empty", tuple(merge_insertions(edits)), "safe"),)
                yield Finding(
                    self.code,
                    self.name,
                    self.severity,
                    message,
                    path,
                    use.event.span,
                    related=(Related(path, data.span, f"data accessed with the session unchecked: `{data.label}`"),),
                    fixes=fixes,
                )
