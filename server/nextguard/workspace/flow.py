"""What the names inside one function hold, and its data accesses read as queries.

A name holds *session-derived* values when it is reached from an auth primitive's result
(`const session = await auth()`, `const userId = session.user.id`, the `ctx` an authenticating
action client passes), and *parameter-derived* values when it is reached from a parameter
(`formData.get('id')`, `parsed.data`, `await request.json()`). For an endpoint, its parameters are
client input; for any other function they are whatever its callers pass, which is how ownership
summaries flow along the call graph (see ``ownership``).

Derivation is read off each declaration's value text (the names it mentions), in source order:
enough for the straight-line code Server Actions and DAL functions are, with no attempt at
control flow.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from ..facts.extract import roots_of
from ..facts.model import Binding, Call, FileFacts, Local, Unit
from ..model import Span
from . import vocabulary as vocab
from .calls import Event, Kind, NameKey
from .index import WorkspaceIndex


class UnitEvents(Protocol):
    """What a flow reads of a function's summary: its events, and whether it touches data."""

    @property
    def events(self) -> Sequence[Event]: ...
    @property
    def data(self) -> bool: ...


class SummaryLookup(Protocol):
    """What a function's flow asks of the workspace's summaries (``summaries.Summaries`` is the
    one implementation). A protocol, not an import: the summaries compute flows on demand and the
    flows read the callees' summaries, and naming the questions here keeps the solver
    (``summaries``) above the per-function reading (``flow``, ``gating``, ``ownership``) instead of
    the modules importing each other in a cycle."""

    @property
    def index(self) -> WorkspaceIndex: ...
    def unit(self, path: Path, index: int) -> UnitEvents: ...
    def chain_auth(self, path: Path, binding: Binding) -> bool: ...
    def callee_auth(self, event: Event) -> bool: ...
    def names_of_unit(self, path: Path, index: int) -> set[NameKey]: ...
    def callee_summary(self, event: Event) -> UnitEvents | None: ...


SESSION = -1  # the tag of session-derived values; parameters are tagged by their position
Tags = frozenset[int]
NO_TAGS: Tags = frozenset()

# Names, in the parameters of a function an authenticating wrapper calls, that carry what the
# client sent (`parsedInput` of next-safe-action, `input` of zsa, `req`/`params`/`body` of route
# wrappers). The wrapper fills the others from the session: `ctx`, `session`, `user`,
# `workspace`…
CLIENT_PARAMS = frozenset(
    {
        "req",
        "request",
        "params",
        "searchParams",
        "body",
        "rawBody",
        "input",
        "parsedInput",
        "clientInput",
        "bindArgsParsedInputs",
        "bindArgsClientInputs",
        "data",
        "formData",
        "query",
        "args",
        "headers",
        "context",
        "prevState",
        "previousState",
        "state",
        "payload",
        "values",
        "event",
        "_",
    }
)

# Names of workspace functions that return who the caller is (rather than merely calling an auth
# primitive on the way to something else, as a tracking helper reading an optional session does).
IDENTITY_CALL = re.compile(r"session|user|auth|viewer|claims|identity|principal|account|whoami|^me$", re.IGNORECASE)

AccessKind = Literal["mutation", "read", "create", "other"]
Orm = Literal["prisma", "drizzle", "supabase", "mongo", "kysely", "appwrite"]

_PRISMA_KEYED_WRITES = frozenset({"update", "updateMany", "upsert", "delete", "deleteMany", "updateManyAndReturn"})
_PRISMA_CREATES = frozenset({"create", "createMany", "createManyAndReturn"})
_PRISMA_SINGLE_READS = frozenset({"findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow"})
_MONGO_BY_ID_WRITES = frozenset({"findByIdAndUpdate", "findByIdAndDelete", "findByIdAndRemove"})
_MONGO_FILTER_WRITES = frozenset(
    {"findOneAndUpdate", "findOneAndDelete", "findOneAndReplace", "updateOne", "deleteOne", "replaceOne"}
)
_SUPABASE_FILTERS = frozenset({"eq", "match", "in", "is", "filter", "contains"})


@dataclass(frozen=True, slots=True)
class Pair:
    """One condition of a query's filter (`id: postId`, `eq(posts.id, id)`, `.eq('id', id)`), or
    one value a write stores. ``key`` is None when the filter could not be split."""

    key: str | None
    text: str
    span: Span


