"""Comment suppressions: `// nextguard-ignore-next-line NG101 -- reason` hides the named codes on
the next line; `// nextguard-ignore-file NG203` hides them in the whole file. With no code, every
code is hidden. (`// nextguard-public: reason` is not a suppression: it declares an action public
by design, which the auth rules read.)"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .facts.model import FileFacts
from .model import Finding

_DIRECTIVE = re.compile(r"nextguard-ignore-(next-line|file)\b([^\n]*)")
_CODE = re.compile(r"\bNG\d{3}\b")
ALL = "*"
# A next-line directive and the codes it names (group 1), for a writer that adds a code to it
# rather than writing a second directive (which would suppress the first one's line).
NEXT_LINE_CODES = re.compile(r"nextguard-ignore-next-line((?:[ \t]+NG\d{3})*)")


def next_line_directive(code: str, reason: str) -> str:
    """The text of a comment that hides ``code`` on the next line (what ``suppressions_of`` reads)."""
    return f"nextguard-ignore-next-line {code} -- {reason}"


def file_directive(code: str) -> str:
    """The text of a comment that hides ``code`` in the whole file."""
    return f"nextguard-ignore-file {code}"


@dataclass(slots=True)
class Suppressions:
    file: set[str] = field(default_factory=set)
    lines: dict[int, set[str]] = field(default_factory=dict)

    def hides(self, finding: Finding, row: int) -> bool:
        if ALL in self.file or finding.code in self.file:
            return True
        codes = self.lines.get(row)
        return codes is not None and (ALL in codes or finding.code in codes)


def suppressions_of(facts: FileFacts) -> Suppressions:
    result = Suppressions()
    for row, text in facts.comments:
        match = _DIRECTIVE.search(text)
        if match is None:
            continue
        scope, rest = match.groups()
        codes = set(_CODE.findall(rest.split("--", 1)[0])) or {ALL}
        if scope == "file":
            result.file |= codes
        else:
            result.lines.setdefault(row + 1, set()).update(codes)
    return result
