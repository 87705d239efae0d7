"""Requests whose answer carries a document version wait for the analysis of the newest text the
client sent (``NextguardServer.call_current``), driven without a client: a session that applies
the change late must not make the server answer for the older version."""

from __future__ import annotations

import asyncio

import pytest

from nextguard.lsp.server import NextguardServer
from nextguard.lsp.worker import Worker

URI = "file:///w/app/actions.ts"


class LaggingSession:
    """Applies version 3 only after it has been asked twice (a change still on its way)."""

    def __init__(self) -> None:
        self.version = 2
        self.asked = 0

    def answer(self) -> str:
        self.asked += 1
        if self.asked == 2:
            self.version = 3
        return f"computed for version {self.version}"

    def document_version(self, uri: str) -> int | None:
        return self.version if uri == URI else None


def _server(session: LaggingSession) -> NextguardServer:
    server = NextguardServer()
    worker = Worker(lambda interrupted: True, lambda name, error: None)
    worker.start()
    server.session = session  # type: ignore[assignment]
    server.worker = worker
    return server


@pytest.mark.asyncio
async def test_the_answer_waits_for_the_newest_version() -> None:
    session = LaggingSession()
    server = _server(session)
    server.received[URI] = 3
    try:
        answer = await server.call_current(URI, lambda s: s.answer(), "codeAction")  # type: ignore[attr-defined]
    finally:
        assert server.worker is not None
        server.worker.stop()
    assert answer == "computed for version 3"


@pytest.mark.asyncio
async def test_the_wait_is_bounded() -> None:
    session = LaggingSession()
    server = _server(session)
    server.received[URI] = 7  # never applied
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        answer = await server.call_current(URI, lambda s: s.answer(), "codeAction", limit=0.2)  # type: ignore[attr-defined]
    finally:
        assert server.worker is not None
        server.worker.stop()
    assert answer == "computed for version 3"
    assert loop.time() - began < 2.0


@pytest.mark.asyncio
async def test_a_document_the_client_never_sent_is_answered_at_once() -> None:
    session = LaggingSession()
    server = _server(session)
    try:
        answer = await server.call_current(URI, lambda s: s.answer(), "codeAction")  # type: ignore[attr-defined]
    finally:
        assert server.worker is not None
        server.worker.stop()
    assert answer == "computed for version 2" and session.asked == 1