@dataclass(slots=True)
class Access:
    """A data access read as a query."""

    call: int  # the data call's index in the unit's calls
    event: Event
    orm: Orm
    kind: AccessKind
    filters: list[Pair] | None  # None: the filter is not literal (`where: conditions`)
    writes: list[Pair]
    end: int  # the end of the whole chained expression
    table: str | None = None  # Drizzle table variable / Supabase table name
    where_call: int | None = None  # Drizzle `.where(…)` call


@dataclass(slots=True)
class UnitFlow:
    tags: dict[str, Tags] = field(default_factory=dict)
    auth_locals: list[tuple[Local, Event]] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)  # name -> call index of the read it holds
    events_at: dict[int, list[Event]] = field(default_factory=dict)  # call index -> its events
    accesses: list[Access] = field(default_factory=list)
    wrapped: bool = False  # its first parameter is filled by an authenticating wrapper
    chains: dict[int, list[int]] = field(default_factory=dict)  # start offset -> calls chained there

    def chain(self, unit: Unit, index: int) -> list[int]:
        """The calls that make one chained expression with call ``index`` (`db.update(t).set(v)
        .where(c)`, `supabase.from('t').delete().eq('id', id)`): those that start where it starts."""
        return self.chains.get(unit.calls[index].span.start, [index])

    def tags_of(self, text: str | bytes) -> Tags:
        data = text.encode() if isinstance(text, str) else text
        found: set[int] = set()
        for name in roots_of(data):
            found |= self.tags.get(name, NO_TAGS)
        return frozenset(found)

    def session_names(self) -> set[str]:
        return {name for name, tags in self.tags.items() if SESSION in tags}


_FALLBACK_OPERATOR = re.compile(rb"\|\||\?\?")


def _preferred_operand(text: bytes) -> bytes:
    """`userId || session.user.id`: the value is the client's whenever it sent one, so the names
    of the first operand are what it holds (a fallback to the session does not scope it)."""
    match = _FALLBACK_OPERATOR.search(text)
    head = text[: match.start()] if match is not None else b""
    if match is None or b"(" in head or re.search(rb"\?(?!\.)", head):
        return text
    return text[: match.start()]


def returns_identity(event: Event) -> bool:
    """Whether a call into a workspace function that authenticates reads as one that returns the
    caller's identity, or checks it (`getSession`, `getCurrentUser`, `requireUser`, `verifyAuth`)."""
    return bool(IDENTITY_CALL.search(event.label.split("(")[0].rsplit(".", 1)[-1]))


def split_args(text: str) -> list[tuple[int, int]]:
    """Offsets of the top-level comma-separated pieces of an argument list's text."""
    pieces: list[tuple[int, int]] = []
    depth = 0
    quote = ""
    start = 0
    escaped = False
    for position, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
            continue
        if char in "'\"`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            pieces.append((start, position))
            start = position + 1
    if text[start:].strip():
        pieces.append((start, len(text)))
    return [
        (a + len(text[a:b]) - len(text[a:b].lstrip()), b - (len(text[a:b]) - len(text[a:b].rstrip())))
        for a, b in pieces
    ]


def call_args(source: bytes, call: Call) -> list[tuple[str, Span]]:
    """A call's arguments: each one's text and span."""
    if call.args_span is None:
        return []
    base = call.args_span.start
    text = source[call.args_span.start : call.args_span.end].decode("utf-8", "replace")
    found: list[tuple[str, Span]] = []
    for start, end in split_args(text):
        piece = text[start:end]
        byte_start = base + len(text[:start].encode())
        found.append((piece, Span(byte_start, byte_start + len(piece.encode()))))
    return found


def _text(source: bytes, span: Span) -> str:
    return source[span.start : span.end].decode("utf-8", "replace")


def wrapped_body(summaries: SummaryLookup, path: object, unit: Unit) -> bool:
    """Whether ``unit`` is the body of a binding whose wrappers authenticate before it runs."""
    from pathlib import Path

    assert isinstance(path, Path)
    for name_path, name in summaries.names_of_unit(path, unit.index):
        binding = summaries.index.binding_in(name_path, name)
        if binding is not None and binding.body == unit.index and summaries.chain_auth(name_path, binding):
            return True
    return False


