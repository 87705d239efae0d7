"""An open text document: its UTF-8 bytes, its lines as editors count them, and a tree-sitter tree
kept up to date by editing it rather than parsing from scratch.

Editors send changes as ranges of (line, character) positions, where a line ends at ``\\n``,
``\\r\\n`` or a lone ``\\r`` (LSP's definition) and a character is counted in the encoding the
client and server agreed on: UTF-16 code units unless both chose otherwise. tree-sitter counts rows
at ``\\n`` only and columns in bytes. This module is where the two meet, so nothing above it has to
think about either; it knows nothing of the protocol (the language server turns its messages into
``TextChange``s).

Each change is applied to the text and described to the old tree with ``Tree.edit``; the tree is
reparsed once, lazily, when someone asks for it, so a burst of changes costs one incremental parse.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Point, Tree

from .parse import parse
from .positions import Encoding

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class TextChange:
    """Replace the text between ``start`` and ``end`` (0-based (line, character) positions in the
    document's encoding) with ``text``; with no range, ``text`` is the whole new document."""

    text: str
    start: tuple[int, int] | None = None
    end: tuple[int, int] | None = None


_LINE_BREAK = re.compile(rb"\n|\r(?!\n)")


def _line_starts(data: bytes, begin: int = 1, end: int | None = None) -> list[int]:
    """Offsets p in ``[begin, end]`` where a line starts: after a ``\\n`` (alone or ending
    ``\\r\\n``) and after a ``\\r`` that no ``\\n`` follows. Whether p is a start depends on the bytes
    at p-1 and p, so the scan starts one byte early and looks one byte past ``end``."""
    stop = len(data) if end is None else min(end, len(data))
    found = _LINE_BREAK.finditer(data, max(begin - 1, 0), stop + 1)
    return [match.end() for match in found if begin <= match.end() <= stop]


class TextLines:
    """Where each line starts in a UTF-8 text, by LSP's definition of a line, and conversions between
    byte offsets and (line, character) positions in a given encoding. A leading byte-order mark is
    not part of the text an editor shows, so it counts as no characters."""

    __slots__ = ("_data", "_starts")

    def __init__(self, data: bytes, starts: list[int] | None = None) -> None:
        self._data = data
        self._starts = starts if starts is not None else [0, *_line_starts(data)]

    @property
    def data(self) -> bytes:
        return self._data

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line_start(self, line: int) -> int:
        return self._starts[line]

    def line_end(self, line: int) -> int:
        """The offset where ``line``'s content ends, before its line break."""
        if line + 1 >= len(self._starts):
            return len(self._data)
        end = self._starts[line + 1] - 1
        if self._data[end : end + 1] == b"\n" and end > self._starts[line] and self._data[end - 1 : end] == b"\r":
            end -= 1
        return end

    def line_of(self, offset: int) -> int:
        return bisect_right(self._starts, offset) - 1

    def position(self, offset: int, encoding: Encoding = "utf-16") -> tuple[int, int]:
        """(line, character) of a byte offset, clamped to the text."""
        offset = max(0, min(offset, len(self._data)))
        line = self.line_of(offset)
        start = self._starts[line]
        if line == 0 and self._data.startswith(_BOM):
            start = min(len(_BOM), offset)
        offset = min(offset, max(self.line_end(line), start))
        return line, _count_units(self._data[start:offset], encoding)

    def offset(self, line: int, character: int, encoding: Encoding = "utf-16") -> int:
        """The byte offset of a (line, character) position. As LSP asks, a character past the end of
        its line means the line's end, and a line past the last means the end of the text; a
        position inside a multi-unit character (half a surrogate pair) means that character's start."""
        if line < 0:
            return 0
        if line >= len(self._starts):
            return len(self._data)
        start = self._starts[line]
        if line == 0 and self._data.startswith(_BOM):
            start = len(_BOM)
        end = max(self.line_end(line), start)
        character = max(character, 0)
        content = self._data[start:end]
        if content.isascii():
            return start + min(character, len(content))
        return start + _bytes_for_units(content, character, encoding)

    def splice(self, start: int, end: int, inserted: bytes, data: bytes) -> TextLines:
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
        return TextLines(data, [*starts[:low], *fresh, *tail])


def _count_units(text: bytes, encoding: Encoding) -> int:
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


class Document:
    """One editor buffer: the text (as UTF-8 bytes), its version, its lines, and its tree."""

    def __init__(
        self, path: Path, text: str | bytes, version: int | None = None, encoding: Encoding = "utf-16"
    ) -> None:
        self.path = path
        self.version = version
        self.encoding: Encoding = encoding
        self._data = text.encode("utf-8") if isinstance(text, str) else text
        self._lines = TextLines(self._data)
        self._tree: Tree | None = None
        self._stale = True  # the tree (if any) has been edited and must be reparsed

    @property
    def data(self) -> bytes:
        return self._data

    @property
    def text(self) -> str:
        return self._data.decode("utf-8", errors="replace")

    @property
    def lines(self) -> TextLines:
        return self._lines

    @property
    def tree(self) -> Tree:
        """The tree of the current text: edits since the last parse are reparsed incrementally.

        tree-sitter's error recovery depends on which subtrees it can reuse, so for text with
        syntax errors an incremental parse can recover differently from a fresh one (the property
        test found `function f() {function f() {` typed at the top of a file). Then the text is
        parsed from scratch, so the server sees the tree `nextguard check` sees; error-free text,
        the usual case, keeps the cheap incremental path."""
        if self._tree is None or self._stale:
            tree = parse(self.path, self._data, self._tree)
            if self._tree is not None and tree.root_node.has_error:
                tree = parse(self.path, self._data)
            self._tree = tree
            self._stale = False
        return self._tree

    @property
    def needs_parse(self) -> bool:
        return self._tree is None or self._stale

    def offset(self, line: int, character: int) -> int:
        return self._lines.offset(line, character, self.encoding)

    def position(self, offset: int) -> tuple[int, int]:
        return self._lines.position(offset, self.encoding)

    def apply(self, changes: Iterable[TextChange], version: int | None = None) -> None:
        """Apply changes in order (each one's positions refer to the text the previous one left)."""
        for change in changes:
            if change.start is None or change.end is None:
                self._replace_all(change.text.encode("utf-8"))
                continue
            start = self.offset(*change.start)
            end = self.offset(*change.end)
            if end < start:
                start, end = end, start
            self.replace(start, end, change.text.encode("utf-8"))
        if version is not None:
            self.version = version

    def replace(self, start: int, end: int, inserted: bytes) -> None:
        """Replace the bytes ``[start, end)`` and describe the edit to the tree."""
        old = self._data
        data = old[:start] + inserted + old[end:]
        if self._tree is not None:
            start_point = _point(old, start)
            old_end_point = _point(old, end)
            newlines = inserted.count(b"\n")
            if newlines:
                new_end_point = Point(start_point.row + newlines, len(inserted) - inserted.rfind(b"\n") - 1)
            else:
                new_end_point = Point(start_point.row, start_point.column + len(inserted))
            self._tree.edit(
                start_byte=start,
                old_end_byte=end,
                new_end_byte=start + len(inserted),
                start_point=start_point,
                old_end_point=old_end_point,
                new_end_point=new_end_point,
            )
            self._stale = True
        self._lines = self._lines.splice(start, end, inserted, data)
        self._data = data

    def _replace_all(self, data: bytes) -> None:
        # A whole-document change says nothing about which parts survived: describe it to the tree
        # as one edit over everything, which still lets tree-sitter reuse what it can match.
        self.replace(0, len(self._data), data)


def _point(data: bytes, offset: int) -> Point:
    """tree-sitter's (row, byte column) of an offset: rows end at ``\\n`` only."""
    row = data.count(b"\n", 0, offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    return Point(row, offset - line_start)


__all__ = ["Document", "TextChange", "TextLines"]
