"""What nextguard reads from a workspace that wants to hurt it (issue 15).

A repository nobody vouched for can hold a symlink to ``/``, a FIFO named ``package.json``, a
config nested 100,000 brackets deep, a broken tsconfig or code nested past what a parser's stack
can take. Each test builds such a workspace in a temporary directory and checks that the run ends
(the CLI runs in a subprocess with a timeout, so a hang fails the test instead of stalling the
suite), names what it skipped, and keeps the findings of everything else.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nextguard.config import ConfigError, load_config
from nextguard.configfile import MAX_NESTING, ConfigFileError, Syntax, load_object, parse_config, read_object
from nextguard.engine import analyze
from nextguard.facts.extract import MAX_DEPTH
from nextguard.model import Report
from nextguard.workspace.discovery import discover, find_workspace_root
from nextguard.workspace.ownership import prisma_models
from nextguard.workspace.packages import find_workspace_packages
from nextguard.workspace.tsconfig import TsConfigLocator, load_tsconfig

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "examples" / "acme-notes"
PRISMA_WHERE = REPO / "tests" / "fixtures" / "ng104" / "prisma-where"
DEEP_BRACKETS = "[" * 100_000 + "]" * 100_000
SYNTAXES: tuple[Syntax, ...] = ("json", "jsonc", "yaml")


@dataclass
class Run:
    code: int
    out: str
    err: str

    def findings(self) -> list[str]:
        return [line for line in self.out.splitlines() if ": NG" in line]


def check(ws: Path, *args: str, timeout: float = 60) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "nextguard", "check", *args, "."],
        cwd=ws,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO / "server")},
    )
    run = Run(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err
    return run


def copy_app(into: Path, source: Path = ACME) -> Path:
    return Path(shutil.copytree(source, into / source.name, ignore=shutil.ignore_patterns(".nextguard_cache")))


@pytest.fixture(scope="module")
def acme_findings(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The example app's findings, paths relative to the app: what a hostile addition must keep."""
    return sorted(check(copy_app(tmp_path_factory.mktemp("clean"))).findings())


def codes_in(report: Report, name: str) -> list[str]:
    return sorted(finding.code for finding in report.findings if finding.path.name == name)


# --- 1. discovery stays inside the workspace ---------------------------------------------------


def test_symlink_to_the_filesystem_root_is_not_followed(tmp_path: Path, acme_findings: list[str]) -> None:
    app = copy_app(tmp_path)
    (app / "src" / "escape").symlink_to("/")
    run = check(app)
    assert sorted(run.findings()) == acme_findings
    notices = [line for line in run.err.splitlines() if "escape" in line]
    assert len(notices) == 1 and "links outside the workspace" in notices[0], run.err


def test_links_out_of_the_root_are_skipped_with_a_notice(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "shared").mkdir(parents=True)
    (outside / "shared" / "evil.ts").write_text("export const x = 1;\n", encoding="utf-8")
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "src" / "page.ts").write_text("export const y = 2;\n", encoding="utf-8")
    (root / "src" / "ext").symlink_to(outside)
    (root / "src" / "alias.ts").symlink_to(outside / "shared" / "evil.ts")
    result = discover(root)
    assert [p.relative_to(result.root).as_posix() for p in result.files] == ["src/page.ts"]
    skipped = sorted(Path(n.path).name for n in result.notices if n.kind == "outside")
    assert skipped == ["alias.ts", "ext"]


def test_links_inside_the_root_give_each_file_once(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "src" / "lib").mkdir(parents=True)
    (root / "src" / "lib" / "a.ts").write_text("export const a = 1;\n", encoding="utf-8")
    (root / "src" / "again").symlink_to("lib")  # an alias of a directory already walked
    (root / "src" / "lib" / "up").symlink_to("..")  # a loop
    (root / "src" / "b.ts").symlink_to("lib/a.ts")  # an alias of a file
    result = discover(root)
    assert [p.relative_to(result.root).as_posix() for p in result.files] == ["src/lib/a.ts"]
    assert not [n for n in result.notices if n.kind == "outside"]


def test_workspace_globs_stay_inside_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "pkg"
    outside.mkdir(parents=True)
    (outside / "package.json").write_text('{"name": "@evil/pkg"}', encoding="utf-8")
    root = tmp_path / "mono"
    (root / "packages" / "db").mkdir(parents=True)
    (root / "packages" / "db" / "package.json").write_text('{"name": "@acme/db"}', encoding="utf-8")
    (root / "packages" / "loop").symlink_to(".")
    (root / "packages" / "escape").symlink_to(tmp_path / "outside")
    (root / "package.json").write_text(
        json.dumps({"name": "mono", "workspaces": ["**", "../outside/*", "!**/**/**/**/**/**/nothing"]}),
        encoding="utf-8",
    )
    assert sorted(find_workspace_packages(root)) == ["@acme/db", "mono"]


