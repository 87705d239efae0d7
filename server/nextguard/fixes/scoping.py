"""Fixes that tie a query to the signed-in user, in each ORM's own shape (NG104), and that
replace a client-supplied owner with the session's (NG105).

- Prisma: add `<ownerField>: <id>` to `where` (Prisma 5 accepts non-unique fields in the `where`
  of `update`/`delete`); for older Prisma, `updateMany`/`deleteMany` with the owner in `where` and a
  check that exactly one row matched.
- Drizzle: `.where(and(<cond>, eq(<table>.<ownerColumn>, <id>)))`, importing `and`/`eq`.
- Supabase: append `.eq('<owner_column>', <id>)` to the query.

They change what the query matches, so they are unsafe: offered, never applied by `--fix` alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..facts.model import Unit
from ..model import Fix, Span, TextEdit
from ..workspace.flow import Access, Pair
from ..workspace.index import WorkspaceIndex
from ..workspace.ownership import OwnerNaming
from .edits import add_import, expression_start, insert_after_statement, merge_insertions, statement_end, style_of
from .session_id import SessionId


def prisma_fixes(
    index: WorkspaceIndex,
    naming: OwnerNaming,
    path: Path,
    unit: Unit,
    access: Access,
    owner_pair: Pair | None,
    session: SessionId,
) -> list[Fix]:
    call = unit.calls[access.call]
    if call.where is None:
        return []
    owner = owner_pair.key if owner_pair is not None else naming.prisma_owner(call.chain[-2])
    if owner is None:
        return []
    source = index.sources[path]
    fixes: list[Fix] = []
    where_edit = _scope_where(path, source, call.where, owner, owner_pair, session.expression)
    operation = call.chain[-1]
    major = naming.prisma_major
    if major is None or major >= 5:
        edits = (*session.edits, where_edit)
        fixes.append(Fix(f"Scope the {operation} to the signed-in user: add `{owner}` to `where`", edits, "unsafe"))
    if operation in ("update", "delete") and call.statement and (major is None or major < 5):
        many = _many_form(index, path, source, unit, call.span, operation)
        if many is not None:
            edits = (*session.edits, where_edit, *many)
            title = f"Use `{operation}Many` scoped to the signed-in user and check that one row matched"
            fixes.append(Fix(title, tuple(sorted(edits, key=lambda e: e.span.start)), "unsafe"))
    return fixes


def _scope_where(path: Path, source: bytes, where: Span, owner: str, pair: Pair | None, expression: str) -> TextEdit:
    if pair is not None:
        text = source[pair.span.start : pair.span.end].decode("utf-8", "replace")
        if text == pair.key:  # shorthand `{ userId }`
            return TextEdit(path, pair.span, f"{owner}: {expression}")
        return TextEdit(path, pair.span, expression)
    return append_property(path, source, where, f"{owner}: {expression}")


def append_property(path: Path, source: bytes, obj: Span, prop: str) -> TextEdit:
    """Add ``prop`` as the last property of the object literal at ``obj``."""
    inner_end = obj.end - 1  # the closing brace
    before = source[obj.start + 1 : inner_end]
    stripped = before.rstrip()
    at = obj.start + 1 + len(stripped)
    if not stripped.strip():
        return TextEdit(path, Span(obj.start + 1, inner_end), f" {prop} ")
    if stripped.endswith(b","):
        return TextEdit(path, Span(at, at), f" {prop},")
    return TextEdit(path, Span(at, at), f", {prop}")


def _many_form(
    index: WorkspaceIndex, path: Path, source: bytes, unit: Unit, call: Span, operation: str
) -> list[TextEdit] | None:
    text = source[call.start : call.end]
    match = re.search(rb"\." + operation.encode() + rb"\s*\(", text)
    if match is None:
        return None
    name_at = call.start + match.start() + 1
    style = style_of(source, index.modules[path])
    body = source[unit.span.start : unit.span.end]
    variable = "count" if not re.search(rb"\bcount\b", body) else "matched"
    binding = "{ count }" if variable == "count" else "{ count: matched }"
    start = expression_start(source, call.start)
    end = statement_end(source, call.end)
    q = style.quote
    check = f"if ({variable} !== 1) throw new Error({q}Not found{q}){style.semicolon}"
    return [
        TextEdit(path, Span(start, start), f"const {binding} = "),
        TextEdit(path, Span(name_at, name_at + len(operation)), f"{operation}Many"),
        insert_after_statement(path, source, Span(start, end), check, style),
    ]


def drizzle_fix(
    index: WorkspaceIndex,
    naming: OwnerNaming,
    path: Path,
    unit: Unit,
    access: Access,
    session: SessionId,
) -> Fix | None:
    if access.where_call is None or access.table is None:
        return None
    where = unit.calls[access.where_call]
    if where.args_span is None:
        return None
    table = access.table.strip()
    columns = _table_columns(index, path, table)
    owner = naming.drizzle_owner(columns)
    if owner is None:
        return None
    source = index.sources[path]
    facts = index.modules[path]
    condition = source[where.args_span.start : where.args_span.end].decode("utf-8", "replace").strip()
    scope = f"eq({table}.{owner}, {session.expression})"
    edits: list[TextEdit] = list(session.edits)
    if condition.startswith("and(") and condition.endswith(")"):
        close = where.args_span.start + len(source[where.args_span.start : where.args_span.end].rstrip()) - 1
        edits.append(TextEdit(path, Span(close, close), f", {scope}"))
    else:
        edits.append(TextEdit(path, where.args_span, f"and({condition}, {scope})"))
    for name in ("and", "eq"):
        existing = facts.import_by_local.get(name)
        if existing is None:
            edit = add_import(path, source, facts, name, "drizzle-orm")
            if edit is not None:
                edits.append(edit)
        elif existing.source != "drizzle-orm":
            return None
    edits = merge_insertions(edits)
    title = f"Scope the query to the signed-in user: `and(…, eq({table}.{owner}, …))`"
    return Fix(title, tuple(edits), "unsafe")


def _table_columns(index: WorkspaceIndex, path: Path, table: str) -> tuple[str, ...]:
    if not re.fullmatch(r"[A-Za-z_$][\w$]*", table):
        return ()
    target = index.target(path, (table,))
    if target.kind == "binding" and target.path is not None:
        binding = index.binding_in(target.path, target.name)
        if binding is not None:
            return binding.object_keys
    return ()


def supabase_fix(
    index: WorkspaceIndex, naming: OwnerNaming, path: Path, unit: Unit, access: Access, session: SessionId
) -> Fix | None:
    call = unit.calls[access.call]
    column = naming.supabase_owner()
    quote = style_of(index.sources[path], index.modules[path]).quote
    at = call.span.end
    edits = (*session.edits, TextEdit(path, Span(at, at), f".eq({quote}{column}{quote}, {session.expression})"))
    return Fix(f"Scope the query to the signed-in user: `.eq('{column}', …)`", edits, "unsafe")


def owner_value_fix(path: Path, source: bytes, pair: Pair, session: SessionId, *, creates: bool) -> Fix:
    """NG105: store the session's user id instead of the client's.

    Safe when the write creates a record: its owner is the caller, which is what the code meant.
    On an update the client's value may be the point (hand a note over to another user), and
    writing the caller's id instead silently turns "transfer to X" into "transfer to myself", so
    the fix is offered as unsafe, saying so."""
    text = source[pair.span.start : pair.span.end].decode("utf-8", "replace")
    if text == pair.key:
        edit = TextEdit(path, pair.span, f"{pair.key}: {session.expression}")
    else:
        edit = TextEdit(path, pair.span, session.expression)
    if creates:
        return Fix(f"Take `{pair.key}` from the session: `{session.expression}`", (*session.edits, edit), "safe")
    title = (
        f"Take `{pair.key}` from the session: `{session.expression}` "
        "(changes what the update does: the record can no longer be given to someone else)"
    )
    return Fix(title, (*session.edits, edit), "unsafe")
