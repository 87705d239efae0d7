"""The auth and ownership rules (NG102–NG114) through the real language server: reported as
diagnostics (pulled, as VS Code does for open documents), fixed by their code actions (the edit
applied to the buffer, sent back, the text still parsing and the diagnostic gone), with related
locations where the rule gives them. One test per rule family."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_support import (
    apply_fix,
    copy_case,
    initialize,
    open_document,
    pull_until,
    uri,
)
from pytest_lsp import LanguageClient

# This file tests one rule family; the others also report on its fixtures and have their own tests.
FAMILY = "NG1"


@pytest.mark.asyncio
async def test_unchecked_session_is_published_and_its_guard_fix_clears_it(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = copy_case("ng103/nextauth-optional-chain", tmp_path)
    await initialize(client, [root])
    actions = root / "app/invoices/actions.ts"
    text = open_document(client, actions)
    await pull_until(client, actions, ["NG103", "NG103"], FAMILY)
    fixed = await apply_fix(client, actions, text, 2, "NG103", "Bail out")
    assert "if (!session) throw new Error('Unauthorized');" in fixed
    await pull_until(client, actions, ["NG103"], FAMILY)


@pytest.mark.asyncio
async def test_unscoped_mutation_offers_the_scoping_fix(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng104/prisma-where", tmp_path)
    await initialize(client, [root])
    actions = root / "app/posts/actions.ts"
    text = open_document(client, actions)
    await pull_until(client, actions, ["NG104", "NG104", "NG104"], FAMILY)
    fixed = await apply_fix(client, actions, text, 2, "NG104", "add `authorId` to `where`")
    assert "where: { id, authorId: session.userId }" in fixed
    await pull_until(client, actions, ["NG104", "NG104"], FAMILY)


@pytest.mark.asyncio
async def test_layout_check_and_reliant_page_point_at_each_other(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng108/layout-check", tmp_path)
    await initialize(client, [root])
    layout = root / "app/dashboard/layout.tsx"
    page = root / "app/dashboard/billing/page.tsx"
    page_text = open_document(client, page)
    open_document(client, layout)
    [page_diagnostic] = await pull_until(client, page, ["NG109"], FAMILY)
    [layout_diagnostic] = await pull_until(client, layout, ["NG108"], FAMILY)
    assert page_diagnostic.related_information is not None
    assert any(item.location.uri == uri(layout) for item in page_diagnostic.related_information)
    assert layout_diagnostic.related_information is not None
    assert any(item.location.uri == uri(page) for item in layout_diagnostic.related_information)
    # The fix lives on the page: once it checks for itself, the layout no longer lists it.
    await apply_fix(client, page, page_text, 2, "NG109", "Check auth first")
    await pull_until(client, page, [], FAMILY)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        [layout_diagnostic] = await pull_until(client, layout, ["NG108"], FAMILY)
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
    await pull_until(client, actions, ["NG112", "NG112"], FAMILY)
    fixed = await apply_fix(client, actions, text, 2, "NG112", "Insert `await`")
    assert "if (!await isOwner(id))" in fixed
    await pull_until(client, actions, ["NG112"], FAMILY)
