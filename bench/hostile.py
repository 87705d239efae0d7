"""The hostile-repository probes of issue #15, run against the installed `nextguard` as a user
would: each builds a small workspace (a copy of examples/acme-notes) with one planted trap, runs
`nextguard check` with a time limit, and prints what happened — wall time, peak memory, exit
status, the first notice, and whether the findings equal a clean `--no-cache` run.

    python bench/hostile.py            # the table, in Markdown
    python bench/hostile.py --write    # and bench/results/hostile.md

The protocol probes (framing, lifecycle, a 5 MB document, a lone file, the map file) need a
language client; they are tests: tests/lsp/test_protocol_hostile.py, test_documents_hostile.py,
test_map_file.py.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "acme-notes"
ACTIONS = Path("src/app/actions/notes.ts")
LIMIT_S = 60.0


@dataclass
class Outcome:
    probe: str
    before: str
    seconds: float
    peak_mib: float
    status: int | str
    notice: str
    same_findings: str


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int | str, str, str]:
    start = time.perf_counter()
    measure = cwd.parent / "rss.txt"
    try:
        done = subprocess.run(
            ["/usr/bin/time", "-q", "-f", "%M", "-o", str(measure), sys.executable, "-m", "nextguard", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            timeout=LIMIT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return LIMIT_S, 0.0, "timeout", "", ""
    seconds = time.perf_counter() - start
    peak = int(measure.read_text().split()[-1]) / 1024 if measure.exists() else 0.0
    # The scratch directory is random: shown as <tmp> so that results compare across runs.
    stderr = done.stderr.decode(errors="replace").replace(str(cwd.parent.parent), "<tmp>")
    first = next((line for line in stderr.splitlines() if line.startswith("nextguard:")), "")
    if "Traceback" in stderr:
        first = "TRACEBACK " + first
    return seconds, peak, done.returncode, first, done.stdout.decode(errors="replace")


def _keys(output: str) -> list[tuple[str, str, int]]:
    try:
        rows = json.loads(output)
    except ValueError:
        return []
    return sorted((r["code"], r["filename"], r["location"]["row"]) for r in rows)


def _workspace(parent: Path) -> Path:
    root = parent / "app"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".nextguard_cache", "node_modules"))
    return root


class _Planted:
    """A pickle whose loading would create a file: proof that nothing was unpickled."""

    def __init__(self, witness: Path) -> None:
        self.witness = witness

    def __reduce__(self) -> tuple[Callable[..., object], tuple[str, ...]]:
        return (os.system, (f"touch {self.witness}",))


def _pack_dirs(cache: Path, root: Path) -> list[Path]:
    """Where a pack could be planted: the directory itself and the per-workspace directory in it,
    whose name anyone can compute from the checkout's path (predictable in CI)."""
    from nextguard.cache import workspace_tag

    return [cache, cache / workspace_tag(root)]


def _plant_pickle(root: Path) -> None:
    payload = pickle.dumps(_Planted(root / "PWNED"))
    for directory in _pack_dirs(root / ".nextguard_cache", root):
        directory.mkdir(parents=True, exist_ok=True)
        for name in ("results.bin", "facts.bin"):
            (directory / name).write_bytes(b"NGCACHE1" + payload)


def _plant_zero(root: Path) -> None:
    for directory in _pack_dirs(root / ".nextguard_cache", root):
        directory.mkdir(parents=True, exist_ok=True)
        for name in ("results.bin", "facts.bin"):
            (directory / name).symlink_to("/dev/zero")


def _nest(root: Path, name: str) -> None:
    (root / name).write_text("[" * 100_000 + "]" * 100_000)


def _fifo(root: Path, name: str) -> None:
    (root / name).unlink(missing_ok=True)
    os.mkfifo(root / name)


def _deep_code(root: Path) -> None:
    opened = "".join(f"if (x{i}) {{\n" for i in range(1000))
    closed = "}\n" * 1000
    (root / "src/app/actions/deep.ts").write_text(
        "'use server';\nimport { db } from '@/lib/db';\n"
        f"export async function deepDelete(id: string, x0: boolean) {{\n{opened}"
        f"await db.note.delete({{ where: {{ id }} }});\n{closed}}}\n"
    )


def _escape_name(root: Path) -> None:
    source = (root / ACTIONS).read_text()
    (root / "src/app/actions/\x1b[2K\rforged.ts").write_text(source)


def _read_only(root: Path) -> None:
    target = root / ACTIONS
    target.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


