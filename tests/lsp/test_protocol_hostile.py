"""The server against a client that breaks the protocol: the lifecycle LSP prescribes (errors
before `initialize`, for a second one and after `shutdown`, exit codes), and framing that lies
(Content-Length wrong, huge or not a number, header lines that never end). Each ends in an error
answer or a logged error, and the server keeps answering; its memory stays bounded."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lsp_support import capabilities, register_client_handlers
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient
from raw_lsp import RawServer, frame, initialized, notification, request, rss_kib

HOVER = {"textDocument": {"uri": "file:///nowhere/x.ts"}, "position": {"line": 0, "character": 0}}
SERVER_NOT_INITIALIZED = -32002
INVALID_REQUEST = -32600


@pytest.fixture
def raw() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.close()


def error_code(answer: dict[str, object]) -> object:
    error = answer.get("error")
    return error.get("code") if isinstance(error, dict) else None


# -- lifecycle, with a real client where it can be made to misbehave -------------------------------


@pytest.mark.asyncio
async def test_a_request_before_initialize_is_server_not_initialized(client: LanguageClient) -> None:
    params = types.HoverParams(types.TextDocumentIdentifier(uri="file:///nowhere/x.ts"), types.Position(0, 0))
    register_client_handlers(client)
    client.capabilities = capabilities()  # pytest-lsp sends nothing before its own initialize otherwise
    with pytest.raises(JsonRpcException) as raised:
        await client.text_document_hover_async(params)
    assert raised.value.code == SERVER_NOT_INITIALIZED
    # And the server still initializes afterwards.
    result = await client.initialize_session(types.InitializeParams(capabilities=capabilities()))
    assert result.server_info is not None and result.server_info.name == "nextguard"


@pytest.mark.asyncio
async def test_a_second_initialize_is_an_error_and_the_server_keeps_working(client: LanguageClient) -> None:
    register_client_handlers(client)
    await client.initialize_session(types.InitializeParams(capabilities=capabilities()))
    with pytest.raises(JsonRpcException) as raised:
        await client.initialize_async(types.InitializeParams(capabilities=capabilities()))
    assert raised.value.code == INVALID_REQUEST
    params = types.HoverParams(types.TextDocumentIdentifier(uri="file:///nowhere/x.ts"), types.Position(0, 0))
    assert await client.text_document_hover_async(params) is None


def test_a_notification_before_initialize_is_dropped(raw: RawServer, tmp_path: Path) -> None:
    source = tmp_path / "app" / "actions.ts"
    source.parent.mkdir()
    text = "'use server'\nexport async function go() {}\n"
    source.write_text(text)
    document = {"uri": source.as_uri(), "languageId": "typescript", "version": 1, "text": text}
    raw.send(notification("textDocument/didOpen", {"textDocument": document}))
    raw.send(notification("workspace/didChangeConfiguration", {"settings": {}}))
    answer = initialized(raw)
    assert "result" in answer
    # Had the didOpen been kept, the document would be open now: a change to it would apply.
    raw.send(
        notification(
            "textDocument/didChange",
            {"textDocument": {"uri": source.as_uri(), "version": 2}, "contentChanges": [{"text": text}]},
        )
    )
    raw.wait_for(lambda m: "which is not open; ignored" in str(m.get("params")), what="the ignored change")
    assert "Traceback" not in raw.stderr()


def test_requests_after_shutdown_are_invalid_and_exit_then_is_0(raw: RawServer) -> None:
    initialized(raw)
    assert raw.call(1, "shutdown") == {"jsonrpc": "2.0", "id": 1, "result": None}
    assert error_code(raw.call(2, "textDocument/hover", HOVER)) == INVALID_REQUEST
    assert error_code(raw.call(3, "shutdown")) == INVALID_REQUEST
    raw.send(notification("exit"))
    assert raw.wait(10) == 0


@pytest.mark.parametrize("initialize_first", [True, False], ids=["initialized", "never-initialized"])
def test_exit_without_shutdown_is_1(raw: RawServer, initialize_first: bool) -> None:
    if initialize_first:
        initialized(raw)
    raw.send(notification("exit"))
    assert raw.wait(10) == 1


def test_a_message_that_is_not_a_request_gets_invalid_request(raw: RawServer) -> None:
    initialized(raw)
    raw.send_bytes(frame(b"[1, 2, 3]"))
    raw.send_bytes(frame(b'{"jsonrpc": "2.0", "id": {"an": "object"}, "method": "textDocument/hover"}'))
    raw.drain(0.5)
    refusals = [m for m in raw.received if m.get("id") is None and error_code(m) == INVALID_REQUEST]
    assert len(refusals) == 2
    assert "result" in raw.call(4, "textDocument/hover", HOVER)


# -- framing ---------------------------------------------------------------------------------------


def _too_short(raw: RawServer) -> None:
    raw.send(request(10, "textDocument/hover", HOVER), length=20)


def _too_long(raw: RawServer) -> None:
    body = json.dumps(request(10, "textDocument/hover", HOVER)).encode()
    raw.send_bytes(frame(body, len(body) + 40))


def _huge(raw: RawServer) -> None:
    raw.send_bytes(b"Content-Length: 100000000000\r\n\r\n{}")


def _not_a_number(raw: RawServer) -> None:
    raw.send_bytes(b"Content-Length: 12abc\r\n\r\n{}")


def _no_length(raw: RawServer) -> None:
    raw.send_bytes(b"Content-Type: application/vscode-jsonrpc\r\n\r\n{}")


def _endless_header_line(raw: RawServer) -> None:
    line = b"X" * (1 << 20)
    for _ in range(64):
        raw.send_bytes(line)
    raw.send_bytes(b"\r\n\r\n")


def _body_over_the_limit(raw: RawServer) -> None:
    size = 80 << 20
    raw.send_bytes(b"Content-Length: %d\r\n\r\n" % size)
    chunk = b"a" * (1 << 20)
    for _ in range(size >> 20):
        raw.send_bytes(chunk)


@pytest.mark.parametrize(
    ("break_framing", "answered", "logged"),
    [
        (_too_short, True, "sent with Content-Length 20; read anyway"),
        (_too_long, True, "; read anyway"),
        (_huge, False, "100,000,000,000 bytes, over the 67,108,864-byte limit"),
        (_not_a_number, False, "a Content-Length that is not a number ('12abc')"),
        (_no_length, False, "a header block without Content-Length"),
        (_endless_header_line, False, "a header block longer than 8,192 bytes"),
        (_body_over_the_limit, False, "83,886,080 bytes, over the 67,108,864-byte limit"),
    ],
    ids=["too-short", "too-long", "huge", "not-a-number", "no-length", "endless-header-line", "over-the-limit"],
)
def test_broken_framing_is_logged_and_the_server_keeps_answering(
    raw: RawServer, break_framing: Callable[[RawServer], None], answered: bool, logged: str
) -> None:
    initialized(raw)
    before = rss_kib(raw.process.pid)
    break_framing(raw)
    if answered:
        # A Content-Length that is off is recovered: the request is answered (pygls never did).
        assert "result" in raw.response(10)
    # The next well-framed request is answered, and the client was told what went wrong.
    assert "result" in raw.call(11, "textDocument/hover", HOVER)
    after = rss_kib(raw.process.pid)
    assert any(logged in line for line in raw.logs()), raw.logs()
    assert logged in raw.stderr()
    # Nothing was buffered whole (the header line alone was 64 MiB; pygls held all of it).
    assert after - before < 32 << 10, (before, after)
    assert raw.process.poll() is None


def test_the_input_ending_mid_message_ends_the_server_with_1(raw: RawServer) -> None:
    initialized(raw)
    raw.send_bytes(b'Content-Length: 500\r\n\r\n{"jsonrpc": "2.0"')
    raw.close_stdin()
    assert raw.wait(10) == 1
    assert "the input ended inside a message" in raw.stderr()
