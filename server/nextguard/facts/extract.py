"""Tree → per-file facts.

One tree-sitter query (``queries/facts.scm``) finds every function, call, comment, environment
read, variable declarator, condition and return statement; module-level statements are read from
the root's direct children. Calls and declarators are assigned to the innermost enclosing *unit*
by a sweep over sorted offsets, so the cost is one query plus work proportional to what it
captured, never a Python walk of the whole tree. What a call does in context (awaited, tested,
returned, a statement of its own) is read by a short walk up from it; the reads of locals are
found by searching their names in the text of the function that declares them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import MISSING, fields
from importlib import resources
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

from tree_sitter import Language, Node, Query, QueryCursor, Tree

from ..model import Span
from ..syntax.parse import TSX, TYPESCRIPT, deeper_than, first_error
from ..syntax.positions import LineIndex
from .model import (
    FIELD_METHODS,
    NESTED_FIELD_KEYS,
    Binder,
    Binding,
    Call,
    Entry,
    Export,
    Field,
    FileFacts,
    Import,
    Local,
    Ref,
    Return,
    Unit,
    UnitKind,
)

_QUERY_TEXT = resources.files(__package__).joinpath("queries/facts.scm").read_text(encoding="utf-8")
_QUERIES: dict[int, Query] = {}
# How many levels of the syntax tree extraction reads: 1,000 levels of nested code or more (each
# block, call or callback is two to four levels). Deeper code is left out, and said so.
MAX_DEPTH = 6_500


_T = TypeVar("_T")


def _maker(cls: type[_T]) -> Callable[..., _T]:
    """A constructor for ``cls``, a frozen dataclass with slots and no default factories, that
    takes the same arguments as its ``__init__`` but fills the slots directly: the generated
    ``__init__`` calls ``object.__setattr__`` once per field, and extraction makes some 50 facts
    per file (a Call, with 15 fields, took 4 µs to make; now 1.5)."""
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    parameters = []
    for item in fields(cls):  # type: ignore[arg-type]
        namespace[f"set_{item.name}"] = cls.__dict__[item.name].__set__
        if item.default is MISSING:
            parameters.append(item.name)
        else:
            namespace[f"default_{item.name}"] = item.default
            parameters.append(f"{item.name}=default_{item.name}")
    lines = [f"def make({', '.join(parameters)}):", "    obj = new(cls)"]
    lines += [f"    set_{item.name}(obj, {item.name})" for item in fields(cls)]  # type: ignore[arg-type]
    lines.append("    return obj")
    exec("\n".join(lines), namespace)
    made: Callable[..., _T] = namespace["make"]
    return made


_make_call = _maker(Call)
_make_ref = _maker(Ref)
_make_local = _maker(Local)
_make_import = _maker(Import)
_make_binder = _maker(Binder)
_make_field = _maker(Field)
_make_return = _maker(Return)
_make_entry = _maker(Entry)
_make_export = _maker(Export)

FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "generator_function",
        "arrow_function",
        "method_definition",
    }
)
# Expressions that wrap a value without changing what it is, for our purposes.
_TRANSPARENT = frozenset(
    {
        "parenthesized_expression",
        "await_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "instantiation_expression",
    }
)


# Methods of action clients that take middleware (next-safe-action `.use`, zsa procedures).
# Calls whose named arguments run before the function a chain ends in: middleware (`client.use(f)`)
# and a zsa procedure's parent procedures (`createServerActionProcedure(authedProcedure)`).
_MIDDLEWARE_METHODS = frozenset(
    {"use", "middleware", "useMiddleware", "createServerActionProcedure", "chainServerActionProcedures"}
)

# Wrappers a value passes through on its way to a test or a return, for our purposes.
_PASS_THROUGH = frozenset(
    {
        "parenthesized_expression",
        "await_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
    }
)
_LOGICAL = frozenset({"&&", "||"})
# Statements whose `condition` decides what runs.
_CONDITIONAL = frozenset({"if_statement", "while_statement", "do_statement", "for_statement"})
# Names a value's text refers to: identifiers not after a `.` and not object keys. String literals
# are blanked first so that `formData.get('id')` does not refer to `id`.
_ROOT = re.compile(rb"(?<![.\w$])([A-Za-z_$][\w$]*)(?![\w$])(?!\s*:[^:])")
_NOT_NAMES = frozenset(
    b"await new typeof instanceof in of as void delete true false null undefined this async function return "
    b"const let var if else satisfies keyof throw yield".split()
)
# Comments are blanked too (a `/* … */` of 5,000 characters once pushed `where: { id }` past the
# limit and NG301 said nothing). The limit bounds the cost of nested calls, whose arguments hold
# each other's text; the scan reads a little further so that comments do not count against it.
_STRING_OR_COMMENT = re.compile(rb"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|//[^\n]*|/\*.*?(?:\*/|\Z)", re.DOTALL)
_ROOTS_SCAN = 65536
_ROOTS_LIMIT = 16384
# Captures the unit sweep visits, and their order among events that start at one byte.
_EVENT_ORDER = (("call", 1), ("new", 1), ("env", 2), ("throw", 3), ("local", 0), ("return", 4))

_EVENT_KEY = itemgetter(0, 1, 2)


def _query(language: Language) -> Query:
    query = _QUERIES.get(id(language))
    if query is None:
        query = _QUERIES[id(language)] = Query(language, _QUERY_TEXT)
    return query


# Spans are made by the hundred thousand: fill the slots directly instead of through the frozen
# dataclass's ``__init__`` (two ``object.__setattr__`` calls), which was a tenth of extraction.
_new_object = object.__new__
_set_start = Span.__dict__["start"].__set__
_set_end = Span.__dict__["end"].__set__


def _make_span(start: int, end: int) -> Span:
    span = _new_object(Span)
    _set_start(span, start)
    _set_end(span, end)
    return span


def _span(node: Node) -> Span:
    span = _new_object(Span)
    _set_start(span, node.start_byte)
    _set_end(span, node.end_byte)
    return span


def _text(node: Node | None) -> str:
    if node is None:
        return ""
    # ``Node.text`` slices the source anew on each access: read it once.
    text = node.text
    return "" if text is None else text.decode("utf-8", errors="replace")


def string_value(node: Node | None) -> str | None:
    """The value of a string literal (or a template without substitutions), else None."""
    if node is None:
        return None
    if node.type == "string":
        children = node.named_children
        if len(children) == 1 and children[0].type != "comment":
            return _text(children[0])  # the usual case: one fragment
        return "".join(_text(child) for child in children if child.type != "comment")
    if node.type == "template_string":
        return "".join(_text(child) for child in node.named_children if child.type == "string_fragment")
    return None


def unwrap(node: Node | None) -> Node | None:
    while node is not None and node.type in _TRANSPARENT:
        node = node.named_children[0] if node.named_children else None
    return node


def chain_of(node: Node | None) -> tuple[str, ...]:
    """Spell a callee from its root name: see ``Call.chain``."""
    parts: list[str] = []
    while node is not None:
        kind = node.type
        if kind in ("identifier", "this", "super", "property_identifier"):
            parts.append(_text(node))
            break
        if kind == "member_expression":
            parts.append(_text(node.child_by_field_name("property")))
            node = node.child_by_field_name("object")
        elif kind == "call_expression":
            parts.append("()")
            node = node.child_by_field_name("function")
        elif kind == "subscript_expression":
            parts.append("[]")
            node = node.child_by_field_name("object")
        elif kind in _TRANSPARENT:
            node = node.named_children[0] if node.named_children else None
        else:
            parts.append("")
            break
    parts.reverse()
    return tuple(parts)


def directive_prologue(statements: list[Node]) -> list[Node]:
    """The directive statements at the start of a program or function body: string-literal
    expression statements, before any other statement (comments may sit between them)."""
    directives: list[Node] = []
    for node in statements:
        if node.type == "comment":
            continue
        if node.type == "expression_statement":
            expression = node.named_children[0] if node.named_children else None
            if expression is not None and expression.type == "string":
                directives.append(node)
                continue
        break
    return directives


def _statement_string(node: Node) -> str | None:
    expression = node.named_children[0] if node.named_children else None
    return string_value(expression) if expression is not None and expression.type == "string" else None


def _blank(match: re.Match[bytes]) -> bytes:
    return b"''" if match.group()[:1] in (b"'", b'"') else b" "


def roots_of(text: bytes) -> tuple[str, ...]:
    """The names an expression's source text refers to, in order, without repeats."""
    found: dict[str, None] = {}
    for match in _ROOT.finditer(_STRING_OR_COMMENT.sub(_blank, text[:_ROOTS_SCAN])[:_ROOTS_LIMIT]):
        name = match.group(1)
        if name not in _NOT_NAMES:
            found.setdefault(name.decode("utf-8", "replace"), None)
    return tuple(found)