def unit_flow(summaries: SummaryLookup, facts: FileFacts, source: bytes, unit: Unit) -> UnitFlow:
    path = facts.path
    summary = summaries.unit(path, unit.index)
    flow = UnitFlow()
    by_span: dict[tuple[int, int], list[Event]] = defaultdict(list)
    for event in summary.events:
        by_span[(event.span.start, event.span.end)].append(event)
    for position, call in enumerate(unit.calls):
        events = by_span.get((call.span.start, call.span.end))
        if events:
            flow.events_at[position] = events
        flow.chains.setdefault(call.span.start, []).append(position)
    flow.wrapped = wrapped_body(summaries, path, unit)
    for binder in unit.params:
        top = binder.path[0] if binder.path else binder.name
        if flow.wrapped and top not in CLIENT_PARAMS:
            flow.tags[binder.name] = frozenset({SESSION})
        else:
            flow.tags[binder.name] = frozenset({binder.index})
    for local in unit.locals:
        tags: Tags = NO_TAGS
        auth: Event | None = None
        read: int | None = None
        if local.call is not None:
            for position in flow.chain(unit, local.call):
                if local.init is not None and unit.calls[position].span.end > local.init.end:
                    continue
                for event in flow.events_at.get(position, ()):
                    if event.kind is Kind.AUTH or (event.kind is Kind.CALL and summaries.callee_auth(event)):
                        auth = auth or event
                    elif event.kind is Kind.DATA and not event.mutation:
                        read = position
                    elif event.kind is Kind.CALL:
                        # a record fetched through the DAL (`const chat = await getChatById(id)`)
                        callee = summaries.callee_summary(event)
                        if callee is not None and callee.data:
                            read = position
        if auth is not None:
            tags = frozenset({SESSION})
            flow.auth_locals.append((local, auth))
        elif local.call is not None and unit.calls[local.call].chain[-2:] == ("auth", "getSession"):
            # Supabase's unverified session still names the caller's user: scoping by it is
            # scoping (that it is not verified is NG110's finding).
            tags = frozenset({SESSION})
        elif local.init is not None:
            tags = flow.tags_of(_preferred_operand(source[local.init.start : local.init.end]))
        if read is None and local.reads is not None:
            read = flow.records.get(local.reads)  # `const [document] = documents`
        for binder in local.binders:
            flow.tags[binder.name] = tags
            if read is not None:
                flow.records[binder.name] = read
            else:
                flow.records.pop(binder.name, None)
    for position, events in flow.events_at.items():
        for event in events:
            if event.kind is Kind.DATA or (
                event.kind is Kind.EFFECT and unit.calls[position].chain[-1] in _APPWRITE_DOCUMENTS
            ):
                access = _access(unit, source, position, event, flow.chain(unit, position))
                if access is not None:
                    flow.accesses.append(access)
    flow.accesses.sort(key=lambda access: unit.calls[access.call].span.start)
    return flow


