"""Whether an auth call's result gates what follows it.

An auth primitive establishes who the caller is only when its answer decides whether the function
goes on ("Open world": the result gates what follows — it throws, redirects or returns early when
absent). A function of the project's own that returns a nullable identity (`getCurrentSession()`
answering `{ user: null }` when signed out) protects a caller that tests the answer, not one that
reads it for attribution and carries on (`UserID: user?.id` in a log row) — signed out, the
action runs anyway.

A result counts as gating when, after it is read, one of the names reached from it is tested for
absence (`if (!user)`, `user == null`, `user?.role !== 'admin'`, a bare presence test around the
work), dereferenced without `?.` (which throws on null), handed whole to a call, or returned; and,
so that a session that merely was not tested stays NG103's finding, when it filters a query
(`where: { userId: session?.user?.id }`: the function scopes by it, it only forgot the test).
"""

from __future__ import annotations

import re

from ..facts.extract import roots_of
from ..facts.model import FileFacts, Local, Unit
from .flow import _BAIL, CLIENT_PARAMS, SESSION, UnitFlow, _matching, refs_in


def soft_auth(
    facts: FileFacts, source: bytes, unit: Unit, flow: UnitFlow, start: int, middleware: bool = False
) -> bool:
    """Whether the auth call starting at ``start`` (in ``unit``) is read without gating anything.
    In action-client ``middleware``, handing the identity on to `next({ ctx: { user } })` is not
    returning it to a caller that tests it: the action runs next, whatever it holds."""
    local = _local_at(unit, start)
    if local is None:
        return False  # `if (!(await auth()))`, a bare statement: other rules judge those
    if bypassed(source, unit, start):
        return True  # `providedUser || (await getUser())`: the caller's own value skips the check
    names = _derived(source, unit, local)
    passed_on = [
        call.args_span for call in unit.calls if middleware and call.chain == ("next",) and call.args_span is not None
    ]
    conditions = [
        (facts.refs[p].cond, facts.refs[p].cond_end)
        for p in refs_in(facts, local.span.end, unit.span.end)
        if facts.refs[p].test
    ]
    for position in refs_in(facts, local.span.end, unit.span.end, names):
        ref = facts.refs[position]
        if any(args.start <= ref.span.start < args.end for args in passed_on) and (ref.member is None or ref.optional):
            continue  # `next({ ctx: { user, userId: user?.id } })`
        if ref.argument and not _logged(unit, ref.span.start):
            return False
        if ref.returned and ref.member is None:
            return False
        if ref.member is not None and not ref.optional:
            return False
        if ref.test:
            # the whole condition, not the operand of `a && b` the ref stands in
            start, end = min(((a, b) for a, b in conditions if a <= ref.span.start < b), key=lambda c: c[0] - c[1])
            if _gates(source[start:end].decode("utf-8", "replace"), ref.name):
                return False
    for access in flow.accesses:
        for pair in access.filters or ():
            if SESSION in flow.tags_of(pair.text) and set(roots_of(pair.text.encode())) & set(names):
                return False
    return True


_CONTEXT = frozenset({"ctx", "context"})


def context_gate(source: bytes, unit: Unit, end: int) -> bool:
    """Whether ``unit`` — the body an action client runs after middleware that only *reads* the
    identity into its context (`next({ ctx: { user, userId: user?.id ?? null } })`) — tests that
    identity for absence and bails out before ``end`` (its first data access):
    `if (!ctx.userId) throw new UnauthorizedError()`. The test of its own is the gate then."""
    names: set[str] = set()
    for binder in unit.params:
        top = binder.path[0] if binder.path else binder.name
        # the builders hand the context over as `{ ctx }` (next-safe-action, zsa) or as a second
        # argument (`(input, ctx) => …` of hand-written ones)
        if top in _CONTEXT or (binder.index >= 1 and not binder.path and top not in CLIENT_PARAMS):
            names.add(binder.name)
    for local in unit.locals:  # `const userId = ctx.userId`
        if (
            local.init is not None
            and local.init.end <= end
            and set(roots_of(source[local.init.start : local.init.end])) & names
        ):
            names.update(binder.name for binder in local.binders)
    if not names:
        return False
    for statement in unit.statements:
        if statement.start >= end or not source.startswith(b"if", statement.start):
            continue
        open_at = source.find(b"(", statement.start, statement.end)
        close_at = _matching(source, open_at, statement.end)
        if open_at < 0 or close_at < 0:
            continue
        condition = source[open_at + 1 : close_at].decode("utf-8", "replace")
        if any(_gates(condition, name) for name in names) and _BAIL.match(source, close_at + 1):
            return True
    return False


_FALLBACK = re.compile(r"^\s*\(?\s*([A-Za-z_$][\w$]*)[\w$.?]*\s*(\|\||\?\?)")


def bypassed(source: bytes, unit: Unit, start: int) -> bool:
    """Whether the auth call starting at ``start`` is only the fallback of a parameter in the value
    it is kept in (`const user = providedUser || (await getUser())`): whoever sends a user object
    is that user, signed in or not."""
    local = _local_at(unit, start)
    if local is None or local.init is None:
        return False
    match = _FALLBACK.match(source[local.init.start : start].decode("utf-8", "replace"))
    return match is not None and any(binder.name == match.group(1) for binder in unit.params)


def _logged(unit: Unit, offset: int) -> bool:
    """Whether ``offset`` is in the arguments of a `console.*` call (a log, not a check)."""
    for call in unit.calls:
        args = call.args_span
        if call.chain[:1] == ("console",) and args is not None and args.start <= offset < args.end:
            return True
    return False


def _local_at(unit: Unit, start: int) -> Local | None:
    for local in unit.locals:
        if local.init is not None and local.init.start <= start < local.init.end:
            return local
    return None


def _derived(source: bytes, unit: Unit, local: Local) -> tuple[str, ...]:
    """The local's names and those of later locals whose value reads one of them."""
    names = {binder.name for binder in local.binders}
    for other in unit.locals:
        if other.span.start < local.span.end or other.init is None:
            continue
        if set(roots_of(source[other.init.start : other.init.end])) & names:
            names.update(binder.name for binder in other.binders)
    return tuple(sorted(names))


def _gates(condition: str, name: str) -> bool:
    """Whether a condition that reads ``name`` decides on its absence."""
    word = re.escape(name)
    chain = rf"(?<![\w$.]){word}(?:\s*!?\??\.\s*[\w$]+)*"
    if re.search(rf"!\s*\(*\s*(?:await\s+)?{chain}", condition):
        return True  # `!user`, `!session?.user?.id`
    if re.search(rf"{chain}\s*(?:===?\s*(?:null|undefined)\b|==\s*null)", condition):
        return True
    if re.search(rf"(?:null|undefined)\s*===?\s*{chain}", condition):
        return True
    if re.search(rf"{chain}\s*&&", condition):
        return False  # `userId && userId !== input.userId`: goes on when absent
    if re.search(rf"{chain}\s*!==?", condition):
        return True  # `user?.role !== 'admin'` fails when signed out
    # a bare presence test (`if (session)`, `user ? … : …`) keeps the work inside it
    return re.fullmatch(rf"\s*\(?\s*{chain}\s*\)?\s*", condition) is not None
