"""Parsing and extraction in worker processes (``engine.build_index`` with ``jobs`` > 1) report
exactly what one process does: the same findings, the same notices in the same order, and facts
the cache can reuse."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from nextguard.cache import CACHE_DIR_NAME, FACTS_PACK, cache_dir_for
from nextguard.engine import analyze, loading

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "examples" / "acme-notes"
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def small_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    # Fixture workspaces are small: let them use workers, in chunks that split them.
    monkeypatch.setattr(loading, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(loading, "_CHUNK", 3)


def _workers_ran(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = loading._extract_parallel

    def spy(work, jobs, cache, found, missing):  # type: ignore[no-untyped-def]
        result = real(work, jobs, cache, found, missing)
        calls.append(len(result))
        return result

    monkeypatch.setattr(loading, "_extract_parallel", spy)
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
    assert (cache_dir_for(root) / FACTS_PACK).is_file()
    extracted: list[Path] = []
    real = loading.extract

    def counting(path, data, tree):  # type: ignore[no-untyped-def]
        extracted.append(path)
        return real(path, data, tree)

    monkeypatch.setattr(loading, "extract", counting)
    again = analyze([root], jobs=1, cache=True)
    assert extracted == []
    assert again.findings == first.findings == analyze([root], jobs=1).findings


def test_no_fork_means_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    calls = _workers_ran(monkeypatch)
    assert analyze([ACME], jobs=2).findings == analyze([ACME], jobs=1).findings
    assert calls == [0]


def test_a_worker_that_dies_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker exits without a word in the middle of its first chunk: the parent must notice
    # the closed pipe instead of waiting, and the chunk it had claimed is extracted here.
    parent = os.getpid()
    real = loading._extract_chunk

    def dying(bounds: tuple[int, int]) -> bytes:
        if os.getpid() != parent:
            os._exit(3)
        return real(bounds)

    monkeypatch.setattr(loading, "_extract_chunk", dying)
    calls = _workers_ran(monkeypatch)
    serial = analyze([ACME], jobs=1)
    parallel = analyze([ACME], jobs=2)
    assert calls and calls[0] > 0, "the parent extracted its share"
    assert parallel.findings == serial.findings
    assert parallel.notices == serial.notices
