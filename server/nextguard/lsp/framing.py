"""Cutting the client's byte stream into JSON-RPC messages, with every bound a hostile or broken
client could push on.

The wire format is HTTP-like: header lines (`Content-Length: N` required), an empty line, then N
bytes of JSON. pygls' own reader trusts all of it: a header line is read however long it is, a
Content-Length of 10^11 is allocated at once (the server dies), and a Content-Length that is a few
bytes off leaves every later message glued to the previous one (the server lives but never answers
again). This decoder is fed whatever the transport read and gives back what it could make of it:

- header blocks are at most ``max_header_bytes`` long, bodies at most ``max_content_length``;
  nothing it buffers grows past those (plus the chunk being fed);
- a frame it cannot read is reported once (a ``Problem``), then the decoder resynchronises on the
  next ``Content-Length:`` header in the stream, so one bad frame costs one message, not the
  connection;
- a Content-Length that does not match the body it announces is recovered where the stream says
  where the message really ends: a JSON object is complete only at its last byte (no proper prefix
  of one is itself a complete object), so a body that is complete before the promised length, or a
  too-short body completed by the bytes before the next header, is the message (with a warning).

The decoder never blocks and never raises on input (sans-I/O: ``transport.py`` reads, this cuts).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

# The largest message accepted. Far above any real one (a 1 MB file opened in full, as JSON, is
# under 6 MB), low enough that a buffered body cannot exhaust memory.
MAX_CONTENT_LENGTH = 64 << 20
# One block of header lines: a real one is ~25 bytes (`Content-Length` and maybe `Content-Type`).
MAX_HEADER_BYTES = 8 << 10
# A body cut short by a wrong Content-Length is checked for completeness when the stream pauses,
# which parses it; only up to this size, so a large body arriving slowly is not parsed again and again.
SNIFF_LIMIT = 4 << 20

# Where a frame may start: resynchronisation looks for this (header names are case-insensitive).
_MARKER = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
# Bytes kept while scanning, so a marker split between two reads is still found.
_MARKER_TAIL = 64
_END_OF_HEADERS = b"\r\n\r\n"
_WHITESPACE = b" \t\r\n"


@dataclass(frozen=True, slots=True)
class Received:
    """One message: its JSON value (a dict for anything JSON-RPC can use)."""

    value: Any


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with the framing, worth a line in the log."""

    severity: Literal["error", "warning"]
    text: str


Event = Received | Problem


class _State(Enum):
    HEADER = "header"  # reading header lines
    BODY = "body"  # reading the body the header announced
    SALVAGE = "salvage"  # a body that was not JSON at its announced length: looking for its real end
    SCAN = "scan"  # lost: dropping bytes up to the next `Content-Length:`


