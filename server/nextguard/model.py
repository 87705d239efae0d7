"""The engine's vocabulary: spans, findings, fixes and notices.

Everything here is plain data; nothing imports the protocol or the terminal. Positions are byte
offsets into the file's UTF-8 text; conversion to rows and columns in a given encoding happens at
the edge (see ``syntax.positions``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"


Applicability = Literal["safe", "unsafe"]


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open byte range ``[start, end)`` in one file's UTF-8 text."""

    start: int
    end: int

    def contains(self, offset: int) -> bool:
        return self.start <= offset < self.end


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace ``span`` of ``path`` by ``content`` (an insertion has an empty span)."""

    path: Path
    span: Span
    content: str


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    edits: tuple[TextEdit, ...]
    applicability: Applicability = "safe"


@dataclass(frozen=True, slots=True)
class Related:
    path: Path
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    path: Path
    span: Span
    related: tuple[Related, ...] = ()
    fixes: tuple[Fix, ...] = ()


NoticeKind = Literal[
    "unreadable",
    "binary",
    "encoding",
    "too-large",
    "symlink-loop",
    "syntax",
    "not-found",
    "rule-error",
    "config",  # a configuration file (tsconfig.json, package.json…) that could not be used
    "outside",  # a symbolic link out of the workspace, not followed
    "too-deep",  # code nested deeper than the parser's queries can see
    "cache",  # a cache that could not be used (unsigned, corrupt, refused link)
]


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should know that is not a finding: a file skipped, a file that parses
    with errors. Notices go to stderr in the CLI and to the log in the language server."""

    path: Path
    kind: NoticeKind
    message: str


@dataclass(slots=True)
class Report:
    findings: list[Finding] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    files_analysed: int = 0
    # The SHA-256 (hex) of the bytes each file that a fix edits was analysed from: `--fix` writes a
    # file only while it still holds exactly those bytes (the edits' offsets are theirs).
    analysed: dict[Path, str] = field(default_factory=dict)
