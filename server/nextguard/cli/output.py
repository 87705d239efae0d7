"""Report formats: text like the linters people know, and JSON documented by
`schemas/findings.schema.json`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..engine import BY_CODE
from ..model import Finding, Notice, Report, Severity, Span
from ..render.text import escape_controls, json_text
from .sarif import FilePositions

Display = Callable[[Path], str]
_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan", "hint": "dim"}


class _Positions:
    """1-based code-point positions, with each file's line index read once."""

    def __init__(self) -> None:
        self._files = FilePositions("utf-32")

    def of(self, path: Path, offset: int) -> dict[str, int]:
        row, column = self._files.of(path, offset)
        return {"row": row, "column": column}

    def span(self, path: Path, span: Span) -> tuple[dict[str, int], dict[str, int]]:
        return self.of(path, span.start), self.of(path, span.end)


def finding_json(finding: Finding, display: Display, positions: _Positions) -> dict[str, Any]:
    start, end = positions.span(finding.path, finding.span)
    fix: dict[str, Any] | None = None
    if finding.fixes:
        first = finding.fixes[0]
        edits = []
        for edit in first.edits:
            edit_start, edit_end = positions.span(edit.path, edit.span)
            edits.append({"content": edit.content, "location": edit_start, "end_location": edit_end})
        fix = {"message": first.title, "applicability": first.applicability, "edits": edits}
    related = []
    for item in finding.related:
        item_start, item_end = positions.span(item.path, item.span)
        related.append(
            {
                "filename": display(item.path),
                "location": item_start,
                "end_location": item_end,
                "message": item.message,
            }
        )
    rule = BY_CODE.get(finding.code)
    result: dict[str, Any] = {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "filename": display(finding.path),
        "location": start,
        "end_location": end,
        "fix": fix,
        "related": related,
    }
    if rule is not None:
        result["url"] = rule.url()
    return result


def print_json(report: Report, display: Display) -> None:
    positions = _Positions()
    # One string, one write: ``json.dump`` writes each of the 100,000 pieces of a large report on
    # its own, four times the cost.
    sys.stdout.write(json_text([finding_json(f, display, positions) for f in report.findings]) + "\n")


def print_text(report: Report, display: Display, *, fixed: int = 0, colour: bool = False) -> None:
    if colour:
        from rich.console import Console
        from rich.markup import escape

        # emoji=False: `notes.ts:100:11` must not turn into a 💯 (rich reads `:100:` as an emoji code)
        console = Console(force_terminal=True, highlight=False, soft_wrap=True, emoji=False)

        def emit(line: str) -> None:
            console.print(line)

        def mark(text: str, style: str) -> str:
            return f"[{style}]{escape(text)}[/{style}]"

        def plain(text: str) -> str:
            return escape(text)
    else:
        # Without colour the markup would only be parsed to be dropped: rich took a quarter of a
        # warm run printing 600 findings, so write the lines as they are.
        write = sys.stdout.write

        def emit(line: str) -> None:
            write(line + "\n")

        def mark(text: str, style: str) -> str:
            return text

        def plain(text: str) -> str:
            return text

    positions = _Positions()
    fixable = 0
    unsafe = 0
    for finding in report.findings:
        start = positions.of(finding.path, finding.span.start)
        # `[*]` promises what `--fix` does: safe fixes only.
        safe = bool(finding.fixes) and finding.fixes[0].applicability == "safe"
        marker = " [*]" if safe else ""
        fixable += safe
        unsafe += bool(finding.fixes) and not safe
        style = _SEVERITY_STYLE[finding.severity.value]
        # One finding, one line, and nothing in it the terminal acts on: a file name or a message
        # can hold escape sequences, newlines and bidi overrides (cli/text.py).
        emit(
            f"{mark(escape_controls(display(finding.path)), 'bold')}:{start['row']}:{start['column']}: "
            f"{mark(finding.code, style)}{plain(marker)} {plain(escape_controls(finding.message))}"
        )
    if fixed:
        emit(f"Fixed {fixed} problem{'s' if fixed != 1 else ''}.")
    if report.findings:
        counts: dict[str, int] = {}
        for finding in report.findings:
            counts[finding.severity.value] = counts.get(finding.severity.value, 0) + 1
        # Most severe first, whatever order the files came in.
        order = [severity.value for severity in Severity]
        ranked = sorted(counts.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))
        detail = ", ".join(f"{n} {severity}{'s' if n != 1 and severity != 'info' else ''}" for severity, n in ranked)
        problems, where = problems_in_files(report)
        hints = []
        if fixable:
            hints.append(f"{fixable} fixable with --fix")
        if unsafe:
            hints.append(f"{unsafe} more with --fix --unsafe-fixes")
        tail = f" {'; '.join(hints)}." if hints else ""
        emit(f"Found {problems} ({detail}) {where}.{tail}")
    else:
        emit(f"All clear: no problems in {_files(report.files_analysed)}.")


def _files(count: int) -> str:
    return f"{count} file{'s' if count != 1 else ''}"


def problems_in_files(report: Report) -> tuple[str, str]:
    """("41 problems", "in 20 files (41 analysed)"): the files are those with a problem, the
    files analysed are all the report looked at; the summary line of the text and github formats."""
    total = len(report.findings)
    with_problems = len({finding.path for finding in report.findings})
    where = f"in {_files(with_problems)} ({report.files_analysed} analysed)"
    return f"{total} problem{'s' if total != 1 else ''}", where


def print_notices(notices: Iterable[Notice], display: Display) -> None:
    """One line on stderr per notice; the path and the message escaped as findings are."""
    for notice in notices:
        print(f"nextguard: {escape_controls(display(notice.path))}: {escape_controls(notice.message)}", file=sys.stderr)
