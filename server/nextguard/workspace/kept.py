"""Findings of a file's unchanged statements kept across an edit of one statement (the language
server's keystroke path, ``engine.LiveWorkspace.rule_findings``).

Rules that declare ``per_function`` (``rules/base.py``) find what they find function by
function: a finding about a function depends on it, what it calls, and the module level. After a
keystroke inside one top-level statement, the functions of the other statements keep their
findings (moved by the edit's length when they come after it), provided nothing they depend on
changed:

- the text changed inside that one statement only, and every top-level statement kept its place
  (the same test ``facts/partial.py`` makes);
- the module level is the same: names, exports, imports, directives, module-level calls, the
  `nextguard-` comments (rows moved with the lines the edit added);
- the statements are not linked to the edited one by a name: one that names a binding the edited
  statement declares (before or after the edit), or declares a binding the edited one names, is
  checked again, and so on transitively (both directions, so a wrapper `export const a = with(f)`
  and the function `f` go together);
- no file the edited one imports had its findings dirtied by the edit (a call cycle through
  another file could carry the edit back), and the workspace's authenticating proxy is the same.

The kept findings' fixes may read workspace-wide choices the edit changed (``analysis.memo``); a
caller that applies fixes asks for findings without reuse (``LiveWorkspace.rule_findings(reuse=False)``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from ..facts.model import FileFacts
from ..facts.partial import common_ends
from ..model import Finding, Fix, Related, Span, TextEdit


@dataclass(slots=True)
class Kept:
    """One file's findings of the ``per_function`` rules, by top-level statement, and what they
    were computed from."""

    facts: FileFacts
    source: bytes
    codes: tuple[str, ...]  # the rules that ran, in order
    by_statement: list[list[Finding]]
    proxy: Path | None
    dirtied: set[Path] = field(default_factory=set)  # by updates of this file since


@dataclass(frozen=True, slots=True)
class Edit:
    """Where the text changed since ``Kept``: old bytes ``[prefix, old_end)`` became ``delta``
    bytes longer; ``statements`` (indices, the same before and after) must be checked again."""

    prefix: int
    old_end: int
    delta: int
    statements: frozenset[int]


def split(findings: list[Finding], path: Path, facts: FileFacts) -> list[list[Finding]] | None:
    """Findings by the top-level statement holding each (None: one is not inside one of ``path``'s
    statements, so none can be kept)."""
    statements = facts.units[0].statements if facts.units else []
    starts = [span.start for span in statements]
    by_statement: list[list[Finding]] = [[] for _ in statements]
    for finding in findings:
        at = bisect_right(starts, finding.span.start) - 1
        if finding.path != path or at < 0 or finding.span.end > statements[at].end:
            return None
        by_statement[at].append(finding)
    return by_statement


def edit_since(kept: Kept, facts: FileFacts, source: bytes) -> Edit | None:
    """The statements to check again after the edit from ``kept`` to ``facts`` (None: keep nothing)."""
    old = kept.facts
    if old.syntax_error is not None or facts.syntax_error is not None or not old.units or not facts.units:
        return None
    if old.too_deep is not None or facts.too_deep is not None:
        return None
    if any(unit.kind == "method" for unit in facts.units) or any(unit.kind == "method" for unit in old.units):
        return None  # a class's name is no binding: its uses cannot be followed
    old_statements, statements = old.units[0].statements, facts.units[0].statements
    if kept.source == source:
        return Edit(len(source), len(source), 0, frozenset()) if old_statements == statements else None
    prefix, suffix = common_ends(kept.source, source)
    old_end, delta = len(kept.source) - suffix, len(source) - len(kept.source)
    at = bisect_left([s.start for s in old_statements], prefix) - 1
    if at < 0:
        return None
    edited = old_statements[at]
    if not (edited.start < prefix and old_end < edited.end):
        return None
    expected = [
        *old_statements[:at],
        Span(edited.start, edited.end + delta),
        *(Span(s.start + delta, s.end + delta) for s in old_statements[at + 1 :]),
    ]
    if statements != expected or not _same_module_level(old, facts, edited, delta, len(kept.source), len(source)):
        return None
    return Edit(prefix, old_end, delta, frozenset(_linked(old, kept.source, facts, source, at)))


def _same_module_level(old: FileFacts, new: FileFacts, edited: Span, delta: int, old_size: int, size: int) -> bool:
    if (
        old.directives != new.directives
        or (old.use_server is None) != (new.use_server is None)
        or old.use_client != new.use_client
        or old.server_only_import != new.server_only_import
        or len(old.bare_server_only) != len(new.bare_server_only)
        or _names(old) != _names(new)
        or [(e.exported, e.local, e.source, e.imported) for e in old.exports]
        != [(e.exported, e.local, e.source, e.imported) for e in new.exports]
        or old.star_exports != new.star_exports
        or [(i.local, i.imported, i.source, i.type_only) for i in old.imports]
        != [(i.local, i.imported, i.source, i.type_only) for i in new.imports]
    ):
        return False
    old_module, module = old.units[0], new.units[0]
    if [(c.chain, c.string_arg) for c in old_module.calls] != [(c.chain, c.string_arg) for c in module.calls]:
        return False
    if [name for name, _ in old_module.env_reads] != [name for name, _ in module.env_reads]:
        return False
    if not old.comments and not new.comments:
        return True
    first, last = old.lines.row_of(edited.start), old.lines.row_of(edited.end - 1)
    rows = new.lines.row_of(size) - old.lines.row_of(old_size)
    if any(first <= row <= last for row, _ in old.comments) or any(
        first <= row <= last + rows for row, _ in new.comments
    ):
        return False
    return [(row + rows if row > last else row, text) for row, text in old.comments] == new.comments


def _names(facts: FileFacts) -> list[tuple[object, ...]]:
    return [
        (name, b.body is not None, tuple(sorted(b.members)), b.chain_refs, b.init, b.destructured, b.object_keys)
        for name, b in facts.bindings.items()
    ]


_WORDS = re.compile(rb"[\w$]+")


@lru_cache(maxsize=4096)
def _word(name: str) -> re.Pattern[bytes]:
    return re.compile(rb"(?<![\w$])" + re.escape(name.encode()) + rb"(?![\w$])")


def _linked(old: FileFacts, old_source: bytes, facts: FileFacts, source: bytes, edited: int) -> set[int]:
    """The edited statement and the statements linked to it by names, transitively."""
    statements = facts.units[0].statements
    starts = [span.start for span in statements]

    def statement_of(offset: int) -> int:
        return bisect_right(starts, offset) - 1

    declared: dict[int, set[str]] = {}
    for name, binding in facts.bindings.items():
        declared.setdefault(statement_of(binding.span.start), set()).add(name)
    old_edited = old.units[0].statements[edited]
    for name, binding in old.bindings.items():
        if old_edited.start <= binding.span.start < old_edited.end:
            declared.setdefault(edited, set()).add(name)
    owner = {name: at for at, names in declared.items() for name in names}
    if not all(name.isascii() for name in owner):
        return set(range(len(statements)))  # names the ASCII word patterns below cannot find
    linked = {edited}
    queue = [edited]
    while queue:
        at = queue.pop()
        words = set(_WORDS.findall(source, statements[at].start, statements[at].end))
        if at == edited:
            words.update(_WORDS.findall(old_source, old_edited.start, old_edited.end))
        found: set[int] = set()
        for name in declared.get(at, ()):
            found.update(statement_of(match.start()) for match in _word(name).finditer(source))
        for word in words:
            where = owner.get(word.decode("ascii"))
            if where is not None:
                found.add(where)
        for other in found - linked:
            if other >= 0:
                linked.add(other)
                queue.append(other)
    return linked


def moved(finding: Finding, path: Path, edit: Edit) -> Finding | None:
    """``finding`` in the new text: its spans in ``path`` after the edit moved, those before it
    kept (None: one of them touches the edited bytes)."""
    if edit.delta == 0 and edit.prefix >= edit.old_end:
        return finding
    span = _moved(finding.span, edit)
    if span is None:
        return None
    related = _moved_in(finding.related, path, edit)
    if related is None:
        return None
    fixes: list[Fix] = []
    for fix in finding.fixes:
        edits = _moved_in(fix.edits, path, edit)
        if edits is None:
            return None
        fixes.append(Fix(fix.title, tuple(edits), fix.applicability))
    return Finding(
        finding.code,
        finding.name,
        finding.severity,
        finding.message,
        finding.path,
        span,
        tuple(related),
        tuple(fixes),
    )


_Placed = TypeVar("_Placed", Related, TextEdit)


def _moved_in(items: Iterable[_Placed], path: Path, edit: Edit) -> list[_Placed] | None:
    """``items`` (related locations or fix edits) with those in ``path`` moved by the edit; None
    when one of them touches the edited bytes."""
    placed: list[_Placed] = []
    for item in items:
        if item.path != path:
            placed.append(item)
            continue
        where = _moved(item.span, edit)
        if where is None:
            return None
        placed.append(replace(item, span=where))
    return placed


def _moved(span: Span, edit: Edit) -> Span | None:
    if span.end < edit.prefix or (span.end == edit.prefix and span.start < span.end):
        return span
    if span.start > edit.old_end or (span.start == edit.old_end and span.start < span.end):
        return Span(span.start + edit.delta, span.end + edit.delta)
    return None


__all__ = ["Edit", "Kept", "edit_since", "moved", "split"]