PROBES: list[tuple[str, str, Callable[[Path], object], list[str]]] = [
    ("pickle payload in .nextguard_cache/", "ran the payload", _plant_pickle, []),
    (
        "pickle payload, --cache-dir .nextguard_cache",
        "ran the payload",
        _plant_pickle,
        ["--cache-dir", ".nextguard_cache"],
    ),
    (
        ".nextguard_cache symlinked to the temp directory, --cache-dir",
        "wrote through it",
        lambda r: (r / ".nextguard_cache").symlink_to(tempfile.gettempdir()),
        ["--cache-dir", ".nextguard_cache"],
    ),
    (
        "cache packs -> /dev/zero, --cache-dir",
        "server grew to 14 GB",
        _plant_zero,
        ["--cache-dir", ".nextguard_cache"],
    ),
    ("symlink to / inside the workspace", "41 s, 1 GB, read /proc/*/mem", lambda r: (r / "root").symlink_to("/"), []),
    ("FIFO named package.json", "hung", lambda r: _fifo(r, "package.json"), []),
    ("FIFO named tsconfig.json", "hung", lambda r: _fifo(r, "tsconfig.json"), []),
    ("100k-deep package.json", "RecursionError traceback", lambda r: _nest(r, "package.json"), []),
    ("100k-deep nextguard.json", "RecursionError traceback", lambda r: _nest(r, "nextguard.json"), []),
    (
        "invalid tsconfig.json",
        "ignored silently (9 findings became 21)",
        lambda r: (r / "tsconfig.json").write_text("{ broken"),
        [],
    ),
    ("1,000-deep nesting around a delete", "NG104/NG301 silently dropped", _deep_code, []),
    ("file name with terminal escapes", "forged output lines", _escape_name, []),
    ("--fix on a read-only file", "traceback after rewriting 6 of 9 files", _read_only, ["--fix"]),
]


def probe(name: str, before: str, plant: Callable[[Path], object], extra: list[str]) -> Outcome:
    with tempfile.TemporaryDirectory() as scratch:
        parent = Path(scratch)
        env = {**os.environ, "NEXTGUARD_CACHE_HOME": str(parent / "user-cache")}
        clean_root = _workspace(parent / "clean")
        clean = _keys(_run(["check", "--no-cache", "--format", "json", "."], clean_root, env)[4])
        root = _workspace(parent / "hostile")
        plant(root)
        args = ["check", "--format", "json", *extra, "."]
        seconds, peak, status, notice, output = _run(args, root, env)
        if "--fix" not in extra:
            # A warm run too: a planted cache must not change the second run either.
            seconds2, peak2, status, notice2, output = _run(args, root, env)
            seconds, peak, notice = max(seconds, seconds2), max(peak, peak2), notice or notice2
        if (root / "PWNED").exists():
            notice = "PAYLOAD RAN " + notice
        hostile = _keys(output)
        if "--fix" in extra or plant in (_deep_code, _escape_name) or name.split()[-1].endswith(".json"):
            files = {file for _, file, _ in clean}
            planted = sorted({code for code, file, _ in hostile if file not in files})
            same = f"{len(hostile)} findings (workspace changed)" + (
                f"; in the planted file: {', '.join(planted)}" if planted else ""
            )
        else:
            same = "yes" if hostile == clean else f"NO ({len(hostile)} vs {len(clean)})"
        return Outcome(name, before, seconds, peak, status, notice[:110], same)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="also write bench/results/hostile.md")
    args = parser.parse_args()
    if os.name != "posix" or not Path("/usr/bin/time").exists():
        parser.error("the probes use FIFOs, symlinks and GNU time (/usr/bin/time): POSIX only")
    lines = [
        "# Hostile repositories: each probe against `nextguard check`",
        "",
        f"Limit {LIMIT_S:.0f} s per run; peak memory is the run's maximum resident set (GNU time). "
        '"same findings": the JSON findings equal a clean `--no-cache` run of the untouched app.',
        "",
        "| probe | before (#15) | after: time | peak MiB | exit | first notice | same findings |",
        "|---|---|--:|--:|--:|---|---|",
    ]
    for name, before, plant, extra in PROBES:
        outcome = probe(name, before, plant, extra)
        notice = outcome.notice.replace("|", "\\|").encode("unicode_escape").decode()
        lines.append(
            f"| {outcome.probe} | {outcome.before} | {outcome.seconds:.1f} s | {outcome.peak_mib:.0f} | "
            f"{outcome.status} | {notice} | {outcome.same_findings} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.write:
        (ROOT / "bench" / "results" / "hostile.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
