"""Baselines survive code moving around and catch new findings; --diff keeps changed lines only."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from nextguard.baseline import (
    Baseline,
    BaselineError,
    DiffError,
    changed_lines,
    folder_baseline,
    on_changed_lines,
    write_baseline,
)
from nextguard.cli.main import main
from nextguard.engine import analyze

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "acme-notes"
ACTIONS = Path("src/app/actions/notes.ts")

NEW_ACTION = """

export async function purgeEverything(formData: FormData) {
  const id = String(formData.get("id"));
  await db.note.deleteMany({ where: { id } });
}
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    shutil.copytree(EXAMPLE, root)
    return root


def _keys(root: Path) -> list[tuple[str, str]]:
    return sorted((f.code, f.path.relative_to(root).as_posix()) for f in analyze([root]).findings)


def test_a_written_baseline_covers_every_finding(app: Path) -> None:
    findings = analyze([app]).findings
    assert findings, "the example app has findings to baseline"
    written = write_baseline(app / "nextguard-baseline.json", findings)
    assert written == len(findings)
    kept, covered = Baseline.load(app / "nextguard-baseline.json").filter(analyze([app]).findings)
    assert kept == []
    assert covered == len(findings)


def test_moved_code_stays_baselined_and_a_new_action_is_reported(app: Path) -> None:
    write_baseline(app / "baseline.json", analyze([app]).findings)
    actions = app / ACTIONS
    text = actions.read_text()
    assert "db" in text
    # Everything moves down by many lines, and one unprotected action is added at the end.
    actions.write_text("// moved\n" * 40 + text + NEW_ACTION)
    kept, covered = Baseline.load(app / "baseline.json").filter(analyze([app]).findings)
    assert covered > 0
    assert [finding.code for finding in kept if finding.code == "NG101"] == ["NG101"]
    assert all(finding.path == actions.resolve() or finding.path == actions for finding in kept)
    assert all("purgeEverything" in finding.message for finding in kept if finding.code == "NG101")


def test_a_copied_mistake_is_reported_once_more(app: Path) -> None:
    findings = analyze([app]).findings
    write_baseline(app / "baseline.json", findings)
    before = len(findings)
    actions = app / ACTIONS
    actions.write_text(actions.read_text() + NEW_ACTION)
    write_baseline(app / "one.json", analyze([app]).findings)
    # Twice the same action (renamed) is two findings; the baseline holds one of them.
    actions.write_text(actions.read_text() + NEW_ACTION.replace("purgeEverything", "purgeEverythingAgain"))
    kept, _ = Baseline.load(app / "one.json").filter(analyze([app]).findings)
    assert len(analyze([app]).findings) > before
    assert any("purgeEverythingAgain" in finding.message for finding in kept)


def test_the_baseline_is_portable_between_checkouts(app: Path, tmp_path: Path) -> None:
    write_baseline(app / "baseline.json", analyze([app]).findings)
    other = tmp_path / "elsewhere" / "app"
    shutil.copytree(app, other)
    kept, covered = Baseline.load(other / "baseline.json").filter(analyze([other]).findings)
    assert kept == [] and covered > 0
    rows = json.loads((app / "baseline.json").read_text())["findings"]
    assert all(not row["path"].startswith("/") for row in rows)


@pytest.mark.parametrize(
    "content",
    ["", "not json", "[]", '{"version": 99, "findings": []}', '{"version": 1, "findings": [{"rule": 1}]}'],
)
def test_a_bad_baseline_is_a_clear_error(tmp_path: Path, content: str) -> None:
    target = tmp_path / "baseline.json"
    target.write_text(content)
    with pytest.raises(BaselineError):
        Baseline.load(target)


def test_a_deeply_nested_baseline_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "baseline.json"
    target.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BaselineError):
        Baseline.load(target)


