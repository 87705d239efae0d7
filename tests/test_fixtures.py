"""Rule fixtures: small workspaces whose sources carry the expected findings in comments.

`// expect: NG101` at the end of a line says a finding with that code starts on that line; a
case without any such comment expects nothing. The whole workspace's findings must equal the
expectations exactly. Every fix a finding offers is then applied to a copy: the file must still
parse, that finding must be gone, and `--fix` run twice must change nothing the second time.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from nextguard.cli.main import main
from nextguard.engine import analyze
from nextguard.fixes.edits import apply_edits
from nextguard.model import Finding
from nextguard.syntax.parse import first_error, parse
from nextguard.workspace.discovery import SOURCE_SUFFIXES

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent / "examples"
_EXPECT = re.compile(r"expect:\s*((?:NG\d{3}[\s,]*)+)")
_SKIP_DIRS = {"node_modules", ".next", "dist", "build"}


def cases() -> list[Path]:
    found = sorted(path.parent for path in FIXTURES.glob("*/*/package.json"))
    found += sorted(path for path in EXAMPLES.iterdir() if (path / "package.json").exists())
    return found


def _source_files(root: Path) -> list[Path]:
    files = []
    for path in root.rglob("*"):
        if path.suffix in SOURCE_SUFFIXES and not _SKIP_DIRS & set(path.relative_to(root).parts):
            files.append(path)
    return files


def expected(root: Path) -> Counter[tuple[str, int, str]]:
    result: Counter[tuple[str, int, str]] = Counter()
    for path in _source_files(root):
        for row, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in _EXPECT.finditer(line):
                for code in re.findall(r"NG\d{3}", match.group(1)):
                    result[(path.relative_to(root).as_posix(), row, code)] += 1
    return result


def actual(root: Path, findings: list[Finding]) -> Counter[tuple[str, int, str]]:
    result: Counter[tuple[str, int, str]] = Counter()
    resolved = root.resolve()
    for finding in findings:
        row = finding.path.read_bytes()[: finding.span.start].count(b"\n") + 1
        result[(finding.path.relative_to(resolved).as_posix(), row, finding.code)] += 1
    return result


def _id(path: Path) -> str:
    return path.relative_to(path.parent.parent).as_posix()


@pytest.mark.parametrize("case", cases(), ids=_id)
def test_findings_match_expectations(case: Path) -> None:
    report = analyze([case])
    assert actual(case, report.findings) == expected(case), "\n".join(
        f"{f.code} {f.path.name}: {f.message}" for f in report.findings
    )
    assert not [n for n in report.notices if n.kind != "syntax"], report.notices


def _fixable_cases() -> list[Path]:
    return [case for case in cases() if expected(case)]


@pytest.mark.parametrize("case", _fixable_cases(), ids=_id)
def test_each_fix_parses_and_removes_its_finding(case: Path, tmp_path: Path) -> None:
    work = tmp_path / case.name
    shutil.copytree(case, work)
    findings = analyze([work]).findings
    fixable = [finding for finding in findings if finding.fixes]
    for finding in fixable:
        for fix in finding.fixes:
            originals = {edit.path: edit.path.read_bytes() for edit in fix.edits}
            try:
                for path, source in originals.items():
                    fixed = apply_edits(source, [edit for edit in fix.edits if edit.path == path])
                    assert first_error(parse(path, fixed).root_node) is None, fixed.decode()
                    path.write_bytes(fixed)
                after = analyze([work]).findings
                before_count = sum(1 for f in findings if (f.code, f.path) == (finding.code, finding.path))
                after_count = sum(1 for f in after if (f.code, f.path) == (finding.code, finding.path))
                assert after_count == before_count - 1, f"{fix.title} left {finding.message}"
                new_codes = Counter(f.code for f in after) - Counter(f.code for f in findings)
                assert not new_codes, f"{fix.title} introduced {new_codes}"
            finally:
                for path, source in originals.items():
                    path.write_bytes(source)


@pytest.mark.parametrize("case", _fixable_cases(), ids=_id)
def test_fix_all_twice_changes_nothing_the_second_time(case: Path, tmp_path: Path) -> None:
    work = tmp_path / case.name
    shutil.copytree(case, work)
    before = {path: path.read_bytes() for path in _source_files(work)}
    main(["check", "--fix", "--no-progress", "--exit-zero", str(work)])
    once = {path: path.read_bytes() for path in _source_files(work)}
    main(["check", "--fix", "--no-progress", "--exit-zero", str(work)])
    twice = {path: path.read_bytes() for path in _source_files(work)}
    assert once == twice
    remaining = analyze([work]).findings
    assert not [f for f in remaining if f.fixes and f.fixes[0].applicability == "safe"], remaining
    if any(fix.applicability == "safe" for f in analyze([case]).findings for fix in f.fixes):
        assert once != before
    for path, data in once.items():
        assert first_error(parse(path, data).root_node) is None or first_error(parse(path, before[path]).root_node)
