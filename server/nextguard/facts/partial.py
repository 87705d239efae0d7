"""An edited file's facts from its previous facts, extracting again only the top-level statement
the edit is in (the language server's keystroke path).

A keystroke inside one function of a 3,000-line file changes the facts of that function and
moves every offset after it; extracting the whole file again cost ~55 ms. Here the module level
(imports, exports, bindings, directives: cheap) is read again in full, the units, calls, comments
and refs of the statement holding the edit are extracted again (a query cursor limited to its
bytes), the ones before it are kept as they are and the ones after it are kept moved by the
edit's length.

The result must equal ``extract`` of the new text (tests/test_partial_extract.py checks it after
random edits). Whenever that is not certain, ``reextract`` returns None and the caller extracts
the whole file: an edit not strictly inside one top-level statement (between statements, in a
top-level comment, at a statement's first or last byte), a text with a syntax error before or
after, top-level statements that did not keep their places (the parser read the rest of the file
differently), `throw`s at module level, a `nextguard-` comment on the statement's first or last
line.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Tree

from ..model import Span
from .extract import extract_range
from .model import Call, Entry, Field, FileFacts, Local, Ref, Return, Unit


@dataclass(frozen=True, slots=True)
class Moves:
    """What ``reextract`` kept of the old facts by moving it: the units numbered ``first`` on in the
    old facts are the old ones renumbered by ``renumber`` with every offset moved by ``delta``. The
    edit itself replaced the old bytes ``[prefix, edit_end)``."""

    first: int
    renumber: int
    prefix: int
    edit_end: int
    delta: int

    def span(self, span: Span) -> Span | None:
        """Where an old span is now (None: it touches the edited bytes)."""
        if span.end < self.prefix or (span.end == self.prefix and span.start < span.end):
            return span
        if span.start > self.edit_end or (span.start == self.edit_end and span.start < span.end):
            return Span(span.start + self.delta, span.end + self.delta)
        return None


def reextract(path: Path, old: FileFacts, old_source: bytes, data: bytes, tree: Tree) -> FileFacts | None:
    """``extract(path, data, tree)`` computed from ``old`` (the facts of ``old_source``), or None
    when this edit needs the whole file extracted (see the module docstring)."""
    found = reextract_moving(path, old, old_source, data, tree)
    return found[0] if found is not None else None


def reextract_moving(
    path: Path, old: FileFacts, old_source: bytes, data: bytes, tree: Tree
) -> tuple[FileFacts, Moves] | None:
    """``reextract``, and which old units it moved (for ``Summaries.update``)."""
    if old.syntax_error is not None or old.too_deep is not None:
        return None
    if old.path != path or not old.units or old_source == data:
        return None
    prefix, suffix = common_ends(old_source, data)
    delta = len(data) - len(old_source)
    edit_end = len(old_source) - suffix  # the edit replaced old_source[prefix:edit_end]
    module = old.units[0]
    statements = module.statements
    at = bisect_left([s.start for s in statements], prefix) - 1
    if at < 0:
        return None
    statement = statements[at]
    # Strictly inside: the statement's first and last bytes are unchanged, so it still starts where
    # it did and ends ``delta`` bytes further.
    if not (statement.start < prefix and edit_end < statement.end):
        return None
    start, old_end, new_end = statement.start, statement.end, statement.end + delta
    facts, raw = extract_range(path, data, tree, start, new_end)
    if facts.syntax_error is not None or facts.too_deep is not None:
        return None
    fresh_module = facts.units[0]
    expected = [*statements[:at], Span(start, new_end), *(_span(s, delta) for s in statements[at + 1 :])]
    if fresh_module.statements != expected or module.throws or fresh_module.throws:
        return None
    comments = _comments(old, facts, start, old_end, delta, len(old_source), len(data))
    if comments is None:
        return None

    # Units: those before the statement as they are, its own extracted again (numbered after the
    # ones before), those after it moved and renumbered.
    starts = [unit.span.start for unit in old.units[1:]]
    first = bisect_left(starts, start) + 1
    last = bisect_left(starts, old_end) + 1
    fresh = facts.units[1:]
    if first > 1:
        for unit in fresh:
            unit.index += first - 1
            if unit.parent:
                unit.parent += first - 1
            unit.calls = [_call(call, 0, unit.index) for call in unit.calls]
    renumber = len(fresh) - (last - first)
    moved = [_unit(unit, delta, renumber) for unit in old.units[last:]]
    calls = [call for call in module.calls if call.span.start < start]
    calls += fresh_module.calls
    calls += [_call(call, delta, 0) for call in module.calls if call.span.start >= old_end]
    env_reads = [read for read in module.env_reads if read[1].start < start]
    env_reads += fresh_module.env_reads
    env_reads += [(name, _span(span, delta)) for name, span in module.env_reads if span.start >= old_end]
    fresh_module.calls = calls
    fresh_module.env_reads = env_reads
    units = [fresh_module, *old.units[1:first], *fresh, *moved]

    index_by_start = {unit.span.start: unit.index for unit in units[1:]}
    for name, binding in facts.bindings.items():
        body, chain_units, members = raw[name]
        binding.body = index_by_start.get(body) if body is not None else None
        binding.chain_units = tuple(index_by_start[s] for s in chain_units if s in index_by_start)
        binding.members = {k: index_by_start[s] for k, s in members.items() if s in index_by_start}

    ref_starts = [ref.span.start for ref in old.refs]
    refs = old.refs[: bisect_left(ref_starts, start)]
    refs += facts.refs
    refs += [_ref(ref, delta) for ref in old.refs[bisect_left(ref_starts, old_end) :]]

    facts.units = units
    facts.comments = comments
    facts.refs = refs
    facts.import_by_local = {imported.local: imported for imported in facts.imports if imported.local}
    return facts, Moves(last, renumber, prefix, edit_end, delta)


def common_ends(old: bytes, new: bytes) -> tuple[int, int]:
    """The lengths of the longest common prefix and suffix of two texts, not overlapping in either."""
    limit = min(len(old), len(new))
    low, high = 0, limit
    while low < high:  # binary search over slices: each comparison runs in C
        middle = (low + high + 1) // 2
        if old[:middle] == new[:middle]:
            low = middle
        else:
            high = middle - 1
    prefix = low
    low, high = 0, limit - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if old[len(old) - middle :] == new[len(new) - middle :]:
            low = middle
        else:
            high = middle - 1
    return prefix, low


def _comments(
    old: FileFacts, facts: FileFacts, start: int, old_end: int, delta: int, old_size: int, new_size: int
) -> list[tuple[int, str]] | None:
    """The `nextguard-` comments: the old ones outside the statement (those after it on rows moved
    by the lines the edit added), the statement's own extracted again. None when an old one is on
    the statement's first or last row, where it may be inside it or not."""
    if not old.comments:
        return facts.comments
    first_row, last_row = old.lines.row_of(start), old.lines.row_of(old_end - 1)
    if any(row in (first_row, last_row) for row, _ in old.comments):
        return None
    rows = facts.lines.row_of(new_size) - old.lines.row_of(old_size)
    rows_before = [row for row, _ in old.comments]
    before = old.comments[: bisect_left(rows_before, first_row)]
    after = [(row + rows, text) for row, text in old.comments[bisect_right(rows_before, last_row) :]]
    return [*before, *facts.comments, *after]


