"""Server code takes the caller's identity from a request header.

## What it does
Finds reads of identity headers — `x-user-id`, `x-user-email`, `x-user-role`, `x-account-id`,
`x-org-id`, `x-tenant-id`, `x-forwarded-user`, `x-remote-user`, `remote-user` and the like —
through `headers().get(…)`, `(await headers()).get(…)`, `request.headers.get(…)` or a variable
holding `headers()`, in server code.

## Why it matters
A request header is whatever the client sends. The usual design — middleware verifies the session
and passes the user id on in a header — only holds on the paths the middleware's matcher covers
and only if it overwrites the incoming header: everywhere else the client's own `x-user-id` goes
straight through, and the code trusts it. Server Actions POST to the page's path, which the
matcher may not cover at all.

## Example
```ts
export async function GET() {
  const userId = (await headers()).get('x-user-id')
  return Response.json(await db.invoice.findMany({ where: { userId } }))
}
```

## Fix
Ask the session. The quick fix reads the user id off the session the way the project reads it
(`session.userId`, `session?.user?.id`): from the variable that already holds the auth helper's
result, or else it inserts the same guard as NG101/NG106's fix first (both fixes applied together
make one guard), and removes the `headers` import when that was its last use:
```ts
  const session = await verifySession()
  const userId = session.userId
```
It is offered when the project has an auth helper and the function can `await`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..facts.model import Call, Unit
from ..fixes.auth_guard import AuthHelper, guard_edits, helper_holder
from ..fixes.edits import drop_unused_import
from ..fixes.session_id import helper_id_member
from ..model import Finding, Fix, Severity, Span, TextEdit
from .auth_helper import project_auth_helper
from .base import Rule

IDENTITY_HEADER = re.compile(
    r"^(x-)?(forwarded-|remote-|authenticated-|auth-|clerk-|supabase-)?"
    r"(user|uid|account|member|tenant|org|organization|team|workspace|customer)"
    r"([-_](id|email|name|role|roles))?$",
    re.IGNORECASE,
)


class HeaderIdentityTrust(Rule):
    code = "NG111"
    name = "header-identity-trust"
    severity = Severity.WARNING

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        facts = index.modules[path]
        if facts.use_client:
            return
        for unit in facts.units:
            holders = _header_holders(unit)
            for call in unit.calls:
                chain = call.chain
                if not chain or chain[-1] != "get" or call.string_arg is None:
                    continue
                header = call.string_arg.strip()
                if not header.lower().startswith(("x-", "remote-")) or not IDENTITY_HEADER.match(header):
                    continue
                if not _reads_headers(chain, holders):
                    continue
                message = (
                    f"The caller's identity is read from the `{header}` request header, which the client can set "
                    "to anything: take it from the verified session instead."
                )
                fix = _fix(analysis, path, unit, call, header)
                yield Finding(
                    self.code, self.name, self.severity, message, path, call.span, fixes=(fix,) if fix else ()
                )


def _header_holders(unit: Unit) -> set[str]:
    """Locals holding request headers: `const h = await headers()`, `const hs = req.headers`."""
    names: set[str] = set()
    for local in unit.locals:
        if local.call is not None and unit.calls[local.call].chain[-1:] == ("headers",):
            names.update(binder.name for binder in local.binders)
        elif local.reads is not None and local.init is not None:
            names.update(binder.name for binder in local.binders if binder.name.lower().startswith("header"))
    return names


def _reads_headers(chain: tuple[str, ...], holders: set[str]) -> bool:
    if len(chain) >= 2 and chain[-2] == "headers":
        return True  # `request.headers.get`
    if len(chain) >= 3 and chain[-2] == "()" and chain[-3] == "headers":
        return True  # `headers().get`, `(await headers()).get`
    return len(chain) == 2 and chain[0] in holders


def _fix(analysis: Analysis, path: Path, unit: Unit, call: Call, header: str) -> Fix | None:
    """Read the user id off the session: the variable that already holds the helper's result, or
    the guard NG101/NG106 would insert (the same edits, so both fixes together make one guard)
    and its variable; the `headers` import goes when this was its last use."""
    helper = project_auth_helper(analysis)
    if helper is None or not call.scope_async:
        return None
    if not re.fullmatch(r"(x-)?(forwarded-|remote-|authenticated-|auth-)?(user|uid)([-_]?id)?", header.lower()):
        return None  # an email, a role, an organization: the expression differs from project to project
    index = analysis.index
    edits: list[TextEdit] = []
    holder = helper_holder(helper, unit, call.span.start)
    if holder is None:
        route = any(e.kind == "route" and e.unit.index == unit.index for e in analysis.endpoints(path))
        guard = guard_edits(index, helper, path, unit, route=route)
        if guard is None:
            return None
        edits, holder = guard
    expression = _id_expression(analysis, helper, holder)
    if expression is None:
        return None
    edits.append(TextEdit(path, Span(call.span.start, call.span.end), expression))
    unused = drop_unused_import(path, index.sources[path], index.modules[path], "headers", call.span)
    if unused is not None:
        edits.append(unused)
    return Fix(f"Take the user id from the session: `{expression}`", tuple(edits), "safe")


def _id_expression(analysis: Analysis, helper: AuthHelper, holder: str) -> str | None:
    """The user id read off ``holder``, the variable holding the helper's (checked) result."""
    name = helper.call.split("(")[0]
    if helper.clerk:
        return holder if holder == "userId" else f"{holder}.userId"
    if name in ("auth", "getServerSession"):
        return f"{holder}?.user?.id"
    member = helper_id_member(analysis.index, analysis.summaries, name)
    if member is None:
        return None
    chain = member.replace(".", "?." if helper.nullable else ".")
    return f"{holder}{'?.' if helper.nullable else '.'}{chain}"
