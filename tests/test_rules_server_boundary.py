"""The exposure rules (NG204–NG207) beyond what the fixture driver checks: NG204's import chain
as related locations and its incremental updates, which fixes are unsafe and why, what the
messages name, and their documentation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nextguard.cli.main import main
from nextguard.engine import LiveWorkspace, analyze
from nextguard.fixes.edits import apply_edits
from nextguard.model import Finding
from nextguard.rules.base import SECTIONS
from nextguard.rules.ng204_server_module_in_client import server_reach
from nextguard.rules.ng205_sensitive_closure import sensitive_name
from nextguard.rules.registry import BY_CODE

FIXTURES = Path(__file__).parent / "fixtures"
CODES = ("NG204", "NG205", "NG206", "NG207")


def copy_case(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name.replace("/", "-")
    shutil.copytree(FIXTURES / name, root)
    return root.resolve()


def findings_of(root: Path, code: str) -> list[Finding]:
    return [f for f in analyze([root]).findings if f.code == code]


def text_at(finding_path: Path, start: int, end: int) -> str:
    return finding_path.read_bytes()[start:end].decode()


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# -- NG204 -------------------------------------------------------------------------------------


def test_transitive_import_lists_each_hop_as_a_related_import_statement(tmp_path: Path) -> None:
    root = copy_case("ng204/client-imports-dal", tmp_path)
    [card] = [f for f in findings_of(root, "NG204") if f.path.name == "note-card.tsx"]
    assert text_at(card.path, card.span.start, card.span.end).startswith("import { formatNote } from '@/lib/format'")
    hops = [(r.path.relative_to(root).as_posix(), text_at(r.path, r.span.start, r.span.end)) for r in card.related]
    assert hops[0] == ("lib/format.ts", "import { noteTitle } from './notes';")
    assert hops[-1][0] == "lib/notes.ts" and "server-only" in hops[-1][1]
    assert "lib/format.ts, which imports lib/notes.ts" in card.message


def test_a_client_module_in_between_is_reported_on_its_own(tmp_path: Path) -> None:
    root = copy_case("ng204/client-imports-dal", tmp_path)
    reported = sorted(f.path.name for f in findings_of(root, "NG204"))
    assert reported == ["note-card.tsx", "note-list.tsx"]


def test_the_chain_stops_at_a_use_server_module(tmp_path: Path) -> None:
    root = copy_case("ng204/fp-legitimate-imports", tmp_path)
    assert not findings_of(root, "NG204")
    # The same import of a plain module that imports the DAL does fire.
    actions = root / "app/notes/actions.ts"
    actions.write_text(actions.read_text().replace("'use server';\n", ""), encoding="utf-8")
    [finding] = findings_of(root, "NG204")
    assert "app/notes/actions.ts" in finding.message


def test_dropping_the_data_access_clears_the_client_finding_incrementally(tmp_path: Path) -> None:
    root = copy_case("ng204/client-imports-dal", tmp_path)
    workspace = LiveWorkspace(root)
    workspace.index()
    client, format_module = root / "components/note-card.tsx", root / "lib/format.ts"
    assert [f.code for f in workspace.findings(client)] == ["NG204"]
    # lib/format.ts stops importing the DAL: its imports change, so every file is re-checked.
    changed = workspace.update(format_module, b"export function formatNote(n: { title: string }) { return n.title; }\n")
    assert client in changed and workspace.findings(client) == []
    # A module that starts reading cookies without changing its imports or its exports: the client
    # that bundles it (and calls nothing of it) is among the files to re-check, and has the finding.
    badge, labels = root / "components/badge.tsx", root / "lib/labels.ts"
    write(badge, "'use client';\nimport { LABEL } from '@/lib/labels';\nexport const Badge = () => <b>{LABEL}</b>;\n")
    before = (
        "import { cookies } from 'next/headers';\n\nexport const LABEL = 'x';\n\n"
        "export async function theme() {\n  return 'light';\n}\n"
    )
    write(labels, before)
    for path in (badge, labels):
        workspace.update(path, path.read_bytes())
    assert workspace.findings(badge) == []
    changed = workspace.update(labels, before.replace("'light'", "(await cookies()).get('theme')?.value").encode())
    assert badge in changed
    assert [f.code for f in workspace.findings(badge)] == ["NG204"]


# -- NG205 -------------------------------------------------------------------------------------


def test_closure_message_names_what_is_closed_over(tmp_path: Path) -> None:
    root = copy_case("ng205/closes-over-session", tmp_path)
    by_action = {f.message.split("`")[1]: f for f in findings_of(root, "NG205")}
    assert set(by_action) == {"archive", "notify"}
    assert "`session`" in by_action["archive"].message and "`note`" in by_action["archive"].message
    assert "`webhookKey` (the secret `process.env.WEBHOOK_SECRET`)" in by_action["notify"].message
    assert "`shareToken` (named like a credential)" in by_action["notify"].message
    related = {text_at(r.path, r.span.start, r.span.end).split("=")[0].strip() for r in by_action["archive"].related}
    assert related == {"session", "note"}


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("accessToken", True),
        ("STRIPE_SECRET_KEY", True),
        ("apiKey", True),
        ("password", True),
        ("maxTokens", False),  # a number about tokens, not a token
        ("passwordLength", False),
        ("tokenizer", False),
        ("keyboard", False),
    ],
)
def test_credential_names_are_read_word_by_word(name: str, sensitive: bool) -> None:
    assert sensitive_name(name) is sensitive


# -- NG206 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "applicability", "after"),
    [
        ("ng206/action-messages", "safe", "throw new Error('Note not found'); // expect: NG206"),
        ("ng206/route-statuses", "unsafe", "NextResponse.json({ error: 'Not found' }, { status: 404 }); // expect"),
        ("ng206/page-bailouts", "unsafe", "if (note.authorId !== userId) notFound(); // expect: NG206"),
    ],
)
def test_the_fix_answers_like_not_found_and_is_unsafe_when_a_status_changes(
    case: str, applicability: str, after: str, tmp_path: Path
) -> None:
    root = copy_case(case, tmp_path)
    finding = findings_of(root, "NG206")[0]
    [fix] = finding.fixes
    assert fix.applicability == applicability
    fixed = apply_edits(finding.path.read_bytes(), list(fix.edits)).decode()
    assert after in fixed


def test_error_codes_are_rewritten_as_codes_and_marked_unsafe(tmp_path: Path) -> None:
    root = copy_case("ng206/action-messages", tmp_path)
    write(
        root / "app/api/chat/route.ts",
        "import { db } from '@/lib/db';\n"
        "import { verifySession } from '@/lib/dal';\n"
        "import { AppError } from '@/lib/errors';\n\n"
        "export async function GET(request: Request) {\n"
        "  const { userId } = await verifySession();\n"
        "  const id = new URL(request.url).searchParams.get('id') ?? '';\n"
        "  const chat = await db.chat.findUnique({ where: { id }, select: { userId: true } });\n"
        "  if (!chat) return new AppError('not_found:chat').toResponse();\n"
        "  if (chat.userId !== userId) return new AppError('forbidden:chat').toResponse();\n"
        "  return Response.json({ ok: true });\n"
        "}\n",
    )
    errors = "export class AppError extends Error {\n  toResponse() { return Response.json(1); }\n}\n"
    write(root / "lib/errors.ts", errors)
    [finding] = [f for f in findings_of(root, "NG206") if f.path.name == "route.ts"]
    [fix] = finding.fixes
    assert fix.applicability == "unsafe"
    assert [edit.content for edit in fix.edits] == ["not_found:chat"]


def test_refusals_about_something_else_or_before_the_lookup_are_not_findings(tmp_path: Path) -> None:
    root = copy_case("ng206/fp-same-answer", tmp_path)
    assert not findings_of(root, "NG206")
    # Background work answers a queue, not a caller probing ids.
    job = root / "lib/jobs/sync-note.ts"
    write(
        job,
        "import { db } from '../db';\n\n"
        "export async function syncNote(id: string, userId: string) {\n"
        "  const note = await db.note.findUnique({ where: { id }, select: { authorId: true } });\n"
        "  if (!note) throw new Error('Note not found');\n"
        "  if (note.authorId !== userId) throw new Error('Note does not belong to the user');\n"
        "}\n",
    )
    assert not findings_of(root, "NG206")
    job.rename(root / "lib/sync-note.ts")
    assert [f.path.name for f in findings_of(root, "NG206")] == ["sync-note.ts"]


# -- NG207 -------------------------------------------------------------------------------------


def test_use_server_dal_imported_by_client_code_gets_an_unsafe_fix_that_says_why(tmp_path: Path) -> None:
    root = copy_case("ng207/use-server-dal", tmp_path)
    [safe] = findings_of(root, "NG207")
    assert safe.fixes[0].applicability == "safe"
    write(
        root / "components/note-picker.tsx",
        "'use client';\n\nimport { getNote } from '@/lib/notes';\n\n"
        "export function NotePicker() {\n  return <button onClick={() => getNote('x')}>Pick</button>;\n}\n",
    )
    [finding] = findings_of(root, "NG207")
    [fix] = finding.fixes
    assert fix.applicability == "unsafe"
    assert "components/note-picker.tsx" in finding.message and "build" in finding.message
    # What the message warns about: once the module is server-only, the client import is NG204.
    dal = root / "lib/notes.ts"
    dal.write_bytes(apply_edits(dal.read_bytes(), list(fix.edits)))
    assert dal.read_text().startswith("import 'server-only'; // expect: NG207")
    assert [f.path.name for f in findings_of(root, "NG204")] == ["note-picker.tsx"]
    assert not findings_of(root, "NG207")


def test_a_dal_imported_only_by_client_code_is_left_alone(tmp_path: Path) -> None:
    root = copy_case("ng207/use-server-dal", tmp_path)
    for page in ("app/notes/page.tsx", "app/notes/[id]/page.tsx"):
        (root / page).unlink()
    write(
        root / "components/note-picker.tsx",
        "'use client';\n\nimport { listNotes } from '@/lib/notes';\n\n"
        "export function NotePicker() {\n  return <button onClick={() => listNotes()}>Load</button>;\n}\n",
    )
    write(
        root / "app/page.tsx",
        "import { NotePicker } from '@/components/note-picker';\n\n"
        "export default function Home() {\n  return <NotePicker />;\n}\n",
    )
    assert not findings_of(root, "NG207")


# -- documentation -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_explain_prints_every_section(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", code]) == 0
    out = capsys.readouterr().out
    rule = BY_CODE[code]
    assert rule.name in out and rule.doc().summary in out
    positions = [out.index(f"## {section}") for section in SECTIONS]
    assert positions == sorted(positions)


def test_reachability_is_computed_once_per_analysis_and_again_after_an_update(tmp_path: Path) -> None:
    root = copy_case("ng204/client-imports-dal", tmp_path)
    workspace = LiveWorkspace(root)
    workspace.index()
    for path in workspace.files:
        workspace.findings(path)
    first = server_reach(workspace.analysis)
    assert server_reach(workspace.analysis) is first
    helper = root / "lib/format.ts"
    workspace.update(helper, helper.read_bytes() + b"\n")
    assert server_reach(workspace.analysis) is not first
