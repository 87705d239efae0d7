"""The exposure rules (NG201, NG202) through the real language server: NG201 is published on the
actions that return whole records, and its DTO quick fix — the edit the code action carries,
applied to the buffer and sent back — leaves a file that parses, imports the DTO function, and no
longer has that diagnostic. NG202's select fix does the same on the DAL."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_support import (
    apply_text_edits,
    copy_case,
    edits_for,
    initialize,
    open_document,
    pull_until,
    replace_all,
    uri,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

from nextguard.syntax.parse import first_error, parse

# This file tests one rule family; the others also report on its fixtures and have their own tests.
FAMILY = "NG2"


async def _action_titled(
    client: LanguageClient, path: Path, diagnostics: list[types.Diagnostic], title: str
) -> tuple[types.Diagnostic, types.CodeAction]:
    """The first diagnostic among ``diagnostics`` offering a code action whose title holds ``title``."""
    offered: list[str] = []
    for diagnostic in diagnostics:
        result = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri(path)),
                range=diagnostic.range,
                context=types.CodeActionContext(diagnostics=[diagnostic]),
            )
        )
        for action in result or []:
            if isinstance(action, types.CodeAction):
                offered.append(action.title)
                if title in action.title and action.edit is not None:
                    return diagnostic, action
    raise AssertionError(f"no action titled {title!r} among {offered}")


@pytest.mark.asyncio
async def test_raw_record_is_published_and_the_dto_fix_clears_it(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng201/prisma-actions", tmp_path)
    await initialize(client, [root])
    actions = root / "app/posts/actions.ts"
    text = open_document(client, actions)
    diagnostics = await pull_until(client, actions, ["NG201"] * 6, FAMILY)
    diagnostic, action = await _action_titled(client, actions, diagnostics, "toUserDTO")
    assert action.edit is not None
    _, edits = edits_for(action.edit, uri(actions))
    fixed = apply_text_edits(text, edits)
    assert first_error(parse(actions, fixed.encode("utf-8")).root_node) is None, fixed
    assert "import { toUserDTO } from '@/lib/dto';" in fixed
    line = fixed.split("\n")[diagnostic.range.start.line]
    assert "toUserDTO(" in line, line
    replace_all(client, actions, 2, text, fixed)
    after = await pull_until(client, actions, ["NG201"] * 5, FAMILY)
    assert all(d.range.start.line != diagnostic.range.start.line for d in after)


@pytest.mark.asyncio
async def test_query_without_select_gets_the_fields_its_callers_read(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng202/drizzle-dal", tmp_path)
    await initialize(client, [root])
    notes = root / "lib/notes.ts"
    text = open_document(client, notes)
    diagnostics = await pull_until(client, notes, ["NG202"] * 3, FAMILY)
    _, action = await _action_titled(client, notes, diagnostics, "Add `columns`")
    assert action.edit is not None
    _, edits = edits_for(action.edit, uri(notes))
    fixed = apply_text_edits(text, edits)
    assert first_error(parse(notes, fixed.encode("utf-8")).root_node) is None, fixed
    assert "columns: { archived: true, title: true }," in fixed
    replace_all(client, notes, 2, text, fixed)
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
    _, action = await _action_titled(client, dal, diagnostics, "Add `select`")
    assert action.edit is not None
    _, edits = edits_for(action.edit, uri(dal))
    fixed = apply_text_edits(dal_text, edits)
    assert "select: { body: true, title: true }" in fixed
    replace_all(client, dal, 2, dal_text, fixed)
    await pull_until(client, dal, [], FAMILY)
    # `fetchPost` returns `getOwnPost(id)`: the summary flows across files, so it is clean now.
    after = await pull_until(client, actions, ["NG201"] * 5, FAMILY)
    gone = {d.range.start.line for d in before} - {d.range.start.line for d in after}
    assert len(gone) == 1
    assert "getOwnPost(id)" in (root / "app/posts/actions.ts").read_text().split("\n")[gone.pop()]
