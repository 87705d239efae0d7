"""The server honours the baseline `check --write-baseline` commits at a folder's root: the
findings it lists are not shown, a new one is, and the baseline is read again when it changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_support import change, codes, copy_case, initialize, open_document, uri, wait_for
from lsprotocol import types
from pytest_lsp import LanguageClient

from nextguard.baseline import BASELINE_FILE, write_baseline
from nextguard.engine import analyze

NOTES = Path("src/app/actions/notes.ts")
NEW_ACTION = """
export async function purgeEverything(id: string) {
  await db.note.deleteMany({ where: { id } });
}
"""


def _append(client: LanguageClient, path: Path, text: str, version: int, extra: str) -> str:
    lines = text.split("\n")
    end = types.Position(line=len(lines) - 1, character=len(lines[-1]))
    change(client, path, version, [types.TextEdit(range=types.Range(end, end), new_text=extra)])
    return text + extra


@pytest.mark.asyncio
async def test_baselined_findings_are_hidden_and_a_new_one_is_shown(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("acme-notes", tmp_path)
    notes = root / NOTES
    before = [f for f in analyze([root]).findings if f.path.name == "notes.ts"]
    assert any(f.code == "NG101" for f in before)
    write_baseline(root / BASELINE_FILE, analyze([root]).findings)

    await initialize(client, [root])
    # Moved down by a line (an unsaved edit): still baselined, since entries are not keyed by line.
    text = "// moved\n" + notes.read_text(encoding="utf-8")
    open_document(client, notes, text=text)
    text = _append(client, notes, text, 2, NEW_ACTION)
    await wait_for(lambda: codes(client, notes, "NG101") == ["NG101"], what="the new action's NG101 alone")
    [shown] = [d for d in client.diagnostics.get(uri(notes), []) if d.code == "NG101"]
    assert "purgeEverything" in shown.message
    assert len(codes(client, notes)) < len(before)  # the baselined ones stay hidden


@pytest.mark.asyncio
async def test_removing_the_baseline_shows_everything_again(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("acme-notes", tmp_path)
    notes = root / NOTES
    write_baseline(root / BASELINE_FILE, analyze([root]).findings)
    await initialize(client, [root])
    text = open_document(client, notes)
    _append(client, notes, text, 2, NEW_ACTION)
    await wait_for(lambda: codes(client, notes, "NG101") == ["NG101"], what="the baseline in force")

    (root / BASELINE_FILE).unlink()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(root / BASELINE_FILE), type=types.FileChangeType.Deleted)]
        )
    )
    await wait_for(lambda: codes(client, notes, "NG101") == ["NG101"] * 3, what="every NG101 once unbaselined")


@pytest.mark.asyncio
async def test_a_broken_baseline_is_a_warning_and_hides_nothing(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("acme-notes", tmp_path)
    notes = root / NOTES
    (root / BASELINE_FILE).write_text("{ not json", encoding="utf-8")
    await initialize(client, [root])
    open_document(client, notes)
    await wait_for(lambda: codes(client, notes, "NG101") == ["NG101"] * 2, what="every NG101")
    assert any(BASELINE_FILE in m.message and "every finding is shown" in m.message for m in client.messages)
