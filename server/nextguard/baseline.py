"""Baselines and diffs: how a large app adopts nextguard without drowning in old findings.

A baseline is a JSON file listing the findings a team has accepted for now. Each entry is keyed by
the rule, the file (relative to the baseline's own directory, so the file can be committed and
used from any checkout) and a fingerprint of the code the finding points at: a hash of the
finding's source text with all whitespace removed, and of the text of the line that holds it.
Line numbers are deliberately not part of the key, so code that moves up or down (an import
added, a function moved) stays baselined; a change to the flagged code itself makes it new.

Matching is a multiset: two identical findings in one file need two entries, so copying a
baselined mistake next to itself is still reported once.

``changed_lines`` asks git which lines changed since a ref, for ``--diff``. git runs with every
hook-like setting a repository could plant switched off (external diff drivers, textconv, the
fsmonitor; ``--no-ext-diff``, ``--no-textconv``), because the repository may not be trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import Finding
from .safefs import read_bounded, write_atomic

BASELINE_VERSION = 1
# The file `check --write-baseline` writes by default, and the one the language server honours in
# a workspace folder's root.
BASELINE_FILE = "nextguard-baseline.json"
_BASELINE_LIMIT = 64 * 1024 * 1024
_SOURCE_LIMIT = 16 * 1024 * 1024
_WHITESPACE = re.compile(rb"\s+")

Key = tuple[str, str, str]  # rule, path relative to the baseline, fingerprint


class BaselineError(ValueError):
    """A baseline file that cannot be used: unreadable, not JSON, or not a nextguard baseline."""


def _relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


class Fingerprints:
    """Fingerprints of findings, reading each file once."""

    def __init__(self, source_of: Callable[[Path], bytes | None] | None = None) -> None:
        self._sources: dict[Path, bytes] = {}
        # The text the findings were computed from when it is not the file on disk (an editor's
        # unsaved buffer): a fingerprint must be of the code the finding points at.
        self._source_of = source_of

    def _source(self, path: Path) -> bytes:
        source = self._sources.get(path)
        if source is None and self._source_of is not None:
            source = self._source_of(path)
            if source is not None:
                self._sources[path] = source
        if source is None:
            try:
                source = read_bounded(path, _SOURCE_LIMIT)
            except OSError:
                source = b""
            self._sources[path] = source
        return source

    def of(self, finding: Finding) -> str:
        source = self._source(finding.path)
        start = max(0, min(finding.span.start, len(source)))
        end = max(start, min(finding.span.end, len(source)))
        line_start = source.rfind(b"\n", 0, start) + 1
        line_end = source.find(b"\n", end)
        line = source[line_start : line_end if line_end >= 0 else len(source)]
        digest = hashlib.blake2b(digest_size=12)
        digest.update(finding.code.encode())
        digest.update(b"\0" + _WHITESPACE.sub(b"", source[start:end]))
        digest.update(b"\0" + _WHITESPACE.sub(b"", line))
        return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Baseline:
    """Accepted findings, and the directory their paths are relative to."""

    base: Path
    entries: Counter[Key]

    @classmethod
    def load(cls, path: Path, *, follow_symlinks: bool = True) -> Baseline:
        try:
            data = json.loads(read_bounded(path, _BASELINE_LIMIT, follow_symlinks=follow_symlinks))
        except (OSError, ValueError, RecursionError) as error:
            raise BaselineError(f"cannot read baseline {path}: {error}") from error
        entries = _entries(data)
        if entries is None:
            raise BaselineError(f"{path} is not a nextguard baseline (version {BASELINE_VERSION})")
        return cls(path.resolve().parent, entries)

    def filter(
        self, findings: Iterable[Finding], source_of: Callable[[Path], bytes | None] | None = None
    ) -> tuple[list[Finding], int]:
        """The findings the baseline does not cover, and how many it covered. ``source_of`` gives
        the text a file had when it was analysed, where that is not what is on disk."""
        remaining = Counter(self.entries)
        prints = Fingerprints(source_of)
        kept: list[Finding] = []
        covered = 0
        for finding in findings:
            key = (finding.code, _relative(finding.path, self.base), prints.of(finding))
            if remaining[key] > 0:
                remaining[key] -= 1
                covered += 1
            else:
                kept.append(finding)
        return kept, covered


def folder_baseline(root: Path) -> Baseline | None:
    """The baseline committed at a workspace root (``BASELINE_FILE``), or None when there is none.
    Raises ``BaselineError`` for one that cannot be used. The file comes with the repository, not
    from the user's command line: a symlink is refused (it would read a file outside the workspace
    and move the directory its paths are relative to)."""
    path = root / BASELINE_FILE
    if not os.path.lexists(path):
        return None
    return Baseline.load(path, follow_symlinks=False)


def _entries(data: Any) -> Counter[Key] | None:
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION:
        return None
    rows = data.get("findings")
    if not isinstance(rows, list):
        return None
    entries: Counter[Key] = Counter()
    for row in rows:
        if not isinstance(row, dict):
            return None
        rule, path, fingerprint = row.get("rule"), row.get("path"), row.get("fingerprint")
        if not (isinstance(rule, str) and isinstance(path, str) and isinstance(fingerprint, str)):
            return None
        entries[(rule, path, fingerprint)] += 1
    return entries


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    """Write every finding to a baseline at ``path`` (atomically, never through a symlink);
    returns how many entries it holds. The message is kept for the reader, not for matching."""
    base = path.resolve().parent
    prints = Fingerprints()
    rows = sorted(
        (
            {
                "rule": finding.code,
                "path": _relative(finding.path, base),
                "fingerprint": prints.of(finding),
                "message": finding.message,
            }
            for finding in findings
        ),
        key=lambda row: (row["path"], row["rule"], row["fingerprint"]),
    )
    document = {"version": BASELINE_VERSION, "tool": "nextguard", "findings": rows}
    write_atomic(path, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return len(rows)


# -- --diff ------------------------------------------------------------------------------------

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
_NEW_FILE = re.compile(rb"^\+\+\+ b/(.*)$", re.MULTILINE)
# Settings a repository's own config could use to run a program during `git diff`.
_SAFE_GIT = ("-c", "core.fsmonitor=false")


class DiffError(RuntimeError):
    """git could not say what changed (not a repository, unknown ref, git missing)."""


def changed_lines(root: Path, ref: str) -> Mapping[Path, set[int]]:
    """1-based line numbers added or changed since ``ref`` in the work tree of the repository
    holding ``root``, per absolute file path. An untracked file counts as changed everywhere
    (it is all new), shown as an empty set meaning "every line"."""
    if ref.startswith("-"):
        raise DiffError(f"not a git ref: {ref}")
    base = ["git", *_SAFE_GIT, "-C", os.fspath(root)]
    environment = {key: value for key, value in os.environ.items() if key != "GIT_EXTERNAL_DIFF"}
    environment.update(GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat")
    try:
        top = subprocess.run(
            [*base, "rev-parse", "--show-toplevel"], capture_output=True, check=True, timeout=60, env=environment
        )
        diff = subprocess.run(
            [*base, "diff", "--no-ext-diff", "--no-textconv", "--no-color", "-U0", ref, "--", "."],
            capture_output=True,
            check=True,
            timeout=120,
            env=environment,
        )
        untracked = subprocess.run(
            [*base, "ls-files", "--others", "--exclude-standard", "-z", "--", "."],
            capture_output=True,
            check=True,
            timeout=120,
            env=environment,
        )
    except FileNotFoundError as error:
        raise DiffError("git is not installed") from error
    except subprocess.TimeoutExpired as error:
        raise DiffError("git took too long") from error
    except subprocess.CalledProcessError as error:
        message = error.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffError(message[-1] if message else f"git failed with status {error.returncode}") from error
    toplevel = Path(os.fsdecode(top.stdout.strip()))
    lines: dict[Path, set[int]] = {}
    current: set[int] | None = None
    for chunk in re.split(rb"(?m)^diff --git ", diff.stdout)[1:]:
        name = _NEW_FILE.search(chunk)
        if name is None:  # a deleted file: nothing to report on
            continue
        current = lines.setdefault((toplevel / os.fsdecode(name.group(1))).resolve(), set())
        for hunk in _HUNK.finditer(chunk):
            start = int(hunk.group(1))
            count = 1 if hunk.group(2) is None else int(hunk.group(2))
            current.update(range(start, start + count))
    for entry in untracked.stdout.split(b"\0"):
        if entry:
            lines[(root / os.fsdecode(entry)).resolve()] = set()
    return lines


def on_changed_lines(findings: Iterable[Finding], changed: Mapping[Path, set[int]]) -> list[Finding]:
    """The findings whose first line is among the changed ones."""
    kept: list[Finding] = []
    sources: dict[Path, bytes] = {}
    for finding in findings:
        path = finding.path.resolve()
        if path not in changed:
            continue
        wanted = changed[path]
        if not wanted:  # an untracked file: all of it is new
            kept.append(finding)
            continue
        source = sources.get(path)
        if source is None:
            try:
                source = sources[path] = read_bounded(path, _SOURCE_LIMIT)
            except OSError:
                source = sources[path] = b""
        line = source.count(b"\n", 0, finding.span.start) + 1
        if line in wanted:
            kept.append(finding)
    return kept


__all__ = [
    "BASELINE_FILE",
    "Baseline",
    "BaselineError",
    "DiffError",
    "Fingerprints",
    "changed_lines",
    "folder_baseline",
    "on_changed_lines",
    "write_baseline",
]
