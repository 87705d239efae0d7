"""Committed benchmark reports name corpora (a pinned commit, the generator), never the local folders
they ran in: a folder names one machine, means nothing to a reader, and leaks its layout."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
RESULTS = BENCH / "results"

# An absolute path of the kinds benchmark machines use: home and scratch folders, checkouts. Not
# after a word character, a dot or a slash, so URLs (github.com/home) and relative paths do not count.
LOCAL_PATH = re.compile(r"(?<![\w./])/(?:root|home|work|tmp|check|Users|var/folders)(?:/|\b)")


def test_local_path_pattern() -> None:
    for text in ('"path": "/root/.cache/x"', "(/work/main/bench/.work/corpus-1000)", "at /tmp/x", "/home/ci/a"):
        assert LOCAL_PATH.search(text), text
    for text in ("https://github.com/home/x", "bench/.work/corpus-1000", "src/app/work/page.tsx", "~/x"):
        assert not LOCAL_PATH.search(text), text


def test_committed_results_name_no_local_folder() -> None:
    files = sorted(p for p in RESULTS.rglob("*") if p.is_file())
    assert files, "bench/results/ holds the committed reports"
    found = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if match := LOCAL_PATH.search(line):
                excerpt = line[max(0, match.start() - 40) : match.end() + 40]
                found.append(f"{path.relative_to(REPO)}:{number}: …{excerpt}…")
    assert not found, "absolute local paths in committed results:\n" + "\n".join(found)


@pytest.fixture
def bench_run(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """bench/run.py, imported the way it runs (its folder first on sys.path)."""
    monkeypatch.syspath_prepend(str(BENCH))
    for name in ("run", "corpora", "generate_corpus", "processes"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module("run")


def test_bench_run_names_corpora_not_folders(bench_run: ModuleType, tmp_path: Path) -> None:
    folder = tmp_path / "owner+app"
    folder.mkdir()
    for spec, name in (("gen:1000", "generated 1k"), (f"mine={folder}", "mine"), (str(folder), "owner/app")):
        corpus = bench_run.resolve_corpus(spec, tmp_path)
        assert corpus.name == name
        assert str(tmp_path) not in corpus.source and not LOCAL_PATH.search(corpus.source), corpus.source
    result = {
        "corpus": "mine",
        "source": bench_run.resolve_corpus(f"mine={folder}", tmp_path).source,
        "files": 1,
        "lines": 1,
        "edited_file": "app/actions.ts",
        "rows": [],
    }
    info = {"packages": {}, "cpu_model": "cpu", "nproc": 2, "memory": "1 kB", "python": "3", "platform": "p"}
    info |= {"nextguard_source": "abc1234", "date": "d", "load_average_at_start": [0, 0, 0]}
    info["load_average_at_end"] = [0, 0, 0]
    text = bench_run.markdown([result], info, 1, None)
    assert "- mine (a local folder): edited file `app/actions.ts`" in text
    assert str(tmp_path) not in text
