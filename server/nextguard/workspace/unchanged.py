"""Which functions of an edited file are untouched by the edit, so their summaries need not be
solved again (``Summaries.update(previous=...)``).

A keystroke inside one function changes that function's facts and shifts the byte offsets of every
function after it; the functions before it keep identical facts at identical offsets over identical
bytes. Those are the ones found here. A function counts as untouched only when everything of it that
summaries read is equal: its facts (calls, locals, parameters, with their spans), the refs inside it,
the bytes of its text, and the same for every function nested in it and the one it is nested in.
The module-level unit (index 0) spans the whole file, so it always counts as changed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from itertools import pairwise

from ..facts.model import Binding, FileFacts, Ref


def untouched_units(old: FileFacts, old_source: bytes, new: FileFacts, new_source: bytes) -> set[int]:
    """Indices of units that are the same in ``old`` and ``new`` (see the module docstring)."""
    # Units are numbered in source order: one added or removed renumbers those after it, which
    # then differ from the old ones at their numbers and count as changed.
    limit = min(len(old.units), len(new.units))
    old_refs, new_refs = _by_start(old.refs), _by_start(new.refs)
    same: set[int] = set()
    for index in range(1, limit):
        before, after = old.units[index], new.units[index]
        if before != after:
            continue
        span = after.span
        if old_source[span.start : span.end] != new_source[span.start : span.end]:
            continue
        if _refs_in(old_refs, span.start, span.end) != _refs_in(new_refs, span.start, span.end):
            continue
        same.add(index)
    # A nested function is judged with the function around it (its flow reads the parent's names),
    # so a family is untouched only as a whole.
    families: dict[int, list[int]] = {}
    for unit in new.units[1:limit]:
        families.setdefault(top_unit(new, unit.index), []).append(unit.index)
    for top, members in families.items():
        if top not in same or not all(member in same for member in members):
            same.difference_update(members)
            same.discard(top)
    return same


def untouched_bindings(old: FileFacts, new: FileFacts, units: set[int]) -> set[str]:
    """Names of module-level bindings that are equal in both and whose functions are all untouched."""
    names: set[str] = set()
    for name, binding in new.bindings.items():
        previous = old.bindings.get(name)
        if previous is None or previous != binding:
            continue
        if all(index in units for index in _units_of(binding)):
            names.add(name)
    return names


def moved_bindings(old: FileFacts, new: FileFacts, units: set[int], moved: Mapping[int, int]) -> set[str]:
    """Names of module-level bindings whose functions are all untouched (``units``) or only moved
    (``moved``: old index -> new index) and that are otherwise equal: the same wrappers, members,
    initializer (a binding's span moves with its statement)."""
    names: set[str] = set()

    def same(index: int | None, now: int | None) -> bool:
        if index is None or now is None:
            return index is None and now is None
        return (index in units and now == index) or moved.get(index) == now

    for name, binding in new.bindings.items():
        previous = old.bindings.get(name)
        if (
            previous is None
            or not same(previous.body, binding.body)
            or len(previous.chain_units) != len(binding.chain_units)
            or not all(same(a, b) for a, b in zip(previous.chain_units, binding.chain_units, strict=True))
            or previous.members.keys() != binding.members.keys()
            or not all(same(index, binding.members[member]) for member, index in previous.members.items())
            or (previous.chain_refs, previous.init, previous.destructured, previous.object_keys)
            != (binding.chain_refs, binding.init, binding.destructured, binding.object_keys)
        ):
            continue
        names.add(name)
    return names


def _units_of(binding: Binding) -> list[int]:
    found = [index for index in (binding.body, *binding.chain_units) if index is not None]
    found.extend(binding.members.values())
    return found


def top_unit(facts: FileFacts, index: int) -> int:
    """The outermost function (below the module) that ``index`` is nested in, or itself."""
    seen = 0
    while index > 0 and seen < len(facts.units):
        parent = facts.units[index].parent
        if parent <= 0 or parent == index:
            return index
        index = parent
        seen += 1
    return index


def _by_start(refs: list[Ref]) -> tuple[list[int], list[Ref]]:
    ordered = (
        refs
        if all(a.span.start <= b.span.start for a, b in pairwise(refs))
        else sorted(refs, key=lambda ref: ref.span.start)
    )
    return [ref.span.start for ref in ordered], ordered


def _refs_in(refs: tuple[list[int], list[Ref]], start: int, end: int) -> list[Ref]:
    starts, ordered = refs
    return ordered[bisect_left(starts, start) : bisect_left(starts, end)]


__all__ = ["moved_bindings", "top_unit", "untouched_bindings", "untouched_units"]
