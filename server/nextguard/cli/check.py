"""`nextguard check`: analyse, optionally fix, report."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..engine import analyze, default_jobs
from ..fixes.edits import apply_edits
from ..model import Finding, Report, TextEdit
from ..syntax.parse import first_error, parse
from .output import print_json, print_text

_PROGRESS_THRESHOLD = 300  # files: below this a scan is over before a bar would help


def run_check(args: argparse.Namespace) -> int:
    paths: list[Path] = args.paths
    missing = [path for path in paths if not path.exists()]
    if missing:
        print(f"nextguard: error: no such file or directory: {missing[0]}", file=sys.stderr)
        return 2
    fixed = 0
    # Not resolved: a --cache-dir that is a symlink is refused (the cache never writes through one).
    cache_dir = args.cache_dir.absolute() if args.cache_dir is not None else None
    jobs = args.jobs if args.jobs > 0 else default_jobs()
    with _progress(enabled=sys.stderr.isatty() and not args.no_progress) as progress, _no_gc():

        def run() -> Report:
            return analyze(
                paths,
                select=args.select,
                ignore=args.ignore,
                progress=progress,
                cache=not args.no_cache,
                cache_dir=cache_dir,
                jobs=jobs,
            )

        report = run()
        if args.fix:
            # Fixes can enable each other (an import added once serves two findings): repeat until
            # a pass applies nothing, so a second `--fix` run has nothing left to do.
            for _ in range(5):
                applied = _apply_fixes(report.findings, unsafe=args.unsafe_fixes)
                if not applied:
                    break
                fixed += applied
                report = run()
    for notice in report.notices:
        message = notice.message.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        print(f"nextguard: {_display(notice.path)}: {message}", file=sys.stderr)
    if args.format == "json":
        print_json(report, _display)
    elif args.format == "sarif":
        from .sarif import print_sarif

        print_sarif(report, paths)
    elif args.format == "github":
        from .github import print_github

        print_github(report, _display)
    else:
        print_text(report, _display, fixed=fixed, colour=sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    if report.findings and not args.exit_zero:
        return 1
    return 0


def _display(path: Path) -> str:
    try:
        shown = path.relative_to(Path.cwd().resolve())
    except ValueError:
        shown = path
    # A file name that is not UTF-8 is shown with escapes (`caf\xe9.ts`) rather than breaking
    # the terminal or the JSON.
    return os.fsencode(shown).decode("utf-8", "backslashreplace")


def _apply_fixes(findings: list[Finding], *, unsafe: bool) -> int:
    """Apply the first applicable fix of each finding, skipping fixes that overlap one already
    taken in the same file, and never writing a file the fix would leave with new syntax errors."""
    by_file: dict[Path, list[list[TextEdit]]] = defaultdict(list)
    for finding in findings:
        for fix in finding.fixes:
            if fix.applicability == "safe" or unsafe:
                edits = list(fix.edits)
                if all(edit.path == edits[0].path for edit in edits):
                    by_file[edits[0].path].append(edits)
                break
    applied = 0
    for path, groups in by_file.items():
        try:
            source = path.read_bytes()
        except OSError as error:
            print(f"nextguard: cannot fix {_display(path)}: {error.strerror}", file=sys.stderr)
            continue
        taken: list[TextEdit] = []
        count = 0
        for group in groups:
            if any(_overlaps(edit, other) for edit in group for other in taken):
                continue
            taken.extend(group)
            count += 1
        if not taken:
            continue
        fixed = apply_edits(source, taken)
        had_error = first_error(parse(path, source).root_node) is not None
        if not had_error and first_error(parse(path, fixed).root_node) is not None:
            print(f"nextguard: not fixing {_display(path)}: the fix would not parse", file=sys.stderr)
            continue
        path.write_bytes(fixed)
        applied += count
    return applied


def _overlaps(a: TextEdit, b: TextEdit) -> bool:
    if a.span.start == a.span.end or b.span.start == b.span.end:
        return a.span.start == b.span.start and a.span.end == b.span.end and a.content == b.content
    return a.span.start < b.span.end and b.span.start < a.span.end


@contextmanager
def _no_gc() -> Iterator[None]:
    """An analysis allocates millions of small objects and frees few until it is done, so the
    cyclic collector's frequent passes over them are mostly cost (a fifth of a cold scan with the
    default thresholds). It still runs, rarely: turned off, the garbage cycles a run leaves (parse
    trees, per-rule scratch) took a 5,000-file scan from 580 to 800 MiB; with these, 600."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()  # what is alive now (modules, the config) is never scanned again
    gc.set_threshold(200_000, 20, 1_000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True, emoji=False)
    with Progress(TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), console=console, transient=True) as bar:
        task = bar.add_task("indexing", total=None, visible=False)

        def update(done: int, total: int) -> None:
            if total >= _PROGRESS_THRESHOLD:
                bar.update(task, completed=done, total=total, visible=True)

        yield update


__all__ = ["Report", "run_check"]
