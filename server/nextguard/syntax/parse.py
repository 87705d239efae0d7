"""Text → tree: the tree-sitter grammars and parsers, one per grammar, reused for every file."""

from __future__ import annotations

from pathlib import Path

import tree_sitter_typescript as tst
from tree_sitter import Language, Node, Parser, Tree

TYPESCRIPT = Language(tst.language_typescript())
# The tsx grammar is a superset that also accepts JSX; plain JavaScript parses with it too, and the
# typescript grammar would misread `<T>expr` casts as JSX-free code only in .ts files.
TSX = Language(tst.language_tsx())

_PARSERS: dict[int, Parser] = {}


def grammar_for(path: Path | str) -> Language:
    name = str(path)
    if name.endswith((".ts", ".mts", ".cts")):
        return TYPESCRIPT
    return TSX


def parser_for(language: Language) -> Parser:
    key = id(language)
    parser = _PARSERS.get(key)
    if parser is None:
        parser = _PARSERS[key] = Parser(language)
    return parser


def parse(path: Path | str, data: bytes, old_tree: Tree | None = None) -> Tree:
    """Parse ``data``; with ``old_tree`` (already ``edit``-ed) tree-sitter reuses unchanged subtrees."""
    parser = parser_for(grammar_for(path))
    if old_tree is not None:
        return parser.parse(data, old_tree)
    return parser.parse(data)


def _grammar_quirk(node: Node) -> bool:
    """Errors tree-sitter-typescript reports in code TypeScript accepts: a generic tagged template
    (`` prisma.$queryRaw<T>`…` ``) read as an instantiation expression missing a `!`, and a bare `&`
    in JSX text or an attribute string (`Drag & drop`, `href="/?a=1&b=2"`) read as a broken
    character reference."""
    parent = node.parent
    if parent is None:
        return False
    if node.is_missing and node.type == "!":
        return parent.type == "non_null_expression" and any(
            child.type == "instantiation_expression" for child in parent.children
        )
    if not node.is_error:
        return False
    in_jsx = parent.type == "jsx_element" or (
        parent.type == "string" and parent.parent is not None and parent.parent.type == "jsx_attribute"
    )
    previous = node.prev_sibling
    after_ampersand = previous is not None and (previous.text or b"").rstrip().endswith(b"&")
    return in_jsx and (after_ampersand or (node.text or b"").startswith(b"&"))


def first_error(root: Node) -> Node | None:
    """The first ERROR or MISSING node, or None. Cheap when the tree has none: ``has_error`` is
    cached on every node, so only erroneous branches are entered."""
    if not root.has_error:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if (node.is_error or node.is_missing) and not _grammar_quirk(node):
            return node
        stack.extend(reversed([child for child in node.children if child.has_error or child.is_missing]))
    return None


def deeper_than(root: Node, limit: int) -> Node | None:
    """A node more than ``limit`` levels below ``root``, or None when the tree is no deeper.

    Only subtrees big enough to reach that deep are entered: a node ``k`` levels short of the
    limit needs ``k`` descendants under it, and ``descendant_count`` is stored in the tree, so an
    ordinary file costs a look at the root's children and little more."""
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return node
        needed = limit - depth  # levels still to go below ``node``'s children, at the least
        stack.extend((child, depth + 1) for child in node.children if child.descendant_count >= needed)
    return None
