"""Cold-scan benchmark: ``nextguard check`` against the tree-sitter parse floor, in one run.

    python bench/cold_scan.py                                   # acme-notes, generated 1k and 5k
    python bench/cold_scan.py --scale                           # ... and generated 20k
    python bench/cold_scan.py --defaults --corpus /tmp/realapps/dubinc+dub
    python bench/cold_scan.py --corpus NAME=PATH --corpus gen:2000 --runs 5

For each corpus, every command runs as a whole process: one warm-up round (it warms the OS file
cache; not timed), then ``--runs`` timed rounds, the commands interleaved within each round. Wall
time is the median; peak RSS is the largest ``ru_maxrss`` ``os.wait4`` reports for the child.

Commands: ``nextguard check --no-progress --exit-zero --format json PATH``; ``parse_floor.py PATH``
(discover the same files, read and parse each, nothing else); ``parse_floor.py --query PATH`` (the
same plus one tree-sitter query per tree). The ratio nextguard / floor is the headline; the target
is within 2x.

Results go to stdout (markdown) and to ``bench/results/cold-scan.{md,json}`` (``--out-dir``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from generate_corpus import default_dir, generate
from nextguard.workspace.discovery import discover, find_workspace_root

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
FLOOR = BENCH / "parse_floor.py"
ACME = REPO / "examples" / "acme-notes"
DEFAULT_GENERATED = (1000, 5000)
SCALE_GENERATED = 20000


@dataclass
class Corpus:
    name: str
    path: Path
    generated: int | None = None


@dataclass
class Timing:
    command: list[str]
    seconds: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    inner_seconds: list[float] = field(default_factory=list)  # the floor's own timer, without start-up
    last_stdout: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_rss_mib(self) -> float:
        return max(self.rss_kib) / 1024


def run_child(command: list[str], cwd: Path, ok_codes: tuple[int, ...] = (0,)) -> tuple[float, int, str, int]:
    """Run one whole process; returns (wall seconds, peak RSS KiB, stdout, exit status). An exit
    status outside ``ok_codes`` raises ``SystemExit`` with the end of its stderr.

    ``os.wait4`` gives this child's own rusage, so ``ru_maxrss`` is its peak RSS (KiB on Linux)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        if process.returncode not in ok_codes:
            stderr = err.read().decode("utf-8", "replace")
            raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{stderr[-2000:]}")
    return seconds, int(usage.ru_maxrss), stdout, process.returncode


def nextguard_command() -> list[str]:
    script = shutil.which("nextguard", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    return [script] if script else [sys.executable, "-m", "nextguard"]


def corpus_stats(path: Path) -> dict[str, int]:
    files = discover(find_workspace_root(path)).files
    lines = size = 0
    for file in files:
        try:
            data = file.read_bytes()
        except OSError:
            continue
        size += len(data)
        lines += data.count(b"\n")
    return {"files": len(files), "lines": lines, "bytes": size}


def machine() -> dict[str, object]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        model = platform.processor()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            memory = handle.readline().split(":", 1)[1].strip()
    except (OSError, IndexError):
        pass
    # The package the children import (PYTHONPATH can point them at a snapshot of another commit).
    probe = subprocess.run(
        [sys.executable, "-c", "import nextguard; print(nextguard.__file__)"], capture_output=True, text=True
    )
    package_dir = Path(probe.stdout.strip()).parent if probe.returncode == 0 else Path("?")
    if package_dir.is_relative_to(REPO):
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "server"], cwd=REPO, capture_output=True, text=True)
        source = (commit.stdout.strip() or "?") + (" + uncommitted changes in server/" if dirty.stdout.strip() else "")
    else:
        source = f"package at {package_dir}"
    versions: dict[str, str] = {}
    for package in ("nextguard", "tree-sitter", "tree-sitter-typescript"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "?"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "nextguard_source": source,
    }


