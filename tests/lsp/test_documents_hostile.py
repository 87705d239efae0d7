"""What an editor can open that nextguard must not choke on: a document over the size limit the
CLI applies (one notice, no analysis, analysed again once it is back under), and a file outside
every workspace folder (analysed alone: the directories around it are not indexed)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from lsp_support import (
    capabilities,
    codes,
    copy_case,
    initialize,
    open_document,
    pull,
    replace_all,
    uri,
    wait_for,
)
from lsprotocol import types
from pytest_lsp import LanguageClient
from raw_lsp import RawServer, initialized, notification

import nextguard.engine.incremental
from nextguard.engine import LoneFileWorkspace
from nextguard.lsp.session import MAX_DOCUMENT_BYTES
from nextguard.workspace.discovery import discover, read_source

ACTION = "app/posts/[id]/actions.ts"
NOT_ANALYSED = "Not analysed: the file is over nextguard's 1,000,000-byte limit"


def oversized(text: str) -> str:
    """``text`` with a comment that takes it just over the limit (still a valid module)."""
    padding = "// " + "x" * 97 + "\n"
    return text + padding * (MAX_DOCUMENT_BYTES // len(padding) + 1)


def test_the_server_limit_is_the_one_the_cli_applies() -> None:
    import inspect

    for function in (discover, read_source):
        assert inspect.signature(function).parameters["max_bytes"].default == MAX_DOCUMENT_BYTES


# -- the size limit ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_an_oversized_document_gets_one_notice_and_no_findings_until_it_shrinks(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = copy_case("ng101/prisma-basic", tmp_path)
    action = root / ACTION
    await initialize(client, [root])  # VS Code's capabilities: pushed diagnostics
    await wait_for(lambda: "NG101" in codes(client, action, "NG101"), what="NG101 from the disk")
    small = action.read_text(encoding="utf-8")
    big = oversized(small)

    open_document(client, action, text=big)

    def shown() -> list[types.Diagnostic]:
        return client.diagnostics.get(uri(action), [])

    await wait_for(lambda: len(shown()) == 1 and NOT_ANALYSED in shown()[0].message, what="the notice")
    [notice] = shown()
    assert notice.severity == types.DiagnosticSeverity.Information and notice.source == "nextguard"
    # Typing in it is cheap and changes nothing: the same single notice, no findings.
    for version in range(2, 5):
        longer = big + "// more\n"
        replace_all(client, action, version, big, longer)
        big = longer
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=uri(action)), types.Position(3, 0))
    )
    assert hover is None
    assert [d.message for d in shown()] == [notice.message]

    replace_all(client, action, 5, big, small)
    await wait_for(lambda: codes(client, action, "NG101") == ["NG101"], what="NG101 once it is small again")
    assert not any(NOT_ANALYSED in d.message for d in shown())


@pytest.mark.asyncio
async def test_a_client_that_pulls_gets_the_notice_from_pull(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng101/prisma-basic", tmp_path)
    action = root / ACTION
    await initialize(client, [root], caps=capabilities("neovim"))  # pulls diagnostics
    small = action.read_text(encoding="utf-8")
    open_document(client, action, text=oversized(small))
    items = await pull(client, action)
    assert [item.message.startswith(NOT_ANALYSED) for item in items] == [True]
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri(action))))
    open_document(client, action, version=7, text=small)
    for _ in range(200):
        if "NG101" in [str(item.code) for item in await pull(client, action)]:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("NG101 never came back after the small text was opened")


def test_the_notice_is_published_once_while_the_document_stays_too_large(tmp_path: Path) -> None:
    root = copy_case("ng101/prisma-basic", tmp_path)
    action = root / ACTION
    big = oversized(action.read_text(encoding="utf-8"))
    server = RawServer()
    try:
        initialized(server, root)
        document = {"uri": uri(action), "languageId": "typescript", "version": 1, "text": big}
        server.send(notification("textDocument/didOpen", {"textDocument": document}))
        for version in range(2, 12):
            change = {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "x"}
            server.send(
                notification(
                    "textDocument/didChange",
                    {"textDocument": {"uri": uri(action), "version": version}, "contentChanges": [change]},
                )
            )
        at = {"textDocument": {"uri": uri(action)}, "position": {"line": 0, "character": 0}}
        server.call(1, "textDocument/hover", at)  # answered after every change was applied
        server.drain(1.0)
        published = [
            m["params"]["diagnostics"]
            for m in server.received
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri(action)
        ]
        notices = [d for d in published if any(NOT_ANALYSED in item["message"] for item in d)]
        assert len(notices) == 1, json.dumps(published)[:2000]
        assert published[-1] == notices[0] and len(notices[0]) == 1
    finally:
        server.close()


# -- a file outside every folder -----------------------------------------------------------------


def test_a_lone_file_workspace_discovers_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_walk(*args: object, **kwargs: object) -> None:
        raise AssertionError("a lone file's workspace walked a directory")

    monkeypatch.setattr(nextguard.engine.incremental, "discover", no_walk)
    workspace = LoneFileWorkspace(Path("/x.ts"))
    assert workspace.index() == []
    assert workspace.files == []
    workspace.update(Path("/x.ts"), b"'use server'\nexport async function f() {}\n")
    assert workspace.files == [Path("/x.ts")]


def _project_around(tmp_path: Path) -> tuple[Path, Path]:
    """A project (package.json at its top) with a finding in one file, and a second file in it."""
    project = copy_case("ng101/prisma-basic", tmp_path)
    lone = project / "app" / "lone.ts"
    lone.write_text((project / ACTION).read_text(encoding="utf-8"), encoding="utf-8")
    return project, lone


@pytest.mark.asyncio
async def test_a_file_outside_every_folder_is_analysed_alone(client: LanguageClient, tmp_path: Path) -> None:
    project, lone = _project_around(tmp_path)
    await initialize(client, [])  # no folder at all
    open_document(client, lone)
    await wait_for(lambda: "NG101" in codes(client, lone, "NG101"), what="NG101 in the lone file")
    # The project around it was not indexed: nothing else is published, and its neighbour (which
    # has the same finding) shows nothing.
    await asyncio.sleep(0.5)
    assert set(client.diagnostics) == {uri(lone)}, sorted(client.diagnostics)
    assert codes(client, project / ACTION, "NG101") == []


@pytest.mark.asyncio
async def test_a_file_in_a_directory_that_does_not_exist_is_analysed_too(client: LanguageClient) -> None:
    ghost = Path("/nonexistent-nextguard-test-dir/actions.ts")
    assert not ghost.parent.exists()
    text = "'use server'\nimport { db } from './db'\nexport async function drop(id: string) {\n"
    text += "  await db.post.delete({ where: { id } })\n}\n"
    await initialize(client, [])
    open_document(client, ghost, text=text)
    await wait_for(lambda: "NG101" in codes(client, ghost, "NG101"), what="NG101 in a file of no directory")
