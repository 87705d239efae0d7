"""The exposure rules (NG201, NG202) beyond what the fixture driver checks: the facts they read
(what a function returns, a query's select), what call sites do with a result, the fixes' content
(secret fields left out, the DTO imported), their documentation, and `--unsafe-fixes` run twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nextguard.cli.main import main
from nextguard.engine import LiveWorkspace, analyze
from nextguard.facts.extract import extract
from nextguard.facts.model import FileFacts
from nextguard.rules.base import SECTIONS
from nextguard.syntax.parse import first_error, parse
from nextguard.workspace.discovery import SOURCE_SUFFIXES
from nextguard.workspace.exposure import is_secret, usage_of

FIXTURES = Path(__file__).parent / "fixtures"


def facts_of(source: str, name: str = "a.ts") -> FileFacts:
    data = source.encode()
    return extract(Path(name), data, parse(name, data))


# -- facts -------------------------------------------------------------------------------------


def test_returns_are_the_units_own_not_its_callbacks() -> None:
    facts = facts_of(
        "export async function f(id: string) {\n"
        "  const rows = await db.post.findMany({ where: { id }, select: { id: true, title: true } });\n"
        "  const ids = rows.map((row) => { return row.id; });\n"
        "  if (!rows.length) return rows[0] ?? null;\n"
        "  return { success: true, rows, ...extra };\n"
        "}\n"
        "export const g = (id: string) => db.user.findUnique({ where: { id }, omit: { passwordHash: true } });\n"
    )
    f, g = facts.units[1], facts.units[2]
    assert [r.kind for r in f.returns] == ["name", "object"]
    assert f.returns[0].name == "rows" and f.returns[0].element
    assert [(e.key, e.name, e.shorthand) for e in f.returns[1].entries] == [
        ("success", None, False),
        ("rows", "rows", True),
        ("...", "extra", False),
    ]
    assert f.calls[0].selected == ("id", "title")
    assert [r.kind for r in g.returns] == ["call"]
    returned = g.calls[g.returns[0].call or 0]
    assert returned.chain == ("db", "user", "findUnique") and returned.selected == ("passwordHash",)


def test_secret_names() -> None:
    secrets = ("password", "passwordHash", "password_hash", "resetToken", "apiKey", "API_KEY", "clientSecret", "salt")
    assert all(is_secret(n) for n in secrets)
    assert not any(is_secret(n) for n in ("name", "email", "title", "plan", "hashtags", "tokens", "keyword"))


# -- what call sites do with a result ------------------------------------------------------------


def test_usage_of_form_actions_and_read_fields() -> None:
    workspace = LiveWorkspace(FIXTURES / "ng201/prisma-actions")
    workspace.index()
    analysis = workspace.analysis
    actions = workspace.root / "app/posts/actions.ts"
    rename = usage_of(analysis.index, analysis.summaries, (actions, "renameMe"))
    assert rename.references == 1 and not rename.value_used  # only `<form action={renameMe}>`
    profile = usage_of(analysis.index, analysis.summaries, (actions, "getMyProfile"))
    assert profile.value_used and profile.fields == frozenset({"name", "email"})
    # `getOwnPost` is returned as it is by `fetchPost`, whose page reads `title` and `body`.
    dal = workspace.root / "lib/dal.ts"
    post = usage_of(analysis.index, analysis.summaries, (dal, "getOwnPost"))
    assert post.fields == frozenset({"title", "body"})


def test_fixes_leave_secret_fields_out_and_import_the_dto() -> None:
    findings = [f for f in analyze([FIXTURES / "ng201/prisma-actions"]).findings if f.code == "NG201"]
    by_action = {f.message.split("`")[1]: f for f in findings}
    login = by_action["getMyLogin"]
    assert "passwordHash" in login.message
    [fields] = [fix for fix in login.fixes if fix.title.startswith("Return only")]
    returned = fields.edits[0].content.rsplit("return ", 1)[1]
    assert returned == "user && { email: user.email };"
    profile = by_action["getMyProfile"]
    [dto] = [fix for fix in profile.fixes if "toUserDTO" in fix.title]
    assert [edit.content for edit in dto.edits] == ["toUserDTO(user)"]  # the file imports it already
    rename = by_action["renameMe"]
    [success] = [fix for fix in rename.fixes if "success" in fix.title]
    assert success.edits[0].content.startswith("await db.user.update(")  # the write still runs
    assert all(fix.applicability == "unsafe" for f in findings for fix in f.fixes)
    # nothing calls it, so nothing says its result is unused; its call sites' fields are unknown
    assert not by_action["listMyPosts"].fixes


def test_the_dto_fix_imports_the_function_the_way_the_project_does() -> None:
    example = Path(__file__).parent.parent / "examples" / "acme-notes"
    findings = [f for f in analyze([example]).findings if f.code == "NG201" and f.path.name == "profile.ts"]
    dto_fixes = [fix for f in findings for fix in f.fixes if "toUserDTO" in fix.title]
    assert dto_fixes
    for fix in dto_fixes:
        imports = [edit.content for edit in fix.edits if edit.content.startswith("import")]
        assert imports == ["import { toUserDTO } from '@/lib/dto';\n"]  # the `@/` alias, single quotes, `;`


# -- documentation and fixes -----------------------------------------------------------------------


@pytest.mark.parametrize("code", ["NG201", "NG202"])
def test_explain_documents_the_code(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", code]) == 0
    text = capsys.readouterr().out
    for section in SECTIONS:
        assert f"## {section}" in text


def _sources(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES and "node_modules" not in p.parts}


@pytest.mark.parametrize("case", ["ng201/prisma-actions", "ng202/prisma-dal", "ng202/drizzle-dal"])
def test_unsafe_fixes_only_with_unsafe_fixes_and_idempotent(case: str, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / case, root)
    before = _sources(root)
    main(["check", "--fix", "--no-progress", "--exit-zero", str(root)])
    assert _sources(root) == before
    main(["check", "--fix", "--unsafe-fixes", "--no-progress", "--exit-zero", str(root)])
    once = _sources(root)
    assert once != before
    main(["check", "--fix", "--unsafe-fixes", "--no-progress", "--exit-zero", str(root)])
    assert _sources(root) == once
    for path, data in once.items():
        assert first_error(parse(path, data).root_node) is None, data.decode()