def parse_corpus(spec: str) -> Corpus:
    name, sep, rest = spec.partition("=")
    if not sep:
        name, rest = "", spec
    if rest.startswith("gen:"):
        count = int(rest[4:])
        label = f"generated {count // 1000}k" if count % 1000 == 0 else f"generated {count}"
        return Corpus(name or label, default_dir(count), count)
    path = Path(rest).expanduser()
    if not name:
        # Materialized public apps are named owner+repo; show them as owner/repo.
        name = path.resolve().name.replace("+", "/", 1) if "+" in path.name else path.resolve().name
    return Corpus(name, path)


def default_corpora(scale: bool) -> list[Corpus]:
    counts = (*DEFAULT_GENERATED, SCALE_GENERATED) if scale else DEFAULT_GENERATED
    return [Corpus("acme-notes", ACME), *(parse_corpus(f"gen:{n}") for n in counts)]


def bench_corpus(corpus: Corpus, runs: int, *, query: bool) -> dict[str, object]:
    root = corpus.path.resolve()
    commands = {
        "nextguard": Timing(
            [*nextguard_command(), "check", "--no-progress", "--exit-zero", "--format", "json", str(root)]
        ),
        "floor": Timing([sys.executable, str(FLOOR), str(root)]),
    }
    if query:
        commands["floor_query"] = Timing([sys.executable, str(FLOOR), "--query", "(call_expression) @c", str(root)])
    for round_ in range(runs + 1):  # round 0 is the warm-up
        for timing in commands.values():
            seconds, rss, stdout, _ = run_child(timing.command, REPO)
            if round_ == 0:
                continue
            timing.seconds.append(seconds)
            timing.rss_kib.append(rss)
            timing.last_stdout = stdout
            if timing.command[1:2] == [str(FLOOR)]:
                timing.inner_seconds.append(float(json.loads(stdout)["seconds"]))
    stats = corpus_stats(root)
    floor_files = json.loads(commands["floor"].last_stdout)["files"]
    findings = json.loads(commands["nextguard"].last_stdout)
    nextguard, floor = commands["nextguard"], commands["floor"]
    row: dict[str, object] = {
        "corpus": corpus.name,
        "path": str(root),
        "generated_files": corpus.generated,
        **stats,
        "floor_files": floor_files,
        "findings": len(findings),
        "nextguard_s": round(nextguard.median, 3),
        "floor_s": round(floor.median, 3),
        "ratio": round(nextguard.median / floor.median, 2),
        "files_per_s": round(stats["files"] / nextguard.median),
        "nextguard_rss_mib": round(nextguard.peak_rss_mib, 1),
        "floor_rss_mib": round(floor.peak_rss_mib, 1),
        "floor_inner_s": round(statistics.median(floor.inner_seconds), 3),
        "runs": {name: {k: v for k, v in asdict(t).items() if k != "last_stdout"} for name, t in commands.items()},
    }
    if query:
        floor_query = commands["floor_query"]
        row["floor_query_s"] = round(floor_query.median, 3)
        row["ratio_to_query_floor"] = round(nextguard.median / floor_query.median, 2)
        row["floor_query_rss_mib"] = round(floor_query.peak_rss_mib, 1)
        row["floor_query_inner_s"] = round(statistics.median(floor_query.inner_seconds), 3)
    return row


