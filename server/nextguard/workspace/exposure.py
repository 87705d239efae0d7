"""Which functions return database records, and what their callers do with what they return.

A *raw record* is the result of a query that reads (or writes and returns) whole rows — Prisma
`db.post.findUnique(…)`, Drizzle `db.query.posts.findFirst(…)` / `db.select().from(posts)`,
Supabase `.from('posts').select('*')` — without an explicit `select`/`columns`/`omit`, or with a
select that names secret fields. "Returns a raw record" is a summary that flows along the call
graph: `return getPost(id)` returns one when `getPost`, in whatever file, returns one. Answers are
memoised in ``index.memo`` (cleared whenever a file changes), so each unit is read once per
analysis however many callers ask.

Call sites are found through the import graph: every file that imports the function's module
(directly or through re-exports) is searched for the names it imports it under, and each
reference is read — `<form action={x}>` and `await x(fd);` ignore the value; `const p = await
x(id); p.title` and `const { title } = await x(id)` use the fields they name; anything else uses
the value in ways we do not follow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Literal

from ..facts.model import Call, FileFacts, Local, Return, Unit
from ..model import Span
from .calls import Event, Kind, NameKey, label_of
from .index import WorkspaceIndex
from .summaries import Step, Summaries

Orm = Literal["prisma", "drizzle-query", "drizzle-select", "supabase", "mongoose", "appwrite"]

# Prisma operations whose result is whole rows (counts, aggregates and batch writes are not).
_PRISMA_ROWS = frozenset(
    {
        "findUnique",
        "findUniqueOrThrow",
        "findFirst",
        "findFirstOrThrow",
        "findMany",
        "create",
        "createManyAndReturn",
        "update",
        "updateManyAndReturn",
        "upsert",
        "delete",
    }
)
_MANY = frozenset({"findMany", "createManyAndReturn", "updateManyAndReturn"})
# Words that, in a field's name, say it holds a secret: never part of what a fix returns or selects.
_SECRET_WORDS = frozenset({"password", "passwd", "pwd", "hash", "hashed", "token", "secret", "salt", "otp", "totp"})
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key"), ("refresh", "token")})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def is_secret(name: str) -> bool:
    """`passwordHash`, `reset_token`, `apiKey`, `clientSecret` — judged by the words of the name, so
    `hashtags` or `tokens` (a count) are not secrets."""
    words = [word.lower() for word in _WORD.findall(name)]
    if any(word in _SECRET_WORDS for word in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in pairwise(words))


@dataclass(frozen=True, slots=True)
class RecordRead:
    """A query that returns whole rows, where it stands."""

    path: Path
    unit: int
    call: int  # the outermost call of the query's chain, in the unit's calls
    span: Span
    label: str
    orm: Orm
    model: str | None  # `post` (Prisma), `posts` (Drizzle table), `'posts'` (Supabase table)
    many: bool  # the result is a list of rows
    selected: tuple[str, ...] | None  # the select's keys; None without one
    explicit: bool  # it has a select/columns/omit of some kind

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(name for name in self.selected or () if is_secret(name))

    @property
    def raw(self) -> bool:
        """Whether it returns more than it chose to: no select, or a select of secret fields."""
        return not self.explicit or bool(self.secrets)


@dataclass(frozen=True, slots=True)
class RawReturn:
    """A return of a unit that hands a raw record to its caller."""

    ret: Return
    span: Span  # the expression that is the record (the whole value, an object's property, a spread)
    key: str | None  # the property that holds it, when the value is an object literal
    shorthand: bool
    read: RecordRead  # the query the record comes from
    trail: tuple[Step, ...]  # the calls from this unit to that query (empty: it is in this unit)
    whole: bool  # the record is the whole value the callee returned (not part of an object)
    local: Local | None = None  # the local that holds it, when it is returned by name


def _events_by_start(summaries: Summaries, path: Path, index: int) -> dict[int, list[Event]]:
    found: dict[int, list[Event]] = {}
    for event in summaries.unit(path, index).events:
        found.setdefault(event.span.start, []).append(event)
    return found


def record_read(
    index: WorkspaceIndex, summaries: Summaries, path: Path, unit: Unit, position: int
) -> RecordRead | None:
    """The query that call ``position`` of ``unit`` is, when it returns whole rows."""
    call = unit.calls[position]
    chain = call.chain
    if len(chain) < 2 or "then" in chain or "map" in chain:
        return None
    events = _events_by_start(summaries, path, unit.index).get(call.span.start, ())
    if any(event.kind is Kind.EFFECT for event in events):
        return _appwrite_read(index, path, unit, position)
    if not any(event.kind is Kind.DATA for event in events):
        return None
    same = [other for other in unit.calls if other.span.start == call.span.start and other.span.end <= call.span.end]
    label = label_of(chain)
    last = chain[-1]
    keys = {field.key for field in call.fields}
    explicit = bool(keys & {"select", "omit", "columns"})
    source = index.sources.get(path, b"")
    if not explicit and "..." in keys:
        # `...(full ? {} : { select: { id: true } })`: a select we cannot read is still a select
        spreads = [field.span for field in call.fields if field.key == "..."]
        explicit = any(
            _SPREAD_SELECT.search(source, span.start, span.end) and b"include" not in source[span.start : span.end]
            for span in spreads
        )  # (a `select` nested in an `include` picks a relation's fields, not the row's)
    selected = call.selected if "select" in keys or "columns" in keys else None
    mongoose = _mongoose_read(index, path, unit, position, same)
    if mongoose is not None:
        return mongoose
    if len(chain) >= 4 and chain[-3] == "query" and last in ("findFirst", "findMany"):
        return RecordRead(
            path,
            unit.index,
            position,
            call.span,
            label,
            "drizzle-query",
            chain[-2],
            last == "findMany",
            selected,
            explicit,
        )
    if len(chain) >= 3 and last in _PRISMA_ROWS and chain[-2] not in ("()", "[]", "") and chain[1] != "query":
        return RecordRead(
            path, unit.index, position, call.span, label, "prisma", chain[-2], last in _MANY, selected, explicit
        )
    if len(chain) >= 4 and chain[1] in ("select", "selectDistinct") and chain[2] == "()" and "from" in chain:
        head = _part(same, chain[:2])
        table = _part(same, chain[: chain.index("from") + 1])
        if head is None or head.args_span is None:
            return None
        columns = source[head.args_span.start : head.args_span.end].strip()
        model = _first_name(source, table)
        first = chain[-1] == "[]"
        return RecordRead(
            path, unit.index, position, call.span, label, "drizzle-select", model, not first, None, bool(columns)
        )
    if "returning" in chain and chain[1] in ("insert", "update", "delete"):
        returning = _part(same, chain[: chain.index("returning") + 1])
        target = _part(same, chain[:2])
        if returning is None or returning.args_span is None:
            return None
        columns = source[returning.args_span.start : returning.args_span.end].strip()
        return RecordRead(
            path,
            unit.index,
            position,
            call.span,
            label,
            "drizzle-select",
            _first_name(source, target),
            True,
            None,
            bool(columns),
        )
    if "from" in chain and "select" in chain and chain.index("select") > chain.index("from"):
        select = _part(same, chain[: chain.index("select") + 1])
        table = _part(same, chain[: chain.index("from") + 1])
        if select is None or chain.index("from") + 1 >= len(chain) or chain[chain.index("from") + 1] != "()":
            return None
        text = select.string_arg
        if select.args_span is not None and select.args_span.start != select.args_span.end and text is None:
            return None  # a select list we cannot read
        listed = tuple(part.strip() for part in (text or "*").split(",") if part.strip())
        raw = not listed or "*" in listed
        single = "single" in chain or "maybeSingle" in chain
        return RecordRead(
            path,
            unit.index,
            position,
            call.span,
            label,
            "supabase",
            table.string_arg if table is not None else None,
            not single,
            None if raw else listed,
            not raw,
        )
    return None


# Mongoose model methods whose result is documents: (many?, index of a projection argument).
_MONGOOSE_ROWS: dict[str, tuple[bool, int | None]] = {
    "find": (True, 1),
    "findOne": (False, 1),
    "findById": (False, 1),
    "findOneAndUpdate": (False, None),
    "findByIdAndUpdate": (False, None),
    "findOneAndDelete": (False, None),
    "findByIdAndDelete": (False, None),
    "findOneAndReplace": (False, None),
    "create": (False, None),
}
# What may follow the model call in a chain and still hand back its documents.
_MONGOOSE_TAIL = frozenset({"()", "populate", "lean", "sort", "skip", "limit", "exec", "where", "equals", "in"})
# Appwrite `Databases` methods whose result is documents (`listDocuments`: a list of them).
_APPWRITE_ROWS = {"getDocument": False, "listDocuments": True, "createDocument": False, "updateDocument": False}


def _mongoose_read(index: WorkspaceIndex, path: Path, unit: Unit, position: int, same: list[Call]) -> RecordRead | None:
    """`User.findOne({ id }).populate('communities')`: whole documents unless a projection (a
    `.select(…)` link, or the projection argument of `find`/`findOne`/`findById`) picks fields."""
    call = unit.calls[position]
    chain = call.chain
    if len(chain) < 2 or chain[1] not in _MONGOOSE_ROWS or not chain[0][:1].isupper():
        return None
    if any(part not in _MONGOOSE_TAIL and part != "select" for part in chain[2:]):
        return None
    model = _part(same, chain[:2])
    if model is None:
        return None
    many, projection = _MONGOOSE_ROWS[chain[1]]
    source = index.sources.get(path, b"")
    explicit = "select" in chain[2:] or (projection is not None and len(call_args_text(source, model)) > projection)
    label = label_of(chain[:2])
    return RecordRead(path, unit.index, position, call.span, label, "mongoose", chain[0], many, None, explicit)


def _appwrite_read(index: WorkspaceIndex, path: Path, unit: Unit, position: int) -> RecordRead | None:
    """`databases.getDocument(db, collection, id)`: the whole document unless the queries pick
    attributes (`Query.select([…])`)."""
    call = unit.calls[position]
    if len(call.chain) != 2 or call.chain[1] not in _APPWRITE_ROWS:
        return None
    source = index.sources.get(path, b"")
    text = source[call.args_span.start : call.args_span.end] if call.args_span is not None else b""
    explicit = b"Query.select" in text
    many = _APPWRITE_ROWS[call.chain[1]]
    return RecordRead(
        path, unit.index, position, call.span, label_of(call.chain), "appwrite", None, many, None, explicit
    )


def call_args_text(source: bytes, call: Call) -> list[str]:
    from .flow import call_args

    return [text for text, _ in call_args(source, call)]


def _reassigned(index: WorkspaceIndex, path: Path, unit: Unit, local: Local, name: str) -> bool:
    """`let user = await db.user.findUnique(…); user = sanitize(user)`: what is returned is no longer
    what the query read."""
    source = index.sources.get(path, b"")
    if not source[local.statement.start : local.statement.start + 4].startswith((b"let", b"var")):
        return False
    pattern = rb"(?<![\w$.])" + re.escape(name.encode()) + rb"\s*(?:=(?![=>])|\+=|\?\?=|\|\|=)"
    return re.search(pattern, source[local.span.end : unit.span.end]) is not None


_SPREAD_SELECT = re.compile(rb"\b(?:select|omit|columns)\s*:")


def _part(calls: list[Call], chain: tuple[str, ...]) -> Call | None:
    return next((call for call in calls if call.chain == chain), None)


_NAME = re.compile(rb"[A-Za-z_$][\w$]*")


def _first_name(source: bytes, call: Call | None) -> str | None:
    if call is None or call.args_span is None:
        return None
    match = _NAME.match(source[call.args_span.start : call.args_span.end].strip())
    return match.group(0).decode() if match is not None else None


def _key(path: Path, index: int) -> tuple[str, Path, int]:
    return ("raw-returns", path, index)


def raw_returns(index: WorkspaceIndex, summaries: Summaries, path: Path, unit_index: int) -> tuple[RawReturn, ...]:
    """The returns of a unit that hand a raw record to its caller (memoised; a cycle of calls
    contributes nothing)."""
    key = _key(path, unit_index)
    found = index.memo.get(key)
    if found is not None:
        assert isinstance(found, tuple)
        return found
    index.memo[key] = ()
    facts = index.modules.get(path)
    result: tuple[RawReturn, ...] = ()
    if facts is not None and unit_index < len(facts.units):
        result = tuple(_raw_returns(index, summaries, facts, facts.units[unit_index]))
    index.memo[key] = result
    return result


def _raw_returns(index: WorkspaceIndex, summaries: Summaries, facts: FileFacts, unit: Unit) -> list[RawReturn]:
    found: list[RawReturn] = []
    for ret in unit.returns:
        if ret.kind == "call" and ret.call is not None:
            hit = call_record(index, summaries, facts.path, unit, ret.call)
            if hit is not None:
                read, trail, whole = hit
                found.append(RawReturn(ret, ret.span, None, False, read, trail, whole))
        elif ret.kind == "name" and ret.name is not None:
            held = local_record(index, summaries, facts.path, unit, ret.name, ret.span.start)
            if held is not None:
                read, trail, whole, local = held
                if ret.element:
                    if not read.many:
                        continue
                    read = replace(read, many=False)
                found.append(RawReturn(ret, ret.span, None, False, read, trail, whole, local))
        elif ret.kind == "object":
            for entry in ret.entries:
                if entry.name is None:
                    continue
                held = local_record(index, summaries, facts.path, unit, entry.name, ret.span.start)
                if held is not None:
                    read, trail, whole, local = held
                    key = None if entry.key == "..." else entry.key
                    found.append(RawReturn(ret, entry.span, key, entry.shorthand, read, trail, False, local))
    return found


def call_record(
    index: WorkspaceIndex, summaries: Summaries, path: Path, unit: Unit, position: int
) -> tuple[RecordRead, tuple[Step, ...], bool] | None:
    """The raw record call ``position`` returns: a query of its own, or a workspace function that
    returns one. Returns (the query, the calls leading to it, whether it is the whole value)."""
    read = record_read(index, summaries, path, unit, position)
    if read is not None:
        return (read, (), True) if read.raw else None
    call = unit.calls[position]
    held = _query_run_later(index, summaries, path, unit, call) or _passed_through(index, summaries, path, unit, call)
    if held is not None:
        return held
    for event in _events_by_start(summaries, path, unit.index).get(call.span.start, ()):
        if event.kind is not Kind.CALL or event.callee is None or event.span != call.span:
            continue
        callee = summaries.callee_unit(event.callee)
        if callee is None:
            continue
        for inner in raw_returns(index, summaries, *callee):
            return inner.read, (Step(path, call.span, event.label), *inner.trail), inner.whole
    return None


def _query_run_later(
    index: WorkspaceIndex, summaries: Summaries, path: Path, unit: Unit, call: Call
) -> tuple[RecordRead, tuple[Step, ...], bool] | None:
    """`const query = User.find(q).sort(s); … await query.exec()`: the query built earlier."""
    chain = call.chain
    if len(chain) < 2 or any(part not in _MONGOOSE_TAIL for part in chain[1:]):
        return None
    held = local_record(index, summaries, path, unit, chain[0], call.span.start)
    return (held[0], held[1], held[2]) if held is not None else None


_PASS_THROUGH = re.compile(
    rb"^\s*(?:JSON\.parse\(\s*JSON\.stringify\(\s*(?P<a>[\w$]+)\s*\)\s*\)|structuredClone\(\s*(?P<b>[\w$]+)\s*\))\s*$"
)


def _passed_through(
    index: WorkspaceIndex, summaries: Summaries, path: Path, unit: Unit, call: Call
) -> tuple[RecordRead, tuple[Step, ...], bool] | None:
    """`return parseStringify(file)`, `JSON.parse(JSON.stringify(user))`: a copy of the record is
    still the whole record."""
    source = index.sources.get(path, b"")
    text = source[call.span.start : call.span.end]
    match = _PASS_THROUGH.match(text)
    name: str | None = None
    if match is not None:
        name = (match.group("a") or match.group("b")).decode()
    elif call.args_span is not None and _copies_its_argument(index, summaries, path, call):
        argument = source[call.args_span.start : call.args_span.end].strip()
        if re.fullmatch(rb"[\w$]+", argument):
            name = argument.decode()
    if name is None:
        return None
    held = local_record(index, summaries, path, unit, name, call.span.start)
    return (held[0], held[1], held[2]) if held is not None else None


def _copies_its_argument(index: WorkspaceIndex, summaries: Summaries, path: Path, call: Call) -> bool:
    """Whether the workspace function a call runs returns a copy of its only parameter."""
    target = index.target(path, call.chain)
    if target.kind != "binding" or target.path is None or target.rest:
        return False
    binding = index.binding_in(target.path, target.name)
    if binding is None or binding.body is None:
        return False
    callee = index.modules[target.path].units[binding.body]
    if len(callee.params) != 1 or len(callee.returns) != 1:
        return False
    ret = callee.returns[0]
    text = index.sources.get(target.path, b"")[ret.statement.start : ret.statement.end]
    match = _PASS_THROUGH.match(text)
    return match is not None and (match.group("a") or match.group("b")).decode() == callee.params[0].name


def local_record(
    index: WorkspaceIndex, summaries: Summaries, path: Path, unit: Unit, name: str, before: int
) -> tuple[RecordRead, tuple[Step, ...], bool, Local] | None:
    """The raw record the local ``name`` holds where it is read at ``before``."""
    local = None
    for candidate in unit.locals:
        if candidate.span.end <= before and any(binder.name == name for binder in candidate.binders):
            local = candidate
    if local is None or local.call is None or _reassigned(index, path, unit, local, name):
        return None
    binder = next(binder for binder in local.binders if binder.name == name)
    hit = call_record(index, summaries, path, unit, local.call)
    if hit is None:
        return None
    read, trail, whole = hit
    shape = binder.path
    if shape == ():
        return read, trail, whole, local
    if shape == ("[0]",) and read.many:
        return replace(read, many=False), trail, whole, local
    if shape in (("data",), ("data", "[0]")) and read.orm == "supabase":
        return read, trail, whole, local
    return None


# -- what callers do with a function's result -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Usage:
    """What the call sites of a function do with its result."""

    references: int = 0
    value_used: bool = False
    fields: frozenset[str] | None = frozenset()  # None: some site uses the value in ways not followed

    def merge(self, other: Usage) -> Usage:
        fields = None if self.fields is None or other.fields is None else self.fields | other.fields
        return Usage(self.references + other.references, self.value_used or other.value_used, fields)


UNKNOWN = Usage(1, True, None)
_EXPORT_CLAUSE = re.compile(rb"export\s*(?:type\s*)?(?:\{|\*|default\s+[\w$]+\s*;?\s*$)")
_FORM_PROP = re.compile(rb"\b(?:action|formAction)\s*=\s*\{\s*$")
# `onClick={() => archive(id)}`, `action={(fd) => save(fd)}`: React ignores what a handler returns.
_HANDLER_BODY = re.compile(
    rb"\b(?:on[A-Z]\w*|action|formAction)\s*=\s*\{\s*(?:async\s*)?(?:\([^()]*\)|[\w$]+)\s*=>\s*(?:await\s+)?$"
)


def _importers(index: WorkspaceIndex) -> dict[Path, set[Path]]:
    """File → the files that import it (not type-only), computed once per analysis."""
    found = index.memo.get("exposure-importers")
    if isinstance(found, dict):
        return found
    reverse: dict[Path, set[Path]] = {}
    for other in index.modules:
        for target in index.imports_of(other):
            reverse.setdefault(target, set()).add(other)
    index.memo["exposure-importers"] = reverse
    return reverse


def usage_of(index: WorkspaceIndex, summaries: Summaries, callee: NameKey) -> Usage:
    """What every call site in the workspace does with what ``callee`` returns (memoised; through a
    caller that returns the result as it is, that caller's own call sites count)."""
    key = ("exposure-usage", callee)
    cached = index.memo.get(key)
    if isinstance(cached, Usage):
        return cached
    index.memo[key] = UNKNOWN  # a cycle: unknown
    result = _usage_of(index, summaries, callee)
    index.memo[key] = result
    return result


def _usage_of(index: WorkspaceIndex, summaries: Summaries, callee: NameKey) -> Usage:
    path, name = callee
    if "." in name:
        return UNKNOWN
    reverse = _importers(index)
    files = {path}
    frontier = [path]
    while frontier:
        current = frontier.pop()
        for importer in reverse.get(current, ()):
            if importer in files:
                continue
            files.add(importer)
            facts = index.modules[importer]
            if facts.star_exports or any(export.source is not None for export in facts.exports):
                frontier.append(importer)
    usage = Usage()
    for file in sorted(files):
        facts = index.modules[file]
        locals_: list[str] = []
        if file == path:
            locals_.append(name)
        for imported in facts.imports:
            if imported.local is None or imported.type_only:
                continue
            target = index.target(file, (imported.local,))
            if imported.imported == "*":
                if index.resolve_import(file, imported.source) == path:
                    return UNKNOWN  # `ns.fn(…)`: not followed
                continue
            if target.kind == "binding" and target.path == path and target.name == name:
                locals_.append(imported.local)
        for local in locals_:
            usage = usage.merge(_references(index, summaries, facts, local, callee))
            if usage.fields is None and usage.value_used:
                return usage
    return usage


def _references(index: WorkspaceIndex, summaries: Summaries, facts: FileFacts, name: str, callee: NameKey) -> Usage:
    source = index.sources.get(facts.path, b"")
    word = name.encode()
    skip = [imported.span for imported in facts.imports]
    skip += [
        export.span
        for export in facts.exports
        if export.span is not None and _EXPORT_CLAUSE.match(source, export.span.start, export.span.end)
    ]
    binding = facts.bindings.get(name) if facts.path == callee[0] else None
    if binding is not None:
        skip.append(binding.span)
        if binding.body is not None:
            skip.append(Span(facts.units[binding.body].span.start, facts.units[binding.body].report.end))
    calls: dict[int, tuple[Unit, int]] = {}
    for unit in facts.units:
        for position, call in enumerate(unit.calls):
            if call.chain == (name,):
                calls[call.span.start] = (unit, position)
    usage = Usage()
    for match in re.finditer(rb"(?<![\w$.])" + re.escape(word) + rb"(?![\w$])", source):
        at = match.start()
        if any(span.start <= at < span.end for span in skip):
            continue
        line_start = source.rfind(b"\n", 0, at) + 1
        if source[line_start:at].lstrip().startswith((b"//", b"*", b"/*")):
            continue
        after = source[match.end() : match.end() + 3]
        if after[:1] == b":" and after[:2] != b"::":
            continue  # an object key
        before = source[max(0, at - 40) : at]
        if _FORM_PROP.search(before) and source[match.end() :].lstrip()[:1] == b"}":
            usage = usage.merge(Usage(1, False, frozenset()))
            continue
        site = calls.get(at)
        if site is None:
            return UNKNOWN
        if _HANDLER_BODY.search(source[max(0, at - 120) : at]):
            usage = usage.merge(Usage(1, False, frozenset()))
            continue
        usage = usage.merge(_call_usage(index, summaries, facts, *site))
        if usage.fields is None:
            return usage
    return usage


def _call_usage(index: WorkspaceIndex, summaries: Summaries, facts: FileFacts, unit: Unit, position: int) -> Usage:
    call = unit.calls[position]
    if call.statement:
        return Usage(1, False, frozenset())
    if any(ret.kind == "call" and ret.call == position for ret in unit.returns):
        return _through_caller(index, summaries, facts, unit)
    for local in unit.locals:
        if local.call != position:
            continue
        fields: set[str] = set()
        for binder in local.binders:
            if binder.path == ():
                held = _name_usage(index, summaries, facts, unit, local, binder.name)
                if held is None:
                    return UNKNOWN
                fields |= held
            elif len(binder.path) >= 1 and binder.path[0] not in ("...",) and not binder.path[0].startswith("["):
                fields.add(binder.path[0])
            else:
                return UNKNOWN
        return Usage(1, True, frozenset(fields))
    return UNKNOWN


def _through_caller(index: WorkspaceIndex, summaries: Summaries, facts: FileFacts, unit: Unit) -> Usage:
    names = summaries.names_of_unit(facts.path, unit.index)
    if not names:
        return UNKNOWN
    usage = Usage()
    for name in sorted(names):
        usage = usage.merge(usage_of(index, summaries, name))
    return Usage(max(usage.references, 1), usage.value_used or usage.references == 0, usage.fields)


def _name_usage(
    index: WorkspaceIndex, summaries: Summaries, facts: FileFacts, unit: Unit, local: Local, name: str
) -> set[str] | None:
    """The fields read off local ``name``; None when it is used whole (passed, spread, returned
    anywhere but as the unit's own result)."""
    fields: set[str] = set()
    for ref in facts.refs:
        if ref.name != name or not (local.span.end <= ref.span.start < unit.span.end):
            continue
        if ref.member is not None:
            fields.add(ref.member)
            continue
        if ref.test and not ref.returned and not ref.argument:
            continue  # `if (!post) notFound()`
        if any(r.kind == "name" and r.name == name and r.span == ref.span for r in unit.returns):
            through = _through_caller(index, summaries, facts, unit)
            if through.fields is None:
                return None
            fields |= through.fields
            continue
        return None
    return fields


def own_fields(facts: FileFacts, unit: Unit, raw: RawReturn) -> set[str] | None:
    """The fields the returning unit itself reads off the record it returns (a select must keep
    them); None when it uses the record whole (passes or spreads it)."""
    local = raw.local
    if local is None:
        return set()
    names = {binder.name for binder in local.binders}
    fields: set[str] = set()
    for ref in facts.refs:
        if ref.name not in names or not (local.span.end <= ref.span.start < unit.span.end):
            continue
        if ref.member is not None:
            if not raw.ret.element:  # when it returns `rows[0]`, `rows.length` is not a field of the row
                fields.add(ref.member)
        elif ref.argument or not (ref.test or ref.returned):
            return None
    return fields


# -- DTO functions --------------------------------------------------------------------------------

_DTO = re.compile(r"^(?:to(?P<a>\w+?)(?:DTO|Dto)|(?P<b>\w+?)To(?:DTO|Dto))$")


def singular(name: str) -> str:
    lower = name.lower()
    if lower.endswith("ies") and len(lower) > 4:
        return lower[:-3] + "y"
    if lower.endswith("s") and not lower.endswith("ss") and len(lower) > 3:
        return lower[:-1]
    return lower


def dto_functions(index: WorkspaceIndex) -> dict[str, tuple[Path, str]]:
    """Exported workspace functions that map a model's record to a DTO (`toUserDTO`, `userToDto`),
    by the model's singular lower-case name."""
    found = index.memo.get("exposure-dto")
    if isinstance(found, dict):
        return found
    result: dict[str, tuple[Path, str]] = {}
    for path, facts in sorted(index.modules.items()):
        for export in facts.exports:
            match = _DTO.match(export.exported)
            if match is None or export.local is None:
                continue
            binding = facts.bindings.get(export.local)
            if binding is None or binding.body is None:
                continue
            model = singular(match.group("a") or match.group("b") or "")
            result.setdefault(model, (path, export.exported))
    index.memo["exposure-dto"] = result
    return result


def dto_for(index: WorkspaceIndex, model: str | None) -> tuple[Path, str] | None:
    if not model:
        return None
    return dto_functions(index).get(singular(model.strip("'\"")))
