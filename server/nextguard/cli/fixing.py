"""`nextguard check --fix`: write the fixes, and nothing else.

A fix is a list of byte-offset edits into the bytes a file was analysed from, so it means
something only while the file still holds those bytes: a file edited since (by the user, an
editor's autosave, a formatter) is skipped, never patched at offsets that now point elsewhere.
Each file is written atomically (a temporary file beside it, renamed over it: `safefs.write_atomic`)
and never through a symlink. A file that cannot be written is reported on its own line and the
others are still fixed; the caller still prints the report and exits with an error status.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..engine import apply_edits, choose, first_fix
from ..model import Finding, Report, TextEdit
from ..render.text import escape_controls
from ..safefs import UnsafeFile, read_bounded, write_atomic
from ..syntax.parse import first_error, parse

Display = Callable[[Path], str]
# Larger than any file the analysis reads: a file past it cannot hold the bytes analysed.
_READ_LIMIT = 64 << 20
# Fixes can enable each other (an import added once serves two findings): passes repeat until one
# applies nothing, so that a second `--fix` run has nothing left to do.
_MAX_PASSES = 5


@dataclass
class FixResult:
    """What `--fix` did: fixes written, and the files it left alone (each said once, on stderr)."""

    applied: int = 0
    changed: set[Path] = field(default_factory=set)  # edited since analysed: skipped
    refused: set[Path] = field(default_factory=set)  # a symlink, or the fix would not parse
    failed: set[Path] = field(default_factory=set)  # could not be read or written: an error

    @property
    def untouchable(self) -> set[Path]:
        return self.changed | self.refused | self.failed


def fix_until_stable(
    report: Report, analyse: Callable[[], Report], *, unsafe: bool, display: Display
) -> tuple[Report, FixResult]:
    """Apply fixes pass after pass, analysing again after each pass that wrote something (or met
    a file that changed), so the report returned is about the files as they are now."""
    result = FixResult()
    for _ in range(_MAX_PASSES):
        changed_before = len(result.changed)
        applied = apply_fixes(report, unsafe=unsafe, display=display, result=result)
        if applied or len(result.changed) > changed_before:
            report = analyse()
        if not applied:
            break
    return report, result


def apply_fixes(report: Report, *, unsafe: bool, display: Display, result: FixResult | None = None) -> int:
    """Apply the first applicable fix of each finding, skipping fixes that overlap one already
    taken in the same file and files already given up on in ``result``; returns how many fixes
    were written."""
    result = result if result is not None else FixResult()
    applied = 0
    for path, groups in _fixes_by_file(report.findings, unsafe=unsafe).items():
        if path in result.untouchable:
            continue
        count = _fix_file(path, groups, report.analysed, display, result)
        applied += count
        result.applied += count
    return applied


def _fixes_by_file(findings: Iterable[Finding], *, unsafe: bool) -> dict[Path, list[list[TextEdit]]]:
    by_file: dict[Path, list[list[TextEdit]]] = defaultdict(list)
    for finding in findings:
        fix = first_fix(finding, unsafe=unsafe)
        if fix is not None:
            edits = list(fix.edits)
            if edits and all(edit.path == edits[0].path for edit in edits):
                by_file[edits[0].path].append(edits)
    return by_file


def _fix_file(
    path: Path, groups: list[list[TextEdit]], analysed: Mapping[Path, str], display: Display, result: FixResult
) -> int:
    shown = escape_controls(display(path))

    def skip(into: set[Path], why: str) -> int:
        into.add(path)
        prefix = "error: cannot fix" if into is result.failed else "not fixing"
        print(f"nextguard: {prefix} {shown}: {why}", file=sys.stderr)
        return 0

    refusal = _unwritable(path)
    if refusal is not None:
        kind, why = refusal
        return skip(result.failed if kind == "failed" else result.refused, why)
    expected = analysed.get(path)
    if expected is None:
        return skip(result.refused, "nextguard has no record of the bytes it analysed; run it again without the cache")
    try:
        source = _current(path)
    except OSError as error:
        return skip(result.failed, _reason(error))
    if hashlib.sha256(source).hexdigest() != expected:
        return skip(result.changed, "it changed after it was analysed; run nextguard again to fix it")
    taken, count = choose(groups)
    if not taken:
        return 0
    fixed = apply_edits(source, taken)
    had_error = first_error(parse(path, source).root_node) is not None
    if not had_error and first_error(parse(path, fixed).root_node) is not None:
        return skip(result.refused, "the fix would not parse")
    # Once more just before the write, so the window in which an edit can be lost is the
    # rename's, not the parse's.
    try:
        if hashlib.sha256(_current(path)).hexdigest() != expected:
            return skip(result.changed, "it changed after it was analysed; run nextguard again to fix it")
        write_atomic(path, fixed)
    except OSError as error:
        return skip(result.failed, _reason(error))
    return count


def _unwritable(path: Path) -> tuple[str, str] | None:
    """Why ``path`` is not to be written, as ("refused" | "failed", reason), or None."""
    try:
        info = os.lstat(path)
    except OSError as error:
        return "failed", _reason(error)
    if stat.S_ISLNK(info.st_mode):
        return "refused", "it is a symbolic link; fixes are never written through one"
    if os.path.realpath(path) != os.path.abspath(path):
        return "refused", "it is reached through a symbolic link; fixes are never written through one"
    if not stat.S_ISREG(info.st_mode):
        return "refused", "it is not a regular file"
    # Root may write anything: the mode bits are the owner's word that the file is not to change.
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return "failed", "it is read-only"
    if not os.access(path, os.W_OK):
        return "failed", "no permission to write it"
    return None


def _current(path: Path) -> bytes:
    return read_bounded(path, _READ_LIMIT, follow_symlinks=False)


def _reason(error: OSError) -> str:
    if isinstance(error, UnsafeFile):
        return f"it {error.reason}"
    return error.strerror or str(error)


__all__ = ["FixResult", "apply_fixes", "fix_until_stable"]
