"""Server code trusts Supabase's `auth.getSession()`, which does not verify the cookie.

## What it does
Finds calls of `supabase.auth.getSession()` in server code — Server Actions, route handlers,
Server Components, middleware, the DAL; not `'use client'` modules or modules bundled for the
browser — whose result is used (kept in a variable and read, returned, or tested). A bare
`await supabase.auth.getSession()` made only to refresh the cookie is not reported.

## Why it matters
On the server, `getSession()` returns whatever session the request's cookie holds. It does not
ask Supabase Auth whether the token is genuine, unexpired or revoked, so anyone can forge a cookie
with any `user.id` in it. Supabase's server-side auth guide says to never trust it in server code;
`getUser()` (or `getClaims()`, which checks the JWT's signature) verifies.

## Example
```ts
const { data: { session } } = await supabase.auth.getSession()
if (!session) redirect('/login')
const notes = await supabase.from('notes').select().eq('user_id', session.user.id)
```

## Fix
Use `auth.getUser()`. The quick fix renames the call and, when the code only reads
`session.user` off the result (and tests `session`), rewrites those reads to the user:
```ts
const { data: { user } } = await supabase.auth.getUser()
if (!user) redirect('/login')
const notes = await supabase.from('notes').select().eq('user_id', user.id)
```
When the code needs more of the session (its `access_token`), only the diagnostic is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..facts.model import Call, FileFacts, Local, Unit
from ..model import Finding, Fix, Severity, Span, TextEdit
from ..workspace.flow import refs_in
from .base import Rule


class UnverifiedSessionRead(Rule):
    code = "NG110"
    name = "unverified-session-read"
    severity = Severity.WARNING

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        facts = index.modules[path]
        if facts.use_client or path in index.client_reachable:
            return
        for unit in facts.units:
            for position, call in enumerate(unit.calls):
                chain = call.chain
                if len(chain) < 2 or chain[-2:] != ("auth", "getSession") or (len(chain) >= 3 and chain[-3] == "api"):
                    continue
                if _is_next_auth(facts, chain):
                    continue
                local = next((item for item in unit.locals if item.call == position), None)
                used = call.returned or call.test or (local is not None and _read(facts, unit, local))
                if not used:
                    continue
                message = (
                    "`auth.getSession()` reads the session from the cookie without verifying it: on the server "
                    "use `auth.getUser()`, which checks the token with Supabase Auth."
                )
                fix = _fix(analysis, path, facts, unit, call, local)
                yield Finding(
                    self.code, self.name, self.severity, message, path, call.span, fixes=(fix,) if fix else ()
                )


def _is_next_auth(facts: FileFacts, chain: tuple[str, ...]) -> bool:
    imported = facts.import_by_local.get(chain[0])
    return imported is not None and not imported.source.startswith("@supabase/") and chain[0] == "auth"


def _read(facts: FileFacts, unit: Unit, local: Local) -> bool:
    names = [binder.name for binder in local.binders]
    return any(True for _ in refs_in(facts, local.span.end, unit.span.end, names))


def _fix(analysis: Analysis, path: Path, facts: FileFacts, unit: Unit, call: Call, local: Local | None) -> Fix | None:
    source = analysis.index.sources[path]
    text = source[call.span.start : call.span.end]
    match = re.search(rb"\bgetSession\b", text)
    if match is None:
        return None
    at = call.span.start + match.start()
    edits = [TextEdit(path, Span(at, at + len("getSession")), "getUser")]
    if local is not None:
        binders = {binder.name: binder.path for binder in local.binders}
        if binders.get("session") != ("data", "session"):
            return None  # the result is kept some other way: rewriting its reads is not safe
        body = source[unit.span.start : unit.span.end]
        if re.search(rb"(?<![.\w$])user(?![\w$])", body):
            return None  # `user` is taken
        declaration = source[local.span.start : local.span.end]
        pattern_end = declaration.find(b"=")
        key = re.search(rb"\bsession\b", declaration[:pattern_end])
        if key is None:
            return None
        start = local.span.start + key.start()
        edits.append(TextEdit(path, Span(start, start + len("session")), "user"))
        for position in refs_in(facts, local.span.end, unit.span.end, ["session"]):
            ref = facts.refs[position]
            if ref.member == "user" and ref.member_span is not None:
                edits.append(TextEdit(path, ref.member_span, "user"))
            elif ref.member is None:
                edits.append(TextEdit(path, ref.span, "user"))
            else:
                return None  # `session.access_token`: the user is not enough
    edits.sort(key=lambda edit: edit.span.start)
    return Fix("Use `auth.getUser()`, which verifies the session", tuple(edits), "safe")
