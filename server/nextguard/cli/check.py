"""`nextguard check`: analyse, optionally fix, report."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..engine import analyze, default_jobs
from ..model import Report
from . import adoption
from .fixing import FixResult, fix_until_stable
from .output import print_json, print_notices, print_text
from .pipes import reader_may_leave

_PROGRESS_THRESHOLD = 300  # files: below this a scan is over before a bar would help


def run_check(args: argparse.Namespace) -> int:
    paths: list[Path] = args.paths
    missing = [path for path in paths if not path.exists()]
    if missing:
        print(f"nextguard: error: no such file or directory: {missing[0]}", file=sys.stderr)
        return 2
    fixed = 0
    fixing: FixResult | None = None
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
            report, fixing = fix_until_stable(report, run, unsafe=args.unsafe_fixes, display=_display)
            fixed = fixing.applied
    if args.write_baseline:
        return adoption.write(report, args)
    try:
        report, said = adoption.narrow(report, args)
    except adoption.AdoptionError as error:
        print(f"nextguard: error: {error}", file=sys.stderr)
        return 2
    status = 1 if report.findings and not args.exit_zero else 0
    if fixing is not None and fixing.failed:
        status = 2  # a file --fix was asked to fix could not be written: an error, whatever remains
    with reader_may_leave():
        for line in said:
            print(f"nextguard: {line}", file=sys.stderr)
        _print(report, args, fixed)
    return status


def _print(report: Report, args: argparse.Namespace, fixed: int) -> None:
    print_notices(report.notices, _display)
    if args.statistics:
        adoption.print_statistics(report, as_json=args.format == "json")
    elif args.format == "json":
        print_json(report, _display)
    elif args.format == "sarif":
        from .sarif import print_sarif

        print_sarif(report, args.paths)
    elif args.format == "github":
        from .github import print_github

        print_github(report, _display)
    else:
        print_text(report, _display, fixed=fixed, colour=sys.stdout.isatty() and "NO_COLOR" not in os.environ)


def _display(path: Path) -> str:
    try:
        shown = path.relative_to(Path.cwd().resolve())
    except ValueError:
        shown = path
    # A file name that is not UTF-8 is shown with escapes (`caf\xe9.ts`) rather than breaking
    # the terminal or the JSON.
    return os.fsencode(shown).decode("utf-8", "backslashreplace")


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
