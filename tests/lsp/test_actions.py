"""Code actions, hover and commands: every edit is applied to the buffer the way a client would,
sent back to the server, and the result is checked (diagnostic gone, text parses)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_support import (
    apply_text_edits,
    capabilities,
    change,
    codes,
    copy_case,
    diagnostics_of,
    edits_for,
    initialize,
    open_document,
    position_of,
    uri,
    wait_for,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

from nextguard.syntax.parse import first_error, parse

PRISMA = "ng101/prisma-basic"
FIX_ALL = "source.fixAll.nextguard"


async def actions_for(
    client: LanguageClient,
    path: Path,
    diagnostics: list[types.Diagnostic],
    only: list[str] | None = None,
    where: types.Range | None = None,
) -> list[types.CodeAction]:
    target = where or (diagnostics[0].range if diagnostics else types.Range(types.Position(0, 0), types.Position(0, 0)))
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(path)),
            range=target,
            context=types.CodeActionContext(diagnostics=diagnostics, only=only),
        )
    )
    return [item for item in result or [] if isinstance(item, types.CodeAction)]


def replace_all(client: LanguageClient, path: Path, version: int, old: str, new: str) -> None:
    """Send the edited buffer as the client would after applying an edit (one full-range change)."""
    lines = old.split("\n")
    end = types.Position(line=len(lines) - 1, character=len(lines[-1]))
    change(client, path, version, [types.TextEdit(range=types.Range(types.Position(0, 0), end), new_text=new)])


def parses_clean(path: Path, text: str) -> bool:
    return first_error(parse(path, text.encode("utf-8")).root_node) is None


@pytest.mark.asyncio
async def test_quick_fix_removes_the_diagnostic_and_parses(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(PRISMA, tmp_path)
    await initialize(client, [root])
    action = root / "app/posts/[id]/actions.ts"
    text = open_document(client, action)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101")
    diagnostics = list(diagnostics_of(client, action, "NG101"))

    found = await actions_for(client, action, diagnostics)
    fix = next(a for a in found if a.is_preferred)
    assert fix.kind == types.CodeActionKind.QuickFix and "verifySession" in fix.title
    assert fix.edit is not None
    version, edits = edits_for(fix.edit, uri(action))
    assert version == 1  # documentChanges carry the version the edit was computed for
    fixed = apply_text_edits(text, edits)
    assert "const session = await verifySession();" in fixed.split("deletePostAction")[1].split("deleteOwn")[0]
    assert parses_clean(action, fixed)

    replace_all(client, action, 2, text, fixed)
    await wait_for(lambda: codes(client, action) == [], what="NG101 gone after the fix")


@pytest.mark.asyncio
async def test_changes_for_clients_without_document_changes(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(PRISMA, tmp_path)
    await initialize(client, [root], caps=capabilities("neovim@v0.9.1"))
    action = root / "app/posts/[id]/actions.ts"
    open_document(client, action)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101")
    found = await actions_for(client, action, list(diagnostics_of(client, action, "NG101")))
    fix = next(a for a in found if a.is_preferred)
    assert fix.edit is not None and fix.edit.document_changes is None and fix.edit.changes


@pytest.mark.asyncio
async def test_fix_all_applied_twice_changes_nothing_the_second_time(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("acme-notes", tmp_path)
    await initialize(client, [root])
    notes = root / "src/app/actions/notes.ts"
    text = open_document(client, notes)
    await wait_for(lambda: codes(client, notes) == ["NG101", "NG101"], what="two NG101")

    [fix_all] = await actions_for(client, notes, [], only=[FIX_ALL])
    assert fix_all.kind == FIX_ALL and fix_all.edit is not None
    _, edits = edits_for(fix_all.edit, uri(notes))
    fixed = apply_text_edits(text, edits)
    assert fixed.count("await verifySession()") >= text.count("await verifySession()") + 2
    assert parses_clean(notes, fixed)
    replace_all(client, notes, 2, text, fixed)
    await wait_for(lambda: codes(client, notes) == [], what="both fixed")

    # The second time there is nothing left: no action (an empty edit would be the same).
    assert await actions_for(client, notes, [], only=[FIX_ALL]) == []
    # A plain request does not compute fix-all (it edits the whole file: only when asked for).
    assert all(a.kind != FIX_ALL for a in await actions_for(client, notes, []))


@pytest.mark.asyncio
async def test_suppress_for_this_line_and_for_this_file(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(PRISMA, tmp_path)
    await initialize(client, [root])
    action = root / "app/posts/[id]/actions.ts"
    text = open_document(client, action)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101")
    diagnostics = list(diagnostics_of(client, action, "NG101"))
    found = {a.title: a for a in await actions_for(client, action, diagnostics)}

    line_action = found["Suppress NG101 for this line"]
    assert line_action.edit is not None
    line_text = apply_text_edits(text, edits_for(line_action.edit, uri(action))[1])
    lines = line_text.split("\n")
    row = lines.index(next(line for line in lines if "function deletePostAction" in line))
    assert lines[row - 1].startswith("// nextguard-ignore-next-line NG101 -- ")
    replace_all(client, action, 2, text, line_text)
    await wait_for(lambda: codes(client, action) == [], what="suppressed for the line")

    # Undo, then suppress for the file: the comment goes after the 'use server' prologue.
    replace_all(client, action, 3, line_text, text)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101 back")
    diagnostics = list(diagnostics_of(client, action, "NG101"))
    found = {a.title: a for a in await actions_for(client, action, diagnostics)}
    file_action = found["Suppress NG101 for this file"]
    assert file_action.edit is not None
    file_text = apply_text_edits(text, edits_for(file_action.edit, uri(action))[1])
    assert "'use server';\n// nextguard-ignore-file NG101\n" in file_text
    assert parses_clean(action, file_text)
    replace_all(client, action, 4, text, file_text)
    await wait_for(lambda: codes(client, action) == [], what="suppressed for the file")


@pytest.mark.asyncio
async def test_suppress_inside_jsx_uses_an_expression_comment(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng101/inline-actions", tmp_path)
    page = root / "app/notes/page.tsx"
    # An inline action whose line starts with `<`, as a child of <li>.
    source = page.read_text(encoding="utf-8").replace(
        "            <form\n              action={async (formData: FormData) => { // expect: NG101",
        "            <form action={async (formData: FormData) => { // expect: NG101",
    )
    page.write_text(source, "utf-8")
    await initialize(client, [root])
    text = open_document(client, page)
    await wait_for(lambda: codes(client, page) == ["NG101", "NG101"], what="two NG101")
    lines = text.split("\n")
    target = next(d for d in diagnostics_of(client, page, "NG101") if lines[d.range.start.line].strip()[0] == "<")
    found = {a.title: a for a in await actions_for(client, page, [target])}
    action = found["Suppress NG101 for this line"]
    assert action.edit is not None
    fixed = apply_text_edits(text, edits_for(action.edit, uri(page))[1])
    inserted = fixed.split("\n")[target.range.start.line]
    assert inserted == "            {/* nextguard-ignore-next-line NG101 -- TODO: say why this is safe */}"
    assert parses_clean(page, fixed)
    replace_all(client, page, 2, text, fixed)
    await wait_for(lambda: codes(client, page) == ["NG101"], what="that one suppressed")


@pytest.mark.asyncio
async def test_a_stale_request_gets_no_edit(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(PRISMA, tmp_path)
    await initialize(client, [root])
    action = root / "app/posts/[id]/actions.ts"
    text = open_document(client, action)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101")
    old = list(diagnostics_of(client, action, "NG101"))

    # A line inserted at the top; the client asks for actions with the diagnostic it had before
    # the server has published again: that range now points one line too high.
    change(client, action, 2, [types.TextEdit(types.Range(types.Position(0, 0), types.Position(0, 0)), "// hi\n")])
    assert await actions_for(client, action, old) == []

    # With the current diagnostic, the fix is there, for version 2, against the current text.
    await wait_for(lambda: diagnostics_of(client, action, "NG101")[0].range.start.line == old[0].range.start.line + 1)
    current = list(diagnostics_of(client, action, "NG101"))
    fix = next(a for a in await actions_for(client, action, current) if a.is_preferred)
    assert fix.edit is not None
    version, edits = edits_for(fix.edit, uri(action))
    assert version == 2
    assert parses_clean(action, apply_text_edits("// hi\n" + text, edits))


@pytest.mark.asyncio
async def test_an_unrelated_edit_does_not_make_diagnostics_stale(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(PRISMA, tmp_path)
    await initialize(client, [root])
    action = root / "app/posts/[id]/actions.ts"
    text = open_document(client, action)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101")
    diagnostics = list(diagnostics_of(client, action, "NG101"))
    # Typing below the finding changes no diagnostic (none is published), yet the fix stays valid.
    at = position_of(text, "revalidatePath('/posts');", occurrence=1)
    change(client, action, 2, [types.TextEdit(types.Range(at, at), "void 0;\n  ")])
    fix = next(a for a in await actions_for(client, action, diagnostics) if a.is_preferred)
    assert fix.edit is not None and edits_for(fix.edit, uri(action))[0] == 2


@pytest.mark.asyncio
async def test_hover_shows_the_rule_documentation(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(PRISMA, tmp_path)
    await initialize(client, [root])
    action = root / "app/posts/[id]/actions.ts"
    text = open_document(client, action)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101")
    at = position_of(text, "deletePostAction")
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri(action)), position=at)
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert hover.contents.value.startswith("# NG101 action-missing-auth")
    assert "## Why it matters" in hover.contents.value
    assert hover.range == diagnostics_of(client, action, "NG101")[0].range

    elsewhere = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri(action)), position=types.Position(3, 0))
    )
    assert elsewhere is None


@pytest.mark.asyncio
async def test_commands_fix_all_in_workspace_and_reindex(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("acme-notes", tmp_path)
    await initialize(client, [root])
    notes = root / "src/app/actions/notes.ts"
    await wait_for(lambda: codes(client, notes) == ["NG101", "NG101"], what="two NG101")

    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="nextguard.fixAllWorkspace")
    )
    assert result is not None
    [params] = client.applied_edits  # type: ignore[attr-defined]
    touched = {change.text_document.uri for change in params.edit.document_changes or []}
    assert touched >= {uri(notes), uri(root / "src/lib/audit.ts"), uri(root / "src/lib/billing.ts")}
    # Closed files: no version (the client edits what is on disk).
    assert all(c.text_document.version is None for c in params.edit.document_changes or [])

    begins = sum(
        isinstance(v, types.WorkDoneProgressBegin) for values in client.progress_reports.values() for v in values
    )
    await client.workspace_execute_command_async(types.ExecuteCommandParams(command="nextguard.reindex"))
    after = sum(
        isinstance(v, types.WorkDoneProgressBegin) for values in client.progress_reports.values() for v in values
    )
    assert after == begins + 1
    assert codes(client, notes) == ["NG101", "NG101"]


@pytest.mark.asyncio
async def test_fix_all_right_after_a_change_is_for_the_changed_text(client: LanguageClient, tmp_path: Path) -> None:
    # VS Code's save right after a quick fix: the quick fix's didChange, then at once the
    # fix-all request, without waiting for any diagnostics in between.
    root = copy_case("acme-notes", tmp_path)
    await initialize(client, [root])
    notes = root / "src/app/actions/notes.ts"
    text = open_document(client, notes)
    await wait_for(lambda: codes(client, notes) == ["NG101", "NG101"], what="two NG101")
    first = list(diagnostics_of(client, notes, "NG101"))[:1]
    fix = next(a for a in await actions_for(client, notes, first) if a.is_preferred)
    assert fix.edit is not None
    quick_fixed = apply_text_edits(text, edits_for(fix.edit, uri(notes))[1])

    replace_all(client, notes, 2, text, quick_fixed)
    [fix_all] = await actions_for(client, notes, [], only=[FIX_ALL])
    assert fix_all.edit is not None
    version, edits = edits_for(fix_all.edit, uri(notes))
    assert version == 2
    # Edits for version 2 apply to the quick-fixed text: the one guard left is added, and the
    # result parses (edits computed for version 1 would duplicate the first guard or land amiss).
    fixed = apply_text_edits(quick_fixed, edits)
    assert fixed.count("await verifySession()") == quick_fixed.count("await verifySession()") + 1
    assert parses_clean(notes, fixed)
