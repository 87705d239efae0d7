"""Per-file facts: what one module declares, imports, exports and calls, with no knowledge of any
other file. Built by ``facts.extract`` from a tree; consumed by the workspace index."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..model import Span
from ..syntax.positions import LineIndex

UnitKind = Literal["module", "function", "middleware", "method", "inline"]


@dataclass(frozen=True, slots=True)
class Import:
    local: str | None  # None for a side-effect import (`import 'server-only'`)
    imported: str  # an export name, "default", "*" (namespace) or "" (side effect)
    source: str
    span: Span
    type_only: bool = False


@dataclass(frozen=True, slots=True)
class Export:
    exported: str
    local: str | None  # the module-level binding it names; None for a re-export
    source: str | None = None  # re-export: `export { a as b } from 'x'`
    imported: str | None = None  # re-export: the name in ``source`` ("*" for `export * as ns`)
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Field:
    """One property of an object literal passed to a query or a write. ``key`` is the property
    name; the properties of a nested ``where``/``data``/``create``/``update`` object are spelled with
    the outer key first (``where.id``, ``data.authorId``); a spread is ``...`` (``data....``)."""

    key: str
    span: Span  # the value (the name, for a shorthand property; the argument, for a spread)
    shorthand: bool = False


# Keys whose object value is a query filter or the values a write stores.
NESTED_FIELD_KEYS = frozenset({"where", "data", "create", "update"})
# Methods whose object argument's properties are kept (see ``Call.fields``): the query and write
# methods of the ORMs nextguard knows, so that the facts of other calls stay small.
FIELD_METHODS = frozenset(
    {
        "findUnique",
        "findUniqueOrThrow",
        "findFirst",
        "findFirstOrThrow",
        "findMany",
        "count",
        "create",
        "createMany",
        "createManyAndReturn",
        "update",
        "updateMany",
        "updateManyAndReturn",
        "upsert",
        "delete",
        "deleteMany",
        "values",
        "set",
        "insert",
        "findOne",
        "updateOne",
        "deleteOne",
        "insertOne",
        "replaceOne",
        "findOneAndUpdate",
        "findOneAndDelete",
        "findOneAndReplace",
        "match",
    }
)


@dataclass(frozen=True, slots=True)
class Call:
    """A call or ``new`` expression. ``chain`` spells the callee from its root: ``db.post.delete(...)``
    is ``("db", "post", "delete")``; ``"()"`` marks an intermediate call, so
    ``supabase.from('t').delete()`` is ``("supabase", "from", "()", "delete")``; ``new`` calls
    start with ``"new"``. A root that is not a name is ``""``."""

    chain: tuple[str, ...]
    span: Span
    unit: int
    awaited: bool
    string_arg: str | None  # the first argument when it is a string or a template's text
    tagged: bool = False  # a tagged template: sql`...`
    # Where the call stands, read from its parents (through parentheses, `await`, `as`, `!`):
    statement: bool = False  # the whole of an expression statement: `await getUser();`
    test: bool = False  # decides a condition: `if (!isOwner(id))`, `auth() ? a : b`, `ok() && go()`
    returned: bool = False  # `return call(...)`, or an arrow function's expression body
    # Its arguments: the span inside the parentheses, and — for the methods in FIELD_METHODS — the
    # properties of the first object-literal argument (see ``Field``).
    args_span: Span | None = None
    fields: tuple[Field, ...] = ()
    where: Span | None = None  # the `where: { … }` object of that argument
    # The innermost function around the call (anonymous callbacks included): whether it is async,
    # and where `async ` goes to make it so (-1: it cannot be, e.g. a getter or the module).
    scope_async: bool = True
    scope_at: int = -1
    # The keys of the first object argument's `select` (Prisma) or `columns` (Drizzle) object, or
    # of an `omit`: None when there is none, () when its value is not an object literal.
    selected: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Binder:
    """A name a declaration or a parameter binds. ``path`` is where a destructuring pattern found
    it in the value: ``const { data: { user } } = …`` binds ``user`` at ``("data", "user")``."""

    name: str
    path: tuple[str, ...] = ()
    index: int = 0  # for a parameter: its position


@dataclass(frozen=True, slots=True)
class Local:
    """A variable declarator inside a unit (`const session = await auth()`)."""

    binders: tuple[Binder, ...]
    span: Span  # the declarator
    statement: Span  # the declaration statement
    init: Span | None  # the value, unwrapped from `await`, parentheses and casts
    call: int | None  # the index, in the unit's calls, of the call the value is
    awaited: bool
    reads: str | None = None  # the name the value is read off, when it is a name or a member chain

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(binder.name for binder in self.binders)


@dataclass(frozen=True, slots=True)
class Ref:
    """A read of a local variable's name (see ``FileFacts.refs``) and what the code does with it."""

    name: str
    span: Span
    member: str | None = None  # `name.member` / `name?.member`
    member_span: Span | None = None  # that whole member expression
    optional: bool = False  # read with `?.`
    test: bool = False  # decides a condition (directly, negated, compared, or through members)
    cond: int = -1  # the start of that condition: refs with the same one are tested together
    cond_end: int = -1
    returned: bool = False  # returned, directly or as the argument of what is returned
    argument: bool = False  # passed whole as a call's argument


