"""A permission is checked against a list carried in the session.

## What it does
Finds checks of a permission against a list read off a session-derived value —
`session.permissions.includes('billing:export')`, `session.user.scopes.some(…)`,
`ctx.user.permissions.has(…)`, `const { permissions } = session.user; permissions.includes(…)` —
in server code. Roles (`session.user.role === 'admin'`) are not reported: they are coarse and
stable, and the session is the right place for them.

## Why it matters
A session (a JWT, an encrypted cookie) is a snapshot taken at sign-in. Permissions are granular
and change on their own schedule: when you revoke a user's `billing:export` at 2pm, the list in
their session still grants it until the session rotates — hours or days later. A revoked
permission keeps working.

## Example
```ts
export async function exportInvoices() {
  const session = await verifySession()
  if (!session.permissions.includes('billing:export')) throw new Error('Forbidden')
  …
}
```

## Fix
Read permissions from the database through the DAL, once per request:
```ts
// app/lib/dal.ts
export const getUserPermissions = cache(async () => {
  const session = await verifySession()
  const rows = await db.permission.findMany({ where: { userId: session.userId }, select: { name: true } })
  return rows.map((row) => row.name)
})

// the action
const permissions = await getUserPermissions()
if (!permissions.includes('billing:export')) throw new Error('Forbidden')
```
There is no automatic fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..facts.model import Unit
from ..model import Finding, Severity
from ..workspace.calls import Kind
from ..workspace.flow import SESSION, UnitFlow
from ..workspace.summaries import Summaries
from .base import Rule

PERMISSION_MEMBERS = frozenset(
    {"permissions", "permission", "scopes", "scope", "grants", "entitlements", "abilities", "capabilities", "perms"}
)
_CHECKS = frozenset({"includes", "has", "some", "every", "indexOf", "find", "contains", "hasOwnProperty"})


class PermissionsFromSession(Rule):
    code = "NG114"
    name = "permissions-from-session"
    severity = Severity.HINT

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        summaries = analysis.summaries
        facts = index.modules[path]
        if facts.use_client:
            return
        for unit in facts.units[1:]:
            if not summaries.unit(path, unit.index).auth and not unit.params:
                continue
            flow = None
            for call in unit.calls:
                chain = call.chain
                if len(chain) < 2 or chain[-1] not in _CHECKS:
                    continue
                members = [part for part in chain[:-1] if part in PERMISSION_MEMBERS]
                if not members:
                    continue
                if flow is None:
                    flow = summaries.flow(path, unit.index)
                if SESSION not in flow.tags.get(chain[0], frozenset()):
                    continue
                if _from_database(summaries, unit, flow, chain[0], call.span.start):
                    continue
                held = ".".join(part for part in chain[:-1] if part != "()")
                message = (
                    f"`{held}` is a permission list carried in the session: a revoked permission keeps working "
                    "until the session rotates. Read permissions from the database (a `cache()`-wrapped DAL "
                    "function) instead."
                )
                yield Finding(self.code, self.name, self.severity, message, path, call.span)


def _from_database(summaries: Summaries, unit: Unit, flow: UnitFlow, name: str, before: int) -> bool:
    """Whether ``name`` holds what a workspace function read from the database
    (`const permissions = await getUserPermissions()`), rather than the session's own payload."""
    for _ in range(8):
        local = next(
            (item for item in reversed(unit.locals) if item.span.end <= before and name in item.names),
            None,
        )
        if local is None:
            return False
        if local.call is not None:
            for event in flow.events_at.get(local.call, ()):
                if event.kind is Kind.DATA:
                    return True
                callee = summaries.callee_summary(event) if event.kind is Kind.CALL else None
                if callee is not None and callee.data:
                    return True
            return False
        if local.reads is None:
            return False
        name, before = local.reads, local.span.start
    return False
