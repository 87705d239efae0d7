"""The fixes that stop a function from handing a whole database record to its caller: return
`{ success: true }` instead, return an object of only the fields that are needed, call the
project's own DTO function, or add a `select` to the query."""

from __future__ import annotations

import re
from pathlib import Path

from ..facts.model import Call, FileFacts, Unit
from ..model import Fix, Span, TextEdit
from ..workspace.exposure import RawReturn, RecordRead, is_secret, singular
from ..workspace.index import WorkspaceIndex
from .edits import add_import, line_indent, statement_end, style_of

_RETURN_BEFORE = re.compile(rb"\breturn\s*$")
_NULLABLE = ("findUnique", "findFirst")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][\w$]*$")


def _text(source: bytes, span: Span) -> str:
    return source[span.start : span.end].decode("utf-8", "replace")


def _return_statement(source: bytes, raw: RawReturn) -> tuple[int, int] | None:
    """The `return …;` statement around a returned value, when it stands on lines of its own (so
    it can become two statements)."""
    value = raw.ret.statement
    before = source[max(0, value.start - 40) : value.start]
    match = _RETURN_BEFORE.search(before)
    if match is None:
        return None
    start = value.start - (len(before) - match.start())
    line = source.rfind(b"\n", 0, start) + 1
    if source[line:start].strip():
        return None
    previous = source[:line].rstrip()
    if previous and previous[-1:] not in (b";", b"{", b"}") and not previous.endswith(b"*/"):
        return None  # `if (x)\n  return …`: one statement is all that fits there
    return start, statement_end(source, value.end)


def _awaited(source: bytes, raw: RawReturn) -> str | None:
    """The returned call's text with an `await` in front (None when the function cannot await)."""
    text = _text(source, raw.ret.statement)
    if text.lstrip().startswith("await"):
        return text
    return f"await {text}"


def _fresh_name(source: bytes, unit: Unit, wanted: str) -> str:
    body = source[unit.span.start : unit.span.end]
    for name in (wanted, f"{wanted}Record", "record"):
        if _IDENTIFIER.match(name) and not re.search(rb"(?<![\w$.])" + re.escape(name.encode()) + rb"(?![\w$])", body):
            return name
    return "returnedRecord"


def _object_of(holder: str, fields: list[str]) -> str:
    return "{ " + ", ".join(f"{field}: {holder}.{field}" for field in fields) + " }"


def _shaped(read: RecordRead, holder: str, fields: list[str], item: str) -> str:
    if read.many:
        return f"{holder}.map(({item}) => ({_object_of(item, fields)}))"
    obj = _object_of(holder, fields)
    if read.orm == "prisma" and read.label.endswith(_NULLABLE):
        return f"{holder} && {obj}"
    return obj


def success_fix(index: WorkspaceIndex, path: Path, unit: Unit, raw: RawReturn) -> Fix | None:
    """Return `{ success: true }` (the caller never reads the value). A returned call still runs."""
    source = index.sources[path]
    facts = index.modules[path]
    style = style_of(source, facts)
    value = "{ success: true }"
    if raw.ret.kind == "call":
        statement = _return_statement(source, raw)
        if statement is None or not unit.is_async:
            return None
        start, end = statement
        indent = line_indent(source, start)
        awaited = _awaited(source, raw)
        content = f"{awaited}{style.semicolon}{style.newline}{indent}return {value}{style.semicolon}"
        edit = TextEdit(path, Span(start, end), content)
    else:
        edit = TextEdit(path, raw.ret.statement, _as_value(unit, raw.ret.statement, value))
    return Fix("Return `{ success: true }` instead of the record (no caller reads it)", (edit,), "unsafe")


def _as_value(unit: Unit, span: Span, content: str) -> str:
    """An object literal as an arrow function's expression body needs parentheses (`=> { … }` is a
    block)."""
    if not unit.body_is_block and span.start <= unit.body.start and content.startswith("{"):
        return f"({content})"
    return content


def fields_fix(index: WorkspaceIndex, path: Path, unit: Unit, raw: RawReturn, fields: list[str]) -> Fix | None:
    """Return an object of only ``fields`` of the record."""
    source = index.sources[path]
    facts = index.modules[path]
    style = style_of(source, facts)
    fields = [field for field in fields if not is_secret(field) and _IDENTIFIER.match(field)]
    if not fields:
        return None
    read = raw.read
    model = singular(read.model.strip("'\"")) if read.model else "record"
    item = _fresh_name(source, unit, model if _IDENTIFIER.match(model) else "record")
    title = f"Return only {', '.join(f'`{f}`' for f in fields)} instead of the whole record"
    if raw.ret.kind == "call":
        if not raw.whole:
            return None
        statement = _return_statement(source, raw)
        if statement is None or not unit.is_async:
            return None
        start, end = statement
        indent = line_indent(source, start)
        holder = (
            item if not read.many else _fresh_name(source, unit, f"{model}s" if _IDENTIFIER.match(model) else "rows")
        )
        element = "row" if holder == item else item
        shaped = _shaped(read, holder, fields, element)
        content = (
            f"const {holder} = {_awaited(source, raw)}{style.semicolon}{style.newline}"
            f"{indent}return {shaped}{style.semicolon}"
        )
        return Fix(title, (TextEdit(path, Span(start, end), content),), "unsafe")
    if raw.key is None and raw.ret.kind == "object":
        return None  # a spread: `{ ...post }`
    holder = _text(source, raw.span)
    if not _IDENTIFIER.match(holder):
        return None
    shaped = _shaped(read, holder, fields, item if item != holder else "row")
    content = f"{raw.key}: {shaped}" if raw.shorthand else _as_value(unit, raw.span, shaped)
    return Fix(title, (TextEdit(path, raw.span, content),), "unsafe")