def test_the_baseline_is_never_written_through_a_symlink(app: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (app / "baseline.json").symlink_to(victim)
    with pytest.raises(OSError):
        write_baseline(app / "baseline.json", analyze([app]).findings)
    assert victim.read_text() == "keep me"


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root, check=True, capture_output=True
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_keeps_findings_on_changed_lines_only(app: Path) -> None:
    _git(app, "init", "-q")
    _git(app, "add", "-A")
    _git(app, "commit", "-qm", "base")
    actions = app / ACTIONS
    actions.write_text(actions.read_text() + NEW_ACTION)
    fresh = '"use server";\n' + NEW_ACTION.replace("db.", "globalThis.")
    (app / "src" / "app" / "actions" / "fresh.ts").write_text(fresh)
    changed = changed_lines(app, "HEAD")
    kept = on_changed_lines(analyze([app]).findings, changed)
    everything = analyze([app]).findings
    assert len(kept) < len(everything)
    assert any("purgeEverything" in finding.message and finding.path.name == "notes.ts" for finding in kept)
    assert all(finding.path.name in ("notes.ts", "fresh.ts") for finding in kept)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_against_an_unknown_ref_is_a_clear_error(app: Path) -> None:
    _git(app, "init", "-q")
    with pytest.raises(DiffError):
        changed_lines(app, "no-such-ref")
    with pytest.raises(DiffError):
        changed_lines(app, "--output=/tmp/x")


# -- the command line ----------------------------------------------------------------------------


def test_the_adoption_path_on_the_command_line(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    baseline = app / "nextguard-baseline.json"
    assert main(["check", str(app), "--no-cache", "--write-baseline", "--baseline", str(baseline)]) == 0
    written = len(json.loads(baseline.read_text())["findings"])
    assert f"Wrote {written} findings" in capsys.readouterr().out
    # Gate on what is new: nothing yet.
    assert main(["check", str(app), "--no-cache", "--baseline", str(baseline)]) == 0
    assert f"{written} findings in the baseline not shown" in capsys.readouterr().err
    # One unprotected action added, everything else moved down: exactly that one is new.
    actions = app / ACTIONS
    actions.write_text("// moved\n" * 7 + actions.read_text() + NEW_ACTION)
    assert main(["check", str(app), "--no-cache", "--baseline", str(baseline), "--format", "json"]) == 1
    reported = json.loads(capsys.readouterr().out)
    assert {row["code"] for row in reported} >= {"NG101"}
    assert all("purgeEverything" in row["message"] or row["code"] != "NG101" for row in reported)
    assert len(reported) < written


def test_a_missing_baseline_is_a_usage_error(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(app), "--no-cache", "--baseline", str(app / "absent.json")]) == 2
    assert "cannot read baseline" in capsys.readouterr().err


def test_statistics_count_per_rule(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    findings = analyze([app]).findings
    assert main(["check", str(app), "--no-cache", "--statistics", "--format", "json"]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert sum(row["count"] for row in rows) == len(findings)
    counts = [row["count"] for row in rows]
    assert counts == sorted(counts, reverse=True)
    assert main(["check", str(app), "--no-cache", "--statistics"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(rows) and all(row["code"] in line for row, line in zip(rows, lines, strict=True))


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_on_the_command_line(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _git(app, "init", "-q")
    _git(app, "add", "-A")
    _git(app, "commit", "-qm", "base")
    assert main(["check", str(app), "--no-cache", "--diff", "HEAD"]) == 0
    capsys.readouterr()
    actions = app / ACTIONS
    actions.write_text(actions.read_text() + NEW_ACTION)
    assert main(["check", str(app), "--no-cache", "--diff", "HEAD", "--format", "json"]) == 1
    reported = json.loads(capsys.readouterr().out)
    assert reported and all(row["filename"].endswith("notes.ts") for row in reported)
    assert main(["check", str(app), "--no-cache", "--diff", "nope"]) == 2
    assert "--diff nope" in capsys.readouterr().err


def test_fingerprints_come_from_the_analysed_text_when_it_is_not_on_disk(app: Path) -> None:
    # The server's findings are of an editor's buffer, which may differ from the saved file.
    findings = analyze([app]).findings
    write_baseline(app / "nextguard-baseline.json", findings)
    actions = (app / ACTIONS).resolve()
    analysed = actions.read_bytes()
    actions.write_bytes(b"// unsaved work elsewhere\n")
    baseline = folder_baseline(app)
    assert baseline is not None
    _, covered_from_disk = baseline.filter(findings)
    kept, covered = baseline.filter(findings, lambda path: analysed if path.resolve() == actions else None)
    assert covered == len(findings) and kept == []
    assert covered_from_disk < covered


def test_a_folder_without_a_baseline_has_none_and_a_broken_one_says_so(app: Path) -> None:
    assert folder_baseline(app) is None
    (app / "nextguard-baseline.json").write_text("{not json")
    with pytest.raises(BaselineError, match=r"nextguard-baseline\.json"):
        folder_baseline(app)


def test_a_folder_baseline_that_is_a_symlink_is_refused(app: Path, tmp_path: Path) -> None:
    # The server reads the baseline a repository commits: never through a link out of it.
    elsewhere = tmp_path / "elsewhere.json"
    write_baseline(elsewhere, analyze([app]).findings)
    (app / "nextguard-baseline.json").symlink_to(elsewhere)
    with pytest.raises(BaselineError, match="symbolic link"):
        folder_baseline(app)
    assert Baseline.load(app / "nextguard-baseline.json").entries  # given on the command line: followed
