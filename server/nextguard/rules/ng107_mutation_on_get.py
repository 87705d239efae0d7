"""Data is changed while answering a GET: in a `GET` route handler or while rendering a page.

## What it does
Finds writes — creates, updates, deletes, raw writes, writes to a key-value store — made directly
or through workspace functions by a `GET` (or `HEAD`) route handler, or by the component a
`page` or `layout` renders (its default export; inline Server Actions defined inside it are
separate endpoints and are not counted).

## Why it matters
A GET is supposed to be safe to repeat and to trigger from anywhere: browsers prefetch links,
crawlers follow them, and any site can make a signed-in user's browser send one with an `<img>`
tag — with their cookies. Next.js keeps Server Actions POST-only and forbids setting cookies
while rendering for exactly this reason; a write in a GET handler or a render body reopens the
CSRF hole those rules close.

## Example
```ts
// app/invites/[token]/page.tsx
export default async function AcceptInvite({ params }) {
  const { token } = await params
  await db.invite.update({ where: { token }, data: { acceptedAt: new Date() } })
  return <p>Welcome aboard!</p>
}
```

## Fix
Make the change in a Server Action (a form the user submits) or a POST route handler, and keep
the page and the GET handler to reading. There is no automatic fix.

Not reported: cron jobs (Vercel calls them with GET) and webhooks authenticated by a secret or a
signature, OAuth or email-link callbacks that complete a sign-in flow, and writes to a key-value
store (`redis.set`, `kv.incr`: caches, counters and rate limits).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..facts.model import Unit
from ..model import Finding, Related, Severity
from ..workspace.calls import Kind
from ..workspace.routes import auth_flow_route, component_unit, machine_or_role_endpoint
from ..workspace.summaries import Step, Summaries
from .base import Rule


class MutationOnGet(Rule):
    code = "NG107"
    name = "mutation-on-get"
    severity = Severity.WARNING

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        summaries = analysis.summaries
        kind = index.app_kind(path)
        targets: list[tuple[Unit, str]] = []
        if kind == "route":
            for endpoint in analysis.endpoints(path):
                if endpoint.kind == "route" and endpoint.name in ("GET", "HEAD"):
                    targets.append((endpoint.unit, f"`{endpoint.name}` route handler"))
        elif kind in ("page", "layout"):
            unit = component_unit(index, path)
            if unit is not None:
                targets.append((unit, f"{kind} component"))
        for unit, what in targets:
            summary = summaries.unit(path, unit.index)
            if not summary.mutates or summary.flow:
                continue
            if kind == "route" and (
                auth_flow_route(index, path) or machine_or_role_endpoint(index, summaries, path, unit) is not None
            ):
                continue
            trail = first_mutation(summaries, path, unit)
            if not trail:
                continue
            first = trail[0]
            via = f" through `{first.label}`" if len(trail) > 1 else ""
            where = "while rendering" if kind != "route" else "while answering a GET"
            message = (
                f"The {what} changes data {where} (`{trail[-1].label}`{via}): a GET can be triggered "
                "cross-site, prefetched and repeated, so it must never change anything."
            )
            related = tuple(Related(step.path, step.span, f"changes data: `{step.label}`") for step in trail[1:])
            yield Finding(self.code, self.name, self.severity, message, path, first.span, related=related)


# Writes to a key-value store while answering a GET are caches, counters and rate limits, not the
# state changes this rule is about.
_CACHE = re.compile(r"redis|kv|cache|upstash|ratelimit", re.IGNORECASE)


def first_mutation(
    summaries: Summaries, path: Path, unit: Unit, seen: set[tuple[Path, int]] | None = None
) -> tuple[Step, ...]:
    """The path from a unit to the first write it makes, through the functions it calls."""
    seen = seen if seen is not None else set()
    key = (path, unit.index)
    if key in seen:
        return ()
    seen.add(key)
    for event in summaries.unit(path, unit.index).events:
        if event.kind is Kind.DATA and event.mutation and not _CACHE.search(event.label.split(".")[0]):
            return (Step(path, event.span, event.label),)
        if event.kind is Kind.CALL and event.callee is not None:
            callee = summaries.callee_summary(event)
            target = summaries.callee_unit(event.callee)
            if callee is None or target is None or not callee.mutates:
                continue
            inner_path, inner_index = target
            inner = summaries.index.modules[inner_path].units[inner_index]
            rest = first_mutation(summaries, inner_path, inner, seen)
            if rest:
                return (Step(path, event.span, event.label), *rest)
    return ()
