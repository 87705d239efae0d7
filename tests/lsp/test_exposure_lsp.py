"""The exposure rules (NG204–NG207) through the real language server: reported as diagnostics
(pulled, as VS Code does for open documents) with their related locations, fixed by their code
actions (the edit applied to the buffer, sent back, the text still parsing and the diagnostic
gone), and NG204 following an edit in another file of the import chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_support import (
    apply_fix,
    copy_case,
    initialize,
    open_document,
    pull_until,
    replace_all,
    uri,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

# This file tests one rule family; the others also report on its fixtures and have their own tests.
FAMILY = "NG2"


@pytest.mark.asyncio
async def test_client_import_of_the_dal_shows_the_chain_and_follows_edits_down_it(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = copy_case("ng204/client-imports-dal", tmp_path)
    await initialize(client, [root])
    card = root / "components/note-card.tsx"
    helper = root / "lib/format.ts"
    open_document(client, card)
    [diagnostic] = await pull_until(client, card, ["NG204"], FAMILY)
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    related = [item.location.uri for item in diagnostic.related_information or []]
    assert related[0] == uri(helper) and related[-1] == uri(root / "lib/notes.ts")
    # The helper stops importing the DAL: the client module, not edited itself, is clean.
    text = open_document(client, helper)
    plain = "export function formatNote(note: { title: string }) {\n  return note.title;\n}\n"
    replace_all(client, helper, 2, text, plain)
    await pull_until(client, card, [], FAMILY)


@pytest.mark.asyncio
async def test_use_server_dal_fix_puts_server_only_in_its_place(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng207/use-server-dal", tmp_path)
    await initialize(client, [root])
    notes = root / "lib/notes.ts"
    text = open_document(client, notes)
    await pull_until(client, notes, ["NG207"], FAMILY)
    fixed = await apply_fix(client, notes, text, 2, "NG207", "Replace `'use server'`")
    assert fixed.startswith("import 'server-only'; // expect: NG207\n")
    await pull_until(client, notes, [], FAMILY)


@pytest.mark.asyncio
async def test_distinguishable_errors_fix_gives_one_message(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng206/action-messages", tmp_path)
    await initialize(client, [root])
    actions = root / "app/notes/actions.ts"
    text = open_document(client, actions)
    [first, _] = await pull_until(client, actions, ["NG206", "NG206"], FAMILY)
    assert first.severity == types.DiagnosticSeverity.Information
    assert any(item.location.uri == uri(actions) for item in first.related_information or [])
    fixed = await apply_fix(client, actions, text, 2, "NG206", "Answer as when the record is not found")
    assert fixed.count("throw new Error('Note not found')") == 2
    await pull_until(client, actions, ["NG206"], FAMILY)


@pytest.mark.asyncio
async def test_sensitive_closure_clears_when_the_action_reads_the_session_itself(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = copy_case("ng205/closes-over-session", tmp_path)
    await initialize(client, [root])
    page = root / "app/notes/[id]/page.tsx"
    text = open_document(client, page)
    found = await pull_until(client, page, ["NG205", "NG205"], FAMILY)
    assert all(d.related_information for d in found)
    edited = text.replace(
        "    await archiveNote(note.id);\n    revalidatePath(`/notes/${session.userId}`);",
        "    const { userId } = await verifySession();\n"
        "    await archiveNote(id);\n"
        "    revalidatePath(`/notes/${userId}`);",
    )
    assert edited != text
    replace_all(client, page, 2, text, edited)
    await pull_until(client, page, ["NG205"], FAMILY)
