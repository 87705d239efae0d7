"""The auth and ownership rules (NG102–NG114) through the real language server: reported as
diagnostics (pulled, as VS Code does for open documents), fixed by their code actions (the edit
applied to the buffer, sent back, the text still parsing and the diagnostic gone), with related
locations where the rule gives them. One test per rule family."""

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
    """Pull the document's diagnostics of this family (NG1xx: the input and rate-limit rules that
    also fire on these fixtures have their own tests) until their codes are ``wanted`` (the server
    settles edits in its own time)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = [d for d in await _pull(client, path) if str(d.code).startswith("NG1")]
        if sorted(str(d.code) for d in found) == wanted:
            return found
        if loop.time() > deadline:
            raise AssertionError(f"{path.name}: wanted {wanted}, got {sorted(str(d.code) for d in found)}")
        await asyncio.sleep(0.05)


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
    lines = text.split("\n")
    end = types.Position(line=len(lines) - 1, character=len(lines[-1]))
    change(client, path, version, [types.TextEdit(range=types.Range(types.Position(0, 0), end), new_text=fixed)])
    return fixed


@pytest.mark.asyncio
async def test_unchecked_session_is_published_and_its_guard_fix_clears_it(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = copy_case("ng103/nextauth-optional-chain", tmp_path)
    await initialize(client, [root])
    actions = root / "app/invoices/actions.ts"
    text = open_document(client, actions)
    await _until(client, actions, ["NG103", "NG103"])
    fixed = await _fix(client, actions, text, 2, "NG103", "Bail out")
    assert "if (!session) throw new Error('Unauthorized');" in fixed
    await _until(client, actions, ["NG103"])


@pytest.mark.asyncio
async def test_unscoped_mutation_offers_the_scoping_fix(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng104/prisma-where", tmp_path)
    await initialize(client, [root])
    actions = root / "app/posts/actions.ts"
    text = open_document(client, actions)
    await _until(client, actions, ["NG104", "NG104", "NG104"])
    fixed = await _fix(client, actions, text, 2, "NG104", "add `authorId` to `where`")
    assert "where: { id, authorId: session.userId }" in fixed
    await _until(client, actions, ["NG104", "NG104"])


@pytest.mark.asyncio
async def test_layout_check_and_reliant_page_point_at_each_other(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng108/layout-check", tmp_path)
    await initialize(client, [root])
    layout = root / "app/dashboard/layout.tsx"
    page = root / "app/dashboard/billing/page.tsx"
    page_text = open_document(client, page)
    open_document(client, layout)
    [page_diagnostic] = await _until(client, page, ["NG109"])
    [layout_diagnostic] = await _until(client, layout, ["NG108"])
    assert page_diagnostic.related_information is not None
    assert any(item.location.uri == uri(layout) for item in page_diagnostic.related_information)
    assert layout_diagnostic.related_information is not None
    assert any(item.location.uri == uri(page) for item in layout_diagnostic.related_information)
    # The fix lives on the page: once it checks for itself, the layout no longer lists it.
    await _fix(client, page, page_text, 2, "NG109", "Check auth first")
    await _until(client, page, [])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        [layout_diagnostic] = await _until(client, layout, ["NG108"])
        if all(item.location.uri != uri(page) for item in layout_diagnostic.related_information or []):
            break
        assert loop.time() < deadline, "the layout still lists the fixed page"
        await asyncio.sleep(0.05)


@pytest.mark.asyncio
async def test_unawaited_guard_gets_its_await(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng112/unawaited", tmp_path)
    await initialize(client, [root])
    actions = root / "app/posts/actions.ts"
    text = open_document(client, actions)
    await _until(client, actions, ["NG112", "NG112"])
    fixed = await _fix(client, actions, text, 2, "NG112", "Insert `await`")
    assert "if (!await isOwner(id))" in fixed
    await _until(client, actions, ["NG112"])
