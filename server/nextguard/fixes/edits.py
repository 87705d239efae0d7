"""Building text edits that read as if the project's authors wrote them: their quotes, their
semicolons, their indentation, imports where their imports are."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..facts.model import FileFacts, Unit
from ..model import Span, TextEdit


@dataclass(frozen=True, slots=True)
class Style:
    quote: str
    semicolon: str
    indent_unit: str
    newline: str


_INDENT = re.compile(rb"^([ \t]+)\S", re.MULTILINE)


# The last few files' styles, by the identity of their text and facts: a rule asks once per fix
# and a keystroke's findings may hold hundreds, all in one file. Identity (not equality) keeps the
# lookup O(1); a new text is a new object, so an edit can never read a stale style.
_STYLES: dict[tuple[int, int], tuple[bytes, FileFacts, Style]] = {}


def style_of(source: bytes, facts: FileFacts) -> Style:
    key = (id(source), id(facts))
    hit = _STYLES.get(key)
    if hit is not None and hit[0] is source and hit[1] is facts:
        return hit[2]
    style = _style_of(source, facts)
    if len(_STYLES) >= 64:
        _STYLES.clear()
    _STYLES[key] = (source, facts, style)
    return style


def _style_of(source: bytes, facts: FileFacts) -> Style:
    quote, semicolon = "'", ";"
    for imported in facts.imports:
        text = source[imported.span.start : imported.span.end]
        quote = '"' if text.rstrip(b"; \t").endswith(b'"') else "'"
        semicolon = ";" if text.rstrip().endswith(b";") else ""
        break
    else:
        for directive in (facts.use_server,):
            if directive is not None:
                text = source[directive.start : directive.end]
                quote = '"' if text.startswith(b'"') else "'"
                semicolon = ";" if text.rstrip().endswith(b";") else ""
    indents = [match.group(1) for match in _INDENT.finditer(source[:20000])]
    unit = "  "
    if indents:
        smallest = min(indents, key=len)
        unit = smallest.decode() if smallest else "  "
        if unit.startswith("\t"):
            unit = "\t"
    newline = "\r\n" if b"\r\n" in source[:4000] else "\n"
    return Style(quote, semicolon, unit, newline)


def line_indent(source: bytes, offset: int) -> str:
    start = source.rfind(b"\n", 0, offset) + 1
    end = start
    while end < len(source) and source[end : end + 1] in (b" ", b"\t"):
        end += 1
    return source[start:end].decode()


def import_insertion_point(source: bytes, facts: FileFacts) -> int:
    """After the last top-level import, else after the directive prologue, else at the top."""
    if facts.imports:
        end = max(imported.span.end for imported in facts.imports)
        return _end_of_line(source, end)
    if facts.use_server is not None or facts.directives:
        return _end_of_line(source, facts.use_server.end if facts.use_server else 0)
    return 0


def _end_of_line(source: bytes, offset: int) -> int:
    newline = source.find(b"\n", offset)
    return len(source) if newline == -1 else newline + 1


def add_import(
    path: Path, source: bytes, facts: FileFacts, name: str, specifier: str, *, default: bool = False
) -> TextEdit | None:
    """An edit importing ``name`` from ``specifier``, or None when the file already has it."""
    existing = facts.import_by_local.get(name)
    if existing is not None:
        return None
    style = style_of(source, facts)
    clause = name if default else f"{{ {name} }}"
    line = f"import {clause} from {style.quote}{specifier}{style.quote}{style.semicolon}{style.newline}"
    at = import_insertion_point(source, facts)
    if at == len(source) and source and not source.endswith(b"\n"):
        line = style.newline + line
    elif at > 0 and not facts.imports:
        # after a directive prologue: keep a blank line between directive and imports
        line = style.newline + line
    return TextEdit(path, Span(at, at), line)


def insert_statements(path: Path, source: bytes, unit: Unit, lines: list[str], style: Style) -> list[TextEdit]:
    """Edits that make ``lines`` the first statements of ``unit`` (after its directives), making it
    `async` if it is not and turning an expression body into a block."""
    edits: list[TextEdit] = []
    if not unit.is_async:
        edits.append(TextEdit(path, Span(unit.async_at, unit.async_at), "async "))
    nl = style.newline
    if not unit.body_is_block:
        indent = line_indent(source, unit.span.start)
        inner = indent + style.indent_unit
        expression = source[unit.body.start : unit.body.end].decode("utf-8")
        body = "{" + nl + "".join(f"{inner}{line}{nl}" for line in lines)
        body += f"{inner}return {expression}{style.semicolon}{nl}{indent}}}"
        edits.append(TextEdit(path, Span(unit.body.start, unit.body.end), body))
        return edits
    if unit.first_statement is not None:
        at = unit.first_statement
        indent = line_indent(source, at)
        line_start = source.rfind(b"\n", 0, at) + 1
        if source[line_start:at].strip():
            # a one-line body: `{ await db.x() }` stays on one line
            edits.append(TextEdit(path, Span(at, at), " ".join(lines) + " "))
        else:
            edits.append(TextEdit(path, Span(at, at), "".join(f"{line}{nl}{indent}" for line in lines)))
        return edits
    if unit.directives_end is not None:
        at = unit.directives_end
        indent = line_indent(source, at)
        edits.append(TextEdit(path, Span(at, at), "".join(f"{nl}{indent}{line}" for line in lines)))
        return edits
    # an empty block `{}` or `{ }`
    indent = line_indent(source, unit.span.start)
    inner = indent + style.indent_unit
    text = "{" + nl + "".join(f"{inner}{line}{nl}" for line in lines) + indent + "}"
    edits.append(TextEdit(path, Span(unit.body.start, unit.body.end), text))
    return edits


def drop_unused_import(path: Path, source: bytes, facts: FileFacts, name: str, replaced: Span) -> TextEdit | None:
    """An edit removing the import of ``name`` when its only use outside the import statement lies
    inside ``replaced`` (the text a fix rewrites): what a careful human removes along with the use."""
    imported = facts.import_by_local.get(name)
    if imported is None or imported.type_only:
        return None
    use = re.compile(rb"(?<![\w$.])" + re.escape(name.encode()) + rb"(?![\w$])")
    for match in use.finditer(source):
        if imported.span.contains(match.start()) or replaced.contains(match.start()):
            continue
        return None
    statement = source[imported.span.start : imported.span.end]
    names = re.fullmatch(rb"(\s*import\s*\{)([^}]*)(\}.*)", statement, re.S)
    if names is None:
        return None
    kept = [part for part in names.group(2).split(b",") if part.strip() and part.strip().split()[-1] != name.encode()]
    if kept:
        text = names.group(1) + b",".join(kept).rstrip() + b" " + names.group(3)
        return TextEdit(path, imported.span, text.decode("utf-8"))
    end = _end_of_line(source, imported.span.end)
    if source[imported.span.end : end].strip():
        end = imported.span.end
    return TextEdit(path, Span(line_start(source, imported.span.start), end), "")


def merge_insertions(edits: list[TextEdit]) -> list[TextEdit]:
    """Join insertions at the same offset into one edit, in order, so every client applies them
    the same way (LSP leaves the order of same-position edits to the array order)."""
    merged: dict[tuple[Path, int, int], TextEdit] = {}
    for edit in edits:
        key = (edit.path, edit.span.start, edit.span.end)
        previous = merged.get(key)
        if previous is not None and edit.span.start == edit.span.end:
            merged[key] = TextEdit(edit.path, edit.span, previous.content + edit.content)
        else:
            merged[key] = edit
    return list(merged.values())


def apply_edits(source: bytes, edits: list[TextEdit] | tuple[TextEdit, ...]) -> bytes:
    """Apply non-overlapping edits to one file's text (last first, so offsets stay valid)."""
    result = source
    for edit in sorted(edits, key=lambda e: (e.span.start, e.span.end), reverse=True):
        result = result[: edit.span.start] + edit.content.encode("utf-8") + result[edit.span.end :]
    return result