def _access(unit: Unit, source: bytes, position: int, event: Event, group: list[int]) -> Access | None:
    call = unit.calls[position]
    chain = call.chain
    last = chain[-1]
    end = max(unit.calls[i].span.end for i in group)
    if len(chain) >= 3 and chain[-2] not in ("()", "[]", "") and last in vocab.PRISMA_READS | vocab.PRISMA_WRITES:
        kind: AccessKind = "other"
        if last in _PRISMA_KEYED_WRITES:
            kind = "mutation"
        elif last in _PRISMA_SINGLE_READS:
            kind = "read"
        elif last in _PRISMA_CREATES:
            kind = "create"
        filters: list[Pair] | None = []
        has_where = False
        writes: list[Pair] = []
        for item in call.fields:
            if item.key == "where":
                has_where = True
            elif item.key.startswith("where."):
                assert filters is not None
                filters.append(Pair(item.key[6:], _text(source, item.span), item.span))
            elif item.key.startswith(("data.", "create.", "update.")) and item.key.count(".") == 1:
                writes.append(Pair(item.key.split(".", 1)[1], _text(source, item.span), item.span))
        if has_where and not filters:
            filters = None  # `where: conditions`
        if not call.fields and call.args_span is not None and call.args_span.end > call.args_span.start:
            filters = None  # `update(args)`
        return Access(position, event, "prisma", kind, filters, writes, end)
    if len(chain) == 2 and last in ("select", "selectDistinct") and chain[0] != "supabase":
        # `db.select().from(t).where(eq(t.id, id))`: a read keyed by its filter
        select_where: int | None = None
        filters = []
        for i in group:
            other = unit.calls[i]
            if len(other.chain) > len(chain) and other.chain[: len(chain)] == chain and other.chain[-1] == "where":
                select_where = i
                for piece, span in call_args(source, other):
                    filters += _drizzle_pairs(piece, span)
        if select_where is None:
            return Access(position, event, "drizzle", "other", [], [], end)
        return Access(position, event, "drizzle", "read", filters, [], end, None, select_where)
    if len(chain) == 2 and last in ("update", "delete", "insert") and chain[0] != "supabase":
        where_call: int | None = None
        writes = []
        filters = []
        for i in group:
            other = unit.calls[i]
            if len(other.chain) > len(chain) and other.chain[: len(chain)] == chain:
                if other.chain[-1] == "where":
                    where_call = i
                    for piece, span in call_args(source, other):
                        filters += _drizzle_pairs(piece, span)
                elif other.chain[-1] in ("set", "values"):
                    writes += [Pair(f.key, _text(source, f.span), f.span) for f in other.fields if "." not in f.key]
        args = call_args(source, call)
        table = args[0][0] if args else None
        kind = "create" if last == "insert" else "mutation"
        return Access(position, event, "drizzle", kind, filters, writes, end, table, where_call)
    if "from" in chain and last in vocab.SUPABASE_OPS:
        kind = "other"
        if last in ("update", "delete", "upsert"):
            kind = "mutation"
        elif last == "insert":
            kind = "create"
        filters = []
        single = False
        for i in group:
            other = unit.calls[i]
            method = other.chain[-1] if other.chain else ""
            if other.span.end <= call.span.end:
                continue
            if method in _SUPABASE_FILTERS:
                args = call_args(source, other)
                if method == "match" and other.fields:
                    filters += [Pair(f.key, _text(source, f.span), f.span) for f in other.fields]
                elif len(args) >= 2:
                    filters.append(Pair(other.string_arg, args[1][0], args[1][1]))
            elif method in ("single", "maybeSingle"):
                single = True
        if last == "select" and single:
            kind = "read"
        writes = [Pair(f.key, _text(source, f.span), f.span) for f in call.fields if "." not in f.key]
        table = None
        for i in group:
            other = unit.calls[i]
            if other.chain and other.chain[-1] == "from":
                table = other.string_arg
        return Access(position, event, "supabase", kind, filters, writes, end, table)
    if last in _MONGO_BY_ID_WRITES or last == "findById":
        args = call_args(source, call)
        filters = [Pair("_id", args[0][0], args[0][1])] if args else []
        kind = "read" if last == "findById" else "mutation"
        return Access(position, event, "mongo", kind, filters, [], end)
    if last in _MONGO_FILTER_WRITES or last == "findOne" or (len(chain) == 2 and last in _MONGO_MANY_WRITES):
        filters = [Pair(f.key, _text(source, f.span), f.span) for f in call.fields if "." not in f.key]
        kind = "read" if last == "findOne" else "mutation"
        return Access(position, event, "mongo", kind, filters if call.fields else None, [], end)
    if len(chain) == 2 and last in ("create", "insertOne") and event.kind is Kind.DATA:
        writes = [Pair(f.key, _text(source, f.span), f.span) for f in call.fields if "." not in f.key]
        return Access(position, event, "mongo", "create", [], writes, end)
    if len(chain) == 2 and last in _KYSELY_KINDS:
        return _kysely(unit, source, position, event, group, end)
    if last in _APPWRITE_DOCUMENTS and event.kind is Kind.EFFECT:
        args = call_args(source, call)
        if len(args) < 3:
            return None
        kind = _APPWRITE_DOCUMENTS[last]
        filters = [] if kind == "create" else [Pair("$id", args[2][0], args[2][1])]
        return Access(position, event, "appwrite", kind, filters, [], end)
    return None


