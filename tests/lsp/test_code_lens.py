"""Code lenses above each Server Action and route handler say how it is protected."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_support import capabilities, codes, copy_case, initialize, open_document, position_of, uri, wait_for
from lsprotocol import types
from pytest_lsp import LanguageClient


@pytest.mark.asyncio
async def test_lenses_show_each_endpoints_protection(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("acme-notes", tmp_path)
    await initialize(client, [root])
    notes = root / "src/app/actions/notes.ts"
    text = open_document(client, notes)
    await wait_for(lambda: "NG101" in codes(client, notes), what="NG101 in notes.ts")

    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(notes)))
    )
    by_line = {lens.range.start.line: lens.command.title for lens in lenses or [] if lens.command}
    archive = position_of(text, "export async function archiveNote").line
    delete = position_of(text, "export async function deleteNote").line
    assert by_line[archive] == "public endpoint: no auth"
    assert by_line[delete].startswith("protected by verifySession")
    assert "deleteNoteForUser" in by_line[delete]
    assert all(lens.command is not None and lens.command.command == "nextguard.showMap" for lens in lenses or [])

    routes = root / "src/app/api/notes/route.ts"
    route_text = open_document(client, routes)
    route_lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(routes)))
    )
    titles = [lens.command.title for lens in route_lenses or [] if lens.command]
    assert any(title.startswith("GET: ") for title in titles), titles
    assert any(title.startswith("POST: ") for title in titles), titles
    assert route_text


@pytest.mark.asyncio
async def test_lens_command_opens_the_endpoint_map(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("acme-notes", tmp_path)
    await initialize(client, [root])
    notes = root / "src/app/actions/notes.ts"
    open_document(client, notes)
    await wait_for(lambda: "NG101" in codes(client, notes), what="NG101 in notes.ts")
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(notes)))
    )
    command = next(lens.command for lens in lenses or [] if lens.command)

    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
    )

    shown = client.shown_documents  # pytest-lsp's client answers window/showDocument and records it
    assert len(shown) == 1 and shown[0].uri == result
    text = Path(shown[0].uri.removeprefix("file://")).read_text(encoding="utf-8")
    assert "archiveNote" in text and "deleteNote" in text
    assert str(root) in text.splitlines()[0]


@pytest.mark.asyncio
async def test_without_show_document_the_map_is_named_in_a_message(client: LanguageClient, tmp_path: Path) -> None:
    caps = capabilities()
    assert caps.window is not None
    caps.window.show_document = None
    root = copy_case("acme-notes", tmp_path)
    await initialize(client, [root], caps=caps)
    notes = root / "src/app/actions/notes.ts"
    open_document(client, notes)
    await wait_for(lambda: "NG101" in codes(client, notes), what="NG101 in notes.ts")

    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="nextguard.showMap", arguments=[uri(root)])
    )

    assert client.shown_documents == []
    assert result is not None
    path = result.removeprefix("file://")
    assert any(path in message.message for message in client.messages)
    assert "archiveNote" in Path(path).read_text(encoding="utf-8")
