"""One conflict policy for every front end: on every fixture, `check --fix` and the server's
fix-all choose the same edits for the same findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from nextguard.cli.fixing import _fixes_by_file
from nextguard.engine import analyze
from nextguard.fixes.choose import choose, collides
from nextguard.lsp.actions import safe_edits
from nextguard.model import Span, TextEdit
from test_fixtures import cases

P = Path("a.ts")


def _id(case: Path) -> str:
    return case.relative_to(case.parent.parent).as_posix()


@pytest.mark.parametrize("case", cases(), ids=_id)
def test_cli_and_server_choose_the_same_edits(case: Path) -> None:
    findings = analyze([case]).findings
    for path, groups in _fixes_by_file(findings, unsafe=False).items():
        assert choose(groups)[0] == safe_edits(findings, path), path


def _edit(start: int, end: int, text: str = "x") -> TextEdit:
    return TextEdit(P, Span(start, end), text)


def test_identical_edits_are_shared_and_different_insertions_at_one_point_collide() -> None:
    guard = _edit(10, 10, "const session = await verifySession();\n")
    taken, count = choose([[guard], [guard, _edit(20, 30, "session.userId")]])
    assert count == 2 and taken == [guard, _edit(20, 30, "session.userId")]
    taken, count = choose([[guard], [_edit(10, 10, "await verifySession();\n")]])
    assert count == 1 and taken == [guard]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 5), (5, 9), False),  # adjacent replacements
        ((0, 5), (4, 9), True),  # overlapping replacements
        ((3, 3), (0, 5), True),  # an insertion inside a replaced range
        ((5, 5), (0, 5), False),  # an insertion at its end
        ((0, 0), (0, 5), False),  # an insertion at its start
        ((2, 2), (2, 2), True),  # two insertions at one point
    ],
)
def test_collisions(a: tuple[int, int], b: tuple[int, int], expected: bool) -> None:
    assert collides(_edit(*a, "p"), _edit(*b, "q")) is expected
    assert collides(_edit(*b, "q"), _edit(*a, "p")) is expected
