"""A function answers "not found" and "not allowed" differently.

## What it does
Finds functions (actions, route handlers, pages, DAL functions) that, after looking a record up,
answer a missing record and a record the caller may not touch in two different ways:
`throw new Error('Not found')` and `throw new Error('Unauthorized')`, `notFound()` and
`forbidden()`/`unauthorized()`, `{ status: 404 }` and `{ status: 403 }`, or
`return { error: 'Note not found' }` and `return { error: 'Not your note' }`. The two answers
must be about the same record (the `if` before each tests the same name, one the function looked
up rather than a parameter) and the not-allowed one must say it is about access. An answer that
already covers both (`'Not found or not allowed'`) is not a finding, nor is background work
(queue jobs, cron, webhook handlers), which answers services rather than people probing ids.

## Why it matters
When "this id does not exist" and "this id exists but is not yours" read differently, anyone can
learn which ids exist — other users' notes, invoices, accounts — by asking for them one by one and
reading the error. Answering both the same way gives nothing away.

## Example
```ts
export async function deleteNote(id: string) {
  const session = await verifySession()
  const note = await db.note.findUnique({ where: { id } })
  if (!note) throw new Error('Not found')
  if (note.authorId !== session.userId) throw new Error('Unauthorized')
  await db.note.delete({ where: { id } })
}
```

## Fix
Make the not-allowed branch answer what the not-found branch answers: its message, its status,
or `notFound()` instead of `forbidden()`. The fix is marked unsafe when it changes a status code
(403/401 to 404), which clients of an API may depend on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..analysis import Analysis
from ..facts.model import Call, Unit
from ..model import Finding, Fix, Related, Severity, Span, TextEdit
from ..workspace.calls import Kind
from ..workspace.flow import split_args
from .base import Rule

_NOT_FOUND = re.compile(r"not[ _-]?found|does ?n[o']t exist|do ?n[o']t exist|no such|doesn't exist", re.IGNORECASE)
_DENIED = re.compile(
    r"unauthori[sz]ed|forbidden|not authori[sz]ed|not allowed|permission|access denied|no access|"
    r"not (?:the )?owner|not your|belong|(?:have|has) no access|n[o']t have (?:access|permission)|"
    r"cannot access|can't access",
    re.IGNORECASE,
)
_LITERAL = re.compile(rb"""(['"`])((?:(?!\1)[^\\\n]|\\.){1,120})\1""")
_STATUS = re.compile(rb"\bstatus(?:Code)?\s*:\s*(40[134])\b|^\s*(40[134])\b")
_RETURN_OBJECT = re.compile(rb"\breturn\s*\{")
_ANSWER_CALL = re.compile(r"(Error|Exception|^json|^status|^error|^Response|^NextResponse|^send)$")
# Background work (queue jobs, cron, webhook handlers) answers services, not people probing ids.
_BACKGROUND = re.compile(r"(^|[/_.-])(jobs?|workers?|cron|queues?|webhooks?)([/_.-]|$)", re.IGNORECASE)
_IF = re.compile(rb"\bif\s*\(")
_NAME = re.compile(rb"[A-Za-z_$][\w$]*")
_NOT_NAMES = frozenset({b"null", b"undefined", b"true", b"false", b"typeof", b"length", b"id", b"await"})
_UNKNOWN_MESSAGE = re.compile(rb"\b(?:message|error|reason|detail)\s*:\s*(?![\s'\"`])")
_BARE = re.compile(r"[A-Za-z_$][\w$.?]*(?:\s*(?:\|\||\?\?)\s*[A-Za-z_$][\w$.?]*)*")
# `'forbidden'`, `'NOT_FOUND'`, `'not_found:chat'`: an error code rather than a sentence
_CODE_LIKE = re.compile(r"^(?:[a-z0-9_:.-]+|[A-Z0-9_:.-]+)$")
_BAILOUTS = {"notFound": "found", "forbidden": "denied", "unauthorized": "denied"}

Side = Literal["found", "denied"]


@dataclass(slots=True)
class Answer:
    """One way the function answers: a thrown error, a response, a returned error object or a
    `notFound()`/`forbidden()` call, and what in it says which case it is."""

    span: Span
    side: Side
    messages: list[tuple[Span, str]] = field(default_factory=list)  # string contents, by side
    statuses: list[tuple[Span, str]] = field(default_factory=list)
    bailout: Span | None = None  # the callee name of notFound()/forbidden()/unauthorized()


class DistinguishableAuthzErrors(Rule):
    code = "NG206"
    name = "distinguishable-authz-errors"
    severity = Severity.INFO
    per_function = True

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        facts = analysis.index.modules[path]
        if facts.use_client or _BACKGROUND.search(analysis.index.rel(path)):
            return
        source = analysis.index.sources[path]
        for unit in analysis.units(path):
            lookup = self._lookup_end(analysis, path, unit)
            if lookup is None:
                continue
            answers = _answers(source, unit, lookup)
            pair = _same_record_pair(source, unit, answers)
            if pair is None:
                continue
            found, denied = pair
            who = f"`{unit.name}`" if unit.name else "This function"
            message = (
                f"{who} answers a missing record and a forbidden one differently, so a caller can tell "
                "which ids exist: give both the same answer."
            )
            related = (Related(path, found.span, "the not-found answer"),)
            fixes = _fix(path, source, found, denied)
            yield Finding(self.code, self.name, self.severity, message, path, denied.span, related, fixes)

    @staticmethod
    def _lookup_end(analysis: Analysis, path: Path, unit: Unit) -> int | None:
        """Where the function's first read of data ends: answers after it are about a record."""
        for event in analysis.summaries.unit(path, unit.index).events:
            if event.kind is Kind.DATA and not event.mutation:
                return event.span.end
            if event.kind is Kind.CALL:
                callee = analysis.summaries.callee_summary(event)
                if callee is not None and callee.data and not callee.mutates:
                    return event.span.end
        return None


def _same_record_pair(source: bytes, unit: Unit, answers: list[Answer]) -> tuple[Answer, Answer] | None:
    """The first not-found answer and a not-allowed answer whose `if` conditions test the same
    name (`if (!note)` … `if (note.authorId !== userId)`): the two answers about one record. A
    not-allowed answer about something else (a plan limit, a missing session) is not a match."""
    conditions = [(answer, _guard_condition(source, unit, answer.span.start)) for answer in answers]
    params = {binder.name.encode() for binder in unit.params}
    for found, found_condition in conditions:
        if found.side != "found" or not found_condition:
            continue
        # the record the function looked up, not one it was handed (`if (!workspace)` of a parameter)
        names = set(_NAME.findall(found_condition)) - _NOT_NAMES - params
        for denied, denied_condition in conditions:
            if denied.side == "denied" and denied_condition and names & set(_NAME.findall(denied_condition)):
                return found, denied
    return None


def _guard_condition(source: bytes, unit: Unit, at: int) -> bytes | None:
    """The condition of the innermost `if` of ``unit`` whose branch holds offset ``at``."""
    for match in reversed(list(_IF.finditer(source, unit.body.start, at))):
        open_at = match.end() - 1
        close_at = _matching(source, open_at, 40, 41, at)
        if close_at < 0:
            continue
        rest = source[close_at + 1 : at]
        stripped = rest.lstrip()
        if stripped.startswith(b"{"):
            block_open = close_at + 1 + (len(rest) - len(stripped))
            if _matching(source, block_open, 123, 125, unit.span.end) >= at:
                return source[open_at + 1 : close_at]
        elif b";" not in rest and b"\n\n" not in rest:
            return source[open_at + 1 : close_at]
    return None


def _matching(source: bytes, open_at: int, opening: int, closing: int, limit: int) -> int:
    depth = 0
    for position in range(open_at, min(limit, open_at + 4000, len(source))):
        char = source[position]
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return position
    return -1


def _answers(source: bytes, unit: Unit, after: int) -> list[Answer]:
    found: list[Answer] = []
    covered = after
    for call in unit.calls:
        if call.span.start < covered:
            continue
        answer = _call_answer(source, call)
        if answer is not None:
            found.append(answer)
            covered = call.span.end
    region = source[after : unit.span.end]
    for match in _RETURN_OBJECT.finditer(region):
        start = after + match.start()
        if any(a.span.start <= start < a.span.end for a in found):
            continue
        end = _object_end(source, after + match.end() - 1, unit.span.end)
        if end < 0 or any(start <= a.span.start < end for a in found):
            continue
        answer = _classify(source, Span(start, end), Span(after + match.end(), end))
        if answer is not None:
            found.append(answer)
    found.sort(key=lambda a: a.span.start)
    return found


def _call_answer(source: bytes, call: Call) -> Answer | None:
    names = [part for part in call.chain if part not in ("new", "()")]
    if not names:
        return None
    last = names[-1]
    if len(names) == 1 and last in _BAILOUTS:
        side: Side = "found" if _BAILOUTS[last] == "found" else "denied"
        at = source.find(last.encode(), call.span.start, call.span.end)
        return Answer(call.span, side, bailout=Span(at, at + len(last)))
    if call.args_span is None or not (call.chain[0] == "new" or _ANSWER_CALL.search(last)):
        return None
    return _classify(source, call.span, call.args_span, positional=True)


def _classify(source: bytes, span: Span, inside: Span, positional: bool = False) -> Answer | None:
    """What an answer says. A not-allowed answer must say it is about access (`'Unauthorized'`,
    `'Not your note'`, a bare `'forbidden'` code or a 401/403 status): one whose words are about
    something else (`'You cannot delete your default link'`, a plan limit), or come from a
    variable, is a different refusal, not the twin of "not found"."""
    text = source[inside.start : inside.end]
    answer = Answer(span, "found")
    sides: set[str] = set()
    other = _UNKNOWN_MESSAGE.search(text) is not None or (positional and _bare_argument(text))
    for match in _LITERAL.finditer(text):
        content = match.group(2).decode("utf-8", "replace")
        matched = [side for side, pattern in (("found", _NOT_FOUND), ("denied", _DENIED)) if pattern.search(content)]
        if matched:
            sides.update(matched)
            answer.messages.append((Span(inside.start + match.start(2), inside.start + match.end(2)), content))
        elif not _CODE_LIKE.match(content) and " " in content:
            other = True  # a sentence that is about something else
    for match in _STATUS.finditer(text):
        group = 1 if match.group(1) else 2
        code = match.group(group).decode()
        sides.add("found" if code == "404" else "denied")
        answer.statuses.append((Span(inside.start + match.start(group), inside.start + match.end(group)), code))
    if len(sides) != 1:
        return None  # says nothing, or already answers both cases alike
    answer.side = "found" if "found" in sides else "denied"
    if answer.side == "denied" and other:
        return None
    return answer


def _bare_argument(text: bytes) -> bool:
    """Whether a call passes a message in a variable (`new AppError('x', errorMessage)`)."""
    decoded = text.decode("utf-8", "replace")
    return any(_BARE.fullmatch(decoded[start:end]) is not None for start, end in split_args(decoded))


def _fix(path: Path, source: bytes, found: Answer, denied: Answer) -> tuple[Fix, ...]:
    """Rewrite the not-allowed answer into the not-found one, piece by piece; no fix when the
    not-found answer has no counterpart for some piece (a status it does not give)."""
    edits: list[TextEdit] = []
    unsafe = False
    if denied.bailout is not None:
        if found.bailout is None:
            return ()
        edits.append(TextEdit(path, denied.bailout, "notFound"))
        unsafe = True
    if denied.messages:
        for span, denied_text in denied.messages:
            code_like = _CODE_LIKE.match(denied_text) is not None
            # a code for a code, a sentence for a sentence
            twin = next((text for _, text in found.messages if bool(_CODE_LIKE.match(text)) == code_like), None)
            quote = source[span.start - 1 : span.start].decode()
            if twin is None or quote in twin or "${" in twin:
                return ()
            if twin != denied_text:
                edits.append(TextEdit(path, span, twin))
            # An error code (`'forbidden:chat'`, `'NOT_FOUND'`) usually maps to a status code.
            unsafe = unsafe or code_like
    if denied.statuses:
        if not found.statuses:
            return ()
        code = found.statuses[0][1]
        edits.extend(TextEdit(path, span, code) for span, old in denied.statuses if old != code)
        unsafe = unsafe or any(old != code for _, old in denied.statuses)
    if not edits:
        return ()
    return (Fix("Answer as when the record is not found", tuple(edits), "unsafe" if unsafe else "safe"),)


def _object_end(source: bytes, open_at: int, limit: int) -> int:
    depth = 0
    for position in range(open_at, min(limit, open_at + 600)):
        char = source[position]
        if char == 123:  # {
            depth += 1
        elif char == 125:  # }
            depth -= 1
            if depth == 0:
                return position + 1
    return -1
