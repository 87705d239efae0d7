"""The command line on a repository that is out to fool it (#15) and in the hands of a shell (#19).

- Output that cannot be forged: a file named `\\x1b[2Jevil\\n::error file=x::forged….ts` (an escape
  sequence that clears the screen, a newline that starts a forged workflow command, a bidi
  override) is one line of text output and one annotation, with nothing a terminal acts on; JSON
  and SARIF keep the exact name with no raw control character on the wire.
- `--fix` writes only what it analysed, atomically, never through a symlink, and a file it cannot
  write is an error on its own line, not a traceback halfway through the others. Every test here
  runs as root too (CI containers do): root ignores file modes, so the read-only case relies on
  nextguard's own refusal of a file without write permission, and the write error is a real one
  that binds root as well: RLIMIT_FSIZE, under which writing past the limit fails with EFBIG.
- `map -o` never writes through a symlink; the map table keeps `file:line` whole off a terminal.
- A reader that goes away (`| head -1`) ends the command quietly, with its normal exit status.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

import nextguard.cli.check as check_module
import nextguard.cli.fixing as fixing_module
from nextguard.cli.main import main
from nextguard.engine import endpoints, load_analysis
from nextguard.model import Report
from nextguard.render.text import escape_controls, json_text
from nextguard.rules.registry import BY_CODE

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
PRISMA_BASIC = TESTS / "fixtures" / "ng101" / "prisma-basic"
ACME = REPO / "examples" / "acme-notes"

HOSTILE_NAME = "\x1b[2Jevil\n::error file=x::forged\u202e.ts"
HOSTILE_DIR = "app/actions"
# What must never reach a terminal raw: C0 (but the newline that ends each line), DEL, C1, and
# the bidi marks and overrides.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
FINDING_LINE = re.compile(r"^(?P<file>.+?):(?P<row>\d+):(?P<col>\d+): (?P<code>NG\d{3})\b")


# --- workspaces and runs ---------------------------------------------------------------------------


def workspace(dest: Path) -> Path:
    """prisma-basic with only NG101 on, so the counts below are about the mechanics, not rules."""
    shutil.copytree(PRISMA_BASIC, dest)
    rules = {code: "off" for code in BY_CODE if code != "NG101"}
    (dest / "nextguard.json").write_text(json.dumps({"rules": rules}), encoding="utf-8")
    return dest


def action(name: str, padding: int = 0) -> str:
    """A Server Action that deletes with no auth check: NG101 with a safe fix."""
    return (
        "'use server';\nimport { db } from '@/lib/db';\n\n"
        f"export async function {name}() {{\n  await db.post.deleteMany({{}});\n}}\n" + "// padding\n" * padding
    )


def fix_workspace(dest: Path, count: int = 9, padded: int | None = None) -> tuple[Path, list[Path]]:
    """``count`` action files, each with one safe fix; the one at index ``padded`` is ~250 KB."""
    root = workspace(dest)
    files = []
    for i in range(count):
        path = root / "app" / f"a{i}" / "actions.ts"
        path.parent.mkdir(parents=True)
        path.write_text(action(f"wipe{i}", 20_000 if i == padded else 0), encoding="utf-8")
        files.append(path)
    return root, files


def action_rows(path: Path) -> list[str]:
    """The 1-based rows of the actions' names in ``path``: where NG101 points."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [str(n) for n, line in enumerate(lines, 1) if "async function" in line]


def hostile_workspace(dest: Path) -> Path:
    root = workspace(dest)
    (root / HOSTILE_DIR).mkdir(parents=True)
    # an identifier with a bidi override in it: tree-sitter takes it, so the message quotes it
    (root / HOSTILE_DIR / HOSTILE_NAME).write_text(
        action("wipe\u202e") + action("wipe2").split("\n", 2)[2], encoding="utf-8"
    )
    return root


