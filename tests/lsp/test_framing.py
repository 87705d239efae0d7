"""The frame decoder the server reads its client with (``nextguard.lsp.framing``), in-process:
hostile bytes in any chunking end in messages or reported problems, never an exception, a hang or
an unbounded buffer; a bad frame costs that frame, and the stream is read again from the next
`Content-Length:` header."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nextguard.lsp.framing import FrameDecoder, Problem, Received

# Small limits so the examples reach them.
LIMIT = 4096
HEADER_LIMIT = 256
MARKER = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)


def frame(body: bytes, length: int | None = None) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length) + body


def message(n: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": n, "method": "textDocument/hover", "params": {"text": "a}b]c" * (n % 4)}}


def body(n: int) -> bytes:
    return json.dumps(message(n)).encode()


def chunks(data: bytes, cuts: list[int]) -> Iterator[bytes]:
    """``data`` split at ``cuts`` (positions, any order, may repeat or overshoot)."""
    start = 0
    for cut in sorted({min(max(c, 0), len(data)) for c in cuts}):
        yield data[start:cut]
        start = cut
    yield data[start:]


def decode(pieces: Iterator[bytes] | list[bytes], decoder: FrameDecoder | None = None) -> list[Received | Problem]:
    decoder = decoder or FrameDecoder(LIMIT, HEADER_LIMIT)
    events: list[Received | Problem] = []
    for piece in pieces:
        if piece:
            events.extend(decoder.feed(piece))
            # The bound: a body or a header block at most, plus the read being cut.
            assert decoder.buffered <= LIMIT + len(piece) + HEADER_LIMIT
    events.extend(decoder.close())
    return events


def received(events: list[Received | Problem]) -> list[Any]:
    return [event.value for event in events if isinstance(event, Received)]


def problems(events: list[Received | Problem], severity: str | None = None) -> list[str]:
    return [e.text for e in events if isinstance(e, Problem) and (severity is None or e.severity == severity)]


# -- properties ----------------------------------------------------------------------------------

garbage = st.one_of(
    st.binary(max_size=600),
    st.lists(
        st.sampled_from(
            [b"\r\n", b"\r\n\r\n", b"Content-Type: x", b": ", b"{", b"}", b"]", b'"', b"\x00", b"\xff", b"a" * 300]
        ),
        max_size=30,
    ).map(b"".join),
)
stray_headers = st.lists(
    st.sampled_from(
        [
            b"Content-Length: 5\r\n\r\n",
            b"Content-Length: 99999999999\r\n\r\n",
            b"content-length:abc\r\n\r\n",
            b"Content-Length: 0\r\n\r\n",
            b"Content-Length: 3\r\nContent-Length: 4\r\n\r\n",
            b"Content-Length: 40\r\n\r\n{}",
        ]
    ),
    max_size=4,
).map(b"".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(garbage, st.tuples(garbage, stray_headers, garbage).map(b"".join)),
    cuts=st.lists(st.integers(0, 1300)),
)
def test_any_bytes_end_in_events_never_an_exception(data: bytes, cuts: list[int]) -> None:
    events = decode(chunks(data, cuts))
    assert all(isinstance(event, Received | Problem) for event in events)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(count=st.integers(1, 6), cuts=st.lists(st.integers(0, 2000)))
def test_well_framed_messages_come_out_whole_in_any_chunking(count: int, cuts: list[int]) -> None:
    data = b"".join(frame(body(n)) for n in range(count))
    events = decode(chunks(data, cuts))
    # Never an early delivery of a body cut by a read: no proper prefix of a JSON object is one.
    assert problems(events) == []
    assert received(events) == [message(n) for n in range(count)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(junk=garbage, cuts=st.lists(st.integers(0, 1300)))
def test_after_garbage_the_next_frame_is_read(junk: bytes, cuts: list[int]) -> None:
    """Whatever came before (without a `Content-Length:` of its own), the decoder finds the next
    frame: a client's slip costs what it garbled, never the rest of the session."""
    if MARKER.search(junk):
        junk = MARKER.sub(b"", junk)
    data = junk + frame(body(1)) + frame(body(2))
    events = decode(chunks(data, cuts))
    assert received(events)[-2:] == [message(1), message(2)]
    if junk.strip(b" \t\r\n"):
        assert len(problems(events, "error")) <= 1  # one report for one run of trouble


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(error=st.integers(-40, 40).filter(lambda e: e != 0), cuts=st.lists(st.integers(0, 600), max_size=4))
def test_a_content_length_that_is_off_loses_no_message(error: int, cuts: list[int]) -> None:
    first = body(1)
    data = frame(first, len(first) + error) + frame(body(2)) + frame(body(3))
    events = decode(chunks(data, cuts))
    # The wrong frame is read where the stream shows its real end; what follows is untouched.
    assert received(events) == [message(1), message(2), message(3)]
    assert problems(events, "error") == []
    assert any(f"Content-Length {len(first) + error}" in text for text in problems(events, "warning"))


