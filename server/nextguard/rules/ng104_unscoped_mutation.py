"""An update, delete or returned read is keyed by client input, and nothing ties it to the caller (IDOR).

## What it does
Finds, in Server Actions and route handlers, `update`/`delete`/`upsert` queries — and single-record
reads whose result is returned — whose filter is built from client input (the action's arguments,
`formData.get(…)`, the parsed body, route params), when:
- the filter does not also compare an owner column with a session-derived value
  (`where: { id, authorId: session.userId }`),
- no ownership check ran before it: no fetch-and-compare (`if (post.authorId !==
  session.userId) throw …`), no lookup with the owner in its filter, no call of a function that
  does one,
- and the workspace function it goes through (`deleteNote(id)` in the DAL) does not scope it
  either: ownership is a summary of every function, so a DAL function that checks makes its
  callers safe, and one that does not is reported where an endpoint hands it client input.

Prisma, Drizzle, Supabase and Mongoose queries are read. Endpoints that are public by design
(`// nextguard-public`, `publicActions`), sign-in flows, webhooks verified by signature and cron
jobs checked by a secret are not reported; returned reads are reported only on endpoints that
authenticate (an endpoint that never asks who is calling serves public data or is NG101/NG106).
Supabase queries are not reported when the config says the project relies on Row Level Security
(`"supabase": { "rls": true }`).

## Why it matters
Authentication says who is calling; it does not say that the record with the id they sent is
theirs. Any signed-in user can change the id in the request — no UI needed — and edit, delete or
read everyone else's records. A schema that validates the id's shape does not help: a well-formed
id can still point at a row the caller does not own.

## Example
```ts
'use server'
export async function deletePost(formData: FormData) {
  const session = await verifySession()
  await db.post.delete({ where: { id: formData.get('id') as string } })
}
```

## Fix
Tie the query to the caller. The quick fixes add the owner to the filter, in the ORM's own shape,
with the owner column named as the workspace names it (its `schema.prisma`, its Drizzle tables,
the filters it already writes; config `ownerFields` adds names):
```ts
// Prisma 5+: non-unique fields are accepted in the `where` of update/delete
await db.post.delete({ where: { id, authorId: session.userId } })
// older Prisma: deleteMany/updateMany, and check that one row matched
const { count } = await db.post.deleteMany({ where: { id, authorId: session.userId } })
if (count !== 1) throw new Error('Not found')
// Drizzle
await db.delete(posts).where(and(eq(posts.id, id), eq(posts.authorId, session.userId)))
// Supabase
await supabase.from('posts').delete().eq('user_id', user.id).eq('id', id)
```
Or fetch the record and compare its owner before changing it. The fixes change which rows the
query matches, so they are unsafe: offered in the editor, applied only with
`nextguard check --fix --unsafe-fixes`. No fix is offered when the function has no session value
to scope by (add the auth check first: NG101) or when the query goes through a DAL function (scope
it there).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..fixes.scoping import drizzle_fix, prisma_fixes, supabase_fix
from ..fixes.session_id import session_id
from ..model import Finding, Fix, Related, Severity
from ..workspace.actions import Endpoint
from ..workspace.calls import label_of
from ..workspace.ownership import OwnerNaming, Site, scope_points, unscoped_sites
from ..workspace.summaries import Step
from .base import Rule
from .ownerless import exempt


def owner_naming(analysis: Analysis) -> OwnerNaming:
    return analysis.memo("owner-naming", lambda: OwnerNaming(analysis.index))


def endpoint_sites(analysis: Analysis, endpoint: Endpoint) -> list[Site]:
    """The keyed accesses an endpoint makes (or reaches through a callee) that nothing scopes."""
    index = analysis.index
    summaries = analysis.summaries
    path = endpoint.path
    unit = endpoint.unit
    summary = summaries.unit(path, unit.index)
    if not summary.data:
        return []
    facts = index.modules[path]
    source = index.sources[path]
    flow = summaries.flow(path, unit.index)
    keys = summaries.owner_keys
    points = scope_points(facts, source, unit, flow, keys, summaries.checks_owner_event, endpoint=True)
    return unscoped_sites(
        facts,
        source,
        unit,
        flow,
        keys,
        points,
        summaries.callee_sites,
        endpoint=True,
        supabase_rls=index.config.supabase_rls,
    )


class UnscopedMutation(Rule):
    code = "NG104"
    name = "unscoped-mutation"
    severity = Severity.ERROR
    per_function = True

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        summaries = analysis.summaries
        for endpoint in analysis.endpoints(path):
            if exempt(analysis, endpoint):
                continue
            unit = endpoint.unit
            authenticated = summaries.unit(path, unit.index).auth or (
                endpoint.binding is not None and summaries.chain_auth(path, endpoint.binding)
            )
            sites = endpoint_sites(analysis, endpoint)
            if not sites:
                continue
            flow = summaries.flow(path, unit.index)
            session = session_id(index, summaries, path, unit, flow)
            for site in sites:
                if site.read and not authenticated and endpoint.kind == "route":
                    continue  # a public GET of a route handler (a page's data, an image) is its design
                call = unit.calls[site.call]
                label = label_of(call.chain)
                related: tuple[Related, ...] = ()
                fixes: list[Fix] = []
                if site.access is None:
                    trail = self._callee_trail(analysis, path, unit.index, site)
                    deepest = trail[-1] if trail else None
                    what = "returns a record it reads" if site.read else "changes data"
                    where = f" (`{deepest.label}`)" if deepest is not None else ""
                    message = (
                        f"`{endpoint.name}` passes client input to `{label}`, which {what}{where} by that key "
                        "without checking that it belongs to the signed-in user."
                    )
                    related = tuple(
                        Related(step.path, step.span, f"keyed by the caller's input: `{step.label}`") for step in trail
                    )
                else:
                    access = site.access
                    verb = "reads and returns" if site.read else _verb(call.chain[-1])
                    message = f"`{endpoint.name}` {verb} a record (`{label}`) keyed by client input"
                    if site.owner_from_client:
                        message += ", and the owner in its filter comes from the client too"
                    message += ": nothing ties it to the signed-in user, so any user can pass someone else's id."
                    if session is not None:
                        naming = owner_naming(analysis)
                        if access.orm == "prisma":
                            owner = next(
                                (
                                    pair
                                    for pair in access.filters or ()
                                    if pair.key is not None and pair.key in summaries.owner_keys
                                ),
                                None,
                            )
                            fixes += prisma_fixes(index, naming, path, unit, access, owner, session)
                        elif access.orm == "drizzle":
                            fix = drizzle_fix(index, naming, path, unit, access, session)
                            fixes += [fix] if fix is not None else []
                        elif access.orm == "supabase":
                            fix = supabase_fix(index, naming, path, unit, access, session)
                            fixes += [fix] if fix is not None else []
                yield Finding(
                    self.code,
                    self.name,
                    self.severity,
                    message,
                    path,
                    call.span,
                    related=related,
                    fixes=tuple(fixes),
                )

    @staticmethod
    def _callee_trail(analysis: Analysis, path: Path, index: int, site: Site) -> tuple[Step, ...]:
        summaries = analysis.summaries
        flow = summaries.flow(path, index)
        for event in flow.events_at.get(site.call, ()):
            callee = summaries.callee_summary(event)
            if callee is not None and callee.unscoped:
                for param in sorted(callee.unscoped):
                    return callee.unscoped[param][1]
        return ()


def _verb(method: str) -> str:
    if "delete" in method.lower() or "remove" in method.lower():
        return "deletes"
    if "upsert" in method.lower():
        return "upserts"
    return "updates"
