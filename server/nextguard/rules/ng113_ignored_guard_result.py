"""The answer of an auth call or an ownership lookup is computed, then never used.

## What it does
Finds calls whose result only means something when it is tested, and that nothing tests:
- an auth call that returns null when nobody is signed in (`auth()`, `getServerSession()`,
  `currentUser()`, `supabase.auth.getUser()`, a project helper that returns `null`) made as a bare
  statement (`await getUser();`) or kept in a variable that is never read;
- a workspace guard that answers rather than enforces (`isOwner(id)`, `canEdit(user, doc)`,
  `hasAccess(…)`) called as a bare statement or kept and never read;
- an ownership lookup — a read filtered by both the record and the session user
  (`db.post.findFirst({ where: { id, authorId: session.userId } })`) — whose result is never read.

## Why it matters
The code looks like it checks, and a reviewer skimming it will believe it does. But the answer is
thrown away: a signed-out caller, or a user who does not own the record, goes straight on to the
data.

## Example
```ts
export async function deletePost(id: string) {
  const session = await verifySession()
  const owned = await db.post.findFirst({ where: { id, authorId: session.userId } })
  await db.post.delete({ where: { id } })
}
```

## Fix
Turn the result into a guard:
```ts
  const owned = await db.post.findFirst({ where: { id, authorId: session.userId } })
  if (!owned) throw new Error('Unauthorized')
```
A bare call becomes `if (!(await getUser())) throw new Error('Unauthorized')` (Supabase's and
Clerk's results are destructured first: `const { data: { user } } = …; if (!user) …`). With
`"unauthorized": "redirect:/login"` the guard redirects; in a route handler it answers 401.

A guard that enforces itself — `await verifySession()` that redirects when there is no session,
Clerk's `auth.protect()` — may be called bare: it is not reported. Neither is the bare
`supabase.auth.getUser()` in `middleware.ts`, which refreshes the session cookie.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..facts.model import Call, Local, Unit
from ..fixes.auth_guard import bail_statement
from ..fixes.edits import (
    expression_start,
    insert_after_statement,
    line_indent,
    merge_insertions,
    statement_end,
    style_of,
)
from ..model import Finding, Fix, Severity, Span, TextEdit
from ..workspace.calls import Event, Kind
from ..workspace.flow import SESSION, UnitFlow, returns_identity
from ..workspace.session_use import GUARD_NAME, identity_name, is_clerk, is_middleware, nullable, read_after
from ..workspace.summaries import Summaries
from .base import Rule


class IgnoredGuardResult(Rule):
    code = "NG113"
    name = "ignored-guard-result"
    severity = Severity.ERROR
    per_function = True

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        summaries = analysis.summaries
        facts = index.modules[path]
        middleware = is_middleware(index, path)
        routes = {e.unit.index for e in analysis.endpoints(path) if e.kind == "route"}
        for unit in analysis.units(path):
            summary = summaries.unit(path, unit.index)
            if not summary.events:
                continue
            kept = {local.call: local for local in unit.locals if local.call is not None}
            candidates = [
                position
                for position, call in enumerate(unit.calls)
                if call.statement or (position in kept and not read_after(facts, unit, kept[position]))
            ]
            if not candidates:
                continue
            flow = summaries.flow(path, unit.index)
            for position in candidates:
                events = flow.events_at.get(position)
                if not events:
                    continue
                call = unit.calls[position]
                local = kept.get(position)
                what = _what(analysis, path, unit, flow, position, events, middleware)
                if what is None:
                    continue
                kind, label = what
                if local is not None:
                    names = ", ".join(f"`{binder.name}`" for binder in local.binders)
                    message = f"{kind} `{label}` is kept in {names}, which is never read: nothing is checked."
                else:
                    message = f"{kind} `{label}` is called and its answer thrown away: nothing is checked."
                fix = _guard(analysis, path, unit, call, local, events, route=unit.index in routes)
                yield Finding(
                    self.code,
                    self.name,
                    self.severity,
                    message,
                    path,
                    call.span,
                    fixes=(fix,) if fix is not None else (),
                )


def _what(
    analysis: Analysis,
    path: Path,
    unit: Unit,
    flow: UnitFlow,
    position: int,
    events: list[Event],
    middleware: bool,
) -> tuple[str, str] | None:
    """What kind of answer call ``position`` gives, when it is one that must be tested."""
    summaries = analysis.summaries
    call = unit.calls[position]
    for event in events:
        identity = event.kind is Kind.AUTH or (event.kind is Kind.CALL and returns_identity(event))
        if identity and (event.kind is Kind.AUTH or summaries.callee_auth(event)):
            if not nullable(summaries, event) or _ensures_sign_in(analysis, path, call):
                return None
            if middleware and event.kind is Kind.AUTH and call.chain[-1] == "getUser":
                return None  # Supabase's middleware refreshes the session cookie this way
            return "The auth check", event.label
        if event.kind is Kind.CALL and _answers(summaries, event):
            return "The guard", event.label
        if event.kind is Kind.DATA and not event.mutation and not call.chain[-1].endswith("OrThrow"):
            if not _ownership_lookup(flow, position):
                continue
            return "The ownership lookup", event.label
    return None


def _ensures_sign_in(analysis: Analysis, path: Path, call: Call) -> bool:
    """WorkOS `withAuth({ ensureSignedIn: true })` redirects when nobody is signed in."""
    if call.args_span is None:
        return False
    return b"ensureSignedIn" in analysis.index.sources[path][call.args_span.start : call.args_span.end]


def _answers(summaries: Summaries, event: Event) -> bool:
    """A workspace guard that answers yes or no rather than enforcing."""
    name = event.label.split("(")[0].rsplit(".", 1)[-1]
    if not GUARD_NAME.match(name):
        return False
    callee = summaries.callee_summary(event)
    return callee is not None and not callee.guards and (callee.data or callee.auth)


def _ownership_lookup(flow: UnitFlow, position: int) -> bool:
    access = next((a for a in flow.accesses if a.call == position), None)
    if access is None or not access.filters or access.kind in ("mutation", "create"):
        return False
    tags = [flow.tags_of(pair.text) for pair in access.filters]
    return any(SESSION in t for t in tags) and any(t and SESSION not in t for t in tags)


def _guard(
    analysis: Analysis,
    path: Path,
    unit: Unit,
    call: Call,
    local: Local | None,
    events: list[Event],
    *,
    route: bool,
) -> Fix | None:
    index = analysis.index
    source = index.sources[path]
    facts = index.modules[path]
    style = style_of(source, facts)
    edits: list[TextEdit] = []
    bail = bail_statement(index, path, edits, style.quote, route=route)
    if bail is None:
        return None
    semicolon = style.semicolon
    if local is not None:
        name = identity_name(local)
        edits.append(insert_after_statement(path, source, local.statement, f"if (!{name}) {bail}{semicolon}", style))
        return Fix(f"Bail out when `{name}` is empty", tuple(merge_insertions(edits)), "safe")
    start = expression_start(source, call.span.start)
    end = statement_end(source, call.span.end)
    expression = source[start : call.span.end].decode("utf-8")
    if call.chain[-2:] == ("auth", "getUser"):
        line = f"const {{ data: {{ user }} }} = {expression}{semicolon}"
        check = f"if (!user) {bail}{semicolon}"
        name = "user"
    elif is_clerk(index, path, call) and call.chain == ("auth",):
        line = f"const {{ userId }} = {expression}{semicolon}"
        check = f"if (!userId) {bail}{semicolon}"
        name = "userId"
    else:
        edits.append(TextEdit(path, Span(start, end), f"if (!({expression})) {bail}{semicolon}"))
        return Fix("Turn the call into a guard", tuple(merge_insertions(edits)), "safe")
    body = source[unit.span.start : unit.span.end]
    if f" {name} ".encode() in body or f"{{ {name} }}".encode() in body:
        return None  # the name is taken
    indent = line_indent(source, start)
    edits.append(TextEdit(path, Span(start, end), f"{line}{style.newline}{indent}{check}"))
    return Fix(f"Bail out when `{name}` is empty", tuple(merge_insertions(edits)), "safe")