# A destructuring pattern nested deeper than this keeps binding its names, but their paths stop
# growing: copying a path at each of 100,000 levels would cost time in the square of the depth.
_MAX_PATTERN_PATH = 64


def binders_of(pattern: Node | None, path: tuple[str, ...] = (), index: int = 0) -> list[Binder]:
    """The names a binding pattern (`x`, `{ a, b: { c } }`, `[d, ...e]`, `f = 1`) binds, in
    source order. Iterative: a pattern nested 10,000 deep is legal, and must not recurse."""
    found: list[Binder] = []
    stack: list[tuple[Node | None, tuple[str, ...]]] = [(pattern, path)]

    def deeper(path: tuple[str, ...], step: str) -> tuple[str, ...]:
        return (*path, step) if len(path) < _MAX_PATTERN_PATH else path

    while stack:
        node, path = stack.pop()
        if node is None:
            continue
        kind = node.type
        if kind in ("identifier", "shorthand_property_identifier_pattern"):
            name = _text(node)
            found.append(_make_binder(name, deeper(path, name) if kind != "identifier" else path, index))
            continue
        inner: list[tuple[Node | None, tuple[str, ...]]] = []
        if kind == "object_pattern":
            for child in node.named_children:
                if child.type == "shorthand_property_identifier_pattern":
                    inner.append((child, path))
                elif child.type == "pair_pattern":
                    key = child.child_by_field_name("key")
                    inner.append((child.child_by_field_name("value"), deeper(path, _text(key))))
                elif child.type == "object_assignment_pattern":
                    inner.append((child.child_by_field_name("left"), path))
                elif child.type == "rest_pattern":
                    inner.append((child.named_children[0] if child.named_children else None, deeper(path, "...")))
        elif kind == "array_pattern":
            inner = [(child, deeper(path, f"[{position}]")) for position, child in enumerate(node.named_children)]
        elif kind in ("assignment_pattern", "object_assignment_pattern"):
            inner = [(node.child_by_field_name("left"), path)]
        elif kind == "rest_pattern":
            inner = [(node.named_children[0] if node.named_children else None, deeper(path, "..."))]
        elif kind in ("required_parameter", "optional_parameter"):
            inner = [(node.child_by_field_name("pattern"), path)]
        stack.extend(reversed(inner))
    return found


def _is_field(parent: Node, name: str, child: Node) -> bool:
    found = parent.child_by_field_name(name)
    return found is not None and found.start_byte == child.start_byte and found.end_byte == child.end_byte


def _operator(node: Node) -> str:
    operator = node.child_by_field_name("operator")
    return operator.type if operator is not None else ""


def _condition_of(parent: Node, child: Node) -> bool:
    """Whether ``child`` is what ``parent`` tests."""
    kind = parent.type
    if kind in _CONDITIONAL or kind == "ternary_expression":
        return _is_field(parent, "condition", child)
    if kind == "switch_statement":
        return _is_field(parent, "value", child)
    return False


def _returns(parent: Node, child: Node) -> bool:
    return parent.type == "return_statement" or (parent.type == "arrow_function" and _is_field(parent, "body", child))


def _call_context(node: Node, parent: Node | None) -> tuple[bool, bool, bool]:
    """(statement, test, returned) for a call (whose ``parent`` the caller has read): see ``Call``."""
    current = node
    test = False
    steps = 0
    while parent is not None and steps < 16:
        steps += 1
        kind = parent.type
        if kind in _PASS_THROUGH or (kind == "unary_expression" and _operator(parent) == "!"):
            pass
        elif kind == "binary_expression" and _operator(parent) in _LOGICAL:
            test = test or _is_field(parent, "left", current)
        else:
            break
        current, parent = parent, parent.parent
    if parent is None:
        return False, test, False
    if _condition_of(parent, current):
        return False, True, False
    statement = parent.type == "expression_statement" and current.type != "binary_expression"
    return statement, test, _returns(parent, current)


