"""`nextguard check --format sarif`: SARIF 2.1.0 for code-scanning uploads
(`github/codeql-action/upload-sarif`) and SARIF viewers.

One run: the driver lists every rule with its documentation (the rule module's docstring sections)
and `helpUri`; each result carries its location, related locations and fixes. File URIs are
relative to the workspace root (`uriBaseId` `%SRCROOT%`, declared in `originalUriBaseIds`).
Columns count UTF-16 code units, as the run's `columnKind` says: what editors and GitHub use.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..engine import RULES, Rule, find_workspace_root
from ..model import Finding, Notice, Report, Severity, Span
from ..render.text import json_text
from ..syntax.positions import Encoding, LineIndex

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/nextguard/nextguard"
SRCROOT = "%SRCROOT%"
LEVELS: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
    Severity.HINT: "note",
}


class FilePositions:
    """Line indexes per file, read once: 1-based (line, column) of byte offsets, columns in
    ``encoding`` units (SARIF counts UTF-16 code units; the JSON format counts code points)."""

    def __init__(self, encoding: Encoding = "utf-16") -> None:
        self._indexes: dict[Path, LineIndex] = {}
        self._encoding: Encoding = encoding

    def of(self, path: Path, offset: int) -> tuple[int, int]:
        index = self._indexes.get(path)
        if index is None:
            try:
                data = path.read_bytes()
            except OSError:
                data = b""
            index = self._indexes[path] = LineIndex(data)
        row, column = index.position(offset, self._encoding)
        return row + 1, column + 1

    def region(self, path: Path, span: Span) -> dict[str, int]:
        """A SARIF region: 1-based, `endColumn` one past the last character (an insertion point has
        `endColumn` equal to `startColumn`)."""
        start_line, start_column = self.of(path, span.start)
        end_line, end_column = self.of(path, span.end)
        return {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end_column}


def workspace_root(paths: Sequence[Path]) -> Path:
    """The directory the URIs are relative to: the workspace root `check` analysed (the common
    ancestor when the paths lie in several workspaces)."""
    roots = {find_workspace_root(Path(path).absolute().resolve()) for path in paths} or {Path.cwd().resolve()}
    return Path(os.path.commonpath([str(root) for root in roots]))


def _uri(path: Path, root: Path) -> dict[str, str]:
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        return {"uri": path.as_uri()}  # outside the root: an absolute file URI, with no base id
    # A URI, not a file name: `[id]`, spaces, `#`, `%` and `:` are percent-encoded.
    return {"uri": quote(relative, safe="/()@!$&'*+,;="), "uriBaseId": SRCROOT}


def rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    doc = rule.doc()
    full = doc.sections.get("What it does", doc.summary)
    text_parts = [doc.summary]
    text_parts += [f"{title}\n\n{body}" for title, body in doc.sections.items()]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": " ".join(full.split())},
        "help": {"text": "\n\n".join(text_parts), "markdown": doc.markdown(rule.code, rule.name)},
        "helpUri": rule.url(),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["security", "nextjs"]},
    }


def _physical(path: Path, span: Span, root: Path, positions: FilePositions) -> dict[str, Any]:
    return {"artifactLocation": _uri(path, root), "region": positions.region(path, span)}


def result_of(finding: Finding, rule_index: dict[str, int], root: Path, positions: FilePositions) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": _physical(finding.path, finding.span, root, positions)}],
    }
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    if finding.related:
        result["relatedLocations"] = [
            {
                "id": number,
                "physicalLocation": _physical(item.path, item.span, root, positions),
                "message": {"text": item.message},
            }
            for number, item in enumerate(finding.related, 1)
        ]
    fixes = []
    for fix in finding.fixes:
        changes: dict[Path, list[dict[str, Any]]] = {}
        for edit in fix.edits:
            changes.setdefault(edit.path, []).append(
                {"deletedRegion": positions.region(edit.path, edit.span), "insertedContent": {"text": edit.content}}
            )
        fixes.append(
            {
                "description": {"text": fix.title},
                "artifactChanges": [
                    {"artifactLocation": _uri(path, root), "replacements": replacements}
                    for path, replacements in changes.items()
                ],
                "properties": {"applicability": fix.applicability},
            }
        )
    if fixes:
        result["fixes"] = fixes
    return result


def _notification(notice: Notice, root: Path) -> dict[str, Any]:
    return {
        "level": "warning" if notice.kind in ("rule-error", "unreadable") else "note",
        "message": {"text": notice.message},
        "descriptor": {"id": notice.kind},
        "locations": [{"physicalLocation": {"artifactLocation": _uri(notice.path, root)}}],
    }


def sarif_log(report: Report, root: Path) -> dict[str, Any]:
    positions = FilePositions()
    rule_index = {rule.code: i for i, rule in enumerate(RULES)}
    root_uri = root.as_uri().rstrip("/") + "/"
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "nextguard",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(rule) for rule in RULES],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": root_uri}},
        "columnKind": "utf16CodeUnits",
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [_notification(notice, root) for notice in report.notices],
            }
        ],
        "results": [result_of(finding, rule_index, root, positions) for finding in report.findings],
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def print_sarif(report: Report, paths: Sequence[Path]) -> None:
    # Messages quote code (names, string literals): DEL, C1 and bidi controls in them are written
    # as \u escapes, the same text to a SARIF reader and nothing a terminal acts on (cli/text.py).
    sys.stdout.write(json_text(sarif_log(report, workspace_root(paths))) + "\n")


__all__ = ["FilePositions", "print_sarif", "rule_descriptor", "sarif_log", "workspace_root"]
