"""`nextguard check | rules | explain | --version` as a user runs them.

Most tests start a real process (`python -m nextguard ...`) so exit codes, stderr and TTY
detection are the real thing; the ones that only look at stdout run `main()` in-process.
Workspaces are built in ``tmp_path`` from the fixture apps, so nothing in the repo is written.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from nextguard.cli.main import main
from nextguard.rules.registry import BY_CODE

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
PRISMA_BASIC = FIXTURES / "ng101" / "prisma-basic"
SCHEMA = json.loads((REPO / "schemas" / "findings.schema.json").read_text(encoding="utf-8"))
ACTIONS = "app/posts/[id]/actions.ts"

# `path:row:col: NG101 message` (the message may start with a fix marker).
LINE = re.compile(r"^(?P<file>.+?):(?P<row>\d+):(?P<col>\d+): (?P<code>NG\d{3})\b(?P<message>.*)$")
ANSI = "\x1b["
BAR_GLYPH = "━"  # what a progress bar is drawn with
COUNTER = re.compile(r"\b\d+/\d+\b")  # "160/324"


# --- running the CLI ---------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def rows(self) -> list[re.Match[str]]:
        return [m for line in self.out.splitlines() if (m := LINE.match(line))]

    def codes(self) -> list[str]:
        return [m["code"] for m in self.rows]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE")}
    env.update(TERM="xterm-256color", COLUMNS="200")
    env.update(extra)
    return env


def nextguard(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "nextguard", *map(str, args)],
        cwd=cwd,
        env=env if env is not None else _env(),
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


def in_process(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cwd: Path, *args: str) -> Run:
    monkeypatch.chdir(cwd)
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse errors
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def under_pty(
    *args: str | Path, cwd: Path, tty_stdout: bool, tty_stderr: bool, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Run nextguard with stdout and/or stderr on a pseudo-terminal. Returns (exit code, what the
    terminal received, what went to the pipe that is not the terminal)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nextguard", *map(str, args)],
        cwd=cwd,
        env=env if env is not None else _env(),
        stdin=subprocess.DEVNULL,
        stdout=slave if tty_stdout else subprocess.PIPE,
        stderr=slave if tty_stderr else subprocess.PIPE,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:  # keep reading so the child never blocks on a full terminal buffer
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO once the child has closed its end
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    out, err = proc.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(master)
    piped = (out if not tty_stdout else err) or b""
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace"), piped.decode("utf-8")


def no_traceback(run: Run) -> None:
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err


# --- workspaces ----------------------------------------------------------------------------------


def copy_app(dest: Path, source: Path = PRISMA_BASIC, *, pin_rules: bool = True) -> Path:
    """A copy of a fixture app in which only the rules these CLI tests count on are enabled, so
    that adding a rule does not change what the tests of the command line's mechanics expect."""
    shutil.copytree(source, dest)
    if not pin_rules:
        return dest
    config_path = dest / "nextguard.json"
    config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    rules = config.setdefault("rules", {})
    for code in BY_CODE:
        if code not in ("NG101", "NG203", "NG208"):
            rules.setdefault(code, "off")
    config_path.write_text(json.dumps(config), encoding="utf-8")
    return dest


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


CLEAN_ACTIONS = """'use server';

import { revalidatePath } from 'next/cache';
import { db } from '@/lib/db';
import { verifySession } from '@/lib/dal';

export async function deleteOwnPostAction(formData: FormData) {
  const session = await verifySession();
  const id = formData.get('postId') as string;
  await db.post.deleteMany({ where: { id, authorId: session.userId } });
  revalidatePath('/posts');
}

export async function deletePostAction(formData: FormData) {
  return deleteOwnPostAction(formData);
}
"""


def clean_app(dest: Path) -> Path:
    copy_app(dest)
    write(dest / ACTIONS, CLEAN_ACTIONS)
    return dest


