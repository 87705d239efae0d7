"""Diagnostics as the user sees them: on open, while typing, across files (unsaved buffers and
files changed on disk), after configuration changes, in several folders, pulled or pushed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsp_support import (
    capabilities,
    change,
    codes,
    copy_case,
    diagnostics_of,
    initialize,
    open_document,
    position_of,
    uri,
    wait_for,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

PRISMA = "ng101/prisma-basic"
ALIAS = "ng101/tsconfig-alias"


def insert(at: types.Position, text: str) -> types.TextEdit:
    return types.TextEdit(range=types.Range(start=at, end=at), new_text=text)


@pytest.mark.asyncio
async def test_diagnostics_on_open_carry_what_the_client_needs(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(PRISMA, tmp_path)
    await initialize(client, [root])
    action = root / "app/posts/[id]/actions.ts"
    text = open_document(client, action, version=7)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101 on open")

    [item] = diagnostics_of(client, action, "NG101")
    assert item.source == "nextguard"
    assert item.severity == types.DiagnosticSeverity.Error
    assert item.code_description is not None and "ng101" in item.code_description.href
    assert item.range.start == position_of(text, "deletePostAction")
    assert "deletePostAction" in item.message
    # Published for the file on disk after indexing (no version) or for the open buffer (7): the
    # same diagnostics either way, so opening it does not publish them again.
    assert item.data["code"] == "NG101" and item.data["version"] in (None, 7)
    related = item.related_information or []
    assert any(info.location.uri == uri(action) and "db.post.delete" in info.message for info in related)


@pytest.mark.asyncio
async def test_workspace_scope_publishes_closed_files_after_indexing(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("acme-notes", tmp_path)
    await initialize(client, [root])
    notes = root / "src/app/actions/notes.ts"
    await wait_for(lambda: codes(client, notes) == ["NG101", "NG101"], what="NG101 x2 in a closed file")
    await wait_for(lambda: codes(client, root / "src/lib/audit.ts") == ["NG208"], what="NG208")
    await wait_for(lambda: codes(client, root / "src/lib/billing.ts") == ["NG203"], what="NG203")

    # Indexing reported work-done progress: a token created, then begin ... end.
    reports = [value for values in client.progress_reports.values() for value in values]
    assert any(isinstance(value, types.WorkDoneProgressBegin) for value in reports)
    assert any(isinstance(value, types.WorkDoneProgressEnd) for value in reports)


@pytest.mark.asyncio
async def test_open_files_scope_shows_only_open_documents(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("acme-notes", tmp_path)
    await initialize(client, [root], options={"nextguard": {"diagnosticsScope": "openFiles"}})
    notes, audit = root / "src/app/actions/notes.ts", root / "src/lib/audit.ts"
    open_document(client, audit)
    await wait_for(lambda: codes(client, audit) == ["NG208"], what="NG208 once open")
    assert codes(client, notes) == []
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri(audit)))
    )
    await wait_for(lambda: codes(client, audit) == [], what="cleared on close")


@pytest.mark.asyncio
async def test_typing_an_action_without_auth_then_adding_the_check(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(PRISMA, tmp_path)
    await initialize(client, [root])
    action = root / "app/posts/[id]/actions.ts"
    text = open_document(client, action)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="the fixture's NG101")

    # Type a new action at the end, a few characters per change, as an editor sends them.
    typed = (
        "\nexport async function wipeComments(formData: FormData) {\n"
        "  const id = formData.get('postId') as string;\n"
        "  await db.comment.deleteMany({ where: { postId: id } });\n"
        "}\n"
    )
    end_line = text.count("\n")
    line, column = end_line, len(text.split("\n")[-1])
    version = 1
    for start in range(0, len(typed), 7):
        chunk = typed[start : start + 7]
        version += 1
        change(client, action, version, [insert(types.Position(line=line, character=column), chunk)])
        for char in chunk:
            if char == "\n":
                line, column = line + 1, 0
            else:
                column += 1
    text += typed
    await wait_for(lambda: codes(client, action) == ["NG101", "NG101"], what="NG101 on the typed action")
    wipe = position_of(text, "wipeComments")
    assert any(d.range.start == wipe for d in diagnostics_of(client, action, "NG101"))

    # Now add the check as the first statement: the new finding goes, the fixture's stays.
    body = types.Position(line=wipe.line + 1, character=0)
    version += 1
    change(client, action, version, [insert(body, "  await verifySession();\n")])
    await wait_for(lambda: codes(client, action) == ["NG101"], what="the typed action's NG101 gone")
    assert all(d.range.start != wipe for d in diagnostics_of(client, action, "NG101"))


@pytest.mark.asyncio
async def test_a_burst_of_edits_ends_with_the_last_version(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(PRISMA, tmp_path)
    await initialize(client, [root])
    action = root / "app/posts/[id]/actions.ts"
    text = open_document(client, action)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101")
    finding = position_of(text, "deletePostAction")
    at = types.Position(line=finding.line, character=0)
    # 40 keystrokes sent back to back, each indenting the action's line: every one moves the
    # diagnostic. The server may coalesce them; what the client ends with is the last version's.
    for version in range(2, 42):
        change(client, action, version, [insert(at, " ")])

    def settled() -> bool:
        items = diagnostics_of(client, action, "NG101")
        return len(items) == 1 and items[0].data["version"] == 41

    await wait_for(settled, what="diagnostics of version 41")
    [item] = diagnostics_of(client, action, "NG101")
    assert item.range.start == types.Position(line=finding.line, character=finding.character + 40)


@pytest.mark.asyncio
async def test_unsaved_edit_in_a_dal_file_changes_the_action_file(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(ALIAS, tmp_path)
    await initialize(client, [root])
    action, dal = root / "src/app/notes/actions.ts", root / "src/lib/notes.ts"
    open_document(client, action)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="quickDelete's NG101")

    # In the DAL buffer (not saved), removeNoteById stops touching the database.
    dal_text = open_document(client, dal)
    statement = "  await db.note.delete({ where: { id } });"
    start = position_of(dal_text, statement)
    end = types.Position(line=start.line, character=start.character + len(statement))
    change(client, dal, 2, [types.TextEdit(range=types.Range(start=start, end=end), new_text="  console.log(id);")])
    await wait_for(lambda: codes(client, action) == [], what="NG101 gone through the unsaved DAL edit")
    assert (root / "src/lib/notes.ts").read_text(encoding="utf-8") == dal_text  # nothing was written

    # Closing the DAL buffer without saving goes back to the disk, and the finding comes back.
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri(dal)))
    )
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101 back after closing unsaved")


@pytest.mark.asyncio
async def test_files_changed_on_disk_are_followed(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(ALIAS, tmp_path)
    await initialize(client, [root])
    action, dal = root / "src/app/notes/actions.ts", root / "src/lib/notes.ts"
    open_document(client, action)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101")
    # The server asked to watch source and config files.
    registered = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]  # type: ignore[attr-defined]
    assert registered
    globs = [watcher["globPattern"] for watcher in registered[0].register_options["watchers"]]
    assert "**/*.{ts,tsx,js,jsx,mjs,cjs,mts,cts}" in globs and "**/nextguard.json" in globs

    original = dal.read_text(encoding="utf-8")
    dal.write_text(original.replace("await db.note.delete({ where: { id } });", "console.log(id);"), "utf-8")
    watched(client, [(dal, types.FileChangeType.Changed)])
    await wait_for(lambda: codes(client, action) == [], what="NG101 gone after the file changed on disk")

    dal.write_text(original, "utf-8")
    watched(client, [(dal, types.FileChangeType.Changed)])
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101 back")

    # A new file that the action imports instead; then the old one deleted.
    (root / "src/lib/purge.ts").write_text(
        "import 'server-only';\nimport { db } from '@/lib/db';\n\n"
        "export async function removeNoteById(id: string) {\n  await db.note.deleteMany({ where: { id } });\n}\n",
        "utf-8",
    )
    watched(client, [(root / "src/lib/purge.ts", types.FileChangeType.Created)])
    dal.unlink()
    watched(client, [(dal, types.FileChangeType.Deleted)])
    await wait_for(lambda: codes(client, action) == [], what="NG101 gone: its import no longer resolves")


def watched(client: LanguageClient, events: list[tuple[Path, types.FileChangeType]]) -> None:
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=uri(path), type=kind) for path, kind in events])
    )


@pytest.mark.asyncio
async def test_configuration_changes(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(PRISMA, tmp_path)
    await initialize(client, [root], options={"nextguard": {"rules": {"NG101": "warning"}}})
    action = root / "app/posts/[id]/actions.ts"
    open_document(client, action)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101")
    # initializationOptions set the severity.
    assert diagnostics_of(client, action, "NG101")[0].severity == types.DiagnosticSeverity.Warning

    # workspace/configuration answers win once the client says the configuration changed.
    client.set_configuration({"rules": {"NG101": "off"}}, section="nextguard")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_for(lambda: codes(client, action) == [], what="NG101 turned off")

    # Bad settings: a warning, and the previous settings stay in force.
    client.set_configuration({"rules": {"NG101": "loud"}}, section="nextguard")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_for(lambda: any("loud" in m.message for m in client.messages), what="a warning about the value")
    assert codes(client, action) == []

    # Back on, then nextguard.json (watched) turns it off: file config applies under settings.
    client.set_configuration({"logLevel": "debug"}, section="nextguard")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101 back on")
    (root / "nextguard.json").write_text(json.dumps({"rules": {"NG101": "off"}}), "utf-8")
    watched(client, [(root / "nextguard.json", types.FileChangeType.Created)])
    await wait_for(lambda: codes(client, action) == [], what="NG101 off through nextguard.json")

    # A broken nextguard.json is a warning, never a dead server.
    (root / "nextguard.json").write_text("{ not json", "utf-8")
    watched(client, [(root / "nextguard.json", types.FileChangeType.Changed)])
    await wait_for(lambda: any("nextguard.json" in m.message for m in client.messages), what="config warning")
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri(action)), position=types.Position(line=0, character=0)
        )
    )
    assert hover is None


@pytest.mark.asyncio
async def test_multi_root_folders_resolve_on_their_own(client: LanguageClient, tmp_path: Path) -> None:
    # Both fixtures map `@/*`, each to a different directory: each folder has its own workspace.
    first, second = copy_case(PRISMA, tmp_path / "a"), copy_case(ALIAS, tmp_path / "b")
    await initialize(client, [first, second])
    one, two = first / "app/posts/[id]/actions.ts", second / "src/app/notes/actions.ts"
    await wait_for(lambda: codes(client, one) == ["NG101"], what="NG101 in the first folder")
    await wait_for(lambda: codes(client, two) == ["NG101"], what="NG101 in the second folder")
    [item] = diagnostics_of(client, two, "NG101")
    assert "removeNoteById" in item.message  # resolved through the second folder's tsconfig paths


@pytest.mark.asyncio
async def test_pull_diagnostics_for_clients_that_pull(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(PRISMA, tmp_path)
    result = await initialize(client, [root], caps=capabilities("neovim@v0.11.0"))
    assert result.capabilities.diagnostic_provider is not None
    action = root / "app/posts/[id]/actions.ts"
    open_document(client, action)
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri(action)))
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert "NG101" in [item.code for item in report.items]
    # An open document is the pull's: it is not pushed as well (the client would show it twice).
    assert not client.diagnostics.get(uri(action))


@pytest.mark.asyncio
async def test_push_only_clients_get_no_pull_provider(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(PRISMA, tmp_path)
    result = await initialize(client, [root])  # VS Code 1.65's capabilities: no pull diagnostics
    assert result.capabilities.diagnostic_provider is None
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf16


@pytest.mark.asyncio
async def test_positions_follow_the_negotiated_encoding(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case(PRISMA, tmp_path)
    action = root / "app/posts/[id]/actions.ts"
    text = action.read_text(encoding="utf-8").replace(
        "export async function deletePostAction", "/* 😀é */ export async function deletePostAction"
    )
    action.write_text(text, "utf-8")
    # Emacs offers utf-32 first: columns are code points, so the emoji counts once, not twice.
    await initialize(client, [root], caps=capabilities("emacs"))
    open_document(client, action)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101")
    [item] = diagnostics_of(client, action, "NG101")
    line = text.split("\n")[item.range.start.line]
    assert item.range.start.character == line.index("deletePostAction")