def _span(span: Span, delta: int) -> Span:
    return Span(span.start + delta, span.end + delta)


def _maybe(span: Span | None, delta: int) -> Span | None:
    return None if span is None else Span(span.start + delta, span.end + delta)


def _call(call: Call, delta: int, unit: int) -> Call:
    # The hot loop of a keystroke (every call after the edit): spans built inline.
    span, args, where = call.span, call.args_span, call.where
    return Call(
        call.chain,
        Span(span.start + delta, span.end + delta),
        unit,
        call.awaited,
        call.string_arg,
        call.tagged,
        call.statement,
        call.test,
        call.returned,
        None if args is None else Span(args.start + delta, args.end + delta),
        tuple([Field(f.key, Span(f.span.start + delta, f.span.end + delta), f.shorthand) for f in call.fields])
        if call.fields and delta
        else call.fields,
        None if where is None else Span(where.start + delta, where.end + delta),
        call.scope_async,
        call.scope_at + delta if call.scope_at >= 0 else call.scope_at,
        call.selected,
    )


def _local(local: Local, delta: int) -> Local:
    span, statement, init = local.span, local.statement, local.init
    return Local(
        local.binders,
        Span(span.start + delta, span.end + delta),
        Span(statement.start + delta, statement.end + delta),
        None if init is None else Span(init.start + delta, init.end + delta),
        local.call,
        local.awaited,
        local.reads,
    )


def _return(value: Return, delta: int) -> Return:
    return Return(
        _span(value.span, delta),
        _span(value.statement, delta),
        value.kind,
        value.name,
        value.call,
        tuple([Entry(e.key, _span(e.span, delta), e.name, e.shorthand) for e in value.entries]),
        value.element,
    )


def _unit(unit: Unit, delta: int, renumber: int) -> Unit:
    index = unit.index + renumber
    span, report, body = unit.span, unit.report, unit.body
    return Unit(
        index,
        unit.kind,
        unit.name,
        Span(span.start + delta, span.end + delta),
        Span(report.start + delta, report.end + delta),
        Span(body.start + delta, body.end + delta),
        unit.body_is_block,
        None if unit.first_statement is None else unit.first_statement + delta,
        None if unit.directives_end is None else unit.directives_end + delta,
        unit.is_async,
        unit.async_at + delta,
        unit.arity,
        _maybe(unit.use_server, delta),
        unit.parent + renumber if unit.parent else 0,
        [_call(call, delta, index) for call in unit.calls],
        [(name, _span(span, delta)) for name, span in unit.env_reads],
        unit.throws,
        unit.params,
        _maybe(unit.first_param, delta),
        [Span(span.start + delta, span.end + delta) for span in unit.statements],
        [_local(local, delta) for local in unit.locals],
        [_return(value, delta) for value in unit.returns],
    )


def _ref(ref: Ref, delta: int) -> Ref:
    return Ref(
        name=ref.name,
        span=_span(ref.span, delta),
        member=ref.member,
        member_span=_maybe(ref.member_span, delta),
        optional=ref.optional,
        test=ref.test,
        cond=ref.cond + delta if ref.cond >= 0 else ref.cond,
        cond_end=ref.cond_end + delta if ref.cond_end >= 0 else ref.cond_end,
        returned=ref.returned,
        argument=ref.argument,
    )


__all__ = ["Moves", "common_ends", "reextract", "reextract_moving"]
