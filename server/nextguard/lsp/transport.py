"""Reading the client: bytes from stdin (or a TCP connection) through ``framing.FrameDecoder`` into
the protocol, in place of pygls' reader (see ``framing.py`` for what that one trusts).

stdin is read on a daemon thread of its own, a chunk at a time, with ``os.read`` on the descriptor:
a blocked read must not keep the process alive after `exit`, and a daemon thread blocked inside a
buffered reader would hold its lock while the interpreter shuts down (a fatal error). The thread
hands each chunk to the event loop through a small bounded queue, so a client that writes faster
than the server reads waits in its own pipe, not in the server's memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO, Protocol

from .framing import FrameDecoder, Problem, Received

CHUNK = 1 << 16
_QUEUE_CHUNKS = 4

log = logging.getLogger(__name__)


class Receiver(Protocol):
    """What the read loop hands its results to (the server)."""

    def receive(self, value: Any) -> None: ...
    def framing_problem(self, problem: Problem) -> None: ...
    def stopping(self) -> bool: ...


def read_function(stream: BinaryIO) -> Callable[[int], bytes]:
    """A read that returns what is available (up to n bytes), b"" at the end."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        read1 = getattr(stream, "read1", None)
        return read1 if callable(read1) else stream.read
    return lambda n: os.read(descriptor, n)


class ThreadReader:
    """A blocking read on a daemon thread, handed to the event loop one chunk at a time."""

    def __init__(self, read: Callable[[int], bytes], loop: asyncio.AbstractEventLoop) -> None:
        self._read = read
        self._loop = loop
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(_QUEUE_CHUNKS)
        self._thread = threading.Thread(target=self._run, name="nextguard-stdin", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                chunk = self._read(CHUNK)
            except OSError as error:
                log.error("reading the client failed: %s", error)
                chunk = b""
            try:
                # Waits while the queue is full: the loop is busy, the client waits in its pipe.
                asyncio.run_coroutine_threadsafe(self._queue.put(chunk), self._loop).result()
            except Exception:
                return  # the loop is gone: the server is exiting
            if not chunk:
                return

    async def read(self) -> bytes:
        return await self._queue.get()


async def serve_stream(read: Callable[[], Awaitable[bytes]], receiver: Receiver, decoder: FrameDecoder) -> None:
    """Read messages until the stream ends or the server stops, handing each to ``receiver``."""
    while not receiver.stopping():
        chunk = await read()
        events = decoder.feed(chunk) if chunk else decoder.close()
        for event in events:
            if isinstance(event, Received):
                receiver.receive(event.value)
                # Let the handlers the message started run before the next message is read.
                await asyncio.sleep(0)
            else:
                receiver.framing_problem(event)
        if not chunk:
            return


__all__ = ["CHUNK", "Receiver", "ThreadReader", "read_function", "serve_stream"]