def run(
    *args: str | Path, cwd: Path, limit_file_size: int | None = None, **popen: Any
) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if limit_file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = str(REPO / "server")
    popen.setdefault("capture_output", True)
    return subprocess.run(
        [sys.executable, "-m", "nextguard", *map(str, args)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        text=True,
        errors="surrogateescape",
        preexec_fn=limit if limit_file_size is not None else None,
        **popen,
    )


def in_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cwd: Path, *args: str
) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def no_traceback(*streams: str) -> None:
    for text in streams:
        assert "Traceback" not in text and "Exception ignored" not in text, text


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fixed(path: Path) -> bool:
    return "verifySession()" in path.read_text(encoding="utf-8")


# --- output that cannot be forged ------------------------------------------------------------------


UNSAFE_CHARS = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), 0x61C, 0x200E, 0x200F, 0x2028, 0x2029]] + [
    chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
]


def test_escape_controls_leaves_nothing_raw_and_keeps_the_rest() -> None:
    for char in UNSAFE_CHARS:
        shown = escape_controls(f"a{char}b")
        assert not RAW_CONTROL.search(shown.replace("\n", "")) and char not in shown, repr(char)
        assert shown.startswith("a\\") and shown.endswith("b")
    assert escape_controls("\x1b[2J\n\u202e\t") == "\\x1b[2J\\n\\u202e\\t"
    assert escape_controls("caf\udce9.ts") == "caf\\xe9.ts"  # a byte that was not UTF-8
    ordinary = "app/(group)/[id]/page.tsx — 日本語 🎉 ü \\ %"
    assert escape_controls(ordinary) == ordinary
    assert escape_controls("a\r\nb\x1b", keep="\r\n") == "a\r\nb\\x1b"


def test_json_text_is_the_same_data_with_nothing_raw() -> None:
    value = {"name": "".join(UNSAFE_CHARS) + "日本語", "list": ["\x1b[31m", "\u202e"]}
    text = json_text(value)
    assert not RAW_CONTROL.search(text)
    assert json.loads(text) == value
    assert json_text({"a": "é"}, indent=None) == '{"a": "é"}'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_workspace(tmp_path_factory.mktemp("hostile") / "ws")


def test_text_output_shows_a_hostile_name_escaped_on_one_line(hostile: Path) -> None:
    proc = run("check", "--no-cache", cwd=hostile)
    no_traceback(proc.stderr)
    assert proc.returncode == 1
    assert not RAW_CONTROL.search(proc.stdout) and not RAW_CONTROL.search(proc.stderr)
    lines = proc.stdout.splitlines()
    rows = [m for line in lines if (m := FINDING_LINE.match(line))]
    assert len(rows) == len(lines) - 1, "every line but the summary is one finding"
    shown = "app/actions/\\x1b[2Jevil\\n::error file=x::forged\\u202e.ts"
    expected = [(shown, row) for row in action_rows(hostile / HOSTILE_DIR / HOSTILE_NAME)]
    assert len(expected) == 2
    assert sorted((m["file"], m["row"]) for m in rows if "evil" in m["file"]) == expected
    assert "Server Action `wipe\\u202e` changes data" in proc.stdout
    findings = json.loads(run("check", "--no-cache", "--format", "json", cwd=hostile).stdout)
    assert len(rows) == len(findings)


def test_github_output_is_one_workflow_command_per_finding(hostile: Path) -> None:
    proc = run("check", "--no-cache", "--format", "github", cwd=hostile)
    no_traceback(proc.stderr)
    assert not RAW_CONTROL.search(proc.stdout)
    lines = proc.stdout.splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert len(commands) == len(lines) - 1 and lines[-1].startswith("nextguard: ")
    assert all(line.startswith("::error file=") for line in commands)
    assert not any(line.startswith("::error file=x") for line in lines)
    evil = [line for line in commands if "evil" in line]
    assert len(evil) == 2
    # The runner decodes %0A and %3A back: the newline and colons of the name reach GitHub, the
    # escape sequence and the override do not.
    assert all("file=app/actions/\\x1b[2Jevil%0A%3A%3Aerror file=x%3A%3Aforged\\u202e.ts," in line for line in evil)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_and_sarif_keep_the_exact_name_with_nothing_raw(hostile: Path, fmt: str) -> None:
    proc = run("check", "--no-cache", "--format", fmt, cwd=hostile)
    no_traceback(proc.stderr)
    assert not RAW_CONTROL.search(proc.stdout)
    data = json.loads(proc.stdout)
    if fmt == "json":
        names = {finding["filename"] for finding in data}
        messages = [finding["message"] for finding in data]
    else:
        results = data["runs"][0]["results"]
        names = {unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results}
        messages = [r["message"]["text"] for r in results]
    assert f"{HOSTILE_DIR}/{HOSTILE_NAME}" in names
    assert any("`wipe\u202e`" in message for message in messages)


