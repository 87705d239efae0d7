"""The auth and ownership rules (NG102–NG114) beyond what the fixture driver checks: the facts
they read, their unsafe fixes (applied with `--unsafe-fixes`, twice, changing nothing the second
time), their documentation, and incremental updates that move auth, ownership or a layout's check
between files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from nextguard.cli.main import main
from nextguard.engine import LiveWorkspace, analyze
from nextguard.facts.extract import extract
from nextguard.facts.model import FileFacts
from nextguard.rules.base import SECTIONS
from nextguard.rules.registry import RULES
from nextguard.syntax.parse import first_error, parse
from nextguard.workspace.discovery import SOURCE_SUFFIXES

FIXTURES = Path(__file__).parent / "fixtures"
AUTH_CODES = [f"NG1{n:02d}" for n in range(2, 15)]


def facts_of(source: str, name: str = "a.ts") -> FileFacts:
    data = source.encode()
    return extract(Path(name), data, parse(name, data))


# -- facts -------------------------------------------------------------------------------------


def test_calls_know_where_they_stand() -> None:
    facts = facts_of(
        "async function f(id: string) {\n"
        "  await getUser();\n"
        "  if (!isOwner(id)) throw new Error('no');\n"
        "  const x = ok() && go();\n"
        "  return load(id);\n"
        "}\n"
    )
    calls = {call.chain[0]: call for call in facts.units[1].calls}
    assert calls["getUser"].statement and calls["getUser"].awaited and not calls["getUser"].test
    assert calls["isOwner"].test and not calls["isOwner"].awaited
    assert calls["ok"].test and not calls["go"].test
    assert calls["load"].returned


def test_generic_call_under_await_is_awaited() -> None:
    # tree-sitter-typescript reads `await f<T>(x)` as a call of `await f`.
    facts = facts_of("async function f() {\n  const n = await count<number>({ a: 1 });\n}\n")
    [local] = facts.units[1].locals
    assert local.awaited and facts.units[1].calls[0].awaited


def test_locals_bind_destructured_names_with_their_paths() -> None:
    facts = facts_of(
        "async function f() {\n  const { data: { user }, error } = await supabase.auth.getUser();\n"
        "  const id = user?.id;\n}\n"
    )
    first, second = facts.units[1].locals
    assert [(b.name, b.path) for b in first.binders] == [("user", ("data", "user")), ("error", ("error",))]
    assert first.call == 0 and first.awaited
    assert second.reads == "user" and second.call is None


def test_params_bind_action_client_shapes() -> None:
    facts = facts_of("export const a = client.action(async ({ parsedInput: { id }, ctx }, extra) => id);\n")
    unit = facts.units[facts.bindings["a"].body or 0]
    assert [(b.name, b.path, b.index) for b in unit.params] == [
        ("id", ("parsedInput", "id"), 0),
        ("ctx", ("ctx",), 0),
        ("extra", (), 1),
    ]


def test_refs_say_what_is_done_with_a_local() -> None:
    source = (
        "async function f() {\n"
        "  const session = await auth();\n"
        "  if (!session?.user) return null;\n"
        "  const n = session.user.id; // session in a comment\n"
        "  log('session', session);\n"
        "  return { session };\n"
        "}\n"
    )
    facts = facts_of(source)
    refs = [ref for ref in facts.refs if ref.name == "session"]
    assert [(ref.member, ref.optional, ref.test) for ref in refs[:2]] == [("user", True, True), ("user", False, False)]
    assert refs[2].argument and not refs[2].test
    assert refs[3].returned
    assert len(refs) == 4  # not the comment, not the string


def test_query_fields_and_where_span() -> None:
    source = (
        "async function f(id: string) {\n  await db.post.update({ where: { id, authorId: me }, data: { title } });\n}\n"
    )
    facts = facts_of(source)
    call = facts.units[1].calls[0]
    keys = [item.key for item in call.fields]
    assert keys == ["where", "where.id", "where.authorId", "data", "data.title"]
    assert call.where is not None and source.encode()[call.where.start : call.where.end] == b"{ id, authorId: me }"
    assert next(f for f in call.fields if f.key == "where.id").shorthand


def test_scope_of_a_call_inside_a_callback() -> None:
    source = "export async function f() {\n  items.forEach((item) => { if (!check(item)) skip(); });\n}\n"
    facts = facts_of(source)
    check = next(call for call in facts.units[1].calls if call.chain == ("check",))
    assert not check.scope_async
    assert source[check.scope_at : check.scope_at + 6] == "(item)"


def test_drizzle_table_columns_are_kept() -> None:
    facts = facts_of("export const notes = pgTable('notes', { id: text('id'), userId: text('user_id') });\n")
    assert facts.bindings["notes"].object_keys == ("id", "userId")


# -- rules, documentation and fixes ------------------------------------------------------------


@pytest.mark.parametrize("code", AUTH_CODES)
def test_explain_documents_every_code(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", code]) == 0
    text = capsys.readouterr().out
    for section in SECTIONS:
        assert f"## {section}" in text
    rule = next(rule for rule in RULES if rule.code == code)
    assert "\n" not in rule.doc().summary


def test_registry_is_in_code_order() -> None:
    codes = [rule.code for rule in RULES]
    assert codes == sorted(codes)
    assert set(AUTH_CODES) <= set(codes)


def _sources(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES and "node_modules" not in p.parts}


UNSAFE_CASES = ["ng102/late-check", "ng102/route-handler-nullable", "ng104/prisma-where", "ng104/prisma-v4-many"]
UNSAFE_CASES += ["ng104/drizzle-and-eq", "ng104/supabase-eq"]


@pytest.mark.parametrize("case", UNSAFE_CASES)
def test_unsafe_fixes_only_with_unsafe_fixes_and_idempotent(case: str, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / case, root)
    before = _sources(root)
    main(["check", "--fix", "--no-progress", "--exit-zero", str(root)])
    assert _sources(root) == before  # only unsafe fixes here: `--fix` alone applies none
    main(["check", "--fix", "--unsafe-fixes", "--no-progress", "--exit-zero", str(root)])
    once = _sources(root)
    assert once != before
    main(["check", "--fix", "--unsafe-fixes", "--no-progress", "--exit-zero", str(root)])
    assert _sources(root) == once
    for path, data in once.items():
        assert first_error(parse(path, data).root_node) is None, data.decode()
    remaining = [f for f in analyze([root]).findings if f.fixes]
    assert not remaining, remaining


def test_prisma_4_gets_the_many_form_and_prisma_5_the_where() -> None:
    old = [f for f in analyze([FIXTURES / "ng104/prisma-v4-many"]).findings if f.code == "NG104"]
    assert old and all("Many" in f.fixes[0].title for f in old)
    new = [f for f in analyze([FIXTURES / "ng104/prisma-where"]).findings if f.code == "NG104" and f.fixes]
    assert new and all("to `where`" in f.fixes[0].title for f in new)
    assert all(fix.applicability == "unsafe" for f in old + new for fix in f.fixes)


def test_layout_and_page_carry_each_other_as_related() -> None:
    findings = analyze([FIXTURES / "ng108/layout-check"]).findings
    layout = next(f for f in findings if f.code == "NG108")
    pages = [f for f in findings if f.code == "NG109"]
    assert {r.path for r in layout.related} == {f.path for f in pages}
    assert all(r.path == layout.path and r.span == layout.span for f in pages for r in f.related)


# -- incremental updates -------------------------------------------------------------------------


def _key(workspace: LiveWorkspace) -> set[tuple[str, str, int, str]]:
    found = set()
    for path in workspace.files:
        for f in workspace.findings(path):
            found.add((f.code, f.path.name, f.span.start, f.message))
    return found


def _fresh(root: Path) -> set[tuple[str, str, int, str]]:
    return {(f.code, f.path.name, f.span.start, f.message) for f in analyze([root]).findings}


INCREMENTAL = ["ng104/prisma-where", "ng108/layout-check", "ng109/bare-guard-layout", "ng113/ignored-results"]


@pytest.mark.parametrize("case", INCREMENTAL)
def test_edits_that_move_auth_or_ownership_match_a_fresh_analysis(case: str, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / case, root)
    root = root.resolve()
    workspace = LiveWorkspace(root)
    workspace.index()
    assert _key(workspace) == _fresh(root)
    variants = [
        lambda t: re.sub(r"await (verifySession|auth|getCurrentUser)\(", "await Promise.resolve(", t),
        lambda t: t.replace("note.authorId !== session.userId", "false"),
        lambda t: t.replace("redirect('/login')", "console.log('/login')"),
        lambda t: t.replace("authorId: session.userId", "title: 'x'"),
    ]
    for path in sorted(p for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES):
        original = path.read_text(encoding="utf-8")
        for variant in variants:
            edited = variant(original)
            if edited == original:
                continue
            path.write_text(edited, encoding="utf-8")
            workspace.update(path, edited.encode())
            assert _key(workspace) == _fresh(root), f"after editing {path.relative_to(root)}"
        path.write_text(original, encoding="utf-8")
        workspace.update(path, original.encode())
    assert _key(workspace) == _fresh(root)


def test_ng105_fix_is_safe_on_a_create_and_unsafe_on_an_update() -> None:
    """Writing the caller's id keeps a create's meaning; on an update it turns "give this note
    to X" into "give it to myself", so a careful human would not apply it blindly."""
    findings = analyze([FIXTURES / "ng105/owner-from-client"]).findings
    by_text = {
        f.path.read_bytes()[f.span.start : f.span.end].decode(): f
        for f in findings
        if f.code == "NG105" and f.path.name == "actions.ts" and f.path.parent.name == "notes"
    }
    create = by_text["String(formData.get('authorId'))"]
    update = by_text["newOwnerId"]
    assert [fix.applicability for fix in create.fixes] == ["safe"]
    assert [fix.applicability for fix in update.fixes] == ["unsafe"]
    assert "no longer be given to someone else" in update.fixes[0].title


def test_ng101_names_the_first_access_and_says_read_or_write() -> None:
    # The evidence is the first record the action reaches, said as what it is: not the option the
    # connection helper sets on the way (`mongoose.set`), and a read is not called a change.
    messages = {
        f.message.split("`")[1]: f.message for f in analyze([FIXTURES / "ng101/mongoose"]).findings if f.code == "NG101"
    }
    assert "changes data (`Note.findByIdAndDelete`)" in messages["deleteNote"]
    assert "reads data (`Note.findById`) and then changes data" in messages["pinNote"]
    assert all("mongoose.set" not in message for message in messages.values())
