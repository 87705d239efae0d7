"""Indexing goes through the on-disk facts cache that ``nextguard check`` keeps (in the user's
cache directory, ``$NEXTGUARD_CACHE_HOME`` for the tests, see ``tests/conftest.py``): a project
indexed once is indexed again from the cache, and what the cache gives back is what extraction
gives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from lsp_support import codes, copy_case, initialize, wait_for
from lsprotocol import types
from pytest_lsp import LanguageClient

from nextguard.cache import CACHE_DIR_NAME, FACTS_PACK, cache_dir_for
from nextguard.engine import PARALLEL_MIN_FILES, analyze


def _ends(client: LanguageClient) -> list[str]:
    return [
        value.message or ""
        for values in client.progress_reports.values()
        for value in values
        if isinstance(value, types.WorkDoneProgressEnd)
    ]


def _codes_by_path(client: LanguageClient) -> list[tuple[str, str]]:
    return sorted(
        (unquote(urlparse(uri).path), str(d.code)) for uri, items in client.diagnostics.items() for d in items
    )


def _diagnostics(client: LanguageClient) -> dict[str, list[tuple[str, int, int]]]:
    return {
        uri: sorted((str(d.code), d.range.start.line, d.range.start.character) for d in items)
        for uri, items in client.diagnostics.items()
        if items
    }


@pytest.mark.asyncio
async def test_reindexing_reads_the_cache_the_first_index_wrote(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("acme-notes", tmp_path)
    assert not cache_dir_for(root).exists()
    await initialize(client, [root])
    audit = root / "src/lib/audit.ts"
    await wait_for(lambda: codes(client, audit) == ["NG208"], what="the first index")
    await wait_for(lambda: len(_ends(client)) == 1, what="the first index's end")
    [first] = _ends(client)
    files = int(first.split()[0])
    assert files > 20 and "cache" not in first, first
    assert (cache_dir_for(root) / FACTS_PACK).is_file()
    assert not (root / CACHE_DIR_NAME).exists()
    # Diagnostics can still be on their way when the progress ends: wait for all of them (the
    # findings a check gives) before taking them as the reference.
    expected = sorted((str(f.path), f.code) for f in analyze([root]).findings)
    await wait_for(lambda: _codes_by_path(client) == expected, what="every diagnostic of the first index")
    before = _diagnostics(client)

    # A new config file makes the server index the folder again.
    (root / "nextguard.json").write_text(json.dumps({"rules": {}}), "utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(root / "nextguard.json").as_uri(), type=types.FileChangeType.Created)]
        )
    )
    await wait_for(lambda: len(_ends(client)) == 2, what="the second index's end")
    second = _ends(client)[1]
    assert second == f"{files} files ({files} read from the cache)"
    await wait_for(lambda: _diagnostics(client) == before, what="the same diagnostics from cached facts")


@pytest.mark.asyncio
async def test_the_server_starts_from_what_the_cli_wrote(client: LanguageClient, tmp_path: Path) -> None:
    # One cache for both front ends: a project checked on the command line opens in the editor
    # without extracting its files again, with the findings the command line reported.
    root = copy_case("acme-notes", tmp_path)
    check = [sys.executable, "-m", "nextguard", "check", "--format", "json", "--exit-zero", str(root)]
    reported = json.loads(subprocess.run(check, capture_output=True, text=True, check=True).stdout)
    assert (cache_dir_for(root) / FACTS_PACK).is_file()

    await initialize(client, [root])
    await wait_for(lambda: len(_ends(client)) == 1, what="the index's end")
    [end] = _ends(client)
    files = end.split()[0]
    assert end == f"{files} files ({files} read from the cache)"
    expected = sorted((Path(item["filename"]).name, item["code"]) for item in reported)
    await wait_for(
        lambda: (
            sorted((Path(uri).name, code) for uri, items in _diagnostics(client).items() for code, *_ in items)
            == expected
        ),
        what="the CLI's findings as diagnostics",
    )


@pytest.mark.asyncio
async def test_a_workspace_large_enough_for_workers_indexes(client: LanguageClient, tmp_path: Path) -> None:
    # Enough files that the server forks extraction workers. Forked from a server whose reader
    # thread is blocked on stdin, multiprocessing's worker start-up waited forever for stdin's
    # lock and indexing never ended; the workers' facts must also be the ones extraction gives.
    root = copy_case("acme-notes", tmp_path)
    for number in range(PARALLEL_MIN_FILES):
        (root / f"src/lib/generated/helper{number}.ts").parent.mkdir(parents=True, exist_ok=True)
        (root / f"src/lib/generated/helper{number}.ts").write_text(
            f"export function helper{number}(value: string) {{\n  return value.trim();\n}}\n", "utf-8"
        )
    await initialize(client, [root])
    await wait_for(lambda: len(_ends(client)) == 1, timeout=60, what="the index's end")
    [end] = _ends(client)
    assert int(end.split()[0]) > PARALLEL_MIN_FILES
    await wait_for(lambda: codes(client, root / "src/lib/audit.ts") == ["NG208"], what="NG208 after indexing")
