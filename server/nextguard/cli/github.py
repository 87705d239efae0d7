"""`nextguard check --format github`: GitHub Actions workflow commands, one annotation per finding
(`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=NG101 action-missing-auth::message`).

Escaping follows `@actions/core` (`toolkit/packages/core/src/command.ts`): in the message `%`, CR
and LF are percent-encoded; in property values also `:` and `,`, which would otherwise end the
value. The runner decodes those and nothing else, so the other characters a log viewer or a
terminal would act on (ESC and the other C0/C1 controls, bidi overrides) are written as visible
escapes (`\x1b`, `\u202e`, cli/text.py): each finding is one workflow command, and a file name
cannot start a line of its own (a forged `::error`) or recolour the log.
GitHub shows a limited number of annotations per step; upload SARIF for the full list.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from ..model import Finding, Report, Severity
from .output import problems_in_files
from .sarif import FilePositions
from .text import escape_controls

Display = Callable[[Path], str]
COMMANDS: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
    Severity.HINT: "notice",
}


def escape_data(text: str) -> str:
    # CR and LF are GitHub's to carry (the runner decodes %0D and %0A back); every other control
    # character is made visible first, and the visible escape has no `%` of its own to encode.
    visible = escape_controls(text, keep="\r\n")
    return visible.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, display: Display, positions: FilePositions) -> str:
    line, column = positions.of(finding.path, finding.span.start)
    end_line, end_column = positions.of(finding.path, finding.span.end)
    properties = {"file": display(finding.path), "line": str(line)}
    if end_line == line:
        # Columns mean something to GitHub only within one line (as in the checks API).
        properties["col"] = str(column)
    properties["endLine"] = str(end_line)
    if end_line == line:
        properties["endColumn"] = str(end_column)
    properties["title"] = f"{finding.code} {finding.name}"
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{COMMANDS[finding.severity]} {rendered}::{escape_data(finding.message)}"


def print_github(report: Report, display: Display, out: TextIO | None = None) -> None:
    stream = out if out is not None else sys.stdout
    positions = FilePositions()
    for finding in report.findings:
        stream.write(annotation(finding, display, positions) + "\n")
    if report.findings:
        problems, where = problems_in_files(report)
        stream.write(f"nextguard: {problems} {where}\n")
    else:
        noun = "file" if report.files_analysed == 1 else "files"
        stream.write(f"nextguard: no problems in {report.files_analysed} {noun}\n")


__all__ = ["annotation", "escape_data", "escape_property", "print_github"]