# Bytes that cannot stand next to a read of a name: more of a name, a quote (a string that happens
# to hold the name), or before it a `.` (a property of something else).
_NAME_EDGE = frozenset(bytes([c]) for c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$'\"`")
_NAME_BEFORE = _NAME_EDGE | {b"."}
# What follows a name, in one match (each alternative starts with a non-space, so the first that
# matches is the one separate patterns tried in this order would find): 1. an assignment to it,
# 2. the `:` of an object key, 3. a member read (`?.`, `.`, `!.`) and 4. the member's name.
_AFTER_NAME = re.compile(
    rb"\s*(?:(=(?![=>])|[-+*/%&|^]=|\?\?=|\|\|=|&&=|\+\+|--)|(:(?!:))|(\?\.|!?\.)\s*([A-Za-z_$][\w$]*))"
)


def _ref_at(data: bytes, start: int, end: int, cond: tuple[int, int] | None, inside_return: bool) -> Ref | None:
    """A read of the name at ``data[start:end]``; None when it is assigned to, or is an object key."""
    member: str | None = None
    member_span: Span | None = None
    optional = False
    argument = False
    match = _AFTER_NAME.match(data, end)
    if match is not None:
        if match.group(4) is None:
            return None  # assigned to, or an object key
        member = match.group(4).decode("utf-8", "replace")
        member_span = _make_span(start, match.end())
        optional = match.group(3) == b"?."
    else:
        before = data[max(0, start - 40) : start].rstrip()
        after = data[end : end + 40].lstrip()
        argument = before[-1:] in (b"(", b",") and after[:1] in (b")", b",")
    name = data[start:end].decode("utf-8", "replace")
    return _make_ref(
        name,
        _make_span(start, end),
        member,
        member_span,
        optional,
        test=cond is not None,
        cond=cond[0] if cond is not None else -1,
        cond_end=cond[1] if cond is not None else -1,
        returned=inside_return,
        argument=argument,
    )


def _fields(argument: Node, prefix: str, depth: int, out: list[Field]) -> Span | None:
    """Collect the properties of an object literal into ``out``; returns the span of a nested
    `where` object."""
    where: Span | None = None
    for child in argument.named_children:
        kind = child.type
        if kind == "shorthand_property_identifier":
            out.append(_make_field(prefix + _text(child), _span(child), shorthand=True))
        elif kind == "pair":
            key_node = child.child_by_field_name("key")
            value = child.child_by_field_name("value")
            if key_node is None or value is None:
                continue
            key = string_value(key_node) if key_node.type == "string" else _text(key_node)
            if key is None:
                continue
            out.append(_make_field(prefix + key, _span(value)))
            inner = unwrap(value)
            if depth == 0 and key in NESTED_FIELD_KEYS and inner is not None and inner.type == "object":
                _fields(inner, f"{key}.", depth + 1, out)
                if key == "where":
                    where = _span(inner)
        elif kind == "spread_element":
            out.append(_make_field(prefix + "...", _span(child)))
    return where


def _scope_at(function: Node) -> int:
    """Where `async ` goes to make ``function`` async; -1 when it cannot be (getters, setters,
    constructors)."""
    if function.type != "method_definition":
        return function.start_byte
    name = function.child_by_field_name("name")
    if name is None or _text(name) == "constructor":
        return -1
    for child in function.children:
        if child.type in ("get", "set"):
            return -1
        if child.type == "*":
            return child.start_byte
    return name.start_byte


class _Builder:
    def __init__(self, path: Path, data: bytes, tree: Tree) -> None:
        self.path = path
        self.data = data
        self.tree = tree
        self.facts = FileFacts(path=path, lines=LineIndex(data))
        # binding -> the names passed to the wrapper call it is made by, when no function is
        # (`createSafeAction(Schema, handler)`): resolved once every binding of the module is known
        self._wrapped_names: dict[str, list[str]] = {}
        # function start offset -> (kind, name, binding name, report span)
        self.unit_roles: dict[int, tuple[UnitKind, str | None, Span | None]] = {}
        self._async: dict[tuple[int, int], bool] = {}
        self.statements: list[Span] = []
        self._calls_by_span: dict[int, dict[tuple[int, int], int]] = {}

    # -- module level ---------------------------------------------------------------------------

    def module(self) -> None:
        root = self.tree.root_node
        facts = self.facts
        statements = root.named_children
        # the module unit's statements (``units_and_calls``)
        self.statements = [_span(child) for child in statements if child.type != "comment"]
        directives = directive_prologue(statements)
        if directives:
            facts.prologue_end = directives[-1].end_byte
        facts.directives = tuple(value for node in directives if (value := _statement_string(node)) is not None)
        for node in directives:
            value = _statement_string(node)
            if value == "use server" and facts.use_server is None:
                facts.use_server = _span(node)
            elif value == "use client":
                facts.use_client = True
        for node in statements:
            if node.type == "comment":
                continue
            if facts.first_statement is None and node not in directives:
                facts.first_statement = _span(node)
            kind = node.type
            if kind == "import_statement":
                self.import_statement(node)
            elif kind == "export_statement":
                self.export_statement(node)
            elif kind in ("function_declaration", "generator_function_declaration"):
                self.function_declaration(node, exported=None)
            elif kind in ("lexical_declaration", "variable_declaration"):
                self.variable_declaration(node, exported=False)
            elif kind == "class_declaration":
                pass
            elif kind == "expression_statement" and _statement_string(node) == "server-only":
                facts.bare_server_only.append(_span(node))
        if facts.first_statement is None and directives:
            facts.first_statement = _span(directives[0])
        for name, passed in self._wrapped_names.items():
            # `export const updateBoard = createSafeAction(UpdateBoard, handler)`: the binding runs
            # the module's own function `handler`, as if it were written inline
            binding = facts.bindings.get(name)
            if binding is None or binding.body is not None:
                continue
            for other in passed:
                held = facts.bindings.get(other)
                if held is not None and other != name and held.body is not None and not held.chain_refs:
                    binding.body = held.body
                    break
        deep = deeper_than(root, MAX_DEPTH)
        if deep is not None:
            facts.too_deep = _span(deep)
        error = first_error(root)
        if error is not None:
            facts.syntax_error = _span(error)

    def import_statement(self, node: Node) -> None:
        source = string_value(node.child_by_field_name("source"))
        if source is None:
            return
        span = _span(node)
        type_only = any(child.type == "type" for child in node.children)
        clause = next((child for child in node.named_children if child.type == "import_clause"), None)
        if clause is None:
            self.facts.imports.append(_make_import(None, "", source, span))
            if source == "server-only":
                self.facts.server_only_import = True
            return
        for part in clause.named_children:
            if part.type == "identifier":
                self.facts.imports.append(_make_import(_text(part), "default", source, span, type_only))
            elif part.type == "namespace_import":
                name = next((c for c in part.named_children if c.type == "identifier"), None)
                self.facts.imports.append(_make_import(_text(name), "*", source, span, type_only))
            elif part.type == "named_imports":
                for spec in part.named_children:
                    if spec.type != "import_specifier":
                        continue
                    name = spec.child_by_field_name("name")
                    alias = spec.child_by_field_name("alias")
                    spec_type_only = type_only or any(c.type == "type" for c in spec.children)
                    imported = string_value(name) if name is not None and name.type == "string" else _text(name)
                    self.facts.imports.append(
                        _make_import(_text(alias or name), imported or "", source, span, spec_type_only)
                    )

    def export_statement(self, node: Node) -> None:
        facts = self.facts
        source = string_value(node.child_by_field_name("source"))
        declaration = node.child_by_field_name("declaration")
        value = node.child_by_field_name("value")
        span = _span(node)
        if declaration is not None:
            kind = declaration.type
            if kind in ("function_declaration", "generator_function_declaration"):
                self.function_declaration(declaration, exported=node)
            elif kind in ("lexical_declaration", "variable_declaration"):
                self.variable_declaration(declaration, exported=True)
            elif kind in ("class_declaration", "abstract_class_declaration"):
                name = declaration.child_by_field_name("name")
                if name is not None:
                    facts.exports.append(_make_export(_text(name), _text(name), span=span))
            return
        is_default = any(child.type == "default" for child in node.children)
        if is_default and value is not None:
            target = unwrap(value)
            if target is not None and target.type == "identifier":
                facts.exports.append(_make_export("default", _text(target), span=span))
                return
            header = Span(node.start_byte, value.start_byte if target is None else target.start_byte)
            self.bind("default", value, name_span=header)
            facts.exports.append(_make_export("default", "default", span=span))
            return
        if is_default:
            # `export default function name() {}` parses with a declaration-less function child
            function = next((c for c in node.named_children if c.type in FUNCTION_TYPES), None)
            if function is not None:
                self.bind("default", function, name_span=Span(node.start_byte, function.start_byte))
                facts.exports.append(_make_export("default", "default", span=span))
            return
        for child in node.named_children:
            if child.type == "export_clause":
                for spec in child.named_children:
                    if spec.type != "export_specifier":
                        continue
                    local = _text(spec.child_by_field_name("name"))
                    alias = spec.child_by_field_name("alias")
                    exported = _text(alias) if alias is not None else local
                    if source is None:
                        facts.exports.append(_make_export(exported, local, span=span))
                    else:
                        facts.exports.append(_make_export(exported, None, source, local, span))
                return
            if child.type == "namespace_export" and source is not None:
                name = next((c for c in child.named_children if c.type == "identifier"), None)
                facts.exports.append(_make_export(_text(name), None, source, "*", span))
                return
        if source is not None and any(child.type == "*" for child in node.children):
            facts.star_exports.append(source)

    def function_declaration(self, node: Node, exported: Node | None) -> None:
        name_node = node.child_by_field_name("name")
        name = _text(name_node) if name_node is not None else "default"
        self.bind(name, node, name_span=_span(name_node) if name_node is not None else None)
        if exported is not None:
            is_default = any(child.type == "default" for child in exported.children)
            self.facts.exports.append(_make_export("default" if is_default else name, name, span=_span(exported)))

    def variable_declaration(self, node: Node, exported: bool) -> None:
        for declarator in node.named_children:
            if declarator.type != "variable_declarator":
                continue
            name_node = declarator.child_by_field_name("name")
            value = declarator.child_by_field_name("value")
            if name_node is None:
                continue
            if name_node.type == "identifier":
                name = _text(name_node)
                self.bind(name, value, name_span=_span(name_node))
                if exported:
                    self.facts.exports.append(_make_export(name, name, span=_span(declarator)))
            elif name_node.type in ("object_pattern", "array_pattern"):
                call = unwrap(value)
                init = chain_of(call.child_by_field_name("function")) if call is not None and _is_call(call) else None
                for pattern in name_node.named_children:
                    target = pattern
                    if pattern.type == "pair_pattern":
                        target = pattern.child_by_field_name("value") or pattern
                    if target.type not in ("shorthand_property_identifier_pattern", "identifier"):
                        continue
                    name = _text(target)
                    self.facts.bindings[name] = Binding(name, _span(target), init=init, destructured=True)
                    if exported:
                        self.facts.exports.append(_make_export(name, name, span=_span(declarator)))

    def bind(self, name: str, value: Node | None, name_span: Span | None) -> None:
        """Record a module-level binding and mark the functions it holds as units."""
        binding = Binding(name, name_span or (_span(value) if value is not None else Span(0, 0)))
        self.facts.bindings[name] = binding
        target = unwrap(value)
        if target is None:
            return
        if target.type in FUNCTION_TYPES:
            self.unit_roles[target.start_byte] = ("function", name, name_span)
            binding.body = target.start_byte  # replaced by the unit index once units exist
            return
        if target.type == "object":
            for member in target.named_children:
                function: Node | None = None
                key: Node | None = None
                if member.type == "method_definition":
                    function, key = member, member.child_by_field_name("name")
                elif member.type == "pair":
                    function, key = (
                        unwrap(member.child_by_field_name("value")),
                        member.child_by_field_name("key"),
                    )
                if function is not None and key is not None and function.type in FUNCTION_TYPES:
                    member_name = _text(key)
                    self.unit_roles[function.start_byte] = ("function", f"{name}.{member_name}", _span(key))
                    binding.members[member_name] = function.start_byte
            return
        if target.type in ("call_expression", "new_expression"):
            functions: list[Node] = []
            refs: list[tuple[str, ...]] = []
            self._wrapper_chain(target, functions, refs)
            binding.chain_refs = tuple(refs)
            if target.type == "new_expression":
                binding.init = ("new", *chain_of(target.child_by_field_name("constructor")))
            else:
                binding.init = chain_of(target.child_by_field_name("function"))
            binding.object_keys = _argument_object_keys(target)
            if not functions and target.type == "call_expression":
                arguments = target.child_by_field_name("arguments")
                passed = [
                    _text(inner)
                    for argument in (arguments.named_children if arguments is not None else [])
                    if (inner := unwrap(argument)) is not None and inner.type == "identifier"
                ]
                if passed:
                    self._wrapped_names[name] = passed
            if functions:
                body = functions[0]
                self.unit_roles[body.start_byte] = ("function", name, name_span)
                binding.body = body.start_byte
                chain: list[int] = []
                for function in functions[1:]:
                    self.unit_roles[function.start_byte] = ("middleware", name, None)
                    chain.append(function.start_byte)
                binding.chain_units = tuple(chain)
            return
        if target.type in ("identifier", "member_expression"):
            binding.init = chain_of(target)
            return
        if target.type in ("binary_expression", "ternary_expression"):
            # `globalForPrisma.prisma ?? new PrismaClient()`: the value is what the fallback builds
            for side in reversed(target.named_children):
                inner = unwrap(side)
                if inner is not None and inner.type == "new_expression":
                    binding.init = ("new", *chain_of(inner.child_by_field_name("constructor")))
                    return
                if inner is not None and inner.type == "call_expression":
                    binding.init = chain_of(inner.child_by_field_name("function"))
                    return

    def _wrapper_chain(self, call: Node, functions: list[Node], refs: list[tuple[str, ...]]) -> None:
        """Collect, outermost call first, the functions passed along a wrapper chain such as
        ``authClient.schema(s).action(fn)`` or ``cache(withAuth(fn))``, and each call's callee.
        The first function found is the one the binding *is*; the others are middleware.

        A call among the arguments is followed before the arguments after it, as a recursive
        walk would; the stack makes ``w(w(w(…fn)))`` 100,000 deep cost no Python recursion."""
        # Each frame: a call in the chain, its callee, its method name, and its arguments to go.
        stack: list[tuple[Node | None, str, Iterator[Node]]] = []

        def enter(node: Node) -> None:
            callee = node.child_by_field_name("function" if node.type == "call_expression" else "constructor")
            refs.append(chain_of(callee))
            arguments = node.child_by_field_name("arguments")
            listed = arguments.named_children if arguments is not None and arguments.type == "arguments" else []
            stack.append((callee, refs[-1][-1] if refs[-1] else "", iter(listed)))

        enter(call)
        while stack:
            callee, method, arguments = stack[-1]
            descended = False
            for argument in arguments:
                inner = unwrap(argument)
                if inner is None:
                    continue
                if inner.type in FUNCTION_TYPES:
                    functions.append(inner)
                elif inner.type == "call_expression":
                    enter(inner)
                    descended = True
                    break
                elif inner.type in ("identifier", "member_expression") and method in _MIDDLEWARE_METHODS:
                    # `client.use(requireUser)`: a named middleware runs before the body too
                    refs.append(chain_of(inner))
            if descended:
                continue
            stack.pop()
            # follow `a.use(f).action(g)` down to `a.use(f)`
            node = unwrap(callee.child_by_field_name("object")) if callee is not None else None
            if node is not None and node.type == "member_expression":
                node = unwrap(node.child_by_field_name("object"))
            if node is not None and node.type in ("call_expression", "new_expression"):
                enter(node)

    # -- units and calls --------------------------------------------------------------------------

    def _is_async(self, function: Node) -> bool:
        # Asked for a unit and again for the calls inside it; ``Node.children`` builds every child.
        key = (function.start_byte, function.end_byte)
        found = self._async.get(key)
        if found is None:
            found = self._async[key] = any(child.type == "async" for child in function.children)
        return found

    def units_and_calls(self, captures: dict[str, list[Node]]) -> None:
        facts = self.facts
        module = Unit(
            index=0,
            kind="module",
            name=None,
            span=Span(0, len(self.data)),
            report=Span(0, 0),
            body=Span(0, len(self.data)),
            body_is_block=True,
            first_statement=None,
            directives_end=None,
            is_async=True,
            async_at=0,
        )
        module.statements = self.statements
        facts.units.append(module)
        index_by_start: dict[int, int] = {}
        # What units return (`return x` statements and arrow bodies), linked to calls after the sweep.
        returned: list[tuple[Unit, Node]] = []
        for node in sorted(captures.get("function", []), key=lambda n: n.start_byte):
            role = self.unit_roles.get(node.start_byte)
            body = node.child_by_field_name("body")
            use_server: Span | None = None
            first_statement: int | None = None
            directives_end: int | None = None
            body_is_block = body is not None and body.type == "statement_block"
            statements: list[Node] = []
            if body is not None and body_is_block:
                statements = [child for child in body.named_children]
                directives = directive_prologue(statements)
                for directive in directives:
                    if _statement_string(directive) == "use server":
                        use_server = _span(directive)
                if directives:
                    directives_end = directives[-1].end_byte
                rest = [s for s in statements if s not in directives and s.type != "comment"]
                first_statement = rest[0].start_byte if rest else None
            if role is None:
                if use_server is not None:
                    role = ("inline", _inline_name(node), None)
                elif node.type == "method_definition" and node.parent is not None and node.parent.type == "class_body":
                    role = ("method", _text(node.child_by_field_name("name")), None)
                else:
                    continue
            assert role is not None
            kind, name, found_report = role
            report = found_report
            if report is None:
                report = _header_span(node)
            is_async = self._is_async(node)
            parameters = node.child_by_field_name("parameters")
            arity = len(parameters.named_children) if parameters is not None else 1
            params: list[Binder] = []
            first_param: Span | None = None
            if parameters is not None:
                for position, parameter in enumerate(parameters.named_children):
                    if parameter.type == "comment":
                        continue
                    if first_param is None:
                        pattern = parameter.child_by_field_name("pattern") or parameter
                        first_param = _span(pattern)
                    params += binders_of(parameter, (), position)
            else:
                single = node.child_by_field_name("parameter")  # `x => …`
                if single is not None:
                    first_param = _span(single)
                    params = binders_of(single)
            unit = Unit(
                index=len(facts.units),
                kind="inline" if use_server is not None and kind == "inline" else kind,
                name=name,
                span=_span(node),
                report=report,
                body=_span(body) if body is not None else _span(node),
                body_is_block=body_is_block,
                first_statement=first_statement,
                directives_end=directives_end,
                is_async=is_async,
                async_at=node.start_byte,
                use_server=use_server,
                arity=arity,
                params=tuple(params),
                first_param=first_param,
                statements=[_span(child) for child in statements if child.type != "comment"],
            )
            index_by_start[node.start_byte] = unit.index
            facts.units.append(unit)
            if body is not None and not body_is_block:
                returned.append((unit, body))
        for binding in facts.bindings.values():
            if binding.body is not None:
                binding.body = index_by_start.get(binding.body)
            binding.chain_units = tuple(index_by_start[s] for s in binding.chain_units if s in index_by_start)
            binding.members = {k: index_by_start[s] for k, s in binding.members.items() if s in index_by_start}

        # Sweep: units are properly nested intervals; each event belongs to the innermost one open.
        # Functions that are not units (callbacks) are tracked too: a call's innermost function
        # says whether an `await` can be added where it stands.
        events: list[tuple[int, int, int, Node]] = []  # (start, order, end, node)
        for name, order in _EVENT_ORDER:
            events += [(node.start_byte, order, node.end_byte, node) for node in captures.get(name, ())]
        # Calls that start at one byte (`a().b()` holds `a()`) go inner first, the order they run in;
        # without the end as a tie-break their order was the query's, which can differ between an
        # incrementally reparsed tree and a fresh one of the same text.
        events.sort(key=_EVENT_KEY)
        units = sorted(facts.units[1:], key=lambda u: u.span.start)
        functions = sorted(
            ((n.start_byte, n.end_byte, n) for n in captures.get("function", [])), key=lambda f: (f[0], -f[1])
        )
        scopes: list[int] = []  # open functions, innermost last: indices into ``functions``
        scope_of: dict[int, tuple[int, int, bool, int]] = {}  # index -> (start, end, async, async_at)
        stack: list[Unit] = [module]
        position = 0
        next_function = 0
        pending: list[tuple[Unit, Node]] = []  # declarators, linked to their calls once all are known
        for start, order, _, node in events:
            while position < len(units) and units[position].span.start <= start:
                opening = units[position]
                while stack[-1] is not module and stack[-1].span.end <= opening.span.start:
                    stack.pop()
                opening.parent = stack[-1].index
                stack.append(opening)
                position += 1
            while stack[-1] is not module and stack[-1].span.end <= start:
                stack.pop()
            owner = stack[-1]
            if order == 3:
                owner.throws += 1
            elif order == 2:
                owner.env_reads.append((_text(node), _span(node)))
            elif order == 0:
                pending.append((owner, node))
            else:
                # The functions open here (nested intervals: the innermost is the last one open).
                while next_function < len(functions) and functions[next_function][0] <= start:
                    f_start = functions[next_function][0]
                    while scopes and functions[scopes[-1]][1] <= f_start:
                        scopes.pop()
                    scopes.append(next_function)
                    next_function += 1
                while scopes and functions[scopes[-1]][1] <= start:
                    scopes.pop()
                if order == 4:
                    # Only a unit's own returns: not those of a callback inside it (the innermost
                    # function around the statement, found by the sweep instead of walking parents).
                    innermost_start = functions[scopes[-1]][0] if scopes else -1
                    if owner is module or innermost_start != owner.span.start:
                        continue
                    value = next((c for c in node.named_children if c.type != "comment"), None)
                    if value is not None:
                        returned.append((owner, value))
                    continue
                scope: tuple[int, int, bool, int] | None = None
                if scopes:
                    innermost = scopes[-1]
                    scope = scope_of.get(innermost)
                    if scope is None:
                        f_start, f_end, function = functions[innermost]
                        scope = scope_of[innermost] = (f_start, f_end, self._is_async(function), _scope_at(function))
                owner.calls.append(self.call(node, owner.index, scope))
        while position < len(units):
            opening = units[position]
            while stack[-1] is not module and stack[-1].span.end <= opening.span.start:
                stack.pop()
            opening.parent = stack[-1].index
            stack.append(opening)
            position += 1
        for owner, node in pending:
            if owner is module:
                continue  # module-level names are bindings
            local = self.local(owner, node)
            if local is not None:
                owner.locals.append(local)
        for owner, node in sorted(returned, key=lambda pair: pair[1].start_byte):
            owner.returns.append(self.returned(owner, node))

    def returned(self, unit: Unit, value: Node) -> Return:
        inner = unwrap(value) or value
        span = _span(inner)
        kind = inner.type
        if kind in ("call_expression", "new_expression"):
            position = self._call_at(unit).get((span.start, span.end))
            if position is not None:
                return _make_return(span, _span(value), "call", call=position)
            return _make_return(span, _span(value), "other")
        if kind in ("binary_expression", "ternary_expression"):
            held = _fallback_of(inner)
            if held is not None:
                inner, span, kind = held, _span(held), held.type
        if kind == "identifier":
            return _make_return(span, _span(value), "name", name=_text(inner))
        if kind == "subscript_expression":
            target = unwrap(inner.child_by_field_name("object"))
            subscript = inner.child_by_field_name("index")
            if target is not None and target.type == "identifier" and _text(subscript) == "0":
                return _make_return(span, _span(value), "name", name=_text(target), element=True)
            return _make_return(span, _span(value), "other")
        if kind == "object":
            entries: list[Entry] = []
            for child in inner.named_children:
                if child.type == "shorthand_property_identifier":
                    entries.append(_make_entry(_text(child), _span(child), _text(child), shorthand=True))
                elif child.type == "pair":
                    key = child.child_by_field_name("key")
                    entry_value = child.child_by_field_name("value")
                    if key is None or entry_value is None:
                        continue
                    name = unwrap(entry_value)
                    entries.append(
                        _make_entry(
                            (string_value(key) if key.type == "string" else _text(key)) or "",
                            _span(entry_value),
                            _text(name) if name is not None and name.type == "identifier" else None,
                        )
                    )
                elif child.type == "spread_element":
                    argument = unwrap(child.named_children[0]) if child.named_children else None
                    spread = _text(argument) if argument is not None and argument.type == "identifier" else None
                    entries.append(_make_entry("...", _span(child), spread))
            return _make_return(span, _span(value), "object", entries=tuple(entries))
        return _make_return(span, _span(value), "other")

    def _call_at(self, unit: Unit) -> dict[tuple[int, int], int]:
        """Span -> the last of the unit's calls with that span, once its calls are all known (a
        search of the calls per declarator and per return was a tenth of extraction)."""
        found = self._calls_by_span.get(unit.index)
        if found is None:
            found = self._calls_by_span[unit.index] = {
                (call.span.start, call.span.end): position for position, call in enumerate(unit.calls)
            }
        return found

    def local(self, unit: Unit, node: Node) -> Local | None:
        assigned = node.type == "assignment_expression"
        binders = binders_of(node.child_by_field_name("left" if assigned else "name"))
        if not binders:
            return None
        if assigned and any(param.name == binders[0].name for param in unit.params):
            # a parameter given a fallback (`if (!userId) userId = user?.id`) still holds what the
            # caller sent otherwise: it keeps what the parameter is
            return None
        value = node.child_by_field_name("right" if assigned else "value")
        inner = unwrap(value)
        awaited = False
        probe = value
        while probe is not None and probe.type in _PASS_THROUGH:
            if probe.type == "await_expression":
                awaited = True
                break
            probe = probe.named_children[0] if probe.named_children else None
        call_index: int | None = None
        awaited = awaited or (inner is not None and _awaited_generic(inner))
        if inner is not None and inner.type in ("call_expression", "new_expression"):
            call_index = self._call_at(unit).get((inner.start_byte, inner.end_byte))
        statement = node.parent
        reads: str | None = None
        if inner is not None and inner.type in ("identifier", "member_expression"):
            reads = chain_of(inner)[0] or None
        return _make_local(
            tuple(binders),
            _span(node),
            _span(statement) if statement is not None else _span(node),
            _span(inner) if inner is not None else None,
            call_index,
            awaited,
            reads,
        )

    def refs(self, captures: dict[str, list[Node]]) -> None:
        """Reads of the locals whose value is a call's result (a session, a record, a guard's
        answer) or is read off one of those (`const user = session?.user`). What a read does is
        read from the text around it and from the conditions and returns that contain it, not by
        walking the tree."""
        data = self.data
        seen: set[int] = set()
        hits: list[tuple[int, int]] = []
        for unit in self.facts.units:
            tracked: set[str] = set()
            for local in unit.locals:
                if local.call is None and not local.awaited and local.reads not in tracked:
                    continue
                # Reads come after the declaration, inside the function that declares it (its
                # callbacks and inline actions included). The names are found with `bytes.find`
                # (in C), skipping property names, object keys, strings and comments: capturing
                # every identifier instead would double the cost of extraction.
                for binder in local.binders:
                    tracked.add(binder.name)
                    word = binder.name.encode()
                    at = data.find(word, local.span.end, unit.span.end)
                    while at != -1:
                        end = at + len(word)
                        if (
                            at not in seen
                            and (data[at - 1 : at] not in _NAME_BEFORE or data[at - 3 : at] == b"...")
                            and data[end : end + 1] not in _NAME_EDGE
                        ):
                            seen.add(at)
                            hits.append((at, end))
                        at = data.find(word, end, unit.span.end)
        if not hits:
            return
        hits.sort()
        comments = sorted((n.start_byte, n.end_byte) for n in captures.get("comment", []))
        conditions = sorted((n.start_byte, -n.end_byte) for n in captures.get("cond", []))
        returns = sorted((n.start_byte, -n.end_byte) for n in captures.get("return", []))
        open_conditions: list[tuple[int, int]] = []  # nested, innermost last
        open_returns: list[tuple[int, int]] = []
        next_comment = next_condition = next_return = 0
        found = self.facts.refs
        for start, end in hits:
            while next_comment < len(comments) and comments[next_comment][1] <= start:
                next_comment += 1
            if next_comment < len(comments) and comments[next_comment][0] <= start:
                continue
            while next_condition < len(conditions) and conditions[next_condition][0] <= start:
                opened = conditions[next_condition]
                while open_conditions and open_conditions[-1][1] <= opened[0]:
                    open_conditions.pop()
                open_conditions.append((opened[0], -opened[1]))
                next_condition += 1
            while open_conditions and open_conditions[-1][1] < end:
                open_conditions.pop()
            while next_return < len(returns) and returns[next_return][0] <= start:
                opened = returns[next_return]
                while open_returns and open_returns[-1][1] <= opened[0]:
                    open_returns.pop()
                open_returns.append((opened[0], -opened[1]))
                next_return += 1
            while open_returns and open_returns[-1][1] < end:
                open_returns.pop()
            cond = open_conditions[-1] if open_conditions else None
            ref = _ref_at(data, start, end, cond, bool(open_returns))
            if ref is not None:
                found.append(ref)

    def call(self, node: Node, unit: int, scope: tuple[int, int, bool, int] | None = None) -> Call:
        function: Node | None = None
        if node.type == "new_expression":
            chain: tuple[str, ...] = ("new", *chain_of(node.child_by_field_name("constructor")))
        else:
            function = node.child_by_field_name("function")
            chain = chain_of(function)
        arguments = node.child_by_field_name("arguments")
        string_arg: str | None = None
        tagged = False
        args_span: Span | None = None
        fields: list[Field] = []
        where: Span | None = None
        selected: tuple[str, ...] | None = None
        if arguments is not None:
            if arguments.type == "template_string":
                tagged = True
                string_arg = string_value(arguments)
            else:
                if arguments.named_child_count:
                    first = arguments.named_child(0)
                    if first is not None and first.type in ("string", "template_string"):
                        string_arg = string_value(first)
                after_open = arguments.start_byte + 1
                args_span = _make_span(after_open, max(after_open, arguments.end_byte - 1))
                wants_fields = bool(chain) and chain[-1] in FIELD_METHODS
                if wants_fields:
                    for argument in arguments.named_children:
                        inner = unwrap(argument)
                        if inner is not None and inner.type == "object":
                            where = _fields(inner, "", 0, fields)
                            selected = _selected(inner)
                            break
        # ``Node.parent`` searches down from the root (a microsecond or more): read it once here.
        parent = node.parent
        above = parent
        while above is not None and above.type == "parenthesized_expression":
            above = above.parent
        # `await f<T>(x)` reads as a call of `await f` (see ``_awaited_generic``)
        awaited = (above is not None and above.type == "await_expression") or (
            function is not None and function.type == "await_expression"
        )
        statement, test, returned = _call_context(node, parent)
        return _make_call(
            chain,
            _span(node),
            unit,
            awaited,
            string_arg,
            tagged,
            statement=statement,
            test=test,
            returned=returned,
            args_span=args_span,
            fields=tuple(fields),
            where=where,
            scope_async=scope[2] if scope is not None else True,
            scope_at=scope[3] if scope is not None else -1,
            selected=selected,
        )

    def comments(self, captures: dict[str, list[Node]]) -> None:
        lines = self.facts.lines
        # Sorted: the query does not promise an order (it differed between parses of one text).
        for node in sorted(captures.get("comment", []), key=lambda n: n.start_byte):
            text = _text(node)
            if "nextguard-" in text:
                self.facts.comments.append((lines.row_of(node.start_byte), text))


def _awaited_generic(call: Node) -> bool:
    """tree-sitter-typescript reads `await f<T>(x)` as a call of `await f` with type arguments."""
    if call.type != "call_expression":
        return False
    function = call.child_by_field_name("function")
    return function is not None and function.type == "await_expression"


def _argument_object_keys(call: Node) -> tuple[str, ...]:
    """The keys of the first object literal among a call's arguments (a table's columns in
    `pgTable('notes', { id: …, userId: … })`)."""
    arguments = call.child_by_field_name("arguments")
    if arguments is None or arguments.type != "arguments":
        return ()
    for argument in arguments.named_children:
        inner = unwrap(argument)
        if inner is not None and inner.type == "object":
            return _literal_keys(inner)
    return ()


_SELECT_KEYS = ("select", "columns", "omit")


def _selected(argument: Node) -> tuple[str, ...] | None:
    """The keys of a query argument's `select`/`columns`/`omit` object (see ``Call.selected``)."""
    for child in argument.named_children:
        if child.type == "shorthand_property_identifier" and _text(child) in _SELECT_KEYS:
            return ()
        if child.type != "pair":
            continue
        key = child.child_by_field_name("key")
        if key is None or _text(key).strip("'\"") not in _SELECT_KEYS:
            continue
        value = unwrap(child.child_by_field_name("value"))
        if value is None or value.type != "object":
            return ()
        return _literal_keys(value)
    return None


def _literal_keys(node: Node) -> tuple[str, ...]:
    """The keys an object literal spells out (pairs and shorthands; not spreads or computed keys)."""
    keys: list[str] = []
    for child in node.named_children:
        if child.type == "pair":
            key = child.child_by_field_name("key")
            if key is not None:
                keys.append((string_value(key) if key.type == "string" else _text(key)) or "")
        elif child.type == "shorthand_property_identifier":
            keys.append(_text(child))
    return tuple(keys)


_LITERALS = frozenset({"null", "undefined", "array", "object", "string", "number", "true", "false"})


def _fallback_of(node: Node) -> Node | None:
    """In `rows ?? []`, `row || null` or `row ? row : null`: the name or element the value is when
    the other side is a literal."""
    if node.type == "binary_expression":
        if _operator(node) not in ("??", "||"):
            return None
        sides = [unwrap(node.child_by_field_name("left")), unwrap(node.child_by_field_name("right"))]
    else:
        sides = [unwrap(node.child_by_field_name("consequence")), unwrap(node.child_by_field_name("alternative"))]
    if any(side is None for side in sides):
        return None
    held = [side for side in sides if side is not None and side.type not in _LITERALS]
    if len(held) != 1 or held[0].type not in ("identifier", "subscript_expression"):
        return None
    if node.type == "binary_expression" and held[0] is not sides[0]:
        return None
    return held[0]


def _is_call(node: Node | None) -> bool:
    target = unwrap(node)
    return target is not None and target.type == "call_expression"


def _inline_name(node: Node) -> str | None:
    name = node.child_by_field_name("name")
    if name is not None:
        return _text(name)
    parent = node.parent
    if parent is not None and parent.type == "variable_declarator":
        return _text(parent.child_by_field_name("name"))
    if parent is not None and parent.type == "pair":
        return _text(parent.child_by_field_name("key"))
    return None


def _header_span(node: Node) -> Span:
    """The function's name if it has one, else from its start to the end of its parameters."""
    name = node.child_by_field_name("name")
    if name is not None:
        return _span(name)
    parameters = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
    end = parameters.end_byte if parameters is not None else node.start_byte
    return Span(node.start_byte, max(end, node.start_byte))


def _cursor(language: Language) -> QueryCursor:
    cursor = QueryCursor(_query(TYPESCRIPT if language == TYPESCRIPT else TSX))
    # Past 65,535 levels tree-sitter's query cursor silently stops matching (its depths are 16
    # bits) and takes minutes over what it no longer matches; and much of what reads the captured
    # nodes (``Node.parent``) costs their depth. Nothing real nests this deep.
    cursor.set_max_start_depth(MAX_DEPTH)
    return cursor


def extract(path: Path, data: bytes, tree: Tree) -> FileFacts:
    captures = _cursor(tree.language).captures(tree.root_node)
    builder = _Builder(path, data, tree)
    builder.module()
    builder.units_and_calls(captures)
    builder.comments(captures)
    builder.refs(captures)
    facts = builder.facts
    facts.import_by_local = {imported.local: imported for imported in facts.imports if imported.local}
    return facts


# Bindings before their functions are numbered: the start offsets of their body, chain units and
# members (what ``units_and_calls`` turns into unit indices).
RawBindings = dict[str, tuple[int | None, tuple[int, ...], dict[str, int]]]


def extract_range(path: Path, data: bytes, tree: Tree, start: int, end: int) -> tuple[FileFacts, RawBindings]:
    """For ``facts/partial.py``: the module-level facts of the whole file, but units, calls,
    comments and refs only of what lies inside ``[start, end)`` (one top-level statement), with
    the bindings as they were before their functions were numbered."""
    cursor = _cursor(tree.language)
    cursor.set_byte_range(start, end)
    captures = {
        name: [node for node in nodes if node.start_byte >= start and node.end_byte <= end]
        for name, nodes in cursor.captures(tree.root_node).items()
    }
    builder = _Builder(path, data, tree)
    builder.module()
    raw = {
        name: (binding.body, binding.chain_units, dict(binding.members))
        for name, binding in builder.facts.bindings.items()
    }
    builder.units_and_calls(captures)
    builder.comments(captures)
    builder.refs(captures)
    return builder.facts, raw
