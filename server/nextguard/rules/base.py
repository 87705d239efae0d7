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
    """A rule. What ``check`` may read, so the language server's incremental updates stay right
    (``Analysis.update`` returns the files whose findings may have changed; the server keeps every
    other file's findings as they were):

    - the file's own facts and source (``analysis.index.modules[path]``, ``.sources[path]``);
    - summaries and flows of any unit, through ``analysis.summaries`` (``unit``, ``flow``,
      ``callee_summary``, trails...): an edit dirties every unit whose summary came out different
      and everything that depends on it;
    - what other modules export and import, through the index's resolution (``index.target``,
      ``binding_in``, ``importers_of``): a change to a file's names, exports or imports dirties
      every file;
    - layouts above a page and pages below a layout (``index.app_kind``): dirtied together;
    - workspace-wide values through ``analysis.memo`` (``auth_helper.project_auth_helper`` is one) /
      ``proxy_with_auth``:
      recomputed after every edit; use them for how a fix is written, not for whether a finding
      exists in another file than the one edited.

    Reading another file's facts or text directly (not through the above) for deciding whether a
    finding exists is not tracked: such a rule must add that dependency to ``Analysis.update``.
    ``check`` must be a pure function of what it reads (no state kept between calls).
    tests/test_incremental.py runs every registered rule through random keystrokes and compares the
    findings kept for files that were not dirtied with a fresh analysis: add a fixture case there
    when a rule reads across files in a new way."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    # True when the rule finds its subjects only through ``analysis.endpoints(path)`` and
    # ``analysis.units(path)`` (the file's functions, and the module level if asked for), and each
    # finding lies inside the top-level statement of the function (or module-level code) it is
    # about and depends only on that and what it calls (facts, text, summaries, flows), on the file's module level, and
    # on workspace-wide values (``analysis.memo``, ``project_auth_helper``) for its fixes only. The
    # language server then keeps the findings of the statements a keystroke did not touch
    # (``workspace/kept.py``); tests/test_incremental.py checks what it keeps against a fresh
    # analysis after random keystrokes.
    per_function: ClassVar[bool] = False

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
