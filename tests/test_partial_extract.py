"""Re-extracting only the edited statement (``facts.partial.reextract``, the language server's
keystroke path) must give exactly the facts a whole-file extraction gives, after any edit: random
keystrokes typed into and deleted from every fixture file, over an incrementally parsed tree as
the server has it."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from nextguard.facts import model
from nextguard.facts.extract import extract
from nextguard.facts.partial import common_ends, reextract
from nextguard.syntax.document import Document
from nextguard.syntax.parse import parse
from nextguard.workspace.discovery import SOURCE_SUFFIXES

ROOT = Path(__file__).parent.parent
FILES = sorted(
    path
    for base in (ROOT / "tests" / "fixtures", ROOT / "examples")
    for path in base.rglob("*")
    if path.suffix in SOURCE_SUFFIXES and "node_modules" not in path.parts and path.stat().st_size > 200
)

# Typed text: single characters, and whole pieces that add or remove functions, calls, locals,
# conditions, returns, directives and the comments the facts keep.
PIECES = [
    *"Xa(;' {}\n)",
    "await verifySession();\n",
    "const session = await auth();\n",
    "if (!session) return null;\n",
    "return { ok: true, user };\n",
    "'use server';\n",
    "// nextguard-ignore NG101\n",
    "throw new Error('x');\n",
    "export async function added(id: string) {\n  await db.note.delete({ where: { id } });\n}\n",
    "const inner = async () => { await db.x.update({ data: { a } }) };\n",
    "process.env.SECRET",
    "é",
]


def _edit(document: Document, rng: random.Random) -> None:
    data = document.data
    at = rng.randrange(len(data) + 1)
    while at < len(data) and (data[at] & 0xC0) == 0x80:  # never inside a multi-byte character
        at += 1
    if rng.random() < 0.4 and at < len(data):
        end = at + 1
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end += 1
        document.replace(at, end, b"")
    else:
        document.replace(at, at, rng.choice(PIECES).encode())


def test_there_are_files_to_edit() -> None:
    assert len(FILES) > 20


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_partial_extraction_equals_whole_file_extraction(path: Path) -> None:
    rng = random.Random(str(path.relative_to(ROOT)))
    text = path.read_bytes()
    document = Document(path, text, 1)
    facts = extract(path, text, document.tree)
    source = good = text
    partial = 0
    for step in range(60):
        if facts.syntax_error is not None:
            # Back to the last text that parsed: most keystrokes are typed into code that does.
            document = Document(path, good, 1)
            source, facts = good, extract(path, good, document.tree)
        good = source
        _edit(document, rng)
        data, tree = document.data, document.tree
        expected = extract(path, data, parse(path, data))
        found = reextract(path, facts, source, data, tree)
        if found is not None:
            partial += 1
            assert found == expected, f"step {step}"
            assert found.bindings == expected.bindings and found.units == expected.units
        facts, source = expected, data
    assert partial > 0


def test_an_edit_in_one_action_of_many_is_partial() -> None:
    path = Path("/ws/app/actions.ts")
    text = "'use server';\nimport { db } from './db';\n// nextguard-ignore NG104\n\n" + "".join(
        f"export async function act{k}(id: string) {{\n  const s = await auth();\n"
        f"  if (!s) throw new Error('no');\n  await db.note{k}.delete({{ where: {{ id, s }} }});\n}}\n\n"
        for k in range(20)
    )
    document = Document(path, text, 1)
    facts = extract(path, document.data, document.tree)
    at = document.data.index(b"note3.delete")
    document.replace(at, at, b"\n\nX")
    found = reextract(path, facts, text.encode(), document.data, document.tree)
    assert found is not None
    assert found == extract(path, document.data, parse(path, document.data))


@pytest.mark.parametrize(
    ("old", "new", "ends"),
    [(b"abc", b"abc", (3, 0)), (b"abXc", b"abc", (2, 1)), (b"aaa", b"aaaa", (3, 0)), (b"", b"x", (0, 0))],
)
def test_common_ends(old: bytes, new: bytes, ends: tuple[int, int]) -> None:
    assert common_ends(old, new) == ends


def test_the_model_has_the_fields_partial_moves() -> None:
    # facts/partial.py rebuilds these field by field, moving every offset: a new field must be
    # added there (and here) or the moved facts silently lose it.
    names = {cls.__name__: tuple(f.name for f in dataclasses.fields(cls)) for cls in PARTIAL_MOVES}
    assert names == {cls.__name__: fields for cls, fields in PARTIAL_MOVES.items()}


PARTIAL_MOVES: dict[type, tuple[str, ...]] = {
    model.Call: (
        "chain",
        "span",
        "unit",
        "awaited",
        "string_arg",
        "tagged",
        "statement",
        "test",
        "returned",
        "args_span",
        "fields",
        "where",
        "scope_async",
        "scope_at",
        "selected",
    ),
    model.Field: ("key", "span", "shorthand"),
    model.Local: ("binders", "span", "statement", "init", "call", "awaited", "reads"),
    model.Entry: ("key", "span", "name", "shorthand"),
    model.Return: ("span", "statement", "kind", "name", "call", "entries", "element"),
    model.Ref: (
        "name",
        "span",
        "member",
        "member_span",
        "optional",
        "test",
        "cond",
        "cond_end",
        "returned",
        "argument",
    ),
    model.Unit: (
        "index",
        "kind",
        "name",
        "span",
        "report",
        "body",
        "body_is_block",
        "first_statement",
        "directives_end",
        "is_async",
        "async_at",
        "arity",
        "use_server",
        "parent",
        "calls",
        "env_reads",
        "throws",
        "params",
        "first_param",
        "statements",
        "locals",
        "returns",
    ),
}
