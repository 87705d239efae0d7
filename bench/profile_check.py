"""Where ``nextguard check`` spends its time: a phase breakdown and a cProfile of the engine.

    python bench/profile_check.py PATH [--top 30] [--save out.prof] [--no-profile]

1. Phases: the engine's steps called one by one, as ``nextguard.engine.analyze`` chains them, each
   timed on its own: workspace root + config, discovery, read, parse, fact extraction, the workspace
   index (``WorkspaceIndex``: module resolver), summaries (``Analysis``: call classification and the
   call-graph fixpoint), rules (``run_rules``). Lazy work (import resolution, cached properties) is
   counted in the phase that first asks for it.
2. ``analyze([PATH])`` once unprofiled (its wall time, for reference), then under cProfile: the top
   functions by cumulative and by own time. (Later runs in the same process find module-level caches
   such as compiled queries warm.)

Everything runs under the CLI's garbage-collector settings (``nextguard.cli.check._no_gc``), as
``nextguard check`` does: with the default thresholds the collector's passes over the millions of
objects an analysis allocates add a fifth to a third to every phase after parsing.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from pathlib import Path

from nextguard.analysis import Analysis
from nextguard.cli.check import _no_gc
from nextguard.config import load_config
from nextguard.engine import analyze, run_rules
from nextguard.facts.extract import extract
from nextguard.facts.model import FileFacts
from nextguard.rules.registry import RULES
from nextguard.syntax.parse import parse
from nextguard.workspace.discovery import discover, find_workspace_root, read_source
from nextguard.workspace.index import WorkspaceIndex


def phases(path: Path) -> tuple[dict[str, float], dict[str, int]]:
    timings: dict[str, float] = {}
    clock = time.perf_counter
    total_start = clock()

    start = clock()
    root = find_workspace_root(path)
    config = load_config(root)
    timings["root + config"] = clock() - start

    start = clock()
    discovery = discover(root, ignore_globs=config.ignore)
    timings["discovery"] = clock() - start

    read = parse_s = extract_s = 0.0
    modules: dict[Path, FileFacts] = {}
    sources: dict[Path, bytes] = {}
    for file in discovery.files:
        t0 = clock()
        data, _ = read_source(file)
        t1 = clock()
        read += t1 - t0
        if data is None:
            continue
        try:
            tree = parse(file, data)
            t2 = clock()
            facts = extract(file, data, tree)
            t3 = clock()
        except (ValueError, RecursionError):
            continue
        parse_s += t2 - t1
        extract_s += t3 - t2
        modules[file] = facts
        sources[file] = data
    timings["read"] = read
    timings["parse"] = parse_s
    timings["fact extraction"] = extract_s

    start = clock()
    index = WorkspaceIndex(root, config, modules, sources)
    timings["index (WorkspaceIndex)"] = clock() - start

    start = clock()
    analysis = Analysis(index)
    timings["summaries (Analysis)"] = clock() - start

    start = clock()
    in_scope = [p for p in index.modules if p == path or path in p.parents]
    findings = run_rules(analysis, in_scope, RULES, [])
    timings["rules (run_rules)"] = clock() - start

    timings["total"] = clock() - total_start
    counts = {"files": len(discovery.files), "parsed": len(modules), "findings": len(findings)}
    return timings, counts


def print_phases(timings: dict[str, float], counts: dict[str, int]) -> None:
    total = timings["total"]
    print(f"## Phases ({counts['files']} files discovered, {counts['parsed']} parsed, {counts['findings']} findings)\n")
    print("| phase | seconds | share |\n|---|--:|--:|")
    for name, seconds in timings.items():
        share = "" if name == "total" else f"{100 * seconds / total:.1f}%"
        print(f"| {name} | {seconds:.3f} | {share} |")
    print()


def print_profile(profile: cProfile.Profile, top: int) -> None:
    for key, title in (("cumulative", "cumulative time"), ("tottime", "own time")):
        stream = io.StringIO()
        stats = pstats.Stats(profile, stream=stream)
        stats.strip_dirs().sort_stats(key).print_stats(top)
        text = stream.getvalue()
        # Drop pstats' preamble (ordering line and blank lines) up to the column header.
        header = text.find("   ncalls")
        print(f"## Top {top} by {title}\n")
        print(text[header:].rstrip() if header >= 0 else text.rstrip())
        print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path)
    parser.add_argument("--top", type=int, default=30, help="functions to list per ordering")
    parser.add_argument("--save", type=Path, help="also write the raw profile (pstats format) here")
    parser.add_argument("--no-profile", action="store_true", help="phase breakdown only")
    args = parser.parse_args(argv)
    path = args.path.resolve()
    if not path.exists():
        parser.error(f"no such file or directory: {args.path}")

    with _no_gc():
        return _run(args, path)


def _run(args: argparse.Namespace, path: Path) -> int:
    timings, counts = phases(path)
    print_phases(timings, counts)
    if args.no_profile:
        return 0

    start = time.perf_counter()
    plain = analyze([path])
    print(f"## analyze() without the profiler: {time.perf_counter() - start:.2f} s, {len(plain.findings)} findings\n")

    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    report = analyze([path])
    profile.disable()
    elapsed = time.perf_counter() - start
    print(f"## cProfile of analyze(): {elapsed:.2f} s under the profiler, {len(report.findings)} findings\n")
    if args.save is not None:
        profile.dump_stats(args.save)
    print_profile(profile, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
