"""End-to-end tests of `nextguard lsp`: the real server in a subprocess, driven over stdio by
pytest-lsp's client, on copies of the fixture workspaces."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from nextguard.syntax.parse import first_error, parse

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = ROOT / "examples"
SERVER = [sys.executable, "-m", "nextguard", "lsp"]


def copy_case(name: str, into: Path) -> Path:
    """A fresh copy of a fixture workspace (``ng101/prisma-basic``) or example (``acme-notes``)."""
    source = FIXTURES / name if (FIXTURES / name).is_dir() else EXAMPLES / name
    target = into / Path(name).name
    # Without the cache a CLI run may have left in the source: each test starts from the files.
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".nextguard_cache"))
    return target.resolve()


def uri(path: Path) -> str:
    return path.as_uri()


def capabilities(name: str = "visual-studio-code") -> types.ClientCapabilities:
    return client_capabilities(name)


def register_client_handlers(client: LanguageClient) -> None:
    """What pytest-lsp's client does not answer by itself: dynamic registration and applyEdit
    (recorded so tests can look at them)."""
    registrations: list[types.Registration] = []
    applied: list[types.ApplyWorkspaceEditParams] = []
    client.registrations = registrations  # type: ignore[attr-defined]
    client.applied_edits = applied  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        applied.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)


async def initialize(
    client: LanguageClient,
    folders: Sequence[Path],
    caps: types.ClientCapabilities | None = None,
    options: Any = None,
) -> types.InitializeResult:
    register_client_handlers(client)
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=caps or capabilities(),
            workspace_folders=[types.WorkspaceFolder(uri=uri(folder), name=folder.name) for folder in folders],
            root_uri=uri(folders[0]) if folders else None,
            initialization_options=options,
        )
    )


async def wait_for(condition: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll until ``condition()`` is truthy: the server publishes in its own time, and pytest-lsp
    keeps one waiter per notification method, which is not enough for several files."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


# The rules these tests are about: the engine grows more, and a test of the protocol should not
# change when a new rule also reports on a fixture.
RULES_UNDER_TEST = ("NG101", "NG203", "NG208")


def diagnostics_of(client: LanguageClient, path: Path, *wanted: str) -> list[types.Diagnostic]:
    wanted = wanted or RULES_UNDER_TEST
    return [d for d in client.diagnostics.get(uri(path), []) if str(d.code) in wanted]


def codes(client: LanguageClient, path: Path, *wanted: str) -> list[str]:
    return sorted(str(d.code) for d in diagnostics_of(client, path, *wanted))


def open_document(client: LanguageClient, path: Path, version: int = 1, text: str | None = None) -> str:
    text = path.read_text(encoding="utf-8") if text is None else text
    language = "typescriptreact" if path.suffix in (".tsx", ".jsx") else "typescript"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri(path), language_id=language, version=version, text=text)
        )
    )
    return text


def change(client: LanguageClient, path: Path, version: int, edits: Sequence[types.TextEdit]) -> None:
    """Send edits as incremental content changes (in order, each against the previous result)."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=e.range, text=e.new_text) for e in edits],
        )
    )


def offset_at(text: str, position: types.Position) -> int:
    """A UTF-16 position in ``text`` as a string index (the tests' texts split lines at \\n)."""
    lines = text.split("\n")
    before = sum(len(line) + 1 for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    units = 0
    for index, char in enumerate(line):
        if units >= position.character:
            return before + index
        units += 2 if ord(char) > 0xFFFF else 1
    return before + len(line)


def position_of(text: str, needle: str, occurrence: int = 0) -> types.Position:
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    return types.Position(line=line, character=column)


def apply_text_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Apply LSP text edits the way a client does: all ranges refer to the original text."""
    spans = sorted(
        ((offset_at(text, e.range.start), offset_at(text, e.range.end), e.new_text) for e in edits),
        key=lambda item: (item[0], item[1]),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def edits_for(edit: types.WorkspaceEdit, target: str) -> tuple[int | None, list[types.TextEdit]]:
    """The edits a workspace edit makes to one URI, and the version they are for."""
    if edit.document_changes:
        for change_ in edit.document_changes:
            if isinstance(change_, types.TextDocumentEdit) and change_.text_document.uri == target:
                return change_.text_document.version, [e for e in change_.edits if isinstance(e, types.TextEdit)]
        return None, []
    return None, list((edit.changes or {}).get(target, []))


# -- pulling one rule family's diagnostics, and applying a fix the way an editor does ------------


async def pull(client: LanguageClient, path: Path) -> list[types.Diagnostic]:
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri(path)))
    )
    return list(getattr(report, "items", []) or [])


async def pull_until(
    client: LanguageClient, path: Path, wanted: list[str], family: str | tuple[str, ...], timeout: float = 20.0
) -> list[types.Diagnostic]:
    """Pull the document's diagnostics whose codes start with ``family`` until their codes are
    ``wanted`` (the server settles edits in its own time). Other families also report on the same
    fixtures (NG301 on most actions); each family's protocol tests look at their own codes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = [d for d in await pull(client, path) if str(d.code).startswith(family)]
        if sorted(str(d.code) for d in found) == wanted:
            return found
        if loop.time() > deadline:
            raise AssertionError(f"{path.name}: wanted {wanted}, got {sorted(str(d.code) for d in found)}")
        await asyncio.sleep(0.05)


def replace_all(client: LanguageClient, path: Path, version: int, old: str, new: str) -> None:
    """Send ``new`` as one change replacing the whole of ``old``."""
    lines = old.split("\n")
    end = types.Position(line=len(lines) - 1, character=len(lines[-1]))
    change(client, path, version, [types.TextEdit(range=types.Range(types.Position(0, 0), end), new_text=new)])


async def offered_fix(
    client: LanguageClient, path: Path, diagnostics: Sequence[types.Diagnostic], title: str
) -> tuple[types.Diagnostic, types.CodeAction]:
    """The first of ``diagnostics`` offering a code action with an edit whose title holds ``title``,
    with that action."""
    offered: list[str] = []
    for item in diagnostics:
        result = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri(path)),
                range=item.range,
                context=types.CodeActionContext(diagnostics=[item]),
            )
        )
        for action in result or []:
            if isinstance(action, types.CodeAction):
                offered.append(action.title)
                if title in action.title and action.edit is not None:
                    return item, action
    raise AssertionError(f"no action titled {title!r} among {offered}")


def apply_action(client: LanguageClient, path: Path, text: str, version: int, action: types.CodeAction) -> str:
    """Apply the action's edit to ``text``, check the result parses, send it as the document's
    ``version``; returns the new text."""
    assert action.edit is not None
    _, edits = edits_for(action.edit, uri(path))
    fixed = apply_text_edits(text, edits)
    assert first_error(parse(path, fixed.encode("utf-8")).root_node) is None, fixed
    replace_all(client, path, version, text, fixed)
    return fixed


async def apply_fix(client: LanguageClient, path: Path, text: str, version: int, code: str, title: str) -> str:
    """Apply the code action titled ``title`` of the first ``code`` diagnostic that offers one."""
    diagnostics = [d for d in await pull(client, path) if d.code == code]
    _, action = await offered_fix(client, path, diagnostics, title)
    return apply_action(client, path, text, version, action)
