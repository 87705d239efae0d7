"""How a function uses the result of an auth call or of a guard: is it tested, dereferenced,
handed on, or dropped? Read from the per-file reads of locals (``FileFacts.refs``) and the
summaries; shared by the rules about sessions that are never checked (NG103), results that are
ignored (NG113) and guards that are not awaited (NG112)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..facts.model import Call, FileFacts, Local, Unit
from .calls import Event, Kind
from .flow import UnitFlow, refs_in, returns_identity
from .index import WorkspaceIndex
from .summaries import Summaries, Summary

# Names of workspace functions that answer a yes/no access question (rather than enforce it).
GUARD_NAME = re.compile(r"^(is|can|has|may)[A-Z_]")

# Built-in auth calls that are async: a test of their unawaited result is a test of a Promise.
ASYNC_AUTH = frozenset({"auth", "getServerSession", "currentUser", "getUser", "getClaims", "getSession"})
# Names an auth result's identity usually goes by when destructured.
IDENTITY_NAMES = ("user", "userId", "session", "claims", "data")


@dataclass(frozen=True, slots=True)
class AuthUse:
    """An auth call's result kept in a local."""

    local: Local
    event: Event
    names: tuple[str, ...]  # the local's names and the names later read off them


def is_clerk(index: WorkspaceIndex, path: Path, call: Call) -> bool:
    target = index.target(path, call.chain)
    return target.kind == "external" and target.specifier.startswith("@clerk/")


def nullable(summaries: Summaries, event: Event) -> bool:
    """Whether an auth event's result is null (or holds a null identity) when nobody is signed in,
    rather than the call throwing or redirecting."""
    if event.kind is Kind.AUTH:
        return event.nullable and not event.label.endswith("protect")
    if event.kind is Kind.CALL and summaries.callee_auth(event) and returns_identity(event):
        callee = summaries.callee_summary(event)
        return callee is not None and not callee.guards and not callee.flow
    return False


def is_auth_event(summaries: Summaries, event: Event) -> bool:
    return event.kind is Kind.AUTH or (event.kind is Kind.CALL and summaries.callee_auth(event))


def derived_names(unit: Unit, local: Local) -> tuple[str, ...]:
    """The local's names, and those of later locals read straight off them (`const user =
    session?.user`)."""
    names = [binder.name for binder in local.binders]
    for other in unit.locals:
        if other.span.start > local.span.end and other.reads in names:
            names.extend(binder.name for binder in other.binders)
    return tuple(names)


def auth_uses(unit: Unit, flow: UnitFlow) -> list[AuthUse]:
    return [AuthUse(local, event, derived_names(unit, local)) for local, event in flow.auth_locals]


def read_after(facts: FileFacts, unit: Unit, local: Local) -> bool:
    names = [binder.name for binder in local.binders]
    return any(True for _ in refs_in(facts, local.span.end, unit.span.end, names))


_RETURNED_ITSELF = re.compile(rb"\breturn\s+(await\s+)?$")
# `session?.user?.id ?? null`: an explicit fallback handles the signed-out case on purpose.
_FALLBACK = re.compile(rb"(?:\s*\??\.\s*[\w$]+)*\s*(\?\?|\|\|)(?!\s*undefined\b)")


def checked_before(
    facts: FileFacts, source: bytes, names: tuple[str, ...], start: int, end: int, *, deref: bool = True
) -> bool:
    """Whether one of ``names`` is tested, dereferenced without `?.` (which throws on null),
    handed whole to a call, or returned to the caller (who may check it) between ``start`` and
    ``end``."""
    for position in refs_in(facts, start, end, names):
        ref = facts.refs[position]
        if ref.test or ref.argument:
            return True
        if ref.returned and ref.member is None and _RETURNED_ITSELF.search(source, 0, ref.span.start):
            return True
        if deref and ref.member is not None and not ref.optional:
            return True
        if _FALLBACK.match(source, (ref.member_span or ref.span).end):
            return True
    return False


def first_data_after(summaries: Summaries, summary: Summary, offset: int) -> Event | None:
    """The first data access at or after ``offset``: a data call, or a call into a function that
    reaches data."""
    for event in summary.events:
        if event.span.start < offset:
            continue
        if event.kind is Kind.DATA:
            return event
        if event.kind is Kind.CALL:
            callee = summaries.callee_summary(event)
            if callee is not None and callee.data and not summaries.callee_auth(event):
                return event
    return None


def is_middleware(index: WorkspaceIndex, path: Path) -> bool:
    return index.rel_parts(path)[-1].startswith(("middleware.", "proxy."))


def identity_name(local: Local) -> str:
    """The name a guard on an auth result tests: the local itself, or the identity it destructures
    (`{ data: { user } }` -> `user`, `{ userId }` -> `userId`)."""
    names = [binder.name for binder in local.binders]
    if len(names) == 1:
        return names[0]
    for preferred in IDENTITY_NAMES:
        if preferred in names:
            return preferred
    return names[0]


def statement_of(unit: Unit, offset: int) -> int | None:
    """The index of the top-level statement of ``unit`` that holds ``offset``."""
    for position, span in enumerate(unit.statements):
        if span.start <= offset < span.end:
            return position
    return None