# --- 2. special files are never opened -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expect"),
    [
        ("package.json", "config error"),
        ("nextguard.json", "config error"),
        ("tsconfig.json", "tsconfig.json"),
        (".gitignore", ".gitignore"),
        ("src/lib/fifo.ts", "fifo.ts"),
        ("prisma/schema.prisma", None),
    ],
)
def test_a_fifo_never_hangs_the_check(tmp_path: Path, name: str, expect: str | None) -> None:
    app = copy_app(tmp_path)
    (app / name).unlink(missing_ok=True)
    os.mkfifo(app / name)
    run = check(app)
    if expect == "config error":
        # The configuration cannot be known: a clear error (exit 2), as for a broken file.
        assert run.code == 2 and f"{name}: not a regular file" in run.err, run.err
        return
    assert run.code == 1 and run.findings(), run.err
    if expect is not None:
        notices = [line for line in run.err.splitlines() if expect in line]
        assert len(notices) == 1 and "not a regular file" in notices[0], run.err


def test_a_fifo_package_json_does_not_hang_the_server(tmp_path: Path) -> None:
    app = copy_app(tmp_path)
    (app / "package.json").unlink()
    os.mkfifo(app / "package.json")
    messages = lsp_initialize(app, lambda m: "package.json" in json.dumps(m.get("params", {})))
    assert any(m.get("id") == 1 and "result" in m for m in messages), "initialize was not answered"
    said = [m["params"]["message"] for m in messages if m.get("method") in ("window/showMessage", "window/logMessage")]
    assert any("package.json" in text and "not a regular file" in text for text in said), said


