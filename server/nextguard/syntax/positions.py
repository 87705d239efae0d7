"""Byte offsets ↔ (row, column) in the encodings editors and reports use.

tree-sitter speaks UTF-8 bytes; LSP defaults to UTF-16 code units; the CLI reports Unicode code
points. A ``LineIndex`` is built once per text version and answers both ways.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Literal

Encoding = Literal["utf-8", "utf-16", "utf-32"]
_LINE_BREAK = re.compile(rb"\r\n?|\n")


class LineIndex:
    __slots__ = ("_data", "_line_starts")

    def __init__(self, data: bytes) -> None:
        self._data = data
        # Built on first use: most files of a scan never need a row number.
        self._line_starts: list[int] | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LineIndex) and other._data == self._data

    def __hash__(self) -> int:
        return hash(self._data)

    @property
    def _starts(self) -> list[int]:
        starts = self._line_starts
        if starts is None:
            data = self._data
            if b"\r" in data:
                # A lone CR ends a line too, in JavaScript and in LSP.
                starts = [0, *(match.end() for match in _LINE_BREAK.finditer(data))]
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
        if row + 1 < len(starts):
            end = starts[row + 1]
            if self._data[end - 1 : end] == b"\n":
                end -= 1
            if end > starts[row] and self._data[end - 1 : end] == b"\r":
                end -= 1
            return end
        return len(self._data)

    def row_of(self, offset: int) -> int:
        return bisect_right(self._starts, offset) - 1

    def position(self, offset: int, encoding: Encoding = "utf-16") -> tuple[int, int]:
        """0-based (row, column) of a byte offset; the column counted in ``encoding`` units."""
        offset = max(0, min(offset, len(self._data)))
        row = self.row_of(offset)
        prefix = self._data[self._starts[row] : offset]
        return row, _units(prefix, encoding)

    def offset(self, row: int, column: int, encoding: Encoding = "utf-16") -> int:
        """Byte offset of a 0-based (row, column); out-of-range positions clamp to the line/text end,
        as LSP asks clients and servers to do."""
        if row < 0:
            return 0
        if row >= len(self._starts):
            return len(self._data)
        start = self._starts[row]
        end = self.line_end(row)
        if encoding == "utf-8":
            return min(start + max(column, 0), end)
        line = self._data[start:end].decode("utf-8", errors="surrogatepass")
        units = 0
        for index, char in enumerate(line):
            if units >= column:
                return start + len(line[:index].encode("utf-8", errors="surrogatepass"))
            units += 2 if encoding == "utf-16" and ord(char) > 0xFFFF else 1
        return end


def _units(prefix: bytes, encoding: Encoding) -> int:
    if encoding == "utf-8":
        return len(prefix)
    text = prefix.decode("utf-8", errors="replace")
    if encoding == "utf-32":
        return len(text)
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)
