"""Parsing and extraction in worker processes (``engine.build_index`` with ``jobs`` > 1), and the
rules run in forked processes (``engine.run_rules_parallel``), report exactly what one process
does: the same findings, the same notices in the same order, and facts the cache can reuse."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from nextguard import engine
from nextguard.cache import CACHE_DIR_NAME
from nextguard.engine import analyze

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "examples" / "acme-notes"
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def small_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    # Fixture workspaces are small: let them use workers, in chunks that split them.
    monkeypatch.setattr(engine, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(engine, "_CHUNK", 3)
    monkeypatch.setattr(engine, "PARALLEL_RULES_MIN_FILES", 1)
    monkeypatch.setattr(engine, "_RULE_CHUNK", 2)


def _workers_ran(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = engine._extract_parallel

    def spy(work, jobs, cache, found, missing):  # type: ignore[no-untyped-def]
        result = real(work, jobs, cache, found, missing)
        calls.append(len(result))
        return result

    monkeypatch.setattr(engine, "_extract_parallel", spy)
    return calls


def test_workers_report_what_one_process_does(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _workers_ran(monkeypatch)
    serial = analyze([ACME], jobs=1)
    parallel = analyze([ACME], jobs=2)
    assert calls and calls[0] > 0, "the workers extracted the files"
    assert parallel.findings == serial.findings
    assert parallel.notices == serial.notices
    assert parallel.findings


@pytest.mark.parametrize("case", sorted(p for p in FIXTURES.glob("*/*") if p.is_dir())[:40], ids=lambda p: p.name)
def test_fixture_workspaces(case: Path) -> None:
    assert analyze([case], jobs=3).findings == analyze([case], jobs=1).findings


def test_unreadable_and_broken_files_keep_their_notices_in_order(tmp_path: Path) -> None:
    root = tmp_path / "app"
    shutil.copytree(ACME, root, ignore=shutil.ignore_patterns(CACHE_DIR_NAME))
    (root / "src/lib/binary.ts").write_bytes(b"\0\x01\x02")
    (root / "src/lib/latin1.ts").write_bytes(b"export const caf\xe9 = 1\n")
    (root / "src/lib/broken.ts").write_text("export function (( {\n")
    serial = analyze([root], jobs=1)
    parallel = analyze([root], jobs=2)
    assert [n.kind for n in serial.notices].count("syntax") >= 1
    assert parallel.notices == serial.notices
    assert parallel.findings == serial.findings


def test_facts_from_workers_fill_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "app"
    shutil.copytree(ACME, root, ignore=shutil.ignore_patterns(CACHE_DIR_NAME))
    first = analyze([root], jobs=2, cache=True)
    assert (root / CACHE_DIR_NAME / "facts.bin").is_file()
    extracted: list[Path] = []
    real = engine.extract

    def counting(path, data, tree):  # type: ignore[no-untyped-def]
        extracted.append(path)
        return real(path, data, tree)

    monkeypatch.setattr(engine, "extract", counting)
    again = analyze([root], jobs=1, cache=True)
    assert extracted == []
    assert again.findings == first.findings == analyze([root], jobs=1).findings


def test_no_fork_means_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    calls = _workers_ran(monkeypatch)
    assert analyze([ACME], jobs=2).findings == analyze([ACME], jobs=1).findings
    assert calls == [0]


def test_a_worker_that_dies_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker exits without a word in the middle of its first chunk: the parent must notice
    # the closed pipe instead of waiting, and the chunk it had claimed is extracted here.
    parent = os.getpid()
    real = engine._extract_chunk

    def dying(bounds: tuple[int, int]) -> bytes:
        if os.getpid() != parent:
            os._exit(3)
        return real(bounds)

    monkeypatch.setattr(engine, "_extract_chunk", dying)
    calls = _workers_ran(monkeypatch)
    serial = analyze([ACME], jobs=1)
    parallel = analyze([ACME], jobs=2)
    assert calls and calls[0] > 0, "the parent extracted its share"
    assert parallel.findings == serial.findings
    assert parallel.notices == serial.notices


def test_rules_in_workers_report_what_one_process_does(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    log = tmp_path / "pids"
    parent = os.getpid()
    real = engine._rules_chunk

    def logged(analysis, paths, rules, bounds):  # type: ignore[no-untyped-def]
        with log.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        if os.getpid() == parent:
            time.sleep(0.02)  # leave the worker chunks even when it starts late on a busy machine
        return real(analysis, paths, rules, bounds)

    monkeypatch.setattr(engine, "_rules_chunk", logged)
    serial = analyze([ACME], jobs=1)
    assert not log.exists(), "one process runs the rules itself"
    parallel = analyze([ACME], jobs=2)
    pids = log.read_text().split()
    assert len(set(pids)) == 2 and str(parent) in pids
    assert len(pids) == -(-parallel.files_analysed // engine._RULE_CHUNK), "every chunk ran once"
    assert parallel.findings == serial.findings
    assert parallel.notices == serial.notices
    assert len(parallel.findings) > 10


def test_a_rules_worker_that_dies_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    real = engine._rules_chunk

    def dying(analysis, paths, rules, bounds):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            os._exit(3)
        return real(analysis, paths, rules, bounds)

    monkeypatch.setattr(engine, "_rules_chunk", dying)
    assert analyze([ACME], jobs=2).findings == analyze([ACME], jobs=1).findings


def test_no_rules_workers_when_memory_is_short(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A rules worker ends up with most of the parent's heap copied: none is started when the
    # available memory would not hold the copy twice over.
    log = tmp_path / "pids"
    real = engine._rules_chunk

    def logged(analysis, paths, rules, bounds):  # type: ignore[no-untyped-def]
        with log.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        return real(analysis, paths, rules, bounds)

    monkeypatch.setattr(engine, "_rules_chunk", logged)
    monkeypatch.setattr(engine, "_copies_that_fit", lambda: 0)
    assert analyze([ACME], jobs=2).findings == analyze([ACME], jobs=1).findings
    assert not log.exists(), "the rules ran in one process, without chunks"


def test_copies_that_fit_reads_this_machine() -> None:
    if not Path("/proc/meminfo").exists():
        pytest.skip("no /proc/meminfo: the limit applies on Linux only")
    assert engine._copies_that_fit() >= 1  # a test process is small next to any CI machine


def test_what_a_rules_worker_reads_invalidates_the_cached_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cached report is replayed only while everything the analysis read is unchanged; a file
    # a rule reads in a worker process counts as much as one read here.
    root = tmp_path / "app"
    shutil.copytree(ACME, root, ignore=shutil.ignore_patterns(CACHE_DIR_NAME))
    outside = tmp_path / "read-by-a-rule.json"
    outside.write_text("{}", encoding="utf-8")
    parent = os.getpid()
    real_chunk = engine._rules_chunk

    def reading(analysis, paths, rules, bounds):  # type: ignore[no-untyped-def]
        if os.getpid() == parent:
            time.sleep(0.02)  # leave the worker chunks
        else:
            outside.read_text(encoding="utf-8")
        return real_chunk(analysis, paths, rules, bounds)

    analyses: list[Path] = []
    real_root = engine._analyze_root

    def counting(root, *args, **kwargs):  # type: ignore[no-untyped-def]
        analyses.append(root)
        return real_root(root, *args, **kwargs)

    monkeypatch.setattr(engine, "_rules_chunk", reading)
    monkeypatch.setattr(engine, "_analyze_root", counting)
    first = analyze([root], jobs=2, cache=True)
    # The first run made the cache directory in the root, which the report depends on: a stat
    # that fresh is not trusted (a change within the same clock tick would not show), so the
    # report is stored once the root's stat is older.
    hour_ago = time.time() - 3600
    for path in (root, outside):
        os.utime(path, (hour_ago, hour_ago))
    analyze([root], jobs=2, cache=True)
    stored = len(analyses)
    assert analyze([root], jobs=2, cache=True).findings == first.findings
    assert len(analyses) == stored, "nothing changed: the report is replayed"
    outside.write_text('{"changed": true}', encoding="utf-8")
    assert analyze([root], jobs=2, cache=True).findings == first.findings
    assert len(analyses) == stored + 1, "a file the worker read changed: analysed again"
