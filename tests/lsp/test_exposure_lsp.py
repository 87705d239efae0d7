"""The exposure rules (NG204–NG207) through the real language server: reported as diagnostics
(pulled, as VS Code does for open documents) with their related locations, fixed by their code
actions (the edit applied to the buffer, sent back, the text still parsing and the diagnostic
gone), and NG204 following an edit in another file of the import chain."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_support import (
    apply_text_edits,
    change,
    copy_case,
    edits_for,
    initialize,
    open_document,
    uri,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

from nextguard.syntax.parse import first_error, parse


async def _pull(client: LanguageClient, path: Path) -> list[types.Diagnostic]:
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri(path)))
    )
    return list(getattr(report, "items", []) or [])


async def _until(
    client: LanguageClient, path: Path, wanted: list[str], timeout: float = 20.0
) -> list[types.Diagnostic]:
    """Pull the document's diagnostics until their codes are ``wanted`` (the server settles edits
    in its own time)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await _pull(client, path)
        if sorted(str(d.code) for d in found) == wanted:
            return found
        if loop.time() > deadline:
            raise AssertionError(f"{path.name}: wanted {wanted}, got {sorted(str(d.code) for d in found)}")
        await asyncio.sleep(0.05)


def _replace_all(client: LanguageClient, path: Path, text: str, version: int, new_text: str) -> None:
    lines = text.split("\n")
    end = types.Position(line=len(lines) - 1, character=len(lines[-1]))
    change(client, path, version, [types.TextEdit(range=types.Range(types.Position(0, 0), end), new_text=new_text)])


async def _fix(client: LanguageClient, path: Path, text: str, version: int, code: str, title: str) -> str:
    """Apply the code action titled ``title`` for the first ``code`` diagnostic; returns the text."""
    diagnostics = [d for d in await _pull(client, path) if d.code == code]
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(path)),
            range=diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=diagnostics[:1]),
        )
    )
    actions = [a for a in result or [] if isinstance(a, types.CodeAction) and title in a.title]
    assert actions, [a.title for a in result or [] if isinstance(a, types.CodeAction)]
    assert actions[0].edit is not None
    _, edits = edits_for(actions[0].edit, uri(path))
    fixed = apply_text_edits(text, edits)
    assert first_error(parse(path, fixed.encode("utf-8")).root_node) is None, fixed
    _replace_all(client, path, text, version, fixed)
    return fixed


@pytest.mark.asyncio
async def test_client_import_of_the_dal_shows_the_chain_and_follows_edits_down_it(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = copy_case("ng204/client-imports-dal", tmp_path)
    await initialize(client, [root])
    card = root / "components/note-card.tsx"
    helper = root / "lib/format.ts"
    open_document(client, card)
    [diagnostic] = await _until(client, card, ["NG204"])
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    related = [item.location.uri for item in diagnostic.related_information or []]
    assert related[0] == uri(helper) and related[-1] == uri(root / "lib/notes.ts")
    # The helper stops importing the DAL: the client module, not edited itself, is clean.
    text = open_document(client, helper)
    plain = "export function formatNote(note: { title: string }) {\n  return note.title;\n}\n"
    _replace_all(client, helper, text, 2, plain)
    await _until(client, card, [])


@pytest.mark.asyncio
async def test_use_server_dal_fix_puts_server_only_in_its_place(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng207/use-server-dal", tmp_path)
    await initialize(client, [root])
    notes = root / "lib/notes.ts"
    text = open_document(client, notes)
    await _until(client, notes, ["NG207"])
    fixed = await _fix(client, notes, text, 2, "NG207", "Replace `'use server'`")
    assert fixed.startswith("import 'server-only'; // expect: NG207\n")
    await _until(client, notes, [])


@pytest.mark.asyncio
async def test_distinguishable_errors_fix_gives_one_message(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng206/action-messages", tmp_path)
    await initialize(client, [root])
    actions = root / "app/notes/actions.ts"
    text = open_document(client, actions)
    [first, _] = await _until(client, actions, ["NG206", "NG206"])
    assert first.severity == types.DiagnosticSeverity.Information
    assert any(item.location.uri == uri(actions) for item in first.related_information or [])
    fixed = await _fix(client, actions, text, 2, "NG206", "Answer as when the record is not found")
    assert fixed.count("throw new Error('Note not found')") == 2
    await _until(client, actions, ["NG206"])


@pytest.mark.asyncio
async def test_sensitive_closure_clears_when_the_action_reads_the_session_itself(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = copy_case("ng205/closes-over-session", tmp_path)
    await initialize(client, [root])
    page = root / "app/notes/[id]/page.tsx"
    text = open_document(client, page)
    found = await _until(client, page, ["NG205", "NG205"])
    assert all(d.related_information for d in found)
    edited = text.replace(
        "    await archiveNote(note.id);\n    revalidatePath(`/notes/${session.userId}`);",
        "    const { userId } = await verifySession();\n"
        "    await archiveNote(id);\n"
        "    revalidatePath(`/notes/${userId}`);",
    )
    assert edited != text
    _replace_all(client, page, text, 2, edited)
    await _until(client, page, ["NG205"])