def line_start(source: bytes, offset: int) -> int:
    return source.rfind(b"\n", 0, offset) + 1


def insert_after_statement(path: Path, source: bytes, statement: Span, line: str, style: Style) -> TextEdit:
    """An edit adding ``line`` as the statement after ``statement``, on its own line, indented like
    it."""
    indent = line_indent(source, statement.start)
    at = statement.end
    newline = source.find(b"\n", at)
    end = len(source) if newline == -1 else newline
    rest = source[at:end].strip()
    if not rest or (rest.startswith(b"//") and b"*/" not in rest):
        at = end - 1 if source[end - 1 : end] == b"\r" else end  # after a trailing comment
    return TextEdit(path, Span(at, at), f"{style.newline}{indent}{line}")


def statement_end(source: bytes, offset: int) -> int:
    """Past the `;` that ends the statement whose expression ends at ``offset``, if it has one."""
    at = offset
    while at < len(source) and source[at : at + 1] in (b" ", b"\t"):
        at += 1
    return at + 1 if source[at : at + 1] == b";" else offset


def expression_start(source: bytes, call_start: int) -> int:
    """Where the expression of a call that is awaited starts: at its `await`."""
    before = source[max(0, call_start - 64) : call_start]
    match = re.search(rb"\bawait\s*\(?\s*$", before)
    return call_start - (len(before) - match.start()) if match is not None else call_start


def move_lines_before(path: Path, source: bytes, block: Span, anchor: int) -> list[TextEdit] | None:
    """Edits that move the whole lines of ``block`` (statements that start and end their lines)
    to just before the line holding ``anchor``, re-indented like that line. None when the block
    shares a line with other code."""
    start = line_start(source, block.start)
    if source[start : block.start].strip():
        return None
    newline = source.find(b"\n", block.end)
    end = len(source) if newline == -1 else newline + 1
    if source[block.end : end].strip():
        return None
    target = line_start(source, anchor)
    if source[target:anchor].strip() or start <= target < end:
        return None
    old_indent = line_indent(source, block.start)
    new_indent = line_indent(source, anchor)
    lines = source[start:end].decode("utf-8").splitlines(keepends=True)
    moved = "".join(new_indent + line[len(old_indent) :] if line.startswith(old_indent) else line for line in lines)
    if not moved.endswith("\n"):
        moved += "\r\n" if b"\r\n" in source[:4000] else "\n"
    return [TextEdit(path, Span(target, target), moved), TextEdit(path, Span(start, end), "")]
