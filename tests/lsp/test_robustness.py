"""A broken rule, bad requests and the end of a session: the server keeps serving, answers with
LSP errors where the protocol asks for them, and exits cleanly."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from lsp_support import codes, copy_case, diagnostics_of, initialize, open_document, uri, wait_for
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient


@pytest.mark.asyncio
async def test_a_rule_that_raises_is_logged_and_the_rest_still_runs(
    faulty_client: LanguageClient, tmp_path: Path
) -> None:
    client = faulty_client  # started with NEXTGUARD_TEST_FAULT=NG101: NG101 raises on every file
    root = copy_case("acme-notes", tmp_path)
    await initialize(client, [root])
    await wait_for(lambda: codes(client, root / "src/lib/audit.ts") == ["NG208"], what="NG208 despite NG101")
    await wait_for(lambda: codes(client, root / "src/lib/billing.ts") == ["NG203"], what="NG203 despite NG101")
    await wait_for(
        lambda: any("NG101 failed" in m.message and m.type == types.MessageType.Error for m in client.log_messages),
        what="the rule error in the log",
    )
    notes = root / "src/app/actions/notes.ts"
    assert codes(client, notes) == []
    # Still serving: a document opens, edits apply, requests answer.
    open_document(client, notes)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri(notes)), position=types.Position(0, 0))
    )
    assert hover is None


async def raw_request(client: LanguageClient, method: str, params: object) -> dict[str, Any]:
    """Send a request the typed client refuses to build, and return the error the server sends."""
    future: Future[Any] = Future()
    client.protocol._request_futures["raw-1"] = future
    body = json.dumps({"jsonrpc": "2.0", "id": "raw-1", "method": method, "params": params}).encode()
    assert client._server is not None and client._server.stdin is not None
    client._server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    with pytest.raises(JsonRpcException) as raised:
        await asyncio.wait_for(asyncio.wrap_future(future), 10)
    return {"code": raised.value.code, "message": str(raised.value)}


@pytest.mark.asyncio
async def test_bad_requests_get_errors_and_positions_clamp(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng101/prisma-basic", tmp_path)
    await initialize(client, [root])
    action = root / "app/posts/[id]/actions.ts"
    open_document(client, action)
    await wait_for(lambda: codes(client, action) == ["NG101"], what="NG101")

    # Params that do not deserialize (no position): an InvalidParams error, not silence.
    error = await raw_request(client, "textDocument/hover", {"textDocument": {"uri": uri(action)}})
    assert error["code"] == -32602

    # Out-of-range positions clamp (LSP: past the end of a line means its end).
    far = types.Position(line=10_000, character=10_000)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri(action)), position=far)
    )
    assert hover is None
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(action), version=2),
            content_changes=[types.TextDocumentContentChangePartial(range=types.Range(far, far), text="\n// end\n")],
        )
    )
    # Unknown documents and other schemes: empty answers.
    for other in (uri(root / "nope.ts"), "untitled:Untitled-1"):
        result = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=other),
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        assert not result
    # An unknown command is an error.
    with pytest.raises(JsonRpcException):
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command="nextguard.nope"))
    # And the server is still there.
    assert codes(client, action) == ["NG101"]
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri(action)),
            position=diagnostics_of(client, action, "NG101")[0].range.start,
        )
    )
    assert hover is not None


@pytest.mark.asyncio
async def test_shutdown_and_exit_are_clean(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng101/prisma-basic", tmp_path)
    await initialize(client, [root])
    await wait_for(lambda: codes(client, root / "app/posts/[id]/actions.ts") == ["NG101"], what="NG101")
    await client.shutdown_session()
    assert client._server is not None
    assert client._server.returncode == 0
