"""Every fix's result, as a reviewed snapshot: what each quick fix writes into each fixture.

For every fixture case with fixable findings, each fix is applied alone to a fresh copy and the
change is written as a unified diff, in finding order, to ``tests/snapshots/fixes/<case>.diff``,
followed by what ``check --fix --unsafe-fixes`` makes of the case (the fixes together).
A change to what a fix writes shows up as a change to that file, which a reviewer reads like any
other diff. After a deliberate change, regenerate with ``NEXTGUARD_UPDATE_SNAPSHOTS=1 pytest
tests/test_fix_snapshots.py`` and review the diff before committing it.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from nextguard.cli.main import main
from nextguard.engine import analyze
from nextguard.fixes.edits import apply_edits
from test_fixtures import FIXTURES, cases

SNAPSHOTS = Path(__file__).parent / "snapshots" / "fixes"
UPDATE = os.environ.get("NEXTGUARD_UPDATE_SNAPSHOTS") == "1"


def _name(case: Path) -> str:
    return case.relative_to(case.parent.parent).as_posix()


def _fix_cases() -> list[Path]:
    return [case for case in cases() if any(f.fixes for f in analyze([case]).findings)]


def render(case: Path, work: Path) -> str:
    """Each finding's fixes, applied alone to ``work`` (a copy of ``case``), as unified diffs
    with paths relative to the case."""
    out: list[str] = []
    root = work.resolve()
    findings = sorted(analyze([work]).findings, key=lambda f: (f.path, f.span.start, f.code))
    for finding in findings:
        for fix in finding.fixes:
            shown = finding.path.relative_to(root).as_posix()
            row = finding.path.read_bytes()[: finding.span.start].count(b"\n") + 1
            out.append(f"## {finding.code} {shown}:{row} [{fix.applicability}] {fix.title}\n")
            for path in sorted({edit.path for edit in fix.edits}):
                before = path.read_bytes()
                after = apply_edits(before, [edit for edit in fix.edits if edit.path == path])
                name = path.relative_to(root).as_posix()
                out.extend(
                    difflib.unified_diff(
                        before.decode("utf-8").splitlines(keepends=True),
                        after.decode("utf-8").splitlines(keepends=True),
                        f"a/{name}",
                        f"b/{name}",
                        n=2,
                    )
                )
            out.append("\n")
    return "".join(out)


def render_fix_all(work: Path) -> str:
    """What `check --fix --unsafe-fixes` leaves in ``work``: the fixes together, as a user gets
    them (two fixes that insert the same guard make one guard)."""
    files = sorted(path for path in work.rglob("*") if path.is_file() and path.suffix in (".ts", ".tsx"))
    before = {path: path.read_text(encoding="utf-8") for path in files}
    main(["check", "--fix", "--unsafe-fixes", "--no-cache", "--no-progress", "--exit-zero", str(work)])
    out = ["## check --fix --unsafe-fixes\n"]
    for path in files:
        after = path.read_text(encoding="utf-8")
        name = path.relative_to(work).as_posix()
        out.extend(
            difflib.unified_diff(
                before[path].splitlines(keepends=True), after.splitlines(keepends=True), f"a/{name}", f"b/{name}", n=2
            )
        )
    return "".join(out)


@pytest.mark.parametrize("case", _fix_cases(), ids=_name)
def test_fixes_write_what_the_snapshot_says(case: Path, tmp_path: Path) -> None:
    work = tmp_path / case.name
    shutil.copytree(case, work, ignore=shutil.ignore_patterns(".nextguard_cache"))
    text = render(case, work)
    together = tmp_path / "together" / case.name
    shutil.copytree(case, together, ignore=shutil.ignore_patterns(".nextguard_cache"))
    text += render_fix_all(together)
    snapshot = SNAPSHOTS / (_name(case).replace("/", "__") + ".diff")
    if UPDATE:
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(text, encoding="utf-8")
    assert snapshot.exists(), f"no snapshot for {_name(case)}: run with NEXTGUARD_UPDATE_SNAPSHOTS=1 and review it"
    assert text == snapshot.read_text(encoding="utf-8")


def test_no_stale_snapshots() -> None:
    names = {_name(case).replace("/", "__") + ".diff" for case in _fix_cases()}
    stale = sorted(path.name for path in SNAPSHOTS.glob("*.diff") if path.name not in names)
    assert not stale, f"snapshots of cases that no longer have fixes: {stale}"
    assert FIXTURES.is_dir()