# Kysely: the statement a chain starts with, and how it reads as an access.
_KYSELY_KINDS: dict[str, AccessKind] = {
    "updateTable": "mutation",
    "deleteFrom": "mutation",
    "selectFrom": "read",
    "insertInto": "create",
}
# Appwrite `Databases` methods on one document (database, collection, document id, …).
_APPWRITE_DOCUMENTS: dict[str, AccessKind] = {
    "getDocument": "read",
    "updateDocument": "mutation",
    "deleteDocument": "mutation",
    "upsertDocument": "mutation",
    "createDocument": "create",
}
_MONGO_MANY_WRITES = frozenset({"updateMany", "deleteMany"})


def _kysely(unit: Unit, source: bytes, position: int, event: Event, group: list[int], end: int) -> Access:
    """`db.updateTable('t').set({…}).where('col', '=', v)`, `db.selectFrom('t')…executeTakeFirst()`:
    the filters of its `where(column, operator, value)` links and the values it sets."""
    call = unit.calls[position]
    kind = _KYSELY_KINDS[call.chain[-1]]
    filters: list[Pair] = []
    writes: list[Pair] = []
    single = False
    for i in group:
        other = unit.calls[i]
        if len(other.chain) <= len(call.chain) or other.chain[: len(call.chain)] != call.chain:
            continue
        method = other.chain[-1]
        if method == "where":
            args = call_args(source, other)
            if len(args) == 3 and other.string_arg is not None:
                filters.append(Pair(other.string_arg.split(".")[-1], args[2][0], args[2][1]))
            elif args:
                filters.append(Pair(None, args[0][0], args[0][1]))
        elif method in ("set", "values"):
            writes += [Pair(f.key, _text(source, f.span), f.span) for f in other.fields if "." not in f.key]
        elif method in ("executeTakeFirst", "executeTakeFirstOrThrow"):
            single = True
    if kind == "read" and not single:
        kind = "other"
    return Access(position, event, "kysely", kind, filters, writes, end, call.string_arg)


def _drizzle_pairs(text: str, span: Span) -> list[Pair]:
    """`eq(notes.id, id)` and `and(eq(…), eq(…))` as pairs keyed by column; anything else whole."""
    found: list[Pair] = []
    for match in re.finditer(r"\beq\(\s*[\w$]+(?:\.[\w$]+)*\.([\w$]+)\s*,\s*([^(),]+(?:\([^()]*\))?[^(),]*)\)", text):
        start = span.start + len(text[: match.start(2)].encode())
        value = match.group(2).strip()
        found.append(Pair(match.group(1), value, Span(start, start + len(value.encode()))))
    if not found:
        found.append(Pair(None, text, span))
    return found


def refs_in(facts: FileFacts, start: int, end: int, names: Iterable[str] | None = None) -> Iterator[int]:
    """Indices of ``facts.refs`` between ``start`` and ``end`` (reading ``names``, if given)."""
    from bisect import bisect_left

    wanted = set(names) if names is not None else None
    refs = facts.refs
    position = bisect_left(refs, start, key=lambda ref: ref.span.start)
    while position < len(refs) and refs[position].span.start < end:
        if wanted is None or refs[position].name in wanted:
            yield position
        position += 1


_BAIL = re.compile(rb"\s*\{?\s*(return\b|throw\b|redirect\(|permanentRedirect\(|notFound\(|unauthorized\(|forbidden\()")


def bails_on(facts: FileFacts, source: bytes, unit: Unit, names: Iterable[str], start: int) -> bool:
    """Whether, after ``start``, a top-level `if` of ``unit`` tests one of ``names`` and then
    returns, throws or redirects: `if (!session) redirect('/login')`."""
    wanted = list(names)
    for statement in unit.statements:
        if statement.end <= start or not source.startswith(b"if", statement.start):
            continue
        open_at = source.find(b"(", statement.start, statement.end)
        close_at = _matching(source, open_at, statement.end)
        if open_at < 0 or close_at < 0:
            continue
        if not any(True for _ in refs_in(facts, open_at, close_at, wanted)):
            continue
        if _BAIL.match(source, close_at + 1):
            return True
    return False


def _matching(source: bytes, open_at: int, limit: int) -> int:
    depth = 0
    for position in range(open_at, min(limit, open_at + 2000)):
        char = source[position]
        if char == 40:  # (
            depth += 1
        elif char == 41:  # )
            depth -= 1
            if depth == 0:
                return position
    return -1
