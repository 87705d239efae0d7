"""A reader that goes away (`nextguard check | head -1`) is not an error.

Python ignores SIGPIPE, so a write to a pipe whose reader has exited raises ``BrokenPipeError``,
and the flush at exit raises it again ("Exception ignored … BrokenPipeError", status 120). The
recipe of Python's `signal` documentation: catch it, point the broken stream at /dev/null so that
nothing written later (the flush at exit included) fails, and end with the status the command
would have had: a pipeline under `set -o pipefail` then fails only for the reasons it should.
"""

from __future__ import annotations

import os
import select
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


@contextmanager
def reader_may_leave() -> Iterator[None]:
    """Run the printing of a command; a reader that went away ends it quietly."""
    try:
        yield
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        silence_broken_pipes()


def silence_broken_pipes() -> None:
    """Send what is still to be written to stdout or stderr, whichever lost its reader, to
    /dev/null; stdout when neither can be told (the documentation's recipe)."""
    broken = [stream for stream in (sys.stdout, sys.stderr) if _reader_gone(stream)]
    for stream in broken or [sys.stdout]:
        try:
            descriptor = stream.fileno()
        except (AttributeError, OSError, ValueError):  # replaced by something that is no file
            continue
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, descriptor)
        finally:
            os.close(devnull)


def _reader_gone(stream: TextIO) -> bool:
    """Whether ``stream`` is a pipe with no reader left: poll reports an error on its write end."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    if not hasattr(select, "poll"):
        return False
    poller = select.poll()
    poller.register(descriptor, select.POLLOUT)
    try:
        events = poller.poll(0)
    except OSError:
        return False
    return any(mask & (select.POLLERR | select.POLLHUP) for _, mask in events)


__all__ = ["reader_may_leave", "silence_broken_pipes"]