def lsp_initialize(
    root: Path, until: Callable[[dict[str, object]], bool], timeout: float = 60
) -> list[dict[str, object]]:
    """Start ``nextguard lsp``, initialize it on ``root`` and collect what it sends until a message
    satisfies ``until`` (or the timeout, which fails the caller's assertions)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "nextguard", "lsp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO / "server")},
    )
    assert server.stdin is not None and server.stdout is not None

    def send(message: dict[str, object]) -> None:
        assert server.stdin is not None
        body = json.dumps(message).encode()
        server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        server.stdin.flush()

    folder = root.as_uri()
    send(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "processId": None,
                "rootUri": folder,
                "capabilities": {},
                "workspaceFolders": [{"uri": folder, "name": "ws"}],
            },
        }
    )
    messages: list[dict[str, object]] = []
    buffer = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not any(until(m) for m in messages):
            ready, _, _ = select.select([server.stdout], [], [], 0.5)
            if not ready:
                continue
            chunk = os.read(server.stdout.fileno(), 65536)
            if not chunk:
                break
            buffer += chunk
            while b"\r\n\r\n" in buffer:
                head, rest = buffer.split(b"\r\n\r\n", 1)
                length = int(head.split(b"Content-Length:")[1].split(b"\r\n")[0])
                if len(rest) < length:
                    break
                message = json.loads(rest[:length])
                buffer = rest[length:]
                messages.append(message)
                if message.get("id") == 1:
                    send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
                elif "id" in message and "method" in message:  # a request from the server
                    result = [None] if message["method"] == "workspace/configuration" else None
                    send({"jsonrpc": "2.0", "id": message["id"], "result": result})
    finally:
        server.kill()
        server.wait()
    return messages


def test_config_reader_refuses_special_files(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "package.json")
    data, notice = read_object(tmp_path / "package.json")
    assert data is None and notice is not None and notice.kind == "config"
    assert "not a regular file" in notice.message and "package.json" in notice.message
    (tmp_path / "dir.json").mkdir()
    assert read_object(tmp_path / "dir.json") == (None, None)  # a directory is no config file
    assert read_object(tmp_path / "missing.json") == (None, None)
    with pytest.raises(ConfigFileError, match="not a regular file"):
        load_object("/dev/zero")


# --- 3. nesting limits in configuration files ---------------------------------------------------


@pytest.mark.parametrize("name", ["package.json", "nextguard.json"])
def test_a_deep_config_is_a_clear_error(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text('{"name": "x", "deep": ' + DEEP_BRACKETS + "}", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == f"{tmp_path / name}: nested more than {MAX_NESTING} levels deep"


def test_a_deep_package_json_ends_the_check_with_a_config_error(tmp_path: Path) -> None:
    app = copy_app(tmp_path)
    (app / "package.json").write_text('{"name": "acme", "x": ' + DEEP_BRACKETS + "}", encoding="utf-8")
    run = check(app)
    assert run.code == 2 and "package.json: nested more than" in run.err, run.err


def test_a_deep_tsconfig_is_named_and_the_analysis_goes_on(tmp_path: Path) -> None:
    app = copy_app(tmp_path)
    (app / "tsconfig.json").write_text('{"compilerOptions": {}, "x": ' + DEEP_BRACKETS + "}", encoding="utf-8")
    run = check(app)
    assert run.code == 1 and run.findings()
    notices = [line for line in run.err.splitlines() if "tsconfig.json" in line]
    assert len(notices) == 1 and "nested more than" in notices[0], run.err


def test_deep_workspace_manifests_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "pnpm-workspace.yaml").write_text("packages: " + "[" * 50_000 + "]" * 50_000, encoding="utf-8")
    (tmp_path / "package.json").write_text('{"name": "root", "workspaces": ' + DEEP_BRACKETS + "}", encoding="utf-8")
    assert find_workspace_packages(tmp_path) == {}
    assert find_workspace_root(tmp_path) == tmp_path


# Strings with quotes and backslashes (escapes) but no brackets: the comment test below edits
# brackets in the text.
text_values = st.text(alphabet="ab z_-'\"\\é", max_size=8)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | text_values,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text_values, inner, max_size=3),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(value=json_values, depth=st.integers(0, 200), syntax=st.sampled_from(SYNTAXES[:2]))
def test_nested_json_is_parsed_or_refused_by_depth(value: object, depth: int, syntax: Syntax) -> None:
    text = "[" * depth + json.dumps(value) + "]" * depth
    own_depth = _depth(value)
    if depth + own_depth > MAX_NESTING:
        with pytest.raises(ConfigFileError, match="nested more than"):
            parse_config(text, Path("x.json"), syntax)
        return
    expected: object = value
    for _ in range(depth):
        expected = [expected]
    assert parse_config(text, Path("x.json"), syntax) == expected


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="[]{}\",:/*\n \\ab1'-#&!", max_size=400), syntax=st.sampled_from(SYNTAXES))
def test_garbage_is_a_config_file_error_never_a_crash(text: str, syntax: Syntax) -> None:
    try:
        parse_config(text, Path("x.json"), syntax)
    except ConfigFileError as error:
        assert str(error).startswith("x.json: ") and "\n" not in str(error)


@settings(max_examples=100, deadline=None)
@given(value=json_values)
def test_comments_and_trailing_commas_do_not_change_the_value(value: object) -> None:
    text = json.dumps(value, indent=1).replace("\n", " // a comment, with ] and }\n")
    text = text.replace("]", ",]").replace("}", ",}").replace("[,]", "[]").replace("{,}", "{}")
    assert parse_config("/* head */" + text, Path("x.json"), "jsonc") == value


def test_comment_marks_inside_strings_are_text() -> None:
    text = '{"url": "http://x/*y*/", "glob": "src/**", "quote": "a\\"//b", } // end'
    assert parse_config(text, Path("x.json"), "jsonc") == {"url": "http://x/*y*/", "glob": "src/**", "quote": 'a"//b'}


# --- 4. a tsconfig that cannot be used is named -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"compilerOptions": {"paths": {"@/*": ["./src/*"]}}, oops', "not valid JSON"),
        ('["not", "an", "object"]', "expected a JSON object"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_an_invalid_tsconfig_is_named_with_its_reason(tmp_path: Path, text: str | bytes, reason: str) -> None:
    app = copy_app(tmp_path)
    config = app / "tsconfig.json"
    config.write_bytes(text if isinstance(text, bytes) else text.encode())
    report = analyze([app])
    named = [n for n in report.notices if n.path == config]
    assert len(named) == 1 and named[0].kind == "config", report.notices
    assert reason in named[0].message and "paths and baseUrl are not used" in named[0].message
    assert report.findings  # the analysis ran, its aliases unresolved


def test_a_missing_relative_base_is_named_and_a_missing_package_is_not(tmp_path: Path) -> None:
    (tmp_path / "tsconfig.json").write_text(
        '{"extends": ["./tsconfig.base.json", "@tsconfig/next"], "compilerOptions": {"baseUrl": "."}}',
        encoding="utf-8",
    )
    config = load_tsconfig(tmp_path / "tsconfig.json")
    assert config.base_url == tmp_path  # what the file says itself still counts
    assert [n.message for n in config.problems] == [
        "extends './tsconfig.base.json', which does not exist; "
        "its paths and baseUrl are not used, so imports through them are not followed"
    ]


def test_a_broken_base_is_named_once_for_all_configs_that_extend_it(tmp_path: Path) -> None:
    (tmp_path / "tsconfig.base.json").write_text("{ broken", encoding="utf-8")
    for app in ("web", "admin"):
        (tmp_path / app).mkdir()
        (tmp_path / app / "tsconfig.json").write_text('{"extends": "../tsconfig.base.json"}', encoding="utf-8")
    locator = TsConfigLocator(tmp_path)
    for app in ("web", "admin"):
        locator.for_dir(tmp_path / app)
    assert [n.path.name for n in locator.notices()] == ["tsconfig.base.json"]


# --- 5. deep code keeps its findings, or says what it skipped -----------------------------------


ACTION = """'use server';
import { db } from '@/lib/db';