@dataclass(frozen=True, slots=True)
class Entry:
    """One property of a returned object literal: ``{ success: true, post }``."""

    key: str  # "..." for a spread
    span: Span  # the value (the name, for a shorthand property; the argument, for a spread)
    name: str | None = None  # the value, when it is a bare identifier
    shorthand: bool = False


ReturnKind = Literal["call", "name", "object", "other"]


@dataclass(frozen=True, slots=True)
class Return:
    """What a unit returns: a `return` statement of its own (not of a callback inside it), or an
    arrow function's expression body. ``span`` is the value unwrapped from `await`, parentheses and
    casts, and from a fallback (`rows ?? []`, `found ? found : null`) when the other side is a
    literal; ``statement`` the whole value as written (what a fix replaces)."""

    span: Span
    statement: Span
    kind: ReturnKind
    name: str | None = None  # kind "name": the identifier
    call: int | None = None  # kind "call": the index, in the unit's calls, of the call it is
    entries: tuple[Entry, ...] = ()  # kind "object"
    element: bool = False  # kind "name": the value is the name's first element (`rows[0]`)


@dataclass(slots=True)
class Unit:
    """A function whose calls are judged together: a module-level function or wrapped function,
    a middleware callback of an action client, a method, an inline `'use server'` function, or the
    module's top level (index 0). Anonymous callbacks belong to the unit around them."""

    index: int
    kind: UnitKind
    name: str | None
    span: Span  # the whole function
    report: Span  # where a finding about it is reported (its name, else its header)
    body: Span
    body_is_block: bool
    first_statement: int | None  # offset of the first statement after the body's directives
    directives_end: int | None  # end offset of the last directive of the body
    is_async: bool
    async_at: int  # where `async ` goes to make it async
    arity: int = 0  # declared parameters
    use_server: Span | None = None  # the `'use server'` directive of an inline action
    parent: int = 0
    calls: list[Call] = field(default_factory=list)  # in source order
    env_reads: list[tuple[str, Span]] = field(default_factory=list)  # `process.env.NAME`
    throws: int = 0  # `throw` statements in its own body
    params: tuple[Binder, ...] = ()  # the names its parameters bind
    first_param: Span | None = None  # the first parameter (a pattern, possibly)
    statements: list[Span] = field(default_factory=list)  # its body's top-level statements
    locals: list[Local] = field(default_factory=list)  # its variable declarators, in source order
    returns: list[Return] = field(default_factory=list)  # what it returns, in source order


@dataclass(slots=True)
class Binding:
    """A module-level name: a function, a wrapped function (`cache(fn)`, `client.action(fn)`), an
    object of functions, or a value such as a database client."""

    name: str
    span: Span
    body: int | None = None  # the unit of the function this name holds
    chain_units: tuple[int, ...] = ()  # other functions in its wrapper chain (middleware)
    chain_refs: tuple[tuple[str, ...], ...] = ()  # callee chains of the wrapper calls
    members: dict[str, int] = field(default_factory=dict)  # object-of-functions members
    init: tuple[str, ...] | None = None  # callee chain of a value's initializer (`("new", "PrismaClient")`)
    destructured: bool = False  # `const { auth } = NextAuth(...)`
    object_keys: tuple[str, ...] = ()  # keys of the initializer call's object argument (table columns)


@dataclass(slots=True)
class FileFacts:
    path: Path
    lines: LineIndex
    directives: tuple[str, ...] = ()
    use_server: Span | None = None
    use_client: bool = False
    prologue_end: int | None = None  # end of the module's last directive
    server_only_import: bool = False
    bare_server_only: list[Span] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    star_exports: list[str] = field(default_factory=list)
    bindings: dict[str, Binding] = field(default_factory=dict)
    units: list[Unit] = field(default_factory=list)
    comments: list[tuple[int, str]] = field(default_factory=list)  # (row, text) of nextguard comments
    first_statement: Span | None = None
    syntax_error: Span | None = None
    # Where the code nests deeper than extraction looks (``extract.MAX_DEPTH``): what lies below
    # was not read, which a notice says.
    too_deep: Span | None = None
    import_by_local: dict[str, Import] = field(default_factory=dict)
    # Reads of the names local variables bind, in source order, wherever they stand in the file.
    refs: list[Ref] = field(default_factory=list)
    # Derived by the workspace index, which clears them when resolution can change: the file
    # each import specifier resolves to, and what each module-level name refers to.
    resolved: dict[str, Path | None] = field(default_factory=dict, repr=False, compare=False)
    names: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
