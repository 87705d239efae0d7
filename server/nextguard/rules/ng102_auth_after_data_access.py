"""An endpoint checks auth, but only after it has already touched data.

## What it does
Finds Server Actions and route handlers that do call an auth primitive — `auth()`,
`getServerSession()`, `supabase.auth.getUser()`, the project's own `verifySession()`, a DAL
function that checks — but only after their first read or write of data, directly or through a
workspace function they call.

## Why it matters
Whatever runs before the check runs for anyone: a read can leak through an error message or a
timing difference, a write has already happened by the time the check rejects the caller, and a
later refactor that returns early "for performance" removes the check altogether. The check has
to come first for it to protect anything.

## Example
```ts
'use server'
export async function archivePost(formData: FormData) {
  const id = formData.get('id') as string
  await db.post.update({ where: { id }, data: { archived: true } })
  const session = await verifySession()
  revalidatePath(`/users/${session.userId}/posts`)
}
```

## Fix
Move the auth statement (with the `if` that tests its result, when it follows directly) above the
first data access:
```ts
export async function archivePost(formData: FormData) {
  const session = await verifySession()
  const id = formData.get('id') as string
  await db.post.update({ where: { id, authorId: session.userId }, data: { archived: true } })
  revalidatePath(`/users/${session.userId}/posts`)
}
```
The move changes what runs before the check, so it is an unsafe fix: offered in the editor and
applied by `nextguard check --fix --unsafe-fixes`, not by `--fix` alone. It is not offered when the
auth statement uses a value computed in between.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..facts.model import FileFacts, Unit
from ..fixes.edits import move_lines_before
from ..model import Finding, Fix, Related, Severity, Span
from ..workspace import vocabulary as vocab
from ..workspace.actions import public_reason
from ..workspace.calls import Event
from ..workspace.flow import refs_in
from ..workspace.session_use import statement_of
from ..workspace.summaries import Step
from .base import Rule


class AuthAfterDataAccess(Rule):
    code = "NG102"
    name = "auth-after-data-access"
    severity = Severity.WARNING

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        summaries = analysis.summaries
        for endpoint in analysis.endpoints(path):
            late = summaries.late_auth(path, endpoint.unit.index)
            if late is None:
                continue
            if endpoint.binding is not None and summaries.chain_auth(path, endpoint.binding):
                continue
            summary = summaries.unit(path, endpoint.unit.index)
            if summary.flow or vocab.AUTH_FLOW_ACTION_NAME.match(endpoint.name):
                continue
            if public_reason(index, endpoint) is not None:
                continue
            first, auth = late
            trail = summaries.trail(path, endpoint.unit.index)
            facts = index.modules[path]
            kind = {"route": "Route handler", "inline": "Inline Server Action"}.get(endpoint.kind, "Server Action")
            auth_row = facts.lines.row_of(auth.span.start) + 1
            what = "changes" if summaries.step_mutates(path, endpoint.unit.index, first) else "reads"
            via = f" through `{first.label}`" if len(trail) > 1 else ""
            message = (
                f"{kind} `{endpoint.name}` {what} data (`{trail[-1].label}`{via}) before its auth check "
                f"(`{auth.label}` on line {auth_row}) runs: everything before the check runs for anyone."
            )
            related = (
                Related(first.path, first.span, f"data access before the check: `{first.label}`"),
                Related(path, auth.span, f"the auth check, too late: `{auth.label}`"),
            )
            fix = _move_fix(analysis, path, facts, endpoint.unit, first, auth)
            yield Finding(
                self.code,
                self.name,
                self.severity,
                message,
                path,
                endpoint.unit.report,
                related=related,
                fixes=(fix,) if fix is not None else (),
            )


def _move_fix(analysis: Analysis, path: Path, facts: FileFacts, unit: Unit, first: Step, auth: Event) -> Fix | None:
    data_statement = statement_of(unit, first.span.start)
    auth_statement = statement_of(unit, auth.span.start)
    if data_statement is None or auth_statement is None or auth_statement <= data_statement:
        return None
    source = analysis.index.sources[path]
    statements = unit.statements
    # Take along the statements right after it that test what it returned (`if (!session) …`).
    names: list[str] = []
    for local in unit.locals:
        if statements[auth_statement].start <= local.span.start < statements[auth_statement].end:
            names += [binder.name for binder in local.binders]
    last = auth_statement
    while names and last + 1 < len(statements):
        following = statements[last + 1]
        tests = any(facts.refs[i].test for i in refs_in(facts, following.start, following.end, names))
        if not tests or not source[following.start : following.end].startswith(b"if"):
            break
        last += 1
    block = Span(statements[auth_statement].start, statements[last].end)
    # It must not need anything computed between the data access and the check.
    moved_text = source[block.start : block.end]
    for local in unit.locals:
        if statements[data_statement].start <= local.span.start < block.start:
            for binder in local.binders:
                if re.search(rb"(?<![.\w$])" + re.escape(binder.name.encode()) + rb"(?![\w$])", moved_text):
                    return None
    edits = move_lines_before(path, source, block, statements[data_statement].start)
    if edits is None:
        return None
    return Fix(f"Move `{auth.label}` above the first data access", tuple(edits), "unsafe")