def mixed_app(dest: Path) -> Path:
    """prisma-basic with one finding of each rule: NG101 in the actions, NG203 on lib/db.ts
    (server-only import removed), NG208 on lib/posts.ts (bare string)."""
    copy_app(dest)
    db = dest / "lib" / "db.ts"
    db.write_text(db.read_text(encoding="utf-8").replace("import 'server-only';\n", ""), encoding="utf-8")
    write(
        dest / "lib" / "posts.ts",
        """'server-only';
import { db } from './db';
import { verifySession } from './dal';

export async function listMyPosts() {
  const { userId } = await verifySession();
  return db.post.findMany({ where: { authorId: userId }, select: { id: true } });
}
""",
    )
    write(
        dest / "app" / "posts" / "page.tsx",
        """import { listMyPosts } from '@/lib/posts';

export default async function Posts() {
  const posts = await listMyPosts();
  return <ul>{posts.map((p) => <li key={p.id}>{p.id}</li>)}</ul>;
}
""",
    )
    return dest


EMOJI_LINE = "/* 日本語 🎉 café */ export async function wipeAll(/* ✓ */) { /* ü */ await db.post.deleteMany({}); }"


def emoji_app(dest: Path) -> Path:
    """An action whose name and whose body's first statement sit after multi-byte characters
    (3-byte CJK, a 4-byte emoji that is two UTF-16 units) on the same line."""
    copy_app(dest)
    write(dest / "app" / "posts" / "emoji.ts", f"'use server';\nimport {{ db }} from '@/lib/db';\n\n{EMOJI_LINE}\n")
    return dest


def scoped_app(dest: Path) -> Path:
    """Actions in two directories; the auth check and the data access of some live in lib/."""
    copy_app(dest)
    shutil.rmtree(dest / "app" / "posts")
    write(
        dest / "lib" / "notes.ts",
        """import 'server-only';
import { db } from './db';
import { verifySession } from './dal';

export async function purgeNotes() {
  await db.note.deleteMany({});
}

export async function deleteMyNotes() {
  const { userId } = await verifySession();
  await db.note.deleteMany({ where: { authorId: userId } });
}
""",
    )
    write(
        dest / "app" / "a" / "actions.ts",
        """'use server';
import { db } from '@/lib/db';

export async function wipeA() {
  await db.note.deleteMany({});
}
""",
    )
    write(
        dest / "app" / "b" / "safe.ts",
        """'use server';
import { db } from '@/lib/db';
import { verifySession } from '@/lib/dal';

export async function safeB() {
  await verifySession();
  await db.note.deleteMany({});
}
""",
    )
    write(
        dest / "app" / "b" / "guarded.ts",
        """'use server';
import { deleteMyNotes } from '@/lib/notes';

export async function guardedB() {
  await deleteMyNotes();
}
""",
    )
    write(
        dest / "app" / "b" / "purge.ts",
        """'use server';
import { purgeNotes } from '@/lib/notes';

export async function purgeB() {
  await purgeNotes();
}
""",
    )
    return dest


def unsafe_fix_app(dest: Path) -> Path:
    """NG203 on DAL modules that a Client Component already imports: the fix is unsafe."""
    copy_app(dest, FIXTURES / "ng203" / "dal-missing")
    write(
        dest / "app" / "notes" / "NoteList.tsx",
        """'use client';
import { getMyNotes } from '@/lib/notes';

export function NoteList() {
  return <button onClick={() => getMyNotes()}>load</button>;
}
""",
    )
    return dest


