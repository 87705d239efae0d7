"""An owner field is written from what the client sent.

## What it does
Finds writes in Server Actions and route handlers — Prisma `data`/`create`/`update`, Drizzle
`.values()`/`.set()`, Supabase `.insert()`/`.update()`/`.upsert()` — that store an owner field
(`userId`, `authorId`, `ownerId`, `orgId`, their snake_case forms, and config `ownerFields`) from
client input: a parameter, `formData.get('userId')`, the parsed body.

## Why it matters
Whoever calls the endpoint chooses the value: a signed-in user can create records in someone
else's name, move a record into another account, or attach it to an organization they do not
belong to. The owner of a new record is the caller — and the server already knows who that is.

## Example
```ts
'use server'
export async function createNote(formData: FormData) {
  await verifySession()
  await db.note.create({
    data: { title: String(formData.get('title')), authorId: String(formData.get('authorId')) },
  })
}
```

## Fix
Take the owner from the session:
```ts
export async function createNote(formData: FormData) {
  const session = await verifySession()
  await db.note.create({
    data: { title: String(formData.get('title')), authorId: session.userId },
  })
}
```
The quick fix is offered when the endpoint already has the session (after NG101's fix, it does).
It is safe on a create (the new record's owner is the caller); on an update it is marked unsafe,
because the client's value may be the point (handing a record over to another user) and the fix
would change what the action does — there, check that the caller may act for that user instead.
Endpoints that are public by design, sign-in flows (a sign-up writes the new user's own id),
webhooks, cron jobs and admin-only routes are not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..facts.extract import roots_of
from ..facts.model import Unit
from ..fixes.scoping import owner_value_fix
from ..fixes.session_id import session_id
from ..model import Finding, Fix, Severity
from ..workspace.flow import SESSION, UnitFlow
from .base import Rule
from .ownerless import exempt


class ClientSuppliedOwner(Rule):
    code = "NG105"
    name = "client-supplied-owner"
    severity = Severity.ERROR
    per_function = True

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        summaries = analysis.summaries
        keys = {_plain(key) for key in summaries.owner_keys}  # `UserID`, `user_id`, `userId` alike
        source = index.sources[path]
        for endpoint in analysis.endpoints(path):
            unit = endpoint.unit
            if not summaries.unit(path, unit.index).data or exempt(analysis, endpoint):
                continue
            flow = summaries.flow(path, unit.index)
            session = None
            for access in flow.accesses:
                # A record that already names the caller (`followingId: session user`) has its
                # owner: its other principals say whom it relates to (the user being followed).
                if any(
                    pair.key is not None and _plain(pair.key) in keys and SESSION in flow.tags_of(pair.text)
                    for pair in access.writes
                ):
                    continue
                for pair in access.writes:
                    if pair.key is None or _plain(pair.key) not in keys:
                        continue
                    tags = flow.tags_of(pair.text)
                    if SESSION in tags or not any(tag >= 0 for tag in tags):
                        continue
                    if _copied_from_a_record(unit, flow, pair.text):
                        continue
                    if session is None:
                        session = session_id(index, summaries, path, unit, flow)
                    label = unit.calls[access.call].chain
                    message = (
                        f"`{endpoint.name}` writes the owner field `{pair.key}` from client input "
                        f"(`{pair.text.strip()}` in `{'.'.join(p for p in label if p != '()')}`): the caller "
                        "chooses whose record this is."
                    )
                    fixes: tuple[Fix, ...] = ()
                    if session is not None:
                        creates = access.kind == "create"
                        fixes = (owner_value_fix(path, source, pair, session, creates=creates),)
                    yield Finding(self.code, self.name, self.severity, message, path, pair.span, fixes=fixes)


_USER_TABLES = re.compile(r"^(users?|accounts?|members?|profiles?|customers?)$", re.IGNORECASE)


def _copied_from_a_record(unit: Unit, flow: UnitFlow, text: str) -> bool:
    """Whether the value is read off records the endpoint fetched that are not users: copying a
    note's author into its duplicate keeps the owner it had, the client did not choose one. (A
    user looked up by the id the client sent is the client's choice.)"""
    names = roots_of(text.encode())
    if not names or any(name not in flow.records for name in names):
        return False
    for name in names:
        chain = unit.calls[flow.records[name]].chain
        call = unit.calls[flow.records[name]]
        table = call.string_arg if len(chain) == 2 and call.string_arg else chain[-2] if len(chain) >= 2 else ""
        if _USER_TABLES.match(table.strip("'\"")):
            return False
    return True


def _plain(name: str) -> str:
    return name.replace("_", "").lower()
