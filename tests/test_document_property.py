"""Random edits through the language server's incremental path, checked against a fresh start.

Each example opens a real fixture file as a ``Document`` (the way the server does), applies a
random sequence of LSP content changes — inserts, deletes and replacements that span lines, with
multi-byte and astral characters, CRLF and lone CR line breaks — and after every step hands the
text and the kept tree to ``LiveWorkspace.update``, recomputing findings only for the files it
reports dirty, exactly as the server does. After every step it asserts that:

- the text equals the reference result of the same edits applied to a Python string, with
  positions computed here independently (LSP lines, the example's position encoding);
- the kept tree equals a fresh parse of the text, node for node (types, bytes, points);
- the facts the workspace holds equal facts extracted from the fresh tree;
- every file's findings equal those of a fresh analysis of the whole workspace.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tree_sitter import Node, Tree

from nextguard.analysis import Analysis
from nextguard.engine import LiveWorkspace, run_rules
from nextguard.facts.extract import extract
from nextguard.facts.model import FileFacts
from nextguard.model import Finding, Notice
from nextguard.syntax.document import Document, TextChange, TextLines
from nextguard.syntax.parse import parse
from nextguard.syntax.positions import Encoding
from nextguard.workspace.index import WorkspaceIndex

FIXTURES = Path(__file__).parent / "fixtures"
# (workspace, file edited): an action file, a DAL it calls, a page with inline actions in JSX.
TARGETS = [
    ("ng101/prisma-basic", "app/posts/[id]/actions.ts"),
    ("ng101/tsconfig-alias", "src/lib/notes.ts"),
    ("ng101/tsconfig-alias", "src/app/notes/actions.ts"),
    ("ng101/inline-actions", "app/notes/page.tsx"),
    ("ng203/dal-missing", "lib/notes.ts"),
    # a DAL two calls away from the actions: keystrokes in it reach them through the summaries
    ("ng101/transitive-dal", "lib/dal.ts"),
    ("ng101/transitive-dal", "lib/auth.ts"),
]
TOKENS = [
    "a", "x", "_", "0", " ", "  ", "\t", "\n", "\n", "\r\n", "\r", "é", "ß", "中", "😀", "🎉",
    "{", "}", "(", ")", "[", "]", ";", ",", ".", "=", "<", ">", "/", "*", "'", '"', "`", "${",
    "//", "/*", "*/", "'use server'", "await ", "db.post.delete({ where: { id } })",
    "await verifySession()", "export ", "async ", "function f() {", "return ", "const ",
    "import { x } from './y';\n", "<div>", "</div>", "// nextguard-ignore-next-line NG101\n",
]  # fmt: skip
_BREAK = re.compile(r"\r\n|\r|\n")


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("property")
    copies = {}
    for case in dict.fromkeys(case for case, _ in TARGETS):
        copies[case] = shutil.copytree(FIXTURES / case, base / case).resolve()
    return copies


# -- the reference: LSP positions from a Python string, computed without the code under test --


def lsp_position(text: str, index: int, encoding: Encoding) -> tuple[int, int]:
    prefix = text[:index]
    breaks = list(_BREAK.finditer(prefix))
    start = breaks[-1].end() if breaks else 0
    segment = prefix[start:]
    if encoding == "utf-8":
        units = len(segment.encode("utf-8"))
    elif encoding == "utf-16":
        units = len(segment.encode("utf-16-le")) // 2
    else:
        units = len(segment)
    return len(breaks), units


def boundary(text: str, index: int) -> int:
    """An index a position can name: never between the CR and LF of one line break."""
    index = max(0, min(index, len(text)))
    if 0 < index < len(text) and text[index - 1] == "\r" and text[index] == "\n":
        index -= 1
    return index


@st.composite
def edit_steps(draw: st.DrawFn) -> list[list[tuple[float, float, str]]]:
    """Steps of 1-3 changes each: (start, end) as fractions of the current text, and the text."""
    inserted = st.lists(st.sampled_from(TOKENS), max_size=6).map("".join)
    change = st.tuples(st.floats(0, 1), st.floats(0, 1), inserted)
    return draw(st.lists(st.lists(change, min_size=1, max_size=3), min_size=3, max_size=25))


# -- comparing with a fresh start ----------------------------------------------------------------


def nodes(tree: Tree) -> Iterator[tuple[object, ...]]:
    cursor = tree.walk()
    while True:
        node: Node | None = cursor.node
        assert node is not None
        yield (
            node.type,
            node.start_byte,
            node.end_byte,
            tuple(node.start_point),
            tuple(node.end_point),
            node.is_missing,
            node.is_error,
        )
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def facts_fields(facts: FileFacts) -> dict[str, object]:
    # `lines` is derived from the text (compared separately); `resolved`/`names` are caches.
    skip = {"lines", "resolved", "names"}
    return {f.name: getattr(facts, f.name) for f in dataclasses.fields(facts) if f.name not in skip}


def fresh_findings(workspace: LiveWorkspace, texts: dict[Path, bytes]) -> dict[Path, list[Finding]]:
    modules = {path: extract(path, data, parse(path, data)) for path, data in texts.items()}
    analysis = Analysis(WorkspaceIndex(workspace.root, workspace.config, modules, dict(texts)))
    notices: list[Notice] = []
    found = {path: [f for f in run_rules(analysis, [path], notices=notices) if f.path == path] for path in texts}
    assert not notices, notices
    return found


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    target=st.sampled_from(TARGETS),
    encoding=st.sampled_from(["utf-16", "utf-16", "utf-8", "utf-32"]),
    crlf=st.booleans(),
    steps=edit_steps(),
)
def test_incremental_path_equals_a_fresh_start(
    workspaces: dict[str, Path],
    target: tuple[str, str],
    encoding: Encoding,
    crlf: bool,
    steps: list[list[tuple[float, float, str]]],
) -> None:
    root = workspaces[target[0]]
    path = root / target[1]
    workspace = LiveWorkspace(root)
    workspace.index()
    texts = {p: workspace.source(p) or b"" for p in workspace.files}
    findings = {p: workspace.findings(p) for p in workspace.files}

    text = path.read_text(encoding="utf-8")
    if crlf:
        text = text.replace("\n", "\r\n")
    document = Document(path, text, 1, encoding)
    version = 1
    # Opening the buffer: with CRLF it differs from the LF file the workspace read.
    check_step(workspace, path, document, text, texts, findings)
    for step in steps:
        changes = []
        for start_at, end_at, new in step:
            start = boundary(text, int(start_at * len(text)))
            end = boundary(text, int(end_at * len(text)))
            start, end = min(start, end), max(start, end)
            changes.append(TextChange(new, lsp_position(text, start, encoding), lsp_position(text, end, encoding)))
            text = text[:start] + new + text[end:]
        version += 1
        document.apply(changes, version)
        check_step(workspace, path, document, text, texts, findings)


def check_step(
    workspace: LiveWorkspace,
    path: Path,
    document: Document,
    text: str,
    texts: dict[Path, bytes],
    findings: dict[Path, list[Finding]],
) -> None:
    """Hand the document to the workspace as the server does, then compare with a fresh start."""
    assert document.text == text
    assert document.data == text.encode("utf-8")

    tree = document.tree
    dirty = workspace.update(path, document.data, tree)
    texts[path] = document.data
    for changed in dirty:
        findings[changed] = workspace.findings(changed)

    fresh_tree = parse(path, document.data)
    assert str(tree.root_node) == str(fresh_tree.root_node)
    assert list(nodes(tree)) == list(nodes(fresh_tree))
    facts = workspace.facts(path)
    assert facts is not None
    assert facts_fields(facts) == facts_fields(extract(path, document.data, fresh_tree))
    assert findings == fresh_findings(workspace, texts)

    # The document's line table, kept by splicing, agrees with one built from scratch.
    lines = TextLines(document.data)
    encoding = document.encoding
    for offset in {0, len(document.data) // 2, len(document.data)}:
        assert document.lines.position(offset, encoding) == lines.position(offset, encoding)
    assert document.lines.line_count == lines.line_count == len(_BREAK.findall(text)) + 1


# -- the document's own edge cases -----------------------------------------------------------------


def test_positions_clamp_and_skip_half_characters() -> None:
    document = Document(Path("a.ts"), "ab😀c\r\nd\re", 1, "utf-16")
    assert document.lines.line_count == 3
    assert document.offset(0, 99) == len("ab😀c".encode())  # past the end of a line: its end
    assert document.offset(0, 3) == 2  # inside the surrogate pair: the character's start
    assert document.offset(9, 0) == len(document.data)  # past the last line: the end
    assert document.position(len("ab😀".encode())) == (0, 4)
    assert document.offset(2, 1) == len(document.data)
    document.apply([TextChange("X", (1, 0), (2, 0))])  # joins lines across a lone CR
    assert document.text == "ab😀c\r\nXe"


def test_a_byte_order_mark_is_not_a_character() -> None:
    lines = TextLines("\ufeffconst a = 1;\n".encode())
    assert lines.position(len("\ufeffconst".encode()), "utf-16") == (0, 5)
    assert lines.offset(0, 5, "utf-16") == len("\ufeffconst".encode())


def test_whole_document_changes_keep_the_tree_right() -> None:
    document = Document(Path("a.tsx"), "const a = <div>{x}</div>;\n", 1)
    assert not document.tree.root_node.has_error
    document.apply([TextChange("export async function f() { 'use server'; }\n")], 2)
    assert document.version == 2
    assert str(document.tree.root_node) == str(parse("a.tsx", document.data).root_node)