class FrameDecoder:
    def __init__(self, max_content_length: int = MAX_CONTENT_LENGTH, max_header_bytes: int = MAX_HEADER_BYTES) -> None:
        self.max_content_length = max_content_length
        self.max_header_bytes = max_header_bytes
        self._buffer = bytearray()
        self._state = _State.HEADER
        self._length = 0  # BODY, SALVAGE: the Content-Length of the frame being read
        self._failing = False  # an error was reported and no message has been read since
        self._skipped = 0  # bytes dropped since that error

    @property
    def buffered(self) -> int:
        """How many bytes the decoder holds (bounded: a body, a header block, or a marker's tail)."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Event]:
        """Take the bytes one read returned, and give back what they complete. A read that returned
        fewer bytes than a frame needs is a pause in the stream: a body that is complete there is
        taken as the message even if the header promised more."""
        events: list[Event] = []
        self._buffer += data
        while self._step(events):
            pass
        self._at_pause(events)
        return events

    def close(self) -> list[Event]:
        """The stream ended: anything left is a frame cut short."""
        events: list[Event] = []
        left = bytes(self._buffer).strip(_WHITESPACE)
        if left and self._state is not _State.SCAN:
            self._error(events, f"the input ended inside a message ({len(left):,} bytes left unread)")
        self._buffer.clear()
        return events

    # -- the states ------------------------------------------------------------------------------------

    def _step(self, events: list[Event]) -> bool:
        """Make one move; False when more bytes are needed."""
        if self._state is _State.HEADER:
            return self._read_header(events)
        if self._state is _State.BODY:
            return self._read_body(events)
        if self._state is _State.SALVAGE:
            return self._salvage(events)
        return self._scan()

    def _read_header(self, events: list[Event]) -> bool:
        # Blank lines between frames are harmless (and a body delivered early leaves some behind).
        start = 0
        while start < len(self._buffer) and self._buffer[start] in _WHITESPACE:
            start += 1
        if start:
            del self._buffer[:start]
        if not self._buffer:
            return False
        end = self._buffer.find(_END_OF_HEADERS, 0, self.max_header_bytes + len(_END_OF_HEADERS))
        if end < 0:
            if len(self._buffer) > self.max_header_bytes:
                self._lost(events, f"a header block longer than {self.max_header_bytes:,} bytes", skip=1)
                return True
            return False
        block = bytes(self._buffer[:end])
        length, complaint = _content_length(block)
        if complaint is not None:
            self._lost(events, complaint, skip=1)
            return True
        assert length is not None
        if length > self.max_content_length:
            # The body is not read, not even to skip it: a length like 10^11 would never end.
            self._lost(
                events,
                f"a message of {length:,} bytes, over the {self.max_content_length:,}-byte limit; skipped",
                skip=end + len(_END_OF_HEADERS),
            )
            return True
        del self._buffer[: end + len(_END_OF_HEADERS)]
        if length == 0:
            self._error(events, "a message with Content-Length 0; skipped")
            return True
        self._length = length
        self._state = _State.BODY
        return True

    def _read_body(self, events: list[Event]) -> bool:
        if len(self._buffer) < self._length:
            return False
        ok, value = _parse(bytes(self._buffer[: self._length]))
        if ok:
            del self._buffer[: self._length]
            self._deliver(events, value)
            self._state = _State.HEADER
        else:
            # Not JSON at the announced length: the length is wrong (or the body is garbage). The
            # next header in the stream, or a pause, says where the message really ends.
            self._state = _State.SALVAGE
        return True

    def _salvage(self, events: list[Event]) -> bool:
        found = _MARKER.search(self._buffer, 1)
        if found is None:
            if len(self._buffer) > self.max_content_length:
                self._lost(events, f"no message end found in {len(self._buffer):,} bytes", skip=len(self._buffer))
                return True
            return False
        candidate = bytes(self._buffer[: found.start()])
        del self._buffer[: found.start()]
        self._state = _State.HEADER
        self._settle_candidate(events, candidate)
        return True

    def _scan(self) -> bool:
        found = _MARKER.search(self._buffer)
        if found is None:
            keep = min(len(self._buffer), _MARKER_TAIL)
            self._skipped += len(self._buffer) - keep
            del self._buffer[: len(self._buffer) - keep]
            return False
        self._skipped += found.start()
        del self._buffer[: found.start()]
        self._state = _State.HEADER
        return True

    def _at_pause(self, events: list[Event]) -> None:
        """The stream paused: a frame whose Content-Length is too long may be complete already."""
        if self._state not in (_State.BODY, _State.SALVAGE) or not self._buffer:
            return
        if len(self._buffer) > SNIFF_LIMIT or not bytes(self._buffer[-64:]).rstrip(_WHITESPACE).endswith((b"}", b"]")):
            return
        ok, value = _parse(bytes(self._buffer))
        if not ok:
            return
        size = len(self._buffer.rstrip(_WHITESPACE))
        self._buffer.clear()
        self._state = _State.HEADER
        self._warn(events, f"a message of {size:,} bytes sent with Content-Length {self._length:,}; read anyway")
        self._deliver(events, value)

    # -- outcomes --------------------------------------------------------------------------------------

    def _settle_candidate(self, events: list[Event], candidate: bytes) -> None:
        """The bytes of a frame whose announced length was wrong, up to the next header."""
        ok, value = _parse(candidate) if len(candidate) <= self.max_content_length else (False, None)
        size = len(candidate.strip(_WHITESPACE))
        if ok:
            self._warn(events, f"a message of {size:,} bytes sent with Content-Length {self._length:,}; read anyway")
            self._deliver(events, value)
        else:
            self._error(events, f"a message body of {size:,} bytes that is not JSON; skipped")

    def _deliver(self, events: list[Event], value: Any) -> None:
        if self._failing:
            self._failing = False
            if self._skipped:
                events.append(Problem("warning", f"back in step after skipping {self._skipped:,} bytes"))
            self._skipped = 0
        events.append(Received(value))

    def _lost(self, events: list[Event], what: str, skip: int) -> None:
        """A frame that cannot be read: report it, drop ``skip`` bytes, then scan for the next."""
        self._error(events, f"{what}; looking for the next message")
        skip = min(skip, len(self._buffer))
        self._skipped += skip
        del self._buffer[:skip]
        self._state = _State.SCAN

    def _error(self, events: list[Event], text: str) -> None:
        # One report per run of trouble: a stream of garbage must not become a stream of log lines.
        if not self._failing:
            events.append(Problem("error", f"unreadable input from the client: {text}"))
        self._failing = True

    def _warn(self, events: list[Event], text: str) -> None:
        events.append(Problem("warning", f"malformed input from the client: {text}"))


def _content_length(block: bytes) -> tuple[int | None, str | None]:
    """The Content-Length of a header block, or what is wrong with the block."""
    try:
        text = block.decode("ascii")
    except UnicodeDecodeError:
        return None, "a header that is not ASCII"
    length: int | None = None
    for line in text.split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            return None, f"a header line that is not `Name: value` ({_shown(line)})"
        if name.strip().lower() == "content-length":
            value = value.strip()
            if not value.isdigit() or not value.isascii() or len(value) > 20:
                return None, f"a Content-Length that is not a number ({_shown(value)})"
            if length is not None and int(value) != length:
                return None, "two different Content-Length headers"
            length = int(value)
    if length is None:
        return None, "a header block without Content-Length"
    return length, None


def _parse(body: bytes) -> tuple[bool, Any]:
    try:
        return True, json.loads(body)
    except (ValueError, RecursionError):
        return False, None


def _shown(text: str, limit: int = 40) -> str:
    """A piece of untrusted input for a log line: escaped and short."""
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


__all__ = ["MAX_CONTENT_LENGTH", "MAX_HEADER_BYTES", "Event", "FrameDecoder", "Problem", "Received"]
