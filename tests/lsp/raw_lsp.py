"""A language server in a subprocess driven with raw bytes: for what a typed client cannot send
(broken framing, requests before `initialize`, requests after `shutdown`). Everything the server
writes is decoded on a thread of its own and kept, so a test can wait for one message while the
server keeps talking."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from lsp_support import SERVER

Message = dict[str, Any]


def frame(message: Message | bytes, length: int | None = None) -> bytes:
    """One message as the wire carries it; ``length`` overrides the Content-Length it claims."""
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length) + body


def request(id_: int | str, method: str, params: object = None) -> Message:
    message: Message = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str, params: object = None) -> Message:
    message: Message = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message


def initialize_params(root: Path | None = None) -> Message:
    params: Message = {"processId": None, "capabilities": {}, "rootUri": None}
    if root is not None:
        params["rootUri"] = root.as_uri()
        params["workspaceFolders"] = [{"uri": root.as_uri(), "name": root.name}]
    return params


def _read_frames(stream: IO[bytes], out: queue.Queue[Message | None]) -> None:
    """The server's output, one message at a time (this side trusts the server's framing)."""
    try:
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if not line.strip():
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            out.put(json.loads(stream.read(length)))
    finally:
        out.put(None)


class RawServer:
    def __init__(self, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.stderr_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"nextguard-raw-{os.getpid()}-{id(self)}.log"
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 -- closed in close()
        self.process = subprocess.Popen(
            SERVER,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._incoming: queue.Queue[Message | None] = queue.Queue()
        self.received: list[Message] = []
        self._thread = threading.Thread(target=_read_frames, args=(self.process.stdout, self._incoming), daemon=True)
        self._thread.start()
        self.closed = False

    # -- writing -------------------------------------------------------------------------------

    def send_bytes(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: Message, length: int | None = None) -> None:
        self.send_bytes(frame(message, length))

    def close_stdin(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    # -- reading -------------------------------------------------------------------------------

    def wait_for(self, matches: Callable[[Message], bool], timeout: float = 10.0, what: str = "a message") -> Message:
        """The first message (already received or still to come) that ``matches``."""
        for message in self.received:
            if matches(message):
                return message
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}; received {self.received}")
            try:
                message = self._incoming.get(timeout=remaining)
            except queue.Empty:
                continue
            if message is None:
                self.closed = True
                raise AssertionError(f"the server closed its output before {what}; received {self.received}")
            self.received.append(message)
            if matches(message):
                return message

    def response(self, id_: int | str, timeout: float = 10.0) -> Message:
        return self.wait_for(lambda m: m.get("id") == id_ and "method" not in m, timeout, f"the response to {id_!r}")

    def call(self, id_: int | str, method: str, params: object = None, timeout: float = 10.0) -> Message:
        self.send(request(id_, method, params))
        return self.response(id_, timeout)

    def logs(self) -> list[str]:
        return [str(m["params"]["message"]) for m in self.received if m.get("method") == "window/logMessage"]

    def drain(self, seconds: float) -> None:
        """Collect whatever arrives in the next ``seconds``."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                message = self._incoming.get(timeout=remaining)
            except queue.Empty:
                return
            if message is None:
                self.closed = True
                return
            self.received.append(message)

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = 10.0) -> int:
        return self.process.wait(timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._stderr.close()
        self.stderr_path.unlink(missing_ok=True)


def initialized(server: RawServer, root: Path | None = None, id_: int | str = "init") -> Message:
    answer = server.call(id_, "initialize", initialize_params(root))
    server.send(notification("initialized", {}))
    return answer


def rss_kib(pid: int) -> int:
    """The resident memory of a process, from /proc (0 where there is none)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


__all__: Sequence[str] = (
    "RawServer",
    "frame",
    "initialize_params",
    "initialized",
    "notification",
    "request",
    "rss_kib",
)
