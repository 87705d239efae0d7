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

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Point, Tree

from .parse import parse
from .positions import Encoding, LineIndex


@dataclass(frozen=True, slots=True)
class TextChange:
    """Replace the text between ``start`` and ``end`` (0-based (line, character) positions in the
    document's encoding) with ``text``; with no range, ``text`` is the whole new document."""

    text: str
    start: tuple[int, int] | None = None
    end: tuple[int, int] | None = None


# The server's name for the one line index (``syntax.positions``): an open document's lines.
TextLines = LineIndex


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