def markdown(rows: list[dict[str, object]], info: dict[str, object], runs: int) -> str:
    head = (
        "| corpus | files | lines | findings | nextguard s | floor s | floor+query s | ratio (ng/floor) "
        "| ratio (ng/floor+query) | files/s | nextguard peak RSS | floor peak RSS |\n"
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
    )
    body = "".join(
        f"| {r['corpus']} | {r['files']:,} | {r['lines']:,} | {r['findings']} | {r['nextguard_s']:.2f} "
        f"| {r['floor_s']:.2f} | {_opt(r.get('floor_query_s'))} | **{r['ratio']:.2f}x** "
        f"| {_opt(r.get('ratio_to_query_floor'), 'x')} | {r['files_per_s']:,} "
        f"| {r['nextguard_rss_mib']:.0f} MiB | {r['floor_rss_mib']:.0f} MiB |\n"
        for r in rows
    )
    packages = info["packages"]
    assert isinstance(packages, dict)
    notes = (
        f"\nMachine: {info['cpu_model']}, {info['nproc']} CPUs usable, {info['memory']} RAM; "
        f"Python {info['python']}; {info['platform']}; tree-sitter {packages['tree-sitter']}, "
        f"tree-sitter-typescript {packages['tree-sitter-typescript']}; nextguard {info['nextguard_source']}; "
        f"{info['date']}; "
        f"1/5/15-min load average {_load(info, 'start')} at start, {_load(info, 'end')} at end.\n\n"
        f"Whole-process wall time, median of {runs} runs after one warm-up run; peak RSS from `os.wait4`. "
        "nextguard = `nextguard check --no-progress --exit-zero --format json PATH`; floor = `bench/parse_floor.py "
        "PATH` (same discovery, read + tree-sitter parse of every file, nothing else); floor+query = the same "
        "plus one `(call_expression) @c` query per tree. files/s = files / nextguard s. Target: ratio ≤ 2x.\n"
    )
    if info.get("note"):
        notes += f"\nNote: {info['note']}\n"
    return "## Cold scan: nextguard check vs the tree-sitter parse floor\n\n" + head + body + notes


def _load(info: dict[str, object], when: str) -> str:
    value = info.get(f"load_average_at_{when}")
    return "/".join(f"{x:.2f}" for x in value) if isinstance(value, list) else "?"


def _opt(value: object, suffix: str = "") -> str:
    return f"{value:.2f}{suffix}" if isinstance(value, float | int) else "–"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--corpus",
        action="append",
        default=[],
        metavar="[NAME=]PATH|gen:N",
        help="a workspace to scan (repeatable); gen:N is a generated corpus of N files. Replaces the defaults "
        "unless --defaults is given. A missing directory is skipped.",
    )
    parser.add_argument("--defaults", action="store_true", help="keep the default corpora when --corpus is given")
    parser.add_argument("--scale", action="store_true", help="add the generated 20k-file corpus")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per command (median reported)")
    parser.add_argument("--no-query", action="store_true", help="skip the parse+query floor")
    parser.add_argument("--note", default="", help="a line to record with the results (e.g. what was measured)")
    parser.add_argument("--out-dir", type=Path, default=BENCH / "results", help="where cold-scan.{md,json} go")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    corpora = default_corpora(args.scale) if args.defaults or not args.corpus else []
    if args.scale and args.corpus and not args.defaults:
        corpora.append(parse_corpus(f"gen:{SCALE_GENERATED}"))
    corpora.extend(parse_corpus(spec) for spec in args.corpus)

    info = machine()
    if args.note:
        info["note"] = args.note
    rows: list[dict[str, object]] = []
    for corpus in corpora:
        if corpus.generated is not None:
            print(f"generating {corpus.generated} files in {corpus.path} …", file=sys.stderr)
            generate(corpus.generated, corpus.path)
        if not corpus.path.is_dir():
            print(f"skipping {corpus.name}: {corpus.path} does not exist", file=sys.stderr)
            continue
        print(f"benchmarking {corpus.name} ({corpus.path}) …", file=sys.stderr)
        rows.append(bench_corpus(corpus, args.runs, query=not args.no_query))

    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report = markdown(rows, info, args.runs)
    print(report)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "cold-scan.md").write_text(report, encoding="utf-8")
    payload = {"machine": info, "runs": args.runs, "results": rows}
    (args.out_dir / "cold-scan.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out_dir / 'cold-scan.md'} and {args.out_dir / 'cold-scan.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