def test_notices_about_a_hostile_name_are_escaped(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws")
    (root / HOSTILE_DIR).mkdir(parents=True)
    (root / HOSTILE_DIR / HOSTILE_NAME).write_text("export const broken = (;\n", encoding="utf-8")
    proc = run("check", "--no-cache", cwd=root)
    no_traceback(proc.stderr)
    [notice] = [line for line in proc.stderr.splitlines() if "evil" in line]
    assert notice.startswith("nextguard: app/actions/\\x1b[2Jevil\\n::error file=x::forged\\u202e.ts: syntax error")
    assert not RAW_CONTROL.search(proc.stderr)


@pytest.mark.parametrize("fmt", ["table", "markdown", "json", "html"])
def test_map_of_a_hostile_workspace_prints_nothing_raw(hostile: Path, fmt: str) -> None:
    proc = run("map", "--format", fmt, cwd=hostile)
    no_traceback(proc.stderr)
    assert proc.returncode == 0
    assert not RAW_CONTROL.search(proc.stdout)
    if fmt == "table":
        row = action_rows(hostile / HOSTILE_DIR / HOSTILE_NAME)[0]
        assert f"app/actions/\\x1b[2Jevil\\n::error file=x::forged\\u202e.ts:{row}" in proc.stdout
    if fmt == "markdown":
        rows = [line for line in proc.stdout.splitlines() if line.startswith("| ") and "wipe" in line]
        assert len(rows) == 2
    if fmt == "json":
        assert {e["file"] for e in json.loads(proc.stdout) if e["name"].startswith("wipe")} == {
            f"{HOSTILE_DIR}/{HOSTILE_NAME}"
        }


# --- --fix -----------------------------------------------------------------------------------------


def test_a_read_only_file_among_several(tmp_path: Path) -> None:
    root, files = fix_workspace(tmp_path / "ws")
    read_only = files[6]
    before = read_only.read_bytes()
    read_only.chmod(0o444)
    proc = run("check", "--no-cache", "--fix", cwd=root)
    no_traceback(proc.stderr)
    assert proc.returncode == 2, proc
    assert read_only.read_bytes() == before
    assert all(fixed(path) for path in files if path != read_only)
    assert "nextguard: error: cannot fix app/a6/actions.ts: it is read-only" in proc.stderr.splitlines()
    # the report is still printed, and says what is left: the read-only file's finding
    rows = [m for line in proc.stdout.splitlines() if (m := FINDING_LINE.match(line))]
    assert [m["file"] for m in rows if m["code"] == "NG101"] == ["app/a6/actions.ts"]
    assert proc.stdout.splitlines()[-1].startswith("Found ")


def test_a_write_error_is_reported_per_file_and_leaves_the_file_whole(tmp_path: Path) -> None:
    # The padded file is ~250 KB, the others ~150 bytes: under a 100 KB file-size limit, writing
    # its fix fails with EFBIG (as root too), while the others' succeed.
    root, files = fix_workspace(tmp_path / "ws", padded=6)
    big = files[6]
    before = big.read_bytes()
    assert len(before) > 200_000
    proc = run("check", "--no-cache", "--fix", cwd=root, limit_file_size=100_000)
    no_traceback(proc.stderr)
    assert proc.returncode == 2, proc
    assert big.read_bytes() == before, "not truncated, not half-written"
    assert all(fixed(path) for path in files if path != big)
    [error] = [line for line in proc.stderr.splitlines() if "a6" in line]
    assert error == "nextguard: error: cannot fix app/a6/actions.ts: File too large"
    assert sorted(p.name for p in big.parent.iterdir()) == ["actions.ts"], "no temporary file left behind"
    assert proc.stdout.splitlines()[-1].startswith("Found 1 problem ")


def _after_first_analysis(monkeypatch: pytest.MonkeyPatch, act: Callable[[], None]) -> None:
    real = check_module.analyze
    calls = 0

    def analyze(*args: Any, **kwargs: Any) -> Report:
        nonlocal calls
        report = real(*args, **kwargs)
        calls += 1
        if calls == 1:
            act()
        return report

    monkeypatch.setattr(check_module, "analyze", analyze)


def test_a_file_changed_between_analysis_and_fix_is_left_as_the_user_made_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, files = fix_workspace(tmp_path / "ws", count=3)
    edited = files[1]
    # Lines added above the action: every offset of the analysed fix now points 2 lines too high.
    mine = (
        "'use server';\n// added by hand\n// while nextguard ran\n"
        + edited.read_text(encoding="utf-8").split("\n", 1)[1]
    )
    _after_first_analysis(monkeypatch, lambda: edited.write_text(mine, encoding="utf-8"))
    code, out, err = in_process(capsys, monkeypatch, root, "check", "--no-cache", "--fix")
    assert edited.read_text(encoding="utf-8") == mine
    assert fixed(files[0]) and fixed(files[2])
    assert "nextguard: not fixing app/a1/actions.ts: it changed after it was analysed" in err
    # The report is about the file as it is now: its finding, on the line where it is now.
    rows = [m for line in out.splitlines() if (m := FINDING_LINE.match(line))]
    assert [(m["file"], m["row"]) for m in rows if m["code"] == "NG101"] == [("app/a1/actions.ts", "6")]
    assert code == 1


def test_a_file_changed_while_its_fix_is_computed_is_not_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, files = fix_workspace(tmp_path / "ws", count=2)
    target = files[0]
    mine = "// saved by an editor\n" + target.read_text(encoding="utf-8")
    real = fixing_module.apply_edits

    def apply_edits(source: bytes, edits: Any) -> bytes:
        result = real(source, edits)
        if b"wipe0" in source and not target.read_text(encoding="utf-8").startswith("//"):
            target.write_text(mine, encoding="utf-8")  # after the first check, before the write
        return result

    monkeypatch.setattr(fixing_module, "apply_edits", apply_edits)
    code, _, err = in_process(capsys, monkeypatch, root, "check", "--no-cache", "--fix")
    assert target.read_text(encoding="utf-8") == mine
    assert fixed(files[1])
    assert "nextguard: not fixing app/a0/actions.ts: it changed after it was analysed" in err
    assert code == 1


def test_a_file_replaced_by_a_symlink_is_never_written_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, files = fix_workspace(tmp_path / "ws", count=2)
    target = files[0]
    elsewhere = tmp_path / "elsewhere.ts"

    def swap() -> None:
        # Same bytes behind the link: only the link itself can stop the write.
        shutil.copyfile(target, elsewhere)
        target.unlink()
        target.symlink_to(elsewhere)

    original = target.read_bytes()
    _after_first_analysis(monkeypatch, swap)
    _, _, err = in_process(capsys, monkeypatch, root, "check", "--no-cache", "--fix")
    assert target.is_symlink() and elsewhere.read_bytes() == original
    assert fixed(files[1])
    assert "nextguard: not fixing app/a0/actions.ts: it is a symbolic link; fixes are never written through one" in err


def test_fix_through_the_result_cache(tmp_path: Path) -> None:
    # A replayed report must still say what it was computed from, or --fix could not check it.
    root, files = fix_workspace(tmp_path / "ws", count=2)
    cache = tmp_path / "cache"
    assert run("check", "--cache-dir", cache, cwd=root).returncode == 1
    proc = run("check", "--cache-dir", cache, "--fix", cwd=root)
    no_traceback(proc.stderr)
    assert proc.returncode == 0, proc
    assert all(fixed(path) for path in files)


def test_fix_of_a_file_with_a_name_near_the_length_limit(tmp_path: Path) -> None:
    root, files = fix_workspace(tmp_path / "ws", count=1)
    long = files[0].with_name("a" * 240 + ".ts")
    files[0].rename(long)
    proc = run("check", "--no-cache", "--fix", cwd=root)
    no_traceback(proc.stderr)
    assert proc.returncode == 0, proc
    assert fixed(long)


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="only root can give a file to another user")
def test_root_fixing_a_users_file_leaves_it_theirs(tmp_path: Path) -> None:
    root, files = fix_workspace(tmp_path / "ws", count=1)
    os.chown(files[0], 4321, 4321)
    proc = run("check", "--no-cache", "--fix", cwd=root)
    assert proc.returncode == 0, proc
    assert fixed(files[0])
    info = files[0].stat()
    assert (info.st_uid, info.st_gid) == (4321, 4321)