def snapshot(root: Path) -> dict[str, bytes]:
    """The workspace's files, without the cache `check` keeps in it (tests/test_cache.py)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".nextguard_cache" not in p.relative_to(root).parts
    }


@pytest.fixture(scope="module")
def big_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """prisma-basic plus 320 small modules: over the 300-file progress threshold."""
    root = copy_app(tmp_path_factory.mktemp("big") / "big")
    for i in range(320):
        write(root / "lib" / "gen" / f"m{i:03}.ts", f"export function f{i}(x: number) {{\n  return x + {i};\n}}\n")
    return root


# --- exit codes ----------------------------------------------------------------------------------


def test_clean_workspace_exits_0(tmp_path: Path) -> None:
    ws = clean_app(tmp_path / "ws")
    run = nextguard("check", cwd=ws)
    assert run.code == 0, run
    assert run.rows == []
    no_traceback(run)


def test_findings_exit_1(tmp_path: Path) -> None:
    ws = copy_app(tmp_path / "ws")
    run = nextguard("check", cwd=ws)
    assert run.code == 1, run
    assert [(m["file"], m["code"]) for m in run.rows] == [(ACTIONS, "NG101")]
    assert "deletePostAction" in run.rows[0]["message"]
    assert "deleteOwnPostAction" not in run.out


def test_exit_zero_reports_but_exits_0(tmp_path: Path) -> None:
    ws = copy_app(tmp_path / "ws")
    run = nextguard("check", "--exit-zero", cwd=ws)
    assert run.code == 0
    assert run.codes() == ["NG101"]


@pytest.mark.parametrize("extra", [[], ["--exit-zero"]], ids=["plain", "exit-zero"])
def test_missing_path_exits_2(tmp_path: Path, extra: list[str]) -> None:
    ws = copy_app(tmp_path / "ws")
    run = nextguard("check", *extra, "ws", "no/such/dir", cwd=tmp_path)
    assert run.code == 2
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and "no/such/dir" in lines[0], run.err
    assert run.rows == [], "a path error must not be half a report"
    no_traceback(run)
    assert ws.exists()


@pytest.mark.parametrize(
    ("file", "content", "names"),
    [
        ("nextguard.json", '{"rules": {"NG101": "loud"}}', ["nextguard.json", "rules.NG101", "loud"]),
        ("nextguard.json", '{"rulez": {}}', ["nextguard.json", "rulez"]),
        ("nextguard.json", '{"rules": ', ["nextguard.json"]),
        ("nextguard.json", '{"authPrimitives": ["ok", 3]}', ["nextguard.json", "authPrimitives[1]"]),
        ("package.json", None, ["package.json", "nextguard.ignore"]),
    ],
    ids=["bad-severity", "unknown-key", "not-json", "bad-array-item", "package-json-key"],
)
@pytest.mark.parametrize("extra", [[], ["--exit-zero"]], ids=["plain", "exit-zero"])
def test_invalid_config_exits_2_with_one_line(
    tmp_path: Path, file: str, content: str | None, names: list[str], extra: list[str]
) -> None:
    ws = copy_app(tmp_path / "ws", pin_rules=False)
    if content is None:
        manifest = json.loads((ws / "package.json").read_text(encoding="utf-8"))
        manifest["nextguard"] = {"ignore": "not-a-list"}
        content = json.dumps(manifest)
    write(ws / file, content)
    run = nextguard("check", *extra, cwd=ws)
    assert run.code == 2, run
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1, run.err
    for name in names:
        assert name in lines[0], (name, lines[0])
    assert run.rows == []
    no_traceback(run)


@pytest.mark.parametrize(
    "args",
    [["--select", "NG999"], ["--ignore", "NG999"], ["--select", "NG101,NG999"], ["--select", "XY1"]],
    ids=["select", "ignore", "in-a-list", "not-a-code"],
)
def test_unknown_rule_code_exits_2(tmp_path: Path, args: list[str]) -> None:
    ws = copy_app(tmp_path / "ws")
    run = nextguard("check", *args, cwd=ws)
    assert run.code == 2
    bad = args[1].split(",")[-1]
    assert bad in run.err.strip().splitlines()[-1]
    assert run.rows == []
    no_traceback(run)


# --- text output ---------------------------------------------------------------------------------


def test_text_lines_point_at_the_action(tmp_path: Path) -> None:
    ws = copy_app(tmp_path / "ws")
    run = nextguard("check", cwd=ws)
    [row] = run.rows
    path = ws / row["file"]
    assert path.is_file(), "the path is relative to the current directory"
    line = path.read_text(encoding="utf-8").splitlines()[int(row["row"]) - 1]
    assert line[int(row["col"]) - 1 :].startswith("deletePostAction"), line


def test_text_paths_are_relative_to_the_current_directory(tmp_path: Path) -> None:
    copy_app(tmp_path / "ws")
    run = nextguard("check", "ws", cwd=tmp_path)
    assert [m["file"] for m in run.rows] == [f"ws/{ACTIONS}"]


def test_columns_count_code_points(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    ws = emoji_app(tmp_path / "ws")
    run = nextguard("check", cwd=ws)
    rows = {m["file"]: (int(m["row"]), int(m["col"])) for m in run.rows}
    expected = (4, EMOJI_LINE.index("wipeAll") + 1)
    assert rows["app/posts/emoji.ts"] == expected  # not bytes (68), not UTF-16 units (41)
    findings = json.loads(in_process(capsys, monkeypatch, ws, "check", "--format", "json").out)
    [emoji] = [f for f in findings if f["filename"] == "app/posts/emoji.ts"]
    assert (emoji["location"]["row"], emoji["location"]["column"]) == expected
    assert emoji["end_location"] == {"row": 4, "column": expected[1] + len("wipeAll")}


def test_summary_line_counts_the_findings(tmp_path: Path) -> None:
    ws = mixed_app(tmp_path / "ws")
    run = nextguard("check", cwd=ws)
    assert len(run.rows) == 3
    last = run.out.strip().splitlines()[-1]
    assert not LINE.match(last)
    assert re.search(r"\b3 problems\b", last), last
    one = nextguard("check", "--select", "NG101", cwd=ws).out.strip().splitlines()[-1]
    assert re.search(r"\b1 problem\b", one), one


def test_summary_line_counts_files_with_problems_apart_from_files_analysed(tmp_path: Path) -> None:
    ws = mixed_app(tmp_path / "ws")
    actions = ws / ACTIONS
    actions.write_text(actions.read_text(encoding="utf-8") + SECOND_ACTION, encoding="utf-8")
    run = nextguard("check", cwd=ws)
    files = {m["file"] for m in run.rows}
    analysed = len([p for p in ws.rglob("*") if p.suffix in (".ts", ".tsx") and ".nextguard_cache" not in p.parts])
    assert len(run.rows) > len(files) and len(files) < analysed  # three different counts
    last = run.out.strip().splitlines()[-1]
    assert f"Found {len(run.rows)} problems (" in last, last
    assert f") in {len(files)} files ({analysed} analysed)." in last, last


def test_summary_line_on_a_clean_workspace(tmp_path: Path) -> None:
    ws = clean_app(tmp_path / "ws")
    out = nextguard("check", cwd=ws).out.strip().splitlines()
    assert len(out) == 1 and "no problems" in out[0].lower(), out


def test_no_ansi_escapes_when_not_a_tty(tmp_path: Path) -> None:
    ws = mixed_app(tmp_path / "ws")
    for fmt in ("text", "json"):
        run = nextguard("check", "--format", fmt, cwd=ws)
        assert run.rows or fmt == "json"
        assert ANSI not in run.out and ANSI not in run.err


def test_colour_on_a_tty(tmp_path: Path) -> None:
    ws = copy_app(tmp_path / "ws")
    code, terminal, _ = under_pty("check", cwd=ws, tty_stdout=True, tty_stderr=False)
    assert code == 1
    assert ANSI in terminal, terminal
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal)
    assert any(LINE.match(line.rstrip("\r")) for line in plain.splitlines()), plain


def test_no_colour_on_a_tty_with_no_color(tmp_path: Path) -> None:
    ws = copy_app(tmp_path / "ws")
    code, terminal, _ = under_pty("check", cwd=ws, tty_stdout=True, tty_stderr=False, env=_env(NO_COLOR="1"))
    assert code == 1
    assert "NG101" in terminal
    assert ANSI not in terminal, terminal


def _has_bar(text: str) -> bool:
    return BAR_GLYPH in text or bool(COUNTER.search(text))


def test_progress_bar_on_a_tty_for_a_long_scan_and_never_on_stdout(big_app: Path) -> None:
    code, terminal, stdout = under_pty("check", cwd=big_app, tty_stdout=False, tty_stderr=True)
    assert code == 1
    assert _has_bar(terminal), terminal
    assert ANSI not in stdout and BAR_GLYPH not in stdout
    assert stdout == nextguard("check", cwd=big_app).out, "a terminal on stderr must not change stdout"
    # Without the cache: a run that replays the cached report has no scan to show a bar for.
    code, terminal, stdout = under_pty(
        "check", "--no-cache", "--format", "json", cwd=big_app, tty_stdout=False, tty_stderr=True
    )
    assert _has_bar(terminal)
    assert [f["code"] for f in json.loads(stdout)] == ["NG101"]


def test_no_progress_bar_for_a_short_scan(tmp_path: Path) -> None:
    ws = copy_app(tmp_path / "ws")
    code, terminal, _ = under_pty("check", cwd=ws, tty_stdout=False, tty_stderr=True)
    assert code == 1
    assert not _has_bar(terminal), terminal


def test_no_progress_bar_when_stderr_is_not_a_tty(big_app: Path) -> None:
    run = nextguard("check", cwd=big_app)
    assert run.code == 1
    assert not _has_bar(run.err) and ANSI not in run.err, run.err


def test_no_progress_flag(big_app: Path) -> None:
    code, terminal, _ = under_pty("check", "--no-progress", cwd=big_app, tty_stdout=False, tty_stderr=True)
    assert code == 1
    assert not _has_bar(terminal), terminal


# --- JSON ------------------------------------------------------------------------------------------


def test_the_findings_schema_is_a_valid_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


JSON_CASES = [
    FIXTURES / "ng101" / "prisma-basic",
    FIXTURES / "ng101" / "auth-in-other-file",
    FIXTURES / "ng101" / "export-forms",
    FIXTURES / "ng101" / "inline-actions",
    FIXTURES / "ng203" / "dal-missing",
    FIXTURES / "ng208" / "bare-string",
    REPO / "examples" / "acme-notes",
]


@pytest.mark.parametrize("case", JSON_CASES, ids=lambda p: p.name)
def test_json_validates_against_the_schema(
    case: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if not case.exists():
        pytest.skip(f"{case} is not in this checkout")
    run = in_process(capsys, monkeypatch, case, "check", "--format", "json")
    findings = json.loads(run.out)
    errors = sorted(Draft202012Validator(SCHEMA).iter_errors(findings), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert findings, "each of these workspaces has findings"
    assert run.code == 1
    for finding in findings:
        assert (case / finding["filename"]).is_file()
        for related in finding["related"]:
            assert (case / related["filename"]).is_file()


def test_json_of_a_clean_workspace_is_an_empty_array(tmp_path: Path) -> None:
    ws = clean_app(tmp_path / "ws")
    run = nextguard("check", "--format", "json", cwd=ws)
    assert run.code == 0
    assert json.loads(run.out) == []


@pytest.mark.parametrize("build", [mixed_app, emoji_app, unsafe_fix_app], ids=["mixed", "emoji", "unsafe"])
def test_json_and_text_report_the_same_findings(tmp_path: Path, build: Any) -> None:
    ws = build(tmp_path / "ws")
    text = nextguard("check", cwd=ws)
    data = nextguard("check", "--format", "json", cwd=ws)
    assert text.code == data.code == 1
    findings = json.loads(data.out)
    from_text = [(m["file"], int(m["row"]), int(m["col"]), m["code"]) for m in text.rows]
    from_json = [(f["filename"], f["location"]["row"], f["location"]["column"], f["code"]) for f in findings]
    assert from_text == from_json
    for row, finding in zip(text.rows, findings, strict=True):
        assert row["message"].rstrip().endswith(finding["message"])


def _offset(text: str, position: dict[str, int]) -> int:
    """A 1-based (row, code-point column) position as an index into ``text`` (rows end at \\n)."""
    lines = text.split("\n")
    return sum(len(line) + 1 for line in lines[: position["row"] - 1]) + position["column"] - 1


def _apply_json_fixes(root: Path, findings: list[dict[str, Any]]) -> None:
    edits: dict[str, dict[tuple[int, int, str], None]] = {}
    for finding in findings:
        fix = finding["fix"]
        if fix is None or fix["applicability"] != "safe":
            continue
        # `filename` of a finding names the file its fix edits (the schema: edits are in the finding's file)
        path = finding["filename"]
        text = (root / path).read_text(encoding="utf-8")
        for edit in fix["edits"]:
            key = (_offset(text, edit["location"]), _offset(text, edit["end_location"]), edit["content"])
            edits.setdefault(path, {})[key] = None  # the same insertion twice is made once
    for path, keyed in edits.items():
        file = root / path
        text = file.read_text(encoding="utf-8")
        for start, end, content in sorted(keyed, key=lambda k: (k[0], k[1]), reverse=True):
            text = text[:start] + content + text[end:]
        file.write_bytes(text.encode("utf-8"))


SECOND_ACTION = """
export async function wipeMore() {
  await db.post.deleteMany({});
}
"""


@pytest.mark.parametrize("build", [copy_app, mixed_app, emoji_app], ids=["prisma-basic", "mixed", "emoji"])
@pytest.mark.parametrize("two_actions", [False, True], ids=["one-action", "two-actions-one-file"])
def test_json_fix_edits_reproduce_what_fix_writes(tmp_path: Path, build: Any, two_actions: bool) -> None:
    by_json = build(tmp_path / "json")
    if two_actions:
        actions = by_json / ACTIONS
        actions.write_text(actions.read_text(encoding="utf-8") + SECOND_ACTION, encoding="utf-8")
    by_fix = tmp_path / "fix"
    shutil.copytree(by_json, by_fix)

    findings = json.loads(nextguard("check", "--format", "json", cwd=by_json).out)
    assert any(f["fix"] for f in findings)
    _apply_json_fixes(by_json, findings)
    run = nextguard("check", "--fix", cwd=by_fix)
    no_traceback(run)
    assert snapshot(by_json) == snapshot(by_fix)


def test_fix_with_json_output_prints_only_json(tmp_path: Path) -> None:
    ws = mixed_app(tmp_path / "ws")
    run = nextguard("check", "--fix", "--format", "json", cwd=ws)
    assert json.loads(run.out) == []
    assert run.code == 0


# --- --select / --ignore -------------------------------------------------------------------------


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    return mixed_app(tmp_path / "ws")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], {"NG101", "NG203", "NG208"}),
        (["--select", "NG101"], {"NG101"}),
        (["--select", "ng203"], {"NG203"}),
        (["--select", "NG2"], {"NG203", "NG208"}),
        (["--select", "NG20"], {"NG203", "NG208"}),
        (["--select", "NG1,NG208"], {"NG101", "NG208"}),
        (["--select", "NG101", "--select", "NG203"], {"NG203"}),
        (["--ignore", "NG2"], {"NG101"}),
        (["--ignore", "NG101,NG208"], {"NG203"}),
        (["--select", "NG", "--ignore", "NG101"], {"NG203", "NG208"}),
        (["--select", "NG2", "--ignore", "NG208"], {"NG203"}),
        (["--select", "NG203", "--ignore", "NG203"], set()),
    ],
)
def test_select_and_ignore(
    mixed: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    expected: set[str],
) -> None:
    run = in_process(capsys, monkeypatch, mixed, "check", "--format", "json", *args)
    assert {f["code"] for f in json.loads(run.out)} == expected
    assert run.code == (1 if expected else 0)


def test_select_that_excludes_every_finding_exits_0(mixed: Path) -> None:
    run = nextguard("check", "--select", "NG208", "--ignore", "NG208", cwd=mixed)
    assert run.code == 0 and run.rows == []


# --- path arguments ------------------------------------------------------------------------------


def _actions_named(run: Run) -> set[str]:
    return {name for m in run.rows for name in re.findall(r"`(\w+)`", m["message"])[:1]}


@pytest.mark.parametrize(
    ("paths", "expected", "code"),
    [
        (["."], {"wipeA", "purgeB"}, 1),
        (["app/a"], {"wipeA"}, 1),
        # purgeB reaches data through lib/notes.ts, outside the path: still found
        (["app/b"], {"purgeB"}, 1),
        # verifySession lives in lib/dal.ts and deleteMyNotes in lib/notes.ts: still protected
        (["app/b/guarded.ts"], set(), 0),
        (["app/b/safe.ts"], set(), 0),
        (["app/b/purge.ts"], {"purgeB"}, 1),
        (["app/a/actions.ts", "app/b/purge.ts"], {"wipeA", "purgeB"}, 1),
        (["lib"], set(), 0),
    ],
)
def test_paths_narrow_the_report_not_the_analysis(
    tmp_path: Path, paths: list[str], expected: set[str], code: int
) -> None:
    ws = scoped_app(tmp_path / "ws")
    run = nextguard("check", "--select", "NG101", *paths, cwd=ws)
    assert run.code == code, run
    assert _actions_named(run) == expected


def test_paths_given_from_outside_the_workspace(tmp_path: Path) -> None:
    scoped_app(tmp_path / "ws")
    run = nextguard("check", "--select", "NG101", "ws/app/b", cwd=tmp_path)
    assert _actions_named(run) == {"purgeB"}
    assert [m["file"] for m in run.rows] == ["ws/app/b/purge.ts"]
    absolute = nextguard("check", "--select", "NG101", tmp_path / "ws" / "app" / "b", cwd=tmp_path / "ws" / "lib")
    assert _actions_named(absolute) == {"purgeB"}
    assert (tmp_path / "ws" / "lib" / absolute.rows[0]["file"]).resolve() == (tmp_path / "ws/app/b/purge.ts")


# --- --fix -----------------------------------------------------------------------------------------


def test_fix_writes_files_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    ws = mixed_app(tmp_path / "ws")
    before = snapshot(ws)
    first = nextguard("check", "--fix", cwd=ws)
    assert first.code == 0, first
    assert first.rows == []
    after = snapshot(ws)
    changed = {path for path in before if before[path] != after[path]}
    assert changed == {ACTIONS, "lib/db.ts", "lib/posts.ts"}
    assert nextguard("check", cwd=ws).code == 0
    second = nextguard("check", "--fix", cwd=ws)
    assert second.code == 0
    assert snapshot(ws) == after


def test_fix_exit_status_reflects_what_remains(tmp_path: Path) -> None:
    ws = unsafe_fix_app(tmp_path / "ws")
    before = snapshot(ws)
    run = nextguard("check", "--fix", cwd=ws)
    assert run.code == 1, "unsafe fixes are not applied, so the findings remain"
    assert run.codes() == ["NG203", "NG203"]
    assert snapshot(ws) == before
    # a safe fix alongside is applied, the unsafe ones still are not
    write(ws / "app" / "notes" / "wipe.ts", "'use server';\nimport { db } from '@/lib/db';\n\n" + SECOND_ACTION)
    run = nextguard("check", "--fix", cwd=ws)
    assert run.code == 1 and run.codes() == ["NG203", "NG203"]
    assert "verifySession" in (ws / "app" / "notes" / "wipe.ts").read_text(encoding="utf-8")
    assert (ws / "lib" / "notes.ts").read_bytes() == before["lib/notes.ts"]


def test_unsafe_fixes_only_with_unsafe_fixes(tmp_path: Path) -> None:
    ws = unsafe_fix_app(tmp_path / "ws")
    before = snapshot(ws)
    run = nextguard("check", "--unsafe-fixes", cwd=ws)  # without --fix: reports, writes nothing
    assert run.code == 1
    assert snapshot(ws) == before
    run = nextguard("check", "--fix", "--unsafe-fixes", cwd=ws)
    assert run.code == 0, run
    for module in ("lib/notes.ts", "lib/dal.ts"):
        assert "import 'server-only';" in (ws / module).read_text(encoding="utf-8")
    assert nextguard("check", cwd=ws).code == 0


def test_text_output_claims_fixable_only_what_fix_fixes(tmp_path: Path) -> None:
    ws = unsafe_fix_app(tmp_path / "ws")
    report = nextguard("check", cwd=ws)
    claimed = re.search(r"(\d+) fixable with --fix", report.out)
    fixed = nextguard("check", "--fix", cwd=ws)
    actually = len(report.rows) - len(fixed.rows)
    assert actually == 0
    assert (int(claimed[1]) if claimed else 0) == actually, report.out


def test_fix_never_touches_another_workspace(tmp_path: Path) -> None:
    mine = mixed_app(tmp_path / "mine")
    other = mixed_app(tmp_path / "other")
    outside = write(
        tmp_path / "shared" / "queries.ts",
        "import { db } from '../mine/lib/db';\n\nexport async function all() {\n  return db.post.findMany();\n}\n",
    )
    # a symlink inside the workspace to a file outside it
    (mine / "lib" / "queries.ts").symlink_to(outside)
    write(mine / "app" / "list" / "page.tsx", "import { all } from '@/lib/queries';\nexport default all;\n")
    other_before = snapshot(other)
    outside_before = outside.read_bytes()
    mine_before = snapshot(mine)
    run = nextguard("check", "--fix", "--unsafe-fixes", "mine", cwd=tmp_path)
    no_traceback(run)
    assert snapshot(other) == other_before
    assert outside.read_bytes() == outside_before
    assert snapshot(mine) != mine_before


def test_fix_only_fixes_inside_the_given_paths(tmp_path: Path) -> None:
    ws = scoped_app(tmp_path / "ws")
    before = snapshot(ws)
    run = nextguard("check", "--fix", "app/a", cwd=ws)
    assert run.code == 0
    after = snapshot(ws)
    assert {p for p in before if before[p] != after[p]} == {"app/a/actions.ts"}
    assert nextguard("check", "--select", "NG101", cwd=ws).code == 1  # purgeB is still there


# --- rules, explain, version -------------------------------------------------------------------------


RULE_NAMES = {
    "NG101": "action-missing-auth",
    "NG203": "dal-missing-server-only",
    "NG208": "server-only-not-imported",
}


def test_rules_lists_every_rule_with_its_name(tmp_path: Path) -> None:
    run = nextguard("rules", cwd=tmp_path)
    assert run.code == 0
    for code, name in RULE_NAMES.items():
        [line] = [line for line in run.out.splitlines() if line.startswith(code)]
        assert name in line


SECTIONS = ("What it does", "Why it matters", "Example", "Fix")


@pytest.mark.parametrize("code", ["NG101", "ng101", "NG203", "NG208", " Ng208 "])
def test_explain_prints_the_documentation(tmp_path: Path, code: str) -> None:
    run = nextguard("explain", code, cwd=tmp_path)
    assert run.code == 0, run
    canonical = code.strip().upper()
    assert canonical in run.out and RULE_NAMES[canonical] in run.out
    positions = []
    for section in SECTIONS:
        match = re.search(rf"^#*\s*{section}\s*$", run.out, re.MULTILINE)
        assert match, f"no {section!r} heading in:\n{run.out}"
        positions.append(match.start())
    assert positions == sorted(positions)


def test_explain_texts_differ_per_rule(tmp_path: Path) -> None:
    texts = {code: nextguard("explain", code, cwd=tmp_path).out for code in RULE_NAMES}
    assert len(set(texts.values())) == len(texts)


@pytest.mark.parametrize("code", ["NG999", "NG10", "hello"])
def test_explain_unknown_code_exits_2(tmp_path: Path, code: str) -> None:
    run = nextguard("explain", code, cwd=tmp_path)
    assert run.code == 2
    assert run.out == ""
    assert code in run.err
    no_traceback(run)


def test_version(tmp_path: Path) -> None:
    run = nextguard("--version", cwd=tmp_path)
    assert run.code == 0
    assert version("nextguard") in run.out


def test_console_script(tmp_path: Path) -> None:
    script = shutil.which("nextguard") or shutil.which("nextguard", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the nextguard console script is not installed on PATH")
    ws = copy_app(tmp_path / "ws")
    proc = subprocess.run([script, "check"], cwd=ws, capture_output=True, text=True, env=_env(), timeout=120)
    assert proc.returncode == 1
    assert "NG101" in proc.stdout


def test_no_command_is_a_usage_error(tmp_path: Path) -> None:
    run = nextguard(cwd=tmp_path)
    assert run.code == 2
    no_traceback(run)


def test_line_numbers_are_never_read_as_emoji_codes(tmp_path: Path) -> None:
    # rich turns `:100:` into an emoji unless told not to; a finding on line 100 must say `:100:`.
    ws = copy_app(tmp_path / "ws")
    actions = ws / ACTIONS
    text = actions.read_text(encoding="utf-8")
    padded = text.replace("'use server';", "'use server';" + "\n" * 91, 1)
    actions.write_text(padded, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "nextguard", "check", "--no-progress", str(ws)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ":100:" in proc.stdout, proc.stdout
    assert "\U0001f4af" not in proc.stdout