{before}

export async function archiveNote(formData: FormData) {
  const id = formData.get('id') as string;
  {body}
}
"""
UPDATE = "await db.note.update({ where: { id }, data: { archived: true } });"
NEST = 1000


def nested_shapes(n: int) -> dict[str, tuple[str, str]]:
    """(code before the action, the action's body): each puts ``n`` levels of one kind of nesting
    around the data access, or beside it in the same file."""
    return {
        "blocks": ("", "{" * n + UPDATE + "}" * n),
        "ifs": ("", "if (id) { " * n + UPDATE + " }" * n),
        "callbacks": ("", "await " + "(async () => " * n + UPDATE[6:-1] + ")()" * n + ";"),
        "parentheses": (
            "",
            "await db.note.update(" + "(" * n + "{ where: { id }, data: { archived: true } }" + ")" * n + ");",
        ),
        "nested-calls-beside": ("const c = " + "f(" * n + ")" * n + ";", UPDATE),
        "wrappers-beside": ("export const other = " + "w(" * n + "async () => 1" + ")" * n + ";", UPDATE),
        "destructuring": ("", "const " + "{ a: " * n + "z" + " }" * n + " = formData as any;\n  " + UPDATE),
        "parameter-pattern": ("function g(" + "{ a: " * n + "z" + " }" * n + ") {}", UPDATE),
    }


def deep_workspace(tmp_path: Path, before: str, body: str) -> Path:
    app = copy_app(tmp_path, PRISMA_WHERE)
    (app / "app" / "deep").mkdir()
    (app / "app" / "deep" / "actions.ts").write_text(
        ACTION.replace("{before}", before).replace("{body}", body), encoding="utf-8"
    )
    return app


@pytest.mark.parametrize("shape", sorted(nested_shapes(NEST)))
def test_an_action_under_deep_nesting_keeps_its_findings(tmp_path: Path, shape: str) -> None:
    app = deep_workspace(tmp_path, *nested_shapes(NEST)[shape])
    report = analyze([app / "app" / "deep" / "actions.ts"])
    assert {"NG104", "NG301"} <= set(codes_in(report, "actions.ts")), report.notices
    assert not report.notices


@pytest.mark.parametrize("shape", ["blocks", "nested-calls-beside", "destructuring"])
def test_a_100k_deep_file_is_named_and_the_rest_analysed(tmp_path: Path, shape: str) -> None:
    before, body = nested_shapes(100_000)[shape]
    app = deep_workspace(tmp_path, before, body)
    report = analyze([app])
    deep = app / "app" / "deep" / "actions.ts"
    told = [n for n in report.notices if n.path == deep]
    assert [n.kind for n in told] == ["too-deep"] and f"{MAX_DEPTH:,}" in told[0].message
    # The fixture's own findings (other files) are all still there.
    assert "NG104" in codes_in(report, "actions.ts")
    assert any(f.path.parent.name == "notes" for f in report.findings)
    if shape != "blocks":  # the action itself is shallow: the deep code beside it costs it nothing
        assert {"NG104", "NG301"} <= {f.code for f in report.findings if f.path == deep}


def test_padding_an_argument_does_not_hide_the_client_input(tmp_path: Path) -> None:
    padded = UPDATE.replace("{ where", "{ /* " + "x" * 20_000 + " */ where")
    app = deep_workspace(tmp_path, "", padded)
    report = analyze([app / "app" / "deep" / "actions.ts"])
    assert {"NG104", "NG301"} <= set(codes_in(report, "actions.ts"))


# --- Prisma schemas -------------------------------------------------------------------------------


def test_prisma_models_are_read_line_by_line() -> None:
    text = (
        "\n" * 5000
        + "model Note {\n  id String @id // the key\n  authorId String\n  @@index([authorId])\n}\n"
        + "model Broken {\n"
        + "  title String\n" * 3
    )
    assert prisma_models(text) == {"note": ["id", "authorId"], "broken": ["title", "title", "title"]}