# -- cases -----------------------------------------------------------------------------------------


def test_a_content_length_too_long_with_nothing_after_it_is_read_when_the_client_pauses() -> None:
    """The client sent one request with a Content-Length 40 bytes too long and waits for the
    answer: the body is complete when the stream pauses, so it is answered (pygls waited forever)."""
    decoder = FrameDecoder(LIMIT, HEADER_LIMIT)
    first = body(1)
    events = decoder.feed(frame(first, len(first) + 40))
    assert received(events) == [message(1)]
    assert received(decoder.feed(frame(body(2)))) == [message(2)]


def test_an_oversized_content_length_is_refused_without_reading_it_and_the_stream_resumes() -> None:
    decoder = FrameDecoder(LIMIT, HEADER_LIMIT)
    events = decoder.feed(b"Content-Length: 100000000000\r\n\r\n" + b"x" * 3000)
    assert decoder.buffered < 100
    events += decoder.feed(b"y" * 3000 + frame(body(7)))
    assert received(events) == [message(7)]
    [error] = problems(events, "error")
    assert "100,000,000,000 bytes, over the 4,096-byte limit" in error


def test_a_body_over_the_limit_is_dropped_and_the_memory_stays_bounded() -> None:
    decoder = FrameDecoder(LIMIT, HEADER_LIMIT)
    events = decoder.feed(frame(b'{"x": "' + b"a" * 10_000 + b'"}'))
    assert decoder.buffered < 100
    events += decoder.feed(frame(body(1)))
    assert received(events) == [message(1)]
    assert len(problems(events, "error")) == 1


def test_a_header_line_that_never_ends_is_dropped_not_buffered() -> None:
    decoder = FrameDecoder(LIMIT, HEADER_LIMIT)
    events: list[Received | Problem] = []
    for _ in range(100):
        events += decoder.feed(b"X-Header: " + b"a" * 1000)
        assert decoder.buffered <= HEADER_LIMIT + 1010
    events += decoder.feed(b"\r\n\r\n" + frame(body(3)))
    assert received(events) == [message(3)]
    [error] = problems(events, "error")
    assert error.endswith(f"a header block longer than {HEADER_LIMIT} bytes; looking for the next message")


def test_malformed_headers_are_reported_once_each_run() -> None:
    for bad in (
        b"Content-Length: abc\r\n\r\n{}",
        b"Content-Length: -5\r\n\r\n{}",
        b"just words\r\n\r\n",
        b"Content-Type: text\r\n\r\n{}",
        b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        b"Content-L\xe9ngth: 2\r\n\r\n{}",
    ):
        events = decode([bad, frame(body(4))])
        # (After two lengths the second header is a frame start in its own right: its `{}` may
        # come through, and the protocol answers it as the invalid request it is.)
        assert received(events)[-1] == message(4), bad
        assert len(problems(events, "error")) == 1, (bad, events)


def test_a_body_that_is_not_json_is_reported_and_the_next_frame_is_read() -> None:
    events = decode([frame(b"{not json at all}"), frame(body(5))])
    assert received(events) == [message(5)]
    assert problems(events, "error") == [
        "unreadable input from the client: a message body of 17 bytes that is not JSON; skipped"
    ]


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    events = decode([frame(b"[" * 100_000 + b"]" * 100_000), frame(body(6))], FrameDecoder(1 << 20, HEADER_LIMIT))
    assert received(events) == [message(6)]
    assert len(problems(events, "error")) == 1


def test_input_that_ends_inside_a_frame_is_reported() -> None:
    events = decode([b'Content-Length: 50\r\n\r\n{"jsonrpc"'])
    assert received(events) == []
    assert problems(events, "error") == [
        "unreadable input from the client: the input ended inside a message (10 bytes left unread)"
    ]
