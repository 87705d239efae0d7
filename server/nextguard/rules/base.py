"""What every rule is: a code, a name, a default severity, documentation in fixed sections, and a
``check`` that reads the analysis of one file and yields findings."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ..model import Finding, Severity

if TYPE_CHECKING:
    from ..analysis import Analysis

DOCS_URL = "https://github.com/nextguard/nextguard/blob/main/docs/rules.md#"
SECTIONS = ("What it does", "Why it matters", "Example", "Fix")


@dataclass(frozen=True, slots=True)
class RuleDoc:
    summary: str
    sections: dict[str, str]

    def markdown(self, code: str, name: str) -> str:
        parts = [f"# {code} {name}", "", self.summary]
        for title, body in self.sections.items():
            parts += ["", f"## {title}", "", body]
        return "\n".join(parts).rstrip() + "\n"


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]

    def check(self, analysis: Analysis, path: Path) -> Iterable[Finding]:
        raise NotImplementedError

    @classmethod
    def doc(cls) -> RuleDoc:
        """The rule module's docstring, split into its sections: it is the user documentation for
        `nextguard explain`, hovers and the README table."""
        text = sys.modules[cls.__module__].__doc__ or ""
        return parse_doc(text)

    @classmethod
    def url(cls) -> str:
        return f"{DOCS_URL}{cls.code.lower()}-{cls.name}"


_HEADING = re.compile(r"^## (.+)$", re.MULTILINE)


def parse_doc(text: str) -> RuleDoc:
    text = text.strip("\n")
    pieces = _HEADING.split(text)
    summary = pieces[0].strip()
    sections = {pieces[i].strip(): pieces[i + 1].strip("\n").rstrip() for i in range(1, len(pieces) - 1, 2)}
    return RuleDoc(summary, sections)
