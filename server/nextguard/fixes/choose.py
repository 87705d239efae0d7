"""Which fixes go in together: the one conflict policy of every front end (`check --fix`, the
server's fix-all and its quick fixes), so the CLI and the editor write the same text.

Each finding offers its fixes as groups of edits; the first applicable fix of each finding is
taken, in finding order, unless it collides with what is already taken:

- an edit identical to one already taken (the same import, or the same guard two fixes both
  insert) is shared, not a collision: two fixes that need one guard make one guard;
- two different insertions at one point collide (their order would decide the text), as does an
  insertion inside a range another edit replaces, and two overlapping replacements.

A fix that collides waits for the next pass: after the first pass is applied and the workspace is
analysed again, it is offered against the new text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..model import Finding, Fix, TextEdit


def first_fix(finding: Finding, *, unsafe: bool) -> Fix | None:
    """The fix a fix-all applies for ``finding``: its first safe fix, or its first fix of any kind
    with ``unsafe``."""
    return next((fix for fix in finding.fixes if unsafe or fix.applicability == "safe"), None)


def collides(a: TextEdit, b: TextEdit) -> bool:
    if a.path != b.path:
        return False
    if a.span.start == a.span.end and b.span.start == b.span.end:
        return a.span.start == b.span.start
    if a.span.start == a.span.end:
        return b.span.start < a.span.start < b.span.end
    if b.span.start == b.span.end:
        return a.span.start < b.span.start < a.span.end
    return a.span.start < b.span.end and b.span.start < a.span.end


def choose(groups: Iterable[Sequence[TextEdit]]) -> tuple[list[TextEdit], int]:
    """The edits of every group that fits with the ones before it, and how many groups fit."""
    taken: list[TextEdit] = []
    count = 0
    for group in groups:
        new = [edit for edit in dict.fromkeys(group) if edit not in taken]
        if any(collides(edit, other) for edit in new for other in taken):
            continue
        taken.extend(new)
        count += 1
    return taken, count


__all__ = ["choose", "collides", "first_fix"]
