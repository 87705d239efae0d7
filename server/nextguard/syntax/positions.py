"""Byte offsets ↔ (row, column) in the encodings editors and reports use.

tree-sitter speaks UTF-8 bytes; LSP defaults to UTF-16 code units; the CLI reports Unicode code
points. A ``LineIndex`` is built once per text version and answers both ways, for every front end.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Literal

Encoding = Literal["utf-8", "utf-16", "utf-32"]
_BOM = b"\xef\xbb\xbf"
_LINE_BREAK = re.compile(rb"\n|\r(?!\n)")


def _line_starts(data: bytes, begin: int = 1, end: int | None = None) -> list[int]:
    """Offsets p in ``[begin, end]`` where a line starts: after a ``\\n`` (alone or ending
    ``\\r\\n``) and after a ``\\r`` that no ``\\n`` follows. Whether p is a start depends on the bytes
    at p-1 and p, so the scan starts one byte early and looks one byte past ``end``."""
    stop = len(data) if end is None else min(end, len(data))
    found = _LINE_BREAK.finditer(data, max(begin - 1, 0), stop + 1)
    return [match.end() for match in found if begin <= match.end() <= stop]


class LineIndex:
    """Where each line starts in a UTF-8 text, by LSP's (and JavaScript's) definition of a line —
    ends at ``\\n``, ``\\r\\n`` or a lone ``\\r`` — and conversions between byte offsets and
    (row, column) positions in a given encoding. The one line index of the package: the CLI, SARIF,
    the map and the server all count with it, so they agree on every file. A leading byte-order
    mark is not part of the text an editor shows, so it counts as no characters."""

    __slots__ = ("_data", "_line_starts")

    def __init__(self, data: bytes, starts: list[int] | None = None) -> None:
        self._data = data
        # Built on first use: most files of a scan never need a row number.
        self._line_starts: list[int] | None = starts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LineIndex) and other._data == self._data

    def __hash__(self) -> int:
        return hash(self._data)

    @property
    def data(self) -> bytes:
        return self._data

    @property
    def _starts(self) -> list[int]:
        starts = self._line_starts
        if starts is None:
            data = self._data
            if b"\r" in data:
                starts = [0, *_line_starts(data)]
            else:
                starts = [0]
                find = data.find
                pos = find(b"\n")
                while pos != -1:
                    starts.append(pos + 1)
                    pos = find(b"\n", pos + 1)
            self._line_starts = starts
        return starts

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line_start(self, row: int) -> int:
        return self._starts[row]

    def line_end(self, row: int) -> int:
        """Offset of the end of ``row``'s content (before its ``\\r\\n``, ``\\n`` or ``\\r``)."""
        starts = self._starts
        if row + 1 >= len(starts):
            return len(self._data)
        end = starts[row + 1]
        if self._data[end - 1 : end] == b"\n":
            end -= 1
        if end > starts[row] and self._data[end - 1 : end] == b"\r":
            end -= 1
        return end

    def row_of(self, offset: int) -> int:
        return bisect_right(self._starts, offset) - 1

    line_of = row_of

    def _content_start(self, row: int) -> int:
        start = self._starts[row]
        if row == 0 and self._data.startswith(_BOM):
            start = len(_BOM)
        return start

    def position(self, offset: int, encoding: Encoding = "utf-16") -> tuple[int, int]:
        """0-based (row, column) of a byte offset, clamped to the text; the column counted in
        ``encoding`` units."""
        offset = max(0, min(offset, len(self._data)))
        row = self.row_of(offset)
        start = min(self._content_start(row), offset)
        offset = min(offset, max(self.line_end(row), start))
        return row, _units(self._data[start:offset], encoding)

    def offset(self, row: int, column: int, encoding: Encoding = "utf-16") -> int:
        """Byte offset of a 0-based (row, column). As LSP asks, a column past the end of its line
        means the line's end, and a row past the last means the end of the text; a position inside
        a multi-unit character (half a surrogate pair) means that character's start."""
        if row < 0:
            return 0
        if row >= len(self._starts):
            return len(self._data)
        start = self._content_start(row)
        end = max(self.line_end(row), start)
        column = max(column, 0)
        content = self._data[start:end]
        if content.isascii():
            return start + min(column, len(content))
        return start + _bytes_for_units(content, column, encoding)

    def splice(self, start: int, end: int, inserted: bytes, data: bytes) -> LineIndex:
        """The lines of ``data``, which is this text with ``[start, end)`` replaced by ``inserted``.
        Only the starts the edit can have changed are recomputed: a start at p depends on the bytes
        at p-1 and p, so those in ``[start, end]`` are dropped, those after shift, and the inserted
        region (plus the byte before it, whose CR may have met or lost an LF) is scanned again."""
        starts = self._starts
        delta = len(inserted) - (end - start)
        low = max(1, bisect_right(starts, start - 1))  # first start >= start; line 0 always starts at 0
        high = bisect_right(starts, end)  # first start > end
        fresh = _line_starts(data, max(start, 1), start + len(inserted))
        tail = starts[high:]
        if delta:
            tail = [s + delta for s in tail]
        return LineIndex(data, [*starts[:low], *fresh, *tail])


def _units(text: bytes, encoding: Encoding) -> int:
    if encoding == "utf-8" or text.isascii():
        return len(text)
    decoded = text.decode("utf-8", errors="replace")
    if encoding == "utf-32":
        return len(decoded)
    return len(decoded.encode("utf-16-le", errors="surrogatepass")) // 2


def _bytes_for_units(content: bytes, units: int, encoding: Encoding) -> int:
    """How many bytes of ``content`` (one line) the first ``units`` characters take, never cutting
    a character in two."""
    if encoding == "utf-8":
        at = min(units, len(content))
        # Back up to the start of the character a column inside a multi-byte sequence points into.
        while 0 < at < len(content) and (content[at] & 0xC0) == 0x80:
            at -= 1
        return at
    counted = 0
    used = 0
    for char in content.decode("utf-8", errors="replace"):
        width = 2 if encoding == "utf-16" and ord(char) > 0xFFFF else 1
        if counted + width > units:
            break
        counted += width
        used += len(char.encode("utf-8"))
    return used