def dto_fix(index: WorkspaceIndex, path: Path, unit: Unit, raw: RawReturn, dto: tuple[Path, str]) -> Fix | None:
    """Pass the record through the workspace's DTO function for its model."""
    source = index.sources[path]
    facts = index.modules[path]
    target, name = dto
    read = raw.read
    if raw.ret.kind == "call":
        if not raw.whole or not unit.is_async:
            return None
        awaited = _awaited(source, raw)
        content = f"({awaited}).map({name})" if read.many else f"{name}({awaited})"
        span = raw.ret.statement
    else:
        if raw.key is None and raw.ret.kind == "object":
            return None
        holder = _text(source, raw.span)
        if not _IDENTIFIER.match(holder):
            return None
        content = f"{holder}.map({name})" if read.many else f"{name}({holder})"
        if raw.shorthand:
            content = f"{raw.key}: {content}"
        span = raw.span
    edits = [TextEdit(path, span, content)]
    if target != path and name not in facts.import_by_local and name not in facts.bindings:
        specifier = _specifier(index, path, target, name)
        edit = add_import(path, source, facts, name, specifier)
        if edit is not None:
            edits.append(edit)
    elif target != path and name in facts.bindings:
        return None
    return Fix(f"Return `{name}(…)` (the project's DTO for this record)", tuple(edits), "unsafe")


def _specifier(index: WorkspaceIndex, path: Path, target: Path, name: str) -> str:
    """How the project imports ``target``: the specifier another file imports ``name`` with when
    it is not relative, else an alias if this file imports workspace files through one, else a
    relative path."""
    for other, facts in sorted(index.modules.items()):
        for imported in facts.imports:
            if (
                imported.imported == name
                and not imported.source.startswith(".")
                and index.resolve_import(other, imported.source) == target
            ):
                return imported.source
    return index.resolver.specifier_for(path, target, prefer_alias=_uses_alias(index, index.modules[path]))


def _uses_alias(index: WorkspaceIndex, facts: FileFacts) -> bool:
    for imported in facts.imports:
        if imported.source.startswith("."):
            continue
        if index.resolve_import(facts.path, imported.source) in index.modules:
            return True
    return not any(imported.source.startswith(".") for imported in facts.imports)


def select_fix(index: WorkspaceIndex, read: RecordRead, unit: Unit, fields: list[str]) -> Fix | None:
    """Add a `select` (Prisma) or `columns` (Drizzle) listing ``fields`` to the query."""
    fields = [field for field in fields if not is_secret(field) and _IDENTIFIER.match(field)]
    if not fields:
        return None
    if read.orm == "drizzle-select":
        return _drizzle_select_fix(index, read, unit, fields)
    if read.orm not in ("prisma", "drizzle-query"):
        return None
    path = read.path
    source = index.sources[path]
    call: Call = unit.calls[read.call]
    top = [field for field in call.fields if field.key == "..." or "." not in field.key]
    keys = [field.key for field in top]
    if "include" in keys or "..." in keys:
        return None
    word = "select" if read.orm == "prisma" else "columns"
    listing = f"{word}: {{ " + ", ".join(f"{field}: true" for field in fields) + " }"
    title = f"Add `{word}` of {', '.join(f'`{f}`' for f in fields)} (the fields callers use)"
    if call.args_span is None:
        return None
    args = _text(source, call.args_span).strip()
    if not args:
        edit = TextEdit(path, Span(call.args_span.start, call.args_span.end), f"{{ {listing} }}")
        return Fix(title, (edit,), "unsafe")
    if not args.startswith("{") or not keys:
        return None
    last = max(top, key=lambda field: field.span.end)
    at = last.span.end
    rest = source[at : call.args_span.end]
    comma = re.match(rb"\s*,", rest)
    closing = re.match(rb"\s*,?\s*}", rest)
    if closing is None:
        return None
    multiline = b"\n" in rest[: closing.end()]
    if multiline:
        indent = line_indent(source, last.span.start)
        newline = "\r\n" if b"\r\n" in source[:4000] else "\n"
        if comma is not None:
            edit = TextEdit(path, Span(at + comma.end(), at + comma.end()), f"{newline}{indent}{listing},")
        else:
            edit = TextEdit(path, Span(at, at), f",{newline}{indent}{listing}")
    else:
        edit = TextEdit(path, Span(at, at), f", {listing}")
    return Fix(title, (edit,), "unsafe")


def _drizzle_select_fix(index: WorkspaceIndex, read: RecordRead, unit: Unit, fields: list[str]) -> Fix | None:
    """`db.select().from(posts)` → `db.select({ title: posts.title }).from(posts)`."""
    table = read.model
    call = unit.calls[read.call]
    if table is None or not _IDENTIFIER.match(table) or len(call.chain) < 2 or call.chain[1] != "select":
        return None
    head = next((c for c in unit.calls if c.span.start == call.span.start and c.chain == call.chain[:2]), None)
    if head is None or head.args_span is None or head.args_span.start != head.args_span.end:
        return None
    listing = "{ " + ", ".join(f"{field}: {table}.{field}" for field in fields) + " }"
    title = f"Select only {', '.join(f'`{f}`' for f in fields)} (the fields callers use)"
    return Fix(title, (TextEdit(read.path, head.args_span, listing),), "unsafe")
