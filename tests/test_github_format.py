"""`nextguard check --format github`: workflow-command annotations, escaped as `@actions/core`
escapes them, so that a message or a file name can never end the command early; and the
pre-commit hook, the other CI entry point."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from nextguard.cli.github import annotation, escape_data, escape_property, print_github
from nextguard.cli.main import main
from nextguard.cli.sarif import FilePositions
from nextguard.engine import analyze
from nextguard.model import Finding, Report, Severity, Span

REPO = Path(__file__).parent.parent
ACME = REPO / "examples" / "acme-notes"
_COMMAND = re.compile(r"^::(error|warning|notice) ((?:[A-Za-z]+=[^,:]*)(?:,[A-Za-z]+=[^,:]*)*)::(.*)$")


def _properties(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split(","))


def test_acme_annotations(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ACME)
    select = ["NG101", "NG203", "NG208"]
    assert main(["check", ".", "--format", "github", "--select", ",".join(select)]) == 1
    lines = capsys.readouterr().out.splitlines()
    commands = [_COMMAND.match(line) for line in lines if line.startswith("::")]
    report = analyze([ACME], select=select)
    assert len(commands) == len(report.findings) and all(commands)
    row = next(
        n
        for n, text in enumerate((ACME / "src/app/actions/notes.ts").read_text().splitlines(), 1)
        if "function archiveNote" in text
    )
    parsed = [(m.group(1), _properties(m.group(2)), m.group(3)) for m in commands if m]
    archive = next(p for p in parsed if "archiveNote" in p[2])
    assert archive[0] == "error"
    assert archive[1] == {
        "file": "src/app/actions/notes.ts",
        "line": str(row),
        "col": "23",
        "endLine": str(row),
        "endColumn": "34",
        "title": "NG101 action-missing-auth",
    }
    assert archive[2].startswith("Server Action `archiveNote` changes data")
    kinds = {p[1]["title"].split()[0]: p[0] for p in parsed}
    assert kinds == {"NG101": "error", "NG203": "warning", "NG208": "error"}
    with_problems = len({finding.path for finding in report.findings})
    assert with_problems < report.files_analysed  # so that the line tells the two counts apart
    assert lines[-1] == (
        f"nextguard: {len(report.findings)} problems in {with_problems} files ({report.files_analysed} analysed)"
    )


def test_escaping_follows_actions_core() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    # `:` and `,` are left alone in the message: only the properties need them escaped.
    assert escape_data("a: b, c") == "a: b, c"


def test_annotation_of_an_awkward_finding(tmp_path: Path) -> None:
    path = tmp_path / "we,ird:name.ts"
    path.write_text("const a = 1;\nexport async function f() {\n  return 1;\n}\n", encoding="utf-8")
    finding = Finding("NG101", "action-missing-auth", Severity.INFO, "50% of\nthe message", path, Span(13, 41))
    line = annotation(finding, lambda p: p.name, FilePositions())
    # A span over several lines has no columns (GitHub only uses them within one line).
    assert (
        line
        == "::notice file=we%2Cird%3Aname.ts,line=2,endLine=3,title=NG101 action-missing-auth::50%25 of%0Athe message"
    )
    hint = Finding("NG101", "action-missing-auth", Severity.HINT, "m", path, Span(0, 5))
    warning = Finding("NG203", "dal-missing-server-only", Severity.WARNING, "m", path, Span(0, 5))
    out = io.StringIO()
    print_github(Report(findings=[hint, warning], files_analysed=1), lambda p: p.name, out)
    assert out.getvalue().splitlines() == [
        "::notice file=we%2Cird%3Aname.ts,line=1,col=1,endLine=1,endColumn=6,title=NG101 action-missing-auth::m",
        "::warning file=we%2Cird%3Aname.ts,line=1,col=1,endLine=1,endColumn=6,title=NG203 dal-missing-server-only::m",
        "nextguard: 2 problems in 1 file (1 analysed)",
    ]


_RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE_NAME = "\x1b[2Jevil\n::error file=x::forged\u202e.ts"


def test_control_characters_never_reach_the_log_raw() -> None:
    # ESC, C1 (CSI as one character) and a bidi override are made visible; CR and LF are GitHub's.
    assert escape_data("a\x1b[31mb\x9b2Jc\u202ed\r\ne%") == "a\\x1b[31mb\\x9b2Jc\\u202ed%0D%0Ae%25"
    assert escape_property("x\x07y:z") == "x\\x07y%3Az"


def test_a_hostile_file_name_is_one_annotation(tmp_path: Path) -> None:
    path = tmp_path / HOSTILE_NAME
    path.write_text("export async function f() {}\n", encoding="utf-8")
    finding = Finding("NG101", "action-missing-auth", Severity.ERROR, "`f\u202e` \x1b]0;title\x07", path, Span(0, 5))
    out = io.StringIO()
    print_github(Report(findings=[finding], files_analysed=1), lambda p: p.name, out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[1].startswith("nextguard: ")
    match = _COMMAND.match(lines[0])
    assert match is not None, lines[0]
    assert _properties(match.group(2))["file"] == "\\x1b[2Jevil%0A%3A%3Aerror file=x%3A%3Aforged\\u202e.ts"
    assert match.group(3) == "`f\\u202e` \\x1b]0;title\\x07"
    assert not _RAW_CONTROL.search(out.getvalue().replace("\n", ""))


def test_clean_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "package.json").write_text('{"name": "t"}', encoding="utf-8")
    (tmp_path / "lib.ts").write_text("export const x = 1;\n", encoding="utf-8")
    assert main(["check", str(tmp_path), "--format", "github"]) == 0
    assert capsys.readouterr().out == "nextguard: no problems in 1 file\n"


def test_pre_commit_hook_runs_check_on_the_whole_workspace() -> None:
    import yaml

    from nextguard.cli.main import build_parser

    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "nextguard" and hook["language"] == "python"
    assert hook["types_or"] == ["ts", "tsx", "javascript", "jsx"]
    # Cross-file analysis needs the whole workspace, not the staged files.
    assert hook["pass_filenames"] is False
    args = build_parser().parse_args(hook["entry"].split()[1:])
    assert args.command == "check" and args.paths == [Path(".")]
