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
    import_by_local: dict[str, Import] = field(default_factory=dict)
    # Derived by the workspace index, which clears them when resolution can change: the file
    # each import specifier resolves to, and what each module-level name refers to.
    resolved: dict[str, Path | None] = field(default_factory=dict, repr=False, compare=False)
    names: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
