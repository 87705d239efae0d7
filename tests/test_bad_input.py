"""Bad input never loses findings or crashes `nextguard check`.

Each test drops one bad file (or link, or pipe) into a copy of a realistic app that has one real
NG101 (`deletePostAction`), runs the CLI as a user would, and checks that the bad file is named on
stderr, that the real finding is still reported, that the exit code is 1 and that nothing crashed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from nextguard.rules.registry import BY_CODE

TESTS = Path(__file__).resolve().parent
PRISMA_BASIC = TESTS / "fixtures" / "ng101" / "prisma-basic"
ACTIONS = "app/posts/[id]/actions.ts"
LINE = re.compile(r"^(?P<file>.+?):(?P<row>\d+):(?P<col>\d+): (?P<code>NG\d{3})\b(?P<message>.*)$")

BROKEN_ACTION = """'use server';
import { db } from '@/lib/db';

export async function wipe(id: string) {
  await db.post.delete({ where: { id } });
}

const broken = ;;; {{{ (
"""


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def rows(self) -> list[tuple[str, int, int, str, str]]:
        return [
            (m["file"], int(m["row"]), int(m["col"]), m["code"], m["message"])
            for line in self.out.splitlines()
            if (m := LINE.match(line))
        ]

    def notices_about(self, name: str) -> list[str]:
        return [line for line in self.err.splitlines() if name in line]


def check(ws: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Run:
    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    environ.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "nextguard", "check", *args],
        cwd=ws,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        env=environ,
    )
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The prisma-basic app with only NG101 enabled: these tests are about bad files not hiding
    a finding elsewhere, not about which rules exist."""
    root = Path(shutil.copytree(PRISMA_BASIC, tmp_path / "ws"))
    (root / "nextguard.json").write_text(
        json.dumps({"rules": {code: "off" for code in BY_CODE if code != "NG101"}}), encoding="utf-8"
    )
    return root


def assert_rest_still_analysed(run: Run) -> None:
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err
    assert run.code == 1, run
    found = [row for row in run.rows if row[0] == ACTIONS]
    assert [(row[1], row[2], row[3]) for row in found] == [(9, 23, "NG101")], run.out
    assert "deletePostAction" in found[0][4]


def assert_reported_once(run: Run, name: str) -> str:
    lines = run.notices_about(name)
    assert len(lines) == 1, f"{name} should be reported once on stderr:\n{run.err}"
    notices = set(run.err.splitlines())
    assert not [line for line in run.out.splitlines() if line in notices], "notices go to stderr, not stdout"
    return lines[0]


# --- files that cannot be read ---------------------------------------------------------------------


def test_dangling_symlink(ws: Path) -> None:
    (ws / "app" / "gone.ts").symlink_to(ws / "app" / "nowhere.ts")
    run = check(ws)
    assert_rest_still_analysed(run)
    assert_reported_once(run, "app/gone.ts")


@pytest.mark.parametrize(
    "links", [{"a.ts": "b.ts", "b.ts": "a.ts"}, {"me.ts": "me.ts"}, {"lib": "lib"}], ids=["mutual", "self", "dir-self"]
)
def test_symlinks_that_loop_on_themselves(ws: Path, links: dict[str, str]) -> None:
    for name, target in links.items():
        (ws / "app" / name).symlink_to(target)
    run = check(ws)
    assert_rest_still_analysed(run)
    for name in links:
        assert_reported_once(run, f"app/{name}")


def test_fifo_with_a_source_name(ws: Path) -> None:
    os.mkfifo(ws / "app" / "pipe.ts")
    run = check(ws, timeout=30)  # opening a FIFO for reading would block forever
    assert_rest_still_analysed(run)
    assert_reported_once(run, "app/pipe.ts")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read a file with mode 000")
def test_file_without_read_permission(ws: Path) -> None:
    locked = ws / "app" / "locked.ts"
    locked.write_text("export const x = 1;\n", encoding="utf-8")
    locked.chmod(0)
    try:
        run = check(ws)
    finally:
        locked.chmod(0o644)
    assert_rest_still_analysed(run)
    assert_reported_once(run, "app/locked.ts")


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_file_whose_read_fails(ws: Path) -> None:
    # Reading /proc/self/mem from offset 0 fails with EIO, even for root: a real read error,
    # where a mode-000 file cannot produce one under root (CI runs as root).
    (ws / "app" / "mem.ts").symlink_to("/proc/self/mem")
    run = check(ws)
    assert_rest_still_analysed(run)
    assert "mem.ts" in run.err or "/proc/" in run.err, run.err


def test_directory_with_a_source_name_is_walked_not_read(ws: Path) -> None:
    directory = ws / "app" / "x.ts"
    directory.mkdir()
    shutil.copy(ws / ACTIONS, directory / "actions.ts")
    run = check(ws)
    assert_rest_still_analysed(run)
    assert [row[:4] for row in run.rows if row[0] == "app/x.ts/actions.ts"] == [("app/x.ts/actions.ts", 9, 23, "NG101")]


# --- files that are not source text -----------------------------------------------------------------


def test_binary_file(ws: Path) -> None:
    (ws / "app" / "bin.ts").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 8)
    run = check(ws)
    assert_rest_still_analysed(run)
    assert "binary" in assert_reported_once(run, "app/bin.ts").lower()


def test_nul_byte_after_the_first_kilobytes(ws: Path) -> None:
    (ws / "app" / "late.ts").write_bytes(b"export const a = 1;\n" * 1000 + b"\x00\x00\x00")
    run = check(ws)
    assert_rest_still_analysed(run)
    assert_reported_once(run, "app/late.ts")


def test_non_utf8_file(ws: Path) -> None:
    (ws / "app" / "latin.ts").write_bytes("// café, naïve, señor\nexport const x = 'déjà';\n".encode("latin-1"))
    run = check(ws)
    assert_rest_still_analysed(run)
    assert "utf-8" in assert_reported_once(run, "app/latin.ts").lower()


def test_utf16_file(ws: Path) -> None:
    (ws / "app" / "wide.ts").write_bytes("export const x = 1;\n".encode("utf-16"))
    run = check(ws)
    assert_rest_still_analysed(run)
    assert_reported_once(run, "app/wide.ts")


def test_huge_file_is_skipped_naming_the_limit(ws: Path) -> None:
    (ws / "app" / "huge.ts").write_bytes(b"export const a = 'x';\n" * 60_000)  # 1.3 MB
    run = check(ws)
    assert_rest_still_analysed(run)
    notice = assert_reported_once(run, "app/huge.ts")
    assert re.search(r"1[,._ ]?000[,._ ]?000|1 ?MB|1 ?MiB|1024 ?KiB", notice), notice


def test_huge_file_does_not_hide_a_finding_in_a_normal_one(ws: Path) -> None:
    (ws / "app" / "huge.ts").write_bytes(b"'use server';\n" + b"// padding\n" * 120_000)
    run = check(ws)
    assert_rest_still_analysed(run)
    assert [row[0] for row in run.rows] == [ACTIONS]


def test_deeply_nested_source(ws: Path) -> None:
    (ws / "app" / "deep.ts").write_text(
        "export const x = " + "[" * 3000 + "]" * 3000 + ";\nexport const y = " + "(" * 3000 + "1" + ")" * 3000 + ";\n",
        encoding="utf-8",
    )
    (ws / "app" / "deep-action.ts").write_text(
        "'use server';\nimport { db } from '@/lib/db';\n\nexport async function deep() {\n"
        + "if (1) { " * 2000
        + "await db.post.deleteMany({});"
        + " }" * 2000
        + "\n}\n",
        encoding="utf-8",
    )
    run = check(ws)
    assert_rest_still_analysed(run)
    assert [row[:4] for row in run.rows if row[0] == "app/deep-action.ts"] == [("app/deep-action.ts", 4, 23, "NG101")]


# --- broken source ---------------------------------------------------------------------------------


def test_syntax_error_elsewhere_in_the_file_still_reports_the_action(ws: Path) -> None:
    (ws / "app" / "broken.ts").write_text(BROKEN_ACTION, encoding="utf-8")
    run = check(ws)
    assert_rest_still_analysed(run)
    assert [row[:4] for row in run.rows if row[0] == "app/broken.ts"] == [("app/broken.ts", 4, 23, "NG101")]
    assert "wipe" in next(row[4] for row in run.rows if row[0] == "app/broken.ts")
    notice = assert_reported_once(run, "app/broken.ts")
    assert "syntax error" in notice.lower()
    assert re.search(r"\b8:\d+", notice), "the notice says where the syntax error is"


def test_fix_does_not_break_a_file_with_a_syntax_error_further(ws: Path) -> None:
    broken = ws / "app" / "broken.ts"
    broken.write_text(BROKEN_ACTION, encoding="utf-8")
    run = check(ws, "--fix")
    assert "Traceback" not in run.err
    text = broken.read_text(encoding="utf-8")
    assert text.endswith("const broken = ;;; {{{ (\n"), "the unparseable tail is left alone"
    assert text.count("export async function wipe") == 1


# --- symlink loops ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "target"), [("loop", ".."), ("self", "."), ("up", "../..")])
def test_symlink_loop_is_reported_once_and_findings_are_not_duplicated(ws: Path, name: str, target: str) -> None:
    (ws / "app" / name).symlink_to(target, target_is_directory=True)
    run = check(ws, timeout=60)
    assert_rest_still_analysed(run)
    assert_reported_once(run, f"app/{name}")
    assert len(run.rows) == 1, run.out


def test_loop_deeper_in_the_tree(ws: Path) -> None:
    deep = ws / "app" / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (deep / "back").symlink_to(ws / "app", target_is_directory=True)
    run = check(ws, timeout=60)
    assert_rest_still_analysed(run)
    assert_reported_once(run, "app/a/b/c/back")
    assert len(run.rows) == 1


# --- unusual but valid text -------------------------------------------------------------------------


def test_empty_file(ws: Path) -> None:
    (ws / "app" / "empty.ts").write_bytes(b"")
    (ws / "app" / "uses-empty.ts").write_text("'use server';\nimport '@/app/empty';\n", encoding="utf-8")
    run = check(ws)
    assert_rest_still_analysed(run)
    assert run.err.strip() == "", "an empty file is not a problem"


def test_file_with_only_a_bom(ws: Path) -> None:
    (ws / "app" / "bom.ts").write_bytes(b"\xef\xbb\xbf")
    run = check(ws)
    assert_rest_still_analysed(run)
    assert run.err.strip() == ""


def test_bom_does_not_hide_the_use_server_directive(ws: Path) -> None:
    actions = ws / ACTIONS
    actions.write_bytes(b"\xef\xbb\xbf" + actions.read_bytes())
    run = check(ws)
    assert_rest_still_analysed(run)
    assert run.err.strip() == ""


def test_crlf_line_endings_keep_positions_and_fixes_keep_crlf(ws: Path) -> None:
    actions = ws / ACTIONS
    actions.write_bytes(actions.read_bytes().replace(b"\n", b"\r\n"))
    (ws / "app" / "crlf.ts").write_bytes(
        "'use server';\r\nimport { db } from '@/lib/db';\r\n\r\n/* é */ export async function crlfWipe() {\r\n"
        "  await db.post.deleteMany({});\r\n}\r\n".encode()
    )
    run = check(ws)
    assert_rest_still_analysed(run)
    assert [row[:4] for row in run.rows if row[0] == "app/crlf.ts"] == [("app/crlf.ts", 4, 31, "NG101")]
    findings = json.loads(check(ws, "--format", "json").out)
    assert {(f["location"]["row"], f["location"]["column"]) for f in findings} == {(9, 23), (4, 31)}
    assert check(ws, "--fix").code == 0
    for path in (actions, ws / "app" / "crlf.ts"):
        data = path.read_bytes()
        assert b"verifySession()" in data
        assert data.count(b"\n") == data.count(b"\r\n"), f"{path.name} mixes line endings after --fix"


def test_cr_only_line_endings_keep_positions(ws: Path) -> None:
    actions = ws / ACTIONS
    actions.write_bytes(actions.read_bytes().replace(b"\n", b"\r"))
    run = check(ws)
    assert_rest_still_analysed(run)


def test_non_utf8_file_name_in_the_report(ws: Path) -> None:
    name = os.fsdecode(b"caf\xe9.ts")
    shutil.copy(ws / ACTIONS, ws / "app" / name)
    run = check(ws)
    assert "Traceback" not in run.err, run.err
    assert run.code == 1
    assert len([row for row in run.rows if row[0].startswith("app/caf")]) == 1


def test_non_utf8_file_name_with_a_strict_utf8_stdout(ws: Path) -> None:
    shutil.copy(ws / ACTIONS, ws / "app" / os.fsdecode(b"caf\xe9.ts"))
    run = check(ws, env={"PYTHONIOENCODING": "utf-8"})
    assert "Traceback" not in run.err, run.err
    assert run.code == 1
    assert len([row for row in run.rows if row[0].startswith("app/caf")]) == 1


def test_non_utf8_file_name_in_json(ws: Path) -> None:
    shutil.copy(ws / ACTIONS, ws / "app" / os.fsdecode(b"caf\xe9.ts"))
    proc = subprocess.run(
        [sys.executable, "-m", "nextguard", "check", "--format", "json"],
        cwd=ws,
        capture_output=True,
        timeout=60,
    )
    assert b"Traceback" not in proc.stderr, proc.stderr
    findings = json.loads(proc.stdout.decode("utf-8"))  # strict: must be UTF-8
    assert len(findings) == 2


# --- everything at once ----------------------------------------------------------------------------


def test_all_bad_inputs_together(ws: Path) -> None:
    app = ws / "app"
    (app / "gone.ts").symlink_to(app / "nowhere.ts")
    (app / "bin.ts").write_bytes(b"\x00\x01\x02" * 100)
    (app / "latin.ts").write_bytes(b"// caf\xe9\n")
    (app / "huge.ts").write_bytes(b"// x\n" * 250_000)
    (app / "broken.ts").write_text(BROKEN_ACTION, encoding="utf-8")
    (app / "loop").symlink_to("..", target_is_directory=True)
    (app / "empty.ts").write_bytes(b"")
    run = check(ws)
    assert_rest_still_analysed(run)
    for name in ("gone.ts", "bin.ts", "latin.ts", "huge.ts", "broken.ts", "loop"):
        assert_reported_once(run, f"app/{name}")
    assert {row[0] for row in run.rows} == {ACTIONS, "app/broken.ts"}


# --- nothing from the project is executed -----------------------------------------------------------


def test_nothing_from_the_project_is_executed(ws: Path, tmp_path: Path) -> None:
    marker = tmp_path / "EXECUTED"
    js = f"require('fs').writeFileSync({json.dumps(str(marker))}, 'ran');\n"
    esm = f"import {{ writeFileSync }} from 'fs';\nwriteFileSync({json.dumps(str(marker))}, 'ran');\n"
    (ws / "next.config.js").write_text(js + "module.exports = {};\n", encoding="utf-8")
    (ws / "next.config.mjs").write_text(esm + "export default {};\n", encoding="utf-8")
    (ws / "postcss.config.cjs").write_text(js, encoding="utf-8")
    (ws / "tailwind.config.ts").write_text(esm, encoding="utf-8")
    (ws / "middleware.ts").write_text(esm + "export function middleware() {}\n", encoding="utf-8")
    (ws / "instrumentation.ts").write_text(esm + "export function register() {}\n", encoding="utf-8")
    (ws / "eslint.config.mjs").write_text(esm, encoding="utf-8")
    (ws / "nextguard.config.js").write_text(js, encoding="utf-8")
    touch = f"touch {json.dumps(str(marker))}"
    manifest = json.loads((ws / "package.json").read_text(encoding="utf-8"))
    manifest["scripts"] = {
        hook: touch for hook in ("preinstall", "install", "postinstall", "prepare", "prebuild", "build", "lint")
    }
    manifest["main"] = "next.config.js"
    (ws / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
    hooks = ws / ".git" / "hooks"
    hooks.mkdir(parents=True)
    for hook in ("pre-commit", "post-checkout"):
        (hooks / hook).write_text(f"#!/bin/sh\n{touch}\n", encoding="utf-8")
        (hooks / hook).chmod(0o755)
    bin_dir = ws / "node_modules" / ".bin"
    bin_dir.mkdir(parents=True)
    for tool in ("tsc", "next", "node", "npm", "git"):
        (bin_dir / tool).write_text(f"#!/bin/sh\n{touch}\n", encoding="utf-8")
        (bin_dir / tool).chmod(0o755)

    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = check(ws, env=env)
    assert_rest_still_analysed(run)
    check(ws, "--fix", env=env)
    check(ws, "--format", "json", env=env)
    assert not marker.exists(), "nextguard ran code from the project"
