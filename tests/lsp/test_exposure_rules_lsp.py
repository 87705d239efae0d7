"""The exposure rules (NG201, NG202) through the real language server: NG201 is published on the
actions that return whole records, and its DTO quick fix — the edit the code action carries,
applied to the buffer and sent back — leaves a file that parses, imports the DTO function, and no
longer has that diagnostic. NG202's select fix does the same on the DAL."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_support import (
    apply_action,
    copy_case,
    initialize,
    offered_fix,
    open_document,
    pull_until,
)
from pytest_lsp import LanguageClient

# This file tests one rule family; the others also report on its fixtures and have their own tests.
FAMILY = "NG2"


@pytest.mark.asyncio
async def test_raw_record_is_published_and_the_dto_fix_clears_it(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng201/prisma-actions", tmp_path)
    await initialize(client, [root])
    actions = root / "app/posts/actions.ts"
    text = open_document(client, actions)
    diagnostics = await pull_until(client, actions, ["NG201"] * 6, FAMILY)
    diagnostic, action = await offered_fix(client, actions, diagnostics, "toUserDTO")
    fixed = apply_action(client, actions, text, 2, action)
    assert "import { toUserDTO } from '@/lib/dto';" in fixed
    line = fixed.split("\n")[diagnostic.range.start.line]
    assert "toUserDTO(" in line, line
    after = await pull_until(client, actions, ["NG201"] * 5, FAMILY)
    assert all(d.range.start.line != diagnostic.range.start.line for d in after)


@pytest.mark.asyncio
async def test_query_without_select_gets_the_fields_its_callers_read(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng202/drizzle-dal", tmp_path)
    await initialize(client, [root])
    notes = root / "lib/notes.ts"
    text = open_document(client, notes)
    diagnostics = await pull_until(client, notes, ["NG202"] * 3, FAMILY)
    _, action = await offered_fix(client, notes, diagnostics, "Add `columns`")
    fixed = apply_action(client, notes, text, 2, action)
    assert "columns: { archived: true, title: true }," in fixed
    await pull_until(client, notes, ["NG202"] * 2, FAMILY)


@pytest.mark.asyncio
async def test_a_select_added_in_the_dal_clears_the_action_that_returns_its_record(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = copy_case("ng201/prisma-actions", tmp_path)
    await initialize(client, [root])
    dal = root / "lib/dal.ts"
    actions = root / "app/posts/actions.ts"
    dal_text = open_document(client, dal)
    open_document(client, actions)
    before = await pull_until(client, actions, ["NG201"] * 6, FAMILY)
    diagnostics = await pull_until(client, dal, ["NG202"], FAMILY)
    _, action = await offered_fix(client, dal, diagnostics, "Add `select`")
    fixed = apply_action(client, dal, dal_text, 2, action)
    assert "select: { body: true, title: true }" in fixed
    await pull_until(client, dal, [], FAMILY)
    # `fetchPost` returns `getOwnPost(id)`: the summary flows across files, so it is clean now.
    after = await pull_until(client, actions, ["NG201"] * 5, FAMILY)
    gone = {d.range.start.line for d in before} - {d.range.start.line for d in after}
    assert len(gone) == 1
    assert "getOwnPost(id)" in (root / "app/posts/actions.ts").read_text().split("\n")[gone.pop()]
