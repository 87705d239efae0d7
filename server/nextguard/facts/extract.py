"""Tree → per-file facts.

One tree-sitter query (``queries/facts.scm``) finds every function, call, comment and environment
read; module-level statements are read from the root's direct children. Calls are assigned to the
innermost enclosing *unit* by a sweep over sorted offsets, so the cost is one query plus work
proportional to what it captured, never a Python walk of the whole tree.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tree_sitter import Language, Node, Query, QueryCursor, Tree

from ..model import Span
from ..syntax.parse import TSX, TYPESCRIPT, first_error
from ..syntax.positions import LineIndex
from .model import Binding, Call, Export, FileFacts, Import, Unit, UnitKind

_QUERY_TEXT = resources.files(__package__).joinpath("queries/facts.scm").read_text(encoding="utf-8")
_QUERIES: dict[int, Query] = {}

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
_MIDDLEWARE_METHODS = frozenset({"use", "middleware", "useMiddleware"})


def _query(language: Language) -> Query:
    query = _QUERIES.get(id(language))
    if query is None:
        query = _QUERIES[id(language)] = Query(language, _QUERY_TEXT)
    return query


def _span(node: Node) -> Span:
    return Span(node.start_byte, node.end_byte)


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def string_value(node: Node | None) -> str | None:
    """The value of a string literal (or a template without substitutions), else None."""
    if node is None:
        return None
    if node.type == "string":
        return "".join(_text(child) for child in node.named_children if child.type != "comment")
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


class _Builder:
    def __init__(self, path: Path, data: bytes, tree: Tree) -> None:
        self.path = path
        self.data = data
        self.tree = tree
        self.facts = FileFacts(path=path, lines=LineIndex(data))
        # function start offset -> (kind, name, binding name, report span)
        self.unit_roles: dict[int, tuple[UnitKind, str | None, Span | None]] = {}

    # -- module level ---------------------------------------------------------------------------

    def module(self) -> None:
        root = self.tree.root_node
        facts = self.facts
        statements = [child for child in root.children if child.is_named]
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
            self.facts.imports.append(Import(None, "", source, span))
            if source == "server-only":
                self.facts.server_only_import = True
            return
        for part in clause.named_children:
            if part.type == "identifier":
                self.facts.imports.append(Import(_text(part), "default", source, span, type_only))
            elif part.type == "namespace_import":
                name = next((c for c in part.named_children if c.type == "identifier"), None)
                self.facts.imports.append(Import(_text(name), "*", source, span, type_only))
            elif part.type == "named_imports":
                for spec in part.named_children:
                    if spec.type != "import_specifier":
                        continue
                    name = spec.child_by_field_name("name")
                    alias = spec.child_by_field_name("alias")
                    spec_type_only = type_only or any(c.type == "type" for c in spec.children)
                    imported = string_value(name) if name is not None and name.type == "string" else _text(name)
                    self.facts.imports.append(
                        Import(_text(alias or name), imported or "", source, span, spec_type_only)
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
                    facts.exports.append(Export(_text(name), _text(name), span=span))
            return
        is_default = any(child.type == "default" for child in node.children)
        if is_default and value is not None:
            target = unwrap(value)
            if target is not None and target.type == "identifier":
                facts.exports.append(Export("default", _text(target), span=span))
                return
            header = Span(node.start_byte, value.start_byte if target is None else target.start_byte)
            self.bind("default", value, name_span=header)
            facts.exports.append(Export("default", "default", span=span))
            return
        if is_default:
            # `export default function name() {}` parses with a declaration-less function child
            function = next((c for c in node.named_children if c.type in FUNCTION_TYPES), None)
            if function is not None:
                self.bind("default", function, name_span=Span(node.start_byte, function.start_byte))
                facts.exports.append(Export("default", "default", span=span))
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
                        facts.exports.append(Export(exported, local, span=span))
                    else:
                        facts.exports.append(Export(exported, None, source, local, span))
                return
            if child.type == "namespace_export" and source is not None:
                name = next((c for c in child.named_children if c.type == "identifier"), None)
                facts.exports.append(Export(_text(name), None, source, "*", span))
                return
        if source is not None and any(child.type == "*" for child in node.children):
            facts.star_exports.append(source)

    def function_declaration(self, node: Node, exported: Node | None) -> None:
        name_node = node.child_by_field_name("name")
        name = _text(name_node) if name_node is not None else "default"
        self.bind(name, node, name_span=_span(name_node) if name_node is not None else None)
        if exported is not None:
            is_default = any(child.type == "default" for child in exported.children)
            self.facts.exports.append(Export("default" if is_default else name, name, span=_span(exported)))

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
                    self.facts.exports.append(Export(name, name, span=_span(declarator)))
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
                        self.facts.exports.append(Export(name, name, span=_span(declarator)))

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
        The first function found is the one the binding *is*; the others are middleware."""
        node: Node | None = call
        while node is not None and node.type in ("call_expression", "new_expression"):
            callee = node.child_by_field_name("function" if node.type == "call_expression" else "constructor")
            refs.append(chain_of(callee))
            arguments = node.child_by_field_name("arguments")
            if arguments is not None and arguments.type == "arguments":
                method = refs[-1][-1] if refs[-1] else ""
                for argument in arguments.named_children:
                    inner = unwrap(argument)
                    if inner is None:
                        continue
                    if inner.type in FUNCTION_TYPES:
                        functions.append(inner)
                    elif inner.type == "call_expression":
                        self._wrapper_chain(inner, functions, refs)
                    elif inner.type in ("identifier", "member_expression") and method in _MIDDLEWARE_METHODS:
                        # `client.use(requireUser)`: a named middleware runs before the body too
                        refs.append(chain_of(inner))
            # follow `a.use(f).action(g)` down to `a.use(f)`
            node = unwrap(callee.child_by_field_name("object")) if callee is not None else None
            if node is not None and node.type == "member_expression":
                node = unwrap(node.child_by_field_name("object"))

    # -- units and calls --------------------------------------------------------------------------

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
        facts.units.append(module)
        index_by_start: dict[int, int] = {}
        for node in sorted(captures.get("function", []), key=lambda n: n.start_byte):
            role = self.unit_roles.get(node.start_byte)
            body = node.child_by_field_name("body")
            use_server: Span | None = None
            first_statement: int | None = None
            directives_end: int | None = None
            body_is_block = body is not None and body.type == "statement_block"
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
            is_async = any(child.type == "async" for child in node.children)
            parameters = node.child_by_field_name("parameters")
            arity = len(parameters.named_children) if parameters is not None else 1
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
            )
            index_by_start[node.start_byte] = unit.index
            facts.units.append(unit)
        for binding in facts.bindings.values():
            if binding.body is not None:
                binding.body = index_by_start.get(binding.body)
            binding.chain_units = tuple(index_by_start[s] for s in binding.chain_units if s in index_by_start)
            binding.members = {k: index_by_start[s] for k, s in binding.members.items() if s in index_by_start}

        # Sweep: units are properly nested intervals; each event belongs to the innermost one open.
        events: list[tuple[int, int, Node]] = []  # (start, order, node)
        for node in captures.get("call", []):
            events.append((node.start_byte, 1, node))
        for node in captures.get("new", []):
            events.append((node.start_byte, 1, node))
        for node in captures.get("env", []):
            events.append((node.start_byte, 2, node))
        for node in captures.get("throw", []):
            events.append((node.start_byte, 3, node))
        events.sort(key=lambda event: (event[0], event[1]))
        units = sorted(facts.units[1:], key=lambda u: u.span.start)
        stack: list[Unit] = [module]
        position = 0
        for start, order, node in events:
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
            else:
                owner.calls.append(self.call(node, owner.index))
        while position < len(units):
            opening = units[position]
            while stack[-1] is not module and stack[-1].span.end <= opening.span.start:
                stack.pop()
            opening.parent = stack[-1].index
            stack.append(opening)
            position += 1

    def call(self, node: Node, unit: int) -> Call:
        if node.type == "new_expression":
            chain: tuple[str, ...] = ("new", *chain_of(node.child_by_field_name("constructor")))
        else:
            chain = chain_of(node.child_by_field_name("function"))
        arguments = node.child_by_field_name("arguments")
        string_arg: str | None = None
        tagged = False
        if arguments is not None:
            if arguments.type == "template_string":
                tagged = True
                string_arg = string_value(arguments)
            elif arguments.named_child_count:
                first = arguments.named_child(0)
                if first is not None and first.type in ("string", "template_string"):
                    string_arg = string_value(first)
        parent = node.parent
        while parent is not None and parent.type == "parenthesized_expression":
            parent = parent.parent
        awaited = parent is not None and parent.type == "await_expression"
        return Call(chain, _span(node), unit, awaited, string_arg, tagged)

    def comments(self, captures: dict[str, list[Node]]) -> None:
        lines = self.facts.lines
        for node in captures.get("comment", []):
            text = _text(node)
            if "nextguard-" in text:
                self.facts.comments.append((lines.row_of(node.start_byte), text))


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


def extract(path: Path, data: bytes, tree: Tree) -> FileFacts:
    language = tree.language
    query = _query(TYPESCRIPT if language == TYPESCRIPT else TSX)
    captures = QueryCursor(query).captures(tree.root_node)
    builder = _Builder(path, data, tree)
    builder.module()
    builder.units_and_calls(captures)
    builder.comments(captures)
    facts = builder.facts
    facts.import_by_local = {imported.local: imported for imported in facts.imports if imported.local}
    return facts