# --- map -o ----------------------------------------------------------------------------------------


def test_map_output_refuses_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file\n", encoding="utf-8")
    link = tmp_path / "map.md"
    link.symlink_to(victim)
    proc = run("map", ACME, "--format", "markdown", "-o", link, cwd=tmp_path)
    no_traceback(proc.stderr)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"nextguard: error: cannot write {link}: it is a symbolic link; not written through"
    assert link.is_symlink() and victim.read_text(encoding="utf-8") == "someone else's file\n"


def test_map_output_replaces_a_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "map.json"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o600)
    proc = run("map", ACME, "--format", "json", "-o", target, cwd=tmp_path)
    assert proc.returncode == 0, proc
    assert isinstance(json.loads(target.read_text(encoding="utf-8")), list)
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.json"]


# --- the map table off a terminal ---------------------------------------------------------------------


def test_map_table_keeps_file_and_line_whole_off_a_terminal(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws")
    deep = root / "app" / "(dashboard)" / "settings" / "organisation" / "members" / "invitations" / "actions.ts"
    deep.parent.mkdir(parents=True)
    deep.write_text(action("revokeEveryPendingInvitationForTheOrganisation"), encoding="utf-8")
    for where in (root, ACME):
        proc = run("map", where, cwd=tmp_path)
        assert proc.returncode == 0
        infos = endpoints(load_analysis(where)[0])
        # the tables only: the curl section below them names each action's location again
        rows = proc.stdout.split("Reach each action directly")[0].splitlines()
        split = [f"{i.file}:{i.line}" for i in infos if not any(f"{i.file}:{i.line}" in row for row in rows)]
        assert split == []
        assert all(row == row.rstrip() for row in proc.stdout.splitlines())


# --- a reader that goes away -------------------------------------------------------------------------


def _into_a_closed_pipe(*args: str | Path, cwd: Path, stderr_too: bool = False) -> subprocess.CompletedProcess[str]:
    """Run with stdout (and stderr) on a pipe whose reader has already gone: every write fails."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return run(
            *args, cwd=cwd, capture_output=False, stdout=writer, stderr=writer if stderr_too else subprocess.PIPE
        )
    finally:
        os.close(writer)


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_check_into_a_closed_pipe_exits_with_its_normal_status(hostile: Path, fmt: str) -> None:
    proc = _into_a_closed_pipe("check", "--no-cache", "--format", fmt, cwd=hostile)
    assert proc.stderr == ""
    assert proc.returncode == 1  # findings, as when the whole report is read


def test_check_into_a_closed_pipe_with_stderr_too(hostile: Path) -> None:
    clean = _into_a_closed_pipe("check", "--no-cache", "--select", "NG2", cwd=hostile, stderr_too=True)
    assert clean.returncode == 0  # a traceback would have made it 1
    assert _into_a_closed_pipe("check", "--no-cache", cwd=hostile, stderr_too=True).returncode == 1


@pytest.mark.parametrize("args", [["map", "."], ["map", ".", "--format", "json"], ["rules"], ["explain", "NG101"]])
def test_other_commands_into_a_closed_pipe_exit_0(hostile: Path, args: list[str]) -> None:
    assert _into_a_closed_pipe(*args, cwd=hostile, stderr_too=True).returncode == 0
    assert _into_a_closed_pipe(*args, cwd=hostile).stderr == ""


def test_head_in_a_pipefail_shell(hostile: Path) -> None:
    command = f"{sys.executable} -m nextguard check --no-cache | head -1"
    env = {**os.environ, "PYTHONPATH": str(REPO / "server")}
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], cwd=hostile, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.stderr == ""
    assert proc.returncode == 1 and len(proc.stdout.splitlines()) == 1
