"""Fixtures for the end-to-end language server tests: a pytest-lsp client connected to
`python -m nextguard lsp` in a subprocess. Each test initializes it with its own folders."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest_lsp
from lsp_support import SERVER
from pytest_lsp import ClientServerConfig, LanguageClient


async def _close(client: LanguageClient) -> None:
    """Shut the server down the LSP way; if a test failed before `initialize` (or the server
    hangs), kill it, since pytest-lsp would otherwise wait for it forever."""
    try:
        if client._server is not None and client._server.returncode is None:
            await asyncio.wait_for(client.shutdown_session(), 15)
    finally:
        server = client._server
        if server is not None and server.returncode is None:
            server.kill()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    yield
    await _close(lsp_client)


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, server_env={**os.environ, "NEXTGUARD_TEST_FAULT": "NG101"})
)
async def faulty_client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    yield
    await _close(lsp_client)
