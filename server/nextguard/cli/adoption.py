"""`check --baseline/--write-baseline/--diff/--statistics`: how a large app adopts nextguard.

Write a baseline once, gate CI on what is new, burn the baseline down: the report is narrowed
before it is rendered, so every output format (text, JSON, SARIF, github) shows the same findings.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

from ..engine import (
    BASELINE_FILE,
    Baseline,
    BaselineError,
    DiffError,
    changed_lines,
    on_changed_lines,
    write_baseline,
)
from ..model import Report

DEFAULT_BASELINE = Path(BASELINE_FILE)


def add_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="do not report findings listed in FILE (written by --write-baseline)",
    )
    check.add_argument(
        "--write-baseline",
        action="store_true",
        help=f"write every current finding to the --baseline FILE (default {DEFAULT_BASELINE}) and exit 0",
    )
    check.add_argument(
        "--diff", metavar="REF", help="only report findings on lines changed since the git ref REF (e.g. origin/main)"
    )
    check.add_argument("--statistics", action="store_true", help="print how many findings each rule has, not each one")


class AdoptionError(Exception):
    """A baseline or diff that cannot be used: the command stops with status 2 and this message."""


def narrow(report: Report, args: argparse.Namespace) -> tuple[Report, list[str]]:
    """The report without the baselined findings and, with ``--diff``, without findings off the
    changed lines; with a line for stderr saying what was left out."""
    said: list[str] = []
    findings = report.findings
    if args.baseline is not None and not args.write_baseline:
        try:
            baseline = Baseline.load(args.baseline)
        except BaselineError as error:
            raise AdoptionError(str(error)) from error
        findings, covered = baseline.filter(findings)
        if covered:
            said.append(f"{covered} finding{'s' if covered != 1 else ''} in the baseline not shown")
    if args.diff is not None:
        roots = {path if path.is_dir() else path.parent for path in args.paths}
        changed: dict[Path, set[int]] = {}
        try:
            for root in sorted(roots):
                changed.update(changed_lines(root, args.diff))
        except DiffError as error:
            raise AdoptionError(f"--diff {args.diff}: {error}") from error
        before = len(findings)
        findings = on_changed_lines(findings, changed)
        if before > len(findings):
            said.append(f"{before - len(findings)} finding(s) on lines unchanged since {args.diff} not shown")
    return replace(report, findings=list(findings)), said


def write(report: Report, args: argparse.Namespace) -> int:
    target = args.baseline if args.baseline is not None else DEFAULT_BASELINE
    try:
        count = write_baseline(target, report.findings)
    except OSError as error:
        print(f"nextguard: error: cannot write baseline {target}: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {count} finding{'s' if count != 1 else ''} to {target}.")
    return 0


def print_statistics(report: Report, *, as_json: bool = False) -> None:
    """One line per rule, most findings first, like ``ruff --statistics``: count, code, name, and
    how many of them a safe fix can correct (a JSON list of the same with ``as_json``)."""
    counts = Counter(finding.code for finding in report.findings)
    names = {finding.code: finding.name for finding in report.findings}
    fixable = Counter(
        finding.code for finding in report.findings if any(fix.applicability == "safe" for fix in finding.fixes)
    )
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if as_json:
        rows = [{"code": c, "name": names[c], "count": n, "fixable": fixable[c]} for c, n in ranked]
        print(json.dumps(rows, indent=2))
        return
    width = len(str(max(counts.values(), default=0)))
    for code, count in ranked:
        mark = f" ({fixable[code]} fixable)" if fixable[code] else ""
        print(f"{count:>{width}}  {code}  {names[code]}{mark}")


__all__ = ["DEFAULT_BASELINE", "AdoptionError", "add_arguments", "narrow", "print_statistics", "write"]
