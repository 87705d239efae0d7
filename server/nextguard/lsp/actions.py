"""Code actions: a finding's fixes as quick fixes, suppression comments, and fix-all.

Everything here is computed against the file's current text (the open buffer, else the file the
workspace read); the session makes sure findings are current before asking.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from tree_sitter import Node, Tree

from ..engine import FileFacts, apply_edits, choose, first_fix
from ..model import Finding, Span, TextEdit
from ..syntax.document import TextLines
from ..syntax.parse import first_error, parse
from ..syntax.positions import Encoding
from .convert import text_edits, workspace_edit

FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.nextguard"
SUPPRESS_REASON = "TODO: say why this is safe"
_MAX_FIX_PASSES = 5
_EXISTING_LINE_SUPPRESSION = re.compile(r"nextguard-ignore-next-line((?:[ \t]+NG\d{3})*)")
_JSX_CHILD_PARENTS = frozenset({"jsx_element", "jsx_fragment"})
_JSX_ELEMENTS = frozenset({"jsx_element", "jsx_self_closing_element", "jsx_fragment"})


@dataclass(frozen=True, slots=True)
class FileView:
    """One file as the code actions see it: its current text and where it stands."""

    path: Path
    uri: str
    version: int | None
    data: bytes
    lines: TextLines
    encoding: Encoding
    facts: FileFacts | None
    tree: Callable[[], Tree]


def kind_wanted(kind: str, only: Sequence[str] | None) -> bool:
    """LSP's `only` filter: a kind matches an entry that is it or a prefix of it (`source`
    selects `source.fixAll.nextguard`)."""
    if not only:
        return kind != FIX_ALL_KIND  # source actions only when asked for: they edit the whole file
    return any(kind == entry or kind.startswith(entry + ".") for entry in only)


def _edit(view: FileView, edits: Iterable[TextEdit], document_changes: bool) -> types.WorkspaceEdit:
    converted = text_edits(view.lines, edits, view.encoding)
    return workspace_edit({view.uri: (view.version, converted)}, document_changes)


def quick_fixes(
    finding: Finding, diagnostic: types.Diagnostic, view: FileView, document_changes: bool
) -> list[types.CodeAction]:
    actions = []
    for position, fix in enumerate(finding.fixes):
        if any(edit.path != view.path for edit in fix.edits):
            continue  # every fix the rules make stays in its file; one that does not is not offered
        actions.append(
            types.CodeAction(
                title=fix.title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                is_preferred=position == 0 and fix.applicability == "safe",
                edit=_edit(view, fix.edits, document_changes),
            )
        )
    return actions


def _newline(data: bytes) -> str:
    return "\r\n" if b"\r\n" in data[:4000] else "\n"


def _introduces_error(view: FileView, edit: TextEdit) -> bool:
    before = first_error(view.tree().root_node) is not None
    after = first_error(parse(view.path, apply_edits(view.data, [edit])).root_node) is not None
    return after and not before


def _jsx_child_at(tree: Tree, offset: int) -> bool:
    """Whether a JSX element starts at ``offset`` as the child of another element, where only a
    `{/* */}` expression can hold a comment (a `//` line would be text on the page)."""
    node: Node | None = tree.root_node.descendant_for_byte_range(offset, offset)
    while node is not None and node.start_byte == offset:
        if node.type in _JSX_ELEMENTS:
            parent = node.parent
            return parent is not None and parent.type in _JSX_CHILD_PARENTS
        node = node.parent
    return False


def suppress_line(
    finding: Finding, diagnostic: types.Diagnostic, view: FileView, document_changes: bool
) -> types.CodeAction | None:
    """`// nextguard-ignore-next-line NGxxx -- reason` above the finding's line, indented like it;
    `{/* … */}` when that line is an element among JSX children. When the line above already
    suppresses other codes, the code is added to it instead (a second comment would suppress the
    first one's line, not the finding's)."""
    lines, data = view.lines, view.data
    row = lines.line_of(finding.span.start)
    start = lines.line_start(row)
    content = data[start : lines.line_end(row)]
    indent = content[: len(content) - len(content.lstrip(b" \t"))].decode("utf-8", "replace")
    title = f"Suppress {finding.code} for this line"
    if row > 0:
        above = data[lines.line_start(row - 1) : lines.line_end(row - 1)].decode("utf-8", "replace")
        match = _EXISTING_LINE_SUPPRESSION.search(above)
        if match is not None and match.group(1).strip():
            at = lines.line_start(row - 1) + len(above[: match.end(1)].encode("utf-8"))
            edit = TextEdit(view.path, Span(at, at), f" {finding.code}")
            return _action(title, diagnostic, view, [edit], document_changes)
    text = f"nextguard-ignore-next-line {finding.code} -- {SUPPRESS_REASON}"
    forms = [f"// {text}", f"{{/* {text} */}}"]
    if content.lstrip().startswith(b"<") and _jsx_child_at(view.tree(), start + len(indent.encode("utf-8"))):
        forms.reverse()
    newline = _newline(data)
    for form in forms:
        edit = TextEdit(view.path, Span(start, start), f"{indent}{form}{newline}")
        if not _introduces_error(view, edit):
            return _action(title, diagnostic, view, [edit], document_changes)
    return None


def suppress_file(
    finding: Finding, diagnostic: types.Diagnostic, view: FileView, document_changes: bool
) -> types.CodeAction | None:
    """`// nextguard-ignore-file NGxxx` at the top, after the directive prologue: a comment before
    `'use server'` is fine for JavaScript, but keeping directives first is what readers expect."""
    data = view.data
    newline = _newline(data)
    comment = f"// nextguard-ignore-file {finding.code}"
    at = 0
    prologue_end = view.facts.prologue_end if view.facts is not None else None
    if prologue_end is not None:
        at = view.lines.line_end(view.lines.line_of(prologue_end))
    elif data.startswith(b"#!"):
        at = view.lines.line_end(0)
    if prologue_end is None and at == 0:
        edit = TextEdit(view.path, Span(0, 0), comment + newline)
    else:
        edit = TextEdit(view.path, Span(at, at), newline + comment)
    return _action(f"Suppress {finding.code} for this file", diagnostic, view, [edit], document_changes)


def _action(
    title: str, diagnostic: types.Diagnostic, view: FileView, edits: list[TextEdit], document_changes: bool
) -> types.CodeAction:
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=_edit(view, edits, document_changes),
    )


def safe_edits(findings: Iterable[Finding], path: Path) -> list[TextEdit]:
    """The edits of every finding's first safe fix in ``path``, chosen by the one conflict policy
    ``check --fix`` uses (``fixes.choose``)."""
    groups = []
    for finding in findings:
        fix = first_fix(finding, unsafe=False)
        if fix is not None and all(edit.path == path for edit in fix.edits):
            groups.append(fix.edits)
    return choose(groups)[0]


def fix_all(path: Path, data: bytes, findings_for: Callable[[bytes], list[Finding]]) -> bytes:
    """The text after applying every safe fix, repeated until nothing is left to fix (fixes can
    make room for each other), never accepting a pass that breaks the parse."""
    had_error = first_error(parse(path, data).root_node) is not None
    current = data
    for _ in range(_MAX_FIX_PASSES):
        edits = safe_edits(findings_for(current), path)
        if not edits:
            break
        fixed = apply_edits(current, edits)
        if fixed == current or (not had_error and first_error(parse(path, fixed).root_node) is not None):
            break
        current = fixed
    return current


def diff_edits(path: Path, old: bytes, new: bytes) -> list[TextEdit]:
    """Line-level edits turning ``old`` into ``new``: small, non-overlapping and in order, so a
    client keeps the cursor and folds outside them."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    offsets = [0]
    for line in old_lines:
        offsets.append(offsets[-1] + len(line))
    edits = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        content = b"".join(new_lines[j1:j2]).decode("utf-8")
        edits.append(TextEdit(path, Span(offsets[i1], offsets[i2]), content))
    return edits


__all__ = [
    "FIX_ALL_KIND",
    "FileView",
    "diff_edits",
    "fix_all",
    "kind_wanted",
    "quick_fixes",
    "safe_edits",
    "suppress_file",
    "suppress_line",
]
