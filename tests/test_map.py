"""`nextguard map` and the endpoint inventory: the protection of real endpoints of the example app and
of fixtures, every format, the JSON schema, and the per-file API the code lenses use."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from nextguard.cli.main import main
from nextguard.engine import EndpointInfo, endpoints, file_endpoints, load_analysis, run_rules, summary_line

REPO = Path(__file__).parent.parent
ACME = REPO / "examples" / "acme-notes"
FIXTURES = REPO / "tests" / "fixtures" / "ng101"
MONOREPO = FIXTURES / "monorepo-workspace-package"
SCHEMA = json.loads((REPO / "schemas" / "map.schema.json").read_text(encoding="utf-8"))


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first occurrence of ``text``: the example app grows, so tests look
    its lines up instead of writing them down."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


ARCHIVE_LINE = line_of(ACME / "src/app/actions/notes.ts", "export async function archiveNote")


def _by_name(infos: list[EndpointInfo], name: str, kind: str | None = None) -> EndpointInfo:
    found = [info for info in infos if info.name == name and (kind is None or info.kind == kind)]
    assert len(found) == 1, [(info.name, info.file) for info in infos]
    return found[0]


@pytest.fixture(scope="module")
def acme() -> list[EndpointInfo]:
    analysis, notices = load_analysis(ACME)
    assert not notices
    return endpoints(analysis)


def _map_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    assert main(["map", *args, "--format", "json"]) == 0
    data: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    return data


# -- the example app: what each endpoint really is --------------------------------------------------


def test_acme_lists_every_action_and_route_handler(acme: list[EndpointInfo]) -> None:
    actions = {info.name for info in acme if info.kind == "action"}
    assert actions >= {
        "createNote",
        "updateNote",
        "deleteNote",
        "archiveNote",
        "exportNotes",
        "togglePinned",
        "renameNote",
        "login",
        "signup",
        "logout",
        "subscribe",
    }
    routes = {(info.file, info.name) for info in acme if info.kind == "route"}
    assert routes >= {
        ("src/app/api/notes/route.ts", "GET"),
        ("src/app/api/notes/route.ts", "POST"),
        ("src/app/api/webhooks/stripe/route.ts", "POST"),
    }
    # Every route handler of the app, and nothing else, is listed as one.
    route_files = {p.relative_to(ACME).as_posix() for p in (ACME / "src/app").rglob("route.ts")}
    assert {file for file, _ in routes} == route_files
    for info in acme:
        assert info.method == (info.name if info.kind == "route" else "POST")


GUARD_DEFEATED = {"NG101", "NG103", "NG112", "NG113"}


def _workspaces() -> list[Path]:
    return [ACME, *sorted(p for p in (REPO / "tests" / "fixtures").glob("*/*") if p.is_dir())]


@pytest.mark.parametrize("root", _workspaces(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_endpoint_whose_guard_cannot_fire_is_shown_protected(root: Path) -> None:
    for info in endpoints(load_analysis(root)[0]):
        codes = {finding.code for finding in info.findings}
        if codes & GUARD_DEFEATED:
            assert info.protection.status != "protected", (info.file, info.name, codes)
        if "NG104" in codes:
            assert info.ownership == "unscoped"
        elif "NG105" in codes:
            assert info.ownership == "client-owner"
        else:
            assert info.ownership in ("checked", "not-applicable")


def test_a_defeated_guard_says_why(acme: list[EndpointInfo]) -> None:
    unchecked = _by_name([i for i in acme if i.file.endswith("api/notes/[id]/route.ts")], "DELETE")
    assert {f.code for f in unchecked.findings} >= {"NG113"}
    assert unchecked.protection.status == "unprotected"
    assert unchecked.protection.summary() == "not protected: `getSession` is called but its result is never checked"
    restore = _by_name(acme, "restoreNote")
    assert restore.protection.summary().startswith("not protected: `verifySession` is not awaited")


def test_archive_note_is_unprotected_with_its_finding(acme: list[EndpointInfo]) -> None:
    info = _by_name(acme, "archiveNote")
    assert (info.file, info.line) == ("src/app/actions/notes.ts", ARCHIVE_LINE)
    assert info.protection.status == "unprotected"
    assert info.protection.by is None and info.protection.via is None
    assert info.protection.summary() == "public endpoint: no auth"
    assert info.data.mutates and info.data.functions == ("db.note.update",)
    # Other rules may report inside it too (NG104 on the unscoped update); NG101 is on its name.
    located = dict(zip((f.code for f in info.findings), info.finding_positions, strict=True))
    assert located["NG101"] == (ARCHIVE_LINE, 23)


def test_create_note_is_protected_by_the_action_client_middleware(acme: list[EndpointInfo]) -> None:
    protection = _by_name(acme, "createNote").protection
    assert protection.status == "protected"
    assert protection.by == "verifySession"
    assert protection.by_file == "src/lib/dal.ts"
    assert protection.via is not None
    assert protection.via.describe() == "action client middleware authActionClient (src/lib/safe-action.ts)"
    info = _by_name(acme, "createNote")
    assert info.validation == ("authActionClient.metadata().inputSchema()",)
    assert "recordAudit" in info.data.functions and info.findings == ()


def test_delete_note_is_protected_through_a_dal_function(acme: list[EndpointInfo]) -> None:
    info = _by_name(acme, "deleteNote")
    protection = info.protection
    assert protection.status == "protected"
    assert protection.by == "verifySession"
    assert protection.via is not None
    assert protection.via.describe() == "DAL function deleteNoteForUser (src/lib/dal.ts)"
    assert protection.summary() == "protected by verifySession via deleteNoteForUser (src/lib/dal.ts)"
    # The data is reached through the DAL function: both its read and its delete are listed.
    calls = {(access.call, access.through) for access in info.data.accesses}
    assert ("db.note.delete", ("deleteNoteForUser",)) in calls
    assert ("db.note.findUnique", ("deleteNoteForUser",)) in calls
    assert info.data.reads and info.data.mutates


def test_update_note_calls_the_primitive_itself(acme: list[EndpointInfo]) -> None:
    protection = _by_name(acme, "updateNote").protection
    assert protection.status == "protected"
    assert (protection.by, protection.by_file) == ("verifySession", "src/lib/dal.ts")
    assert protection.via is not None and protection.via.describe() == "own body"
    assert _by_name(acme, "updateNote").validation == ("UpdateNoteSchema.safeParse",)


def test_public_endpoints_say_why(acme: list[EndpointInfo]) -> None:
    subscribe = _by_name(acme, "subscribe").protection
    assert (subscribe.status, subscribe.reason, subscribe.reason_kind) == ("public", "anyone may subscribe", "comment")
    assert subscribe.summary() == "public by design: anyone may subscribe"
    login = _by_name(acme, "login").protection
    assert (login.status, login.reason_kind) == ("public", "auth-flow")
    assert login.reason == "authentication flow (calls createSession)"
    assert _by_name(acme, "signup").protection.status == "public"
    assert _by_name(acme, "logout").protection.reason_kind == "auth-flow"


def test_validation_is_reported_but_is_not_protection(acme: list[EndpointInfo]) -> None:
    info = _by_name(acme, "exportNotes")
    assert info.protection.status == "unprotected"
    assert info.validation == ("ExportSchema.safeParse",)
    assert info.data.reads and not info.data.mutates


def test_route_handlers(acme: list[EndpointInfo]) -> None:
    get = next(info for info in acme if info.kind == "route" and info.name == "GET")
    assert get.protection.status == "unprotected" and get.data.reads
    assert get.route.path == "/api/notes"
    assert get.curl == "curl -X GET 'https://<host>/api/notes'"
    post = next(
        info
        for info in acme
        if info.kind == "route" and info.file == "src/app/api/notes/route.ts" and info.name == "POST"
    )
    assert post.protection.status == "protected" and post.protection.by == "getSession"
    assert post.validation == ("CreateNoteSchema.safeParse",)
    webhook = next(info for info in acme if info.file.endswith("stripe/route.ts"))
    assert webhook.protection.status == "unprotected"
    assert webhook.protection.note is not None and "stripe.webhooks.constructEvent" in webhook.protection.note
    assert webhook.data.mutates and webhook.data.functions == ("syncSubscription",)


def test_route_paths_come_from_the_pages_that_import_the_action(acme: list[EndpointInfo]) -> None:
    archive = _by_name(acme, "archiveNote")
    # Imported by dashboard/notes/[id]/page.tsx directly, and the module by dashboard/page.tsx
    # through the note form: static paths first.
    assert [item.path for item in archive.route.paths] == ["/dashboard", "/dashboard/notes/[id]"]
    assert archive.route.source == "page"
    # The (marketing) route group is not part of the URL.
    subscribe = _by_name(acme, "subscribe")
    assert subscribe.route.path == "/"
    assert subscribe.route.paths[0].file == "src/app/(marketing)/page.tsx"
    assert _by_name(acme, "login").route.path == "/login"


def test_curl_shape_of_an_action(acme: list[EndpointInfo]) -> None:
    curl = _by_name(acme, "archiveNote").curl
    assert curl == (
        "curl -X POST 'https://<host>/dashboard' -H 'Next-Action: <id of archiveNote from the build>'"
        " -H 'Content-Type: text/plain;charset=UTF-8' --data '[...]'"
    )


def test_an_action_no_page_renders_names_no_made_up_page(acme: list[EndpointInfo]) -> None:
    unplaced = [i for i in acme if i.kind != "route" and i.route.source != "page"]
    assert unplaced
    for info in unplaced:
        assert info.curl is not None and "https://<host>/<path of a page that renders it>'" in info.curl
        assert info.route.path is None or f"<host>{info.route.path}'" not in info.curl


def test_curl_turns_globbing_off_for_dynamic_segments(tmp_path: Path) -> None:
    root = _workspace(
        tmp_path,
        {
            "app/posts/[id]/page.tsx": "export default async function Page() {\n"
            "  async function publish() {\n    'use server';\n  }\n  return <form action={publish} />;\n}\n",
        },
    )
    analysis, _ = load_analysis(root)
    [info] = endpoints(analysis)
    assert (info.kind, info.name, info.route.path) == ("inline", "publish", "/posts/[id]")
    assert info.curl is not None and info.curl.startswith("curl --globoff -X POST 'https://<host>/posts/[id]'")
    assert info.protection.status == "unprotected" and info.protection.note == "touches no data"


# -- fixtures -------------------------------------------------------------------------------------------


def test_monorepo_workspace_package() -> None:
    analysis, _ = load_analysis(MONOREPO)
    infos = endpoints(analysis)
    assert [(info.name, info.protection.status) for info in infos] == [
        ("deleteNote", "protected"),
        ("wipeNote", "unprotected"),
        ("pinNote", "unprotected"),
    ]
    delete = infos[0]
    # requireUser lives in another workspace package and verifies the cookie itself.
    assert (delete.protection.by, delete.protection.by_file) == ("requireUser", "packages/auth/src/index.ts")
    assert delete.project == "apps/web"
    wipe = infos[1]
    assert wipe.data.functions == ("deleteNoteById",)
    assert wipe.data.accesses[0].file == "packages/db/src/notes.ts"
    assert "NG101" in [f.code for f in wipe.findings]
    # No page imports the module: the path of its own folder under apps/web/app.
    assert (wipe.route.path, wipe.route.source) == ("/notes", "directory")


def test_wrappers_procedures_and_barrels() -> None:
    hof = endpoints(load_analysis(FIXTURES / "hof-withauth")[0])
    delete = _by_name(hof, "deleteNote")
    assert delete.protection.via is not None
    assert delete.protection.via.describe() == "wrapper withAuth (lib/with-auth.ts)"
    assert delete.protection.by == "auth"
    assert _by_name(hof, "purgeNote").protection.status == "unprotected"

    zsa = endpoints(load_analysis(FIXTURES / "zsa")[0])
    update = _by_name(zsa, "updateNoteTitle").protection
    assert (
        update.via is not None
        and update.via.describe() == "action client middleware authedProcedure (lib/procedures.ts)"
    )
    assert update.by == "getUser"

    barrel = endpoints(load_analysis(FIXTURES / "export-forms")[0])
    assert _by_name(barrel, "createNote").reexported_by == (("app/actions/index.ts", "createNote"),)
    assert _by_name(barrel, "default").reexported_by == (("app/actions/index.ts", "bulkDelete"),)
    assert _by_name(barrel, "pinNote").reexported_by == ()

    config = endpoints(load_analysis(FIXTURES / "fp-public-config")[0])
    subscribe = _by_name(config, "subscribe").protection
    assert (subscribe.status, subscribe.reason_kind) == ("public", "config")


def test_inline_actions() -> None:
    infos = endpoints(load_analysis(FIXTURES / "inline-actions")[0])
    assert {info.kind for info in infos} == {"inline"}
    assert _by_name(infos, "rename").protection.status == "protected"
    assert _by_name(infos, "create").protection.status == "unprotected"
    assert all(info.route.path == "/notes" for info in infos)


def test_rate_limits_are_found_in_the_body_and_the_middleware(tmp_path: Path) -> None:
    root = _workspace(
        tmp_path,
        {
            "lib/db.ts": "import { PrismaClient } from '@prisma/client';\nexport const db = new PrismaClient();\n",
            "lib/limit.ts": "export async function assertRateLimit(key: string) {}\n",
            "app/actions.ts": "'use server';\n"
            "import { Ratelimit } from '@upstash/ratelimit';\n"
            "import { db } from '@/lib/db';\n"
            "import { assertRateLimit } from '@/lib/limit';\n"
            "const ratelimit = new Ratelimit({});\n"
            "// nextguard-public: the contact form is open to everyone\n"
            "export async function contact(formData: FormData) {\n"
            "  await ratelimit.limit('contact');\n"
            "  await db.message.create({ data: { body: String(formData.get('body')) } });\n"
            "}\n"
            "// nextguard-public: open sign-up for the waitlist\n"
            "export async function joinWaitlist(email: string) {\n"
            "  await assertRateLimit(email);\n"
            "  await db.waitlist.create({ data: { email } });\n"
            "}\n"
            "// nextguard-public: no limit here\n"
            "export async function ping(email: string) {\n"
            "  await db.waitlist.findFirst({ where: { email } });\n"
            "}\n",
        },
    )
    infos = endpoints(load_analysis(root)[0])
    assert _by_name(infos, "contact").rate_limit == ("ratelimit.limit",)
    assert _by_name(infos, "joinWaitlist").rate_limit == ("assertRateLimit",)
    assert _by_name(infos, "ping").rate_limit == ()
    assert _by_name(infos, "contact").protection.reason == "the contact form is open to everyone"


def test_builder_chains_and_validating_wrappers(tmp_path: Path) -> None:
    # The shape of nextjs/saas-starter: a wrapper that authenticates and parses the input before
    # calling the action, and Drizzle query-builder chains.
    root = _workspace(
        tmp_path,
        {
            "lib/db.ts": "import { drizzle } from 'drizzle-orm/postgres-js';\nexport const db = drizzle('');\n",
            "lib/session.ts": "import { cookies } from 'next/headers';\nimport { jwtVerify } from 'jose';\n"
            "export async function getUser() {\n"
            "  const token = (await cookies()).get('session')?.value;\n"
            "  return token ? (await jwtVerify(token, new Uint8Array())).payload : null;\n}\n",
            "lib/wrap.ts": "import { getUser } from '@/lib/session';\n"
            "export function validatedActionWithUser(schema: any, action: any) {\n"
            "  return async (prev: unknown, formData: FormData) => {\n"
            "    const user = await getUser();\n    if (!user) throw new Error('Unauthorized');\n"
            "    const result = schema.safeParse(Object.fromEntries(formData));\n"
            "    return action(result.data, formData, user);\n  };\n}\n",
            "app/actions.ts": "'use server';\nimport { db } from '@/lib/db';\n"
            "import { validatedActionWithUser } from '@/lib/wrap';\n"
            "export const rename = validatedActionWithUser({}, async (data: any, _f: FormData, user: any) => {\n"
            "  const [row] = await db.select().from(teams).where(eq(teams.id, data.id)).limit(1);\n"
            "  await db.update(teams).set({ name: data.name }).where(eq(teams.id, row.id));\n"
            "});\n",
        },
    )
    [info] = endpoints(load_analysis(root)[0])
    assert info.protection.status == "protected"
    assert (
        info.protection.via is not None
        and info.protection.via.describe() == "wrapper validatedActionWithUser (lib/wrap.ts)"
    )
    assert info.protection.by == "getUser"
    # One access per chain, named by the call that starts it.
    assert [(a.call, a.mutates) for a in info.data.accesses] == [("db.select", False), ("db.update", True)]
    assert info.validation == ("schema.safeParse (in validatedActionWithUser)",)


# -- the API the code lenses use ----------------------------------------------------------------------


def test_file_endpoints_for_one_document() -> None:
    analysis, _ = load_analysis(ACME)
    path = (ACME / "src/app/actions/notes.ts").resolve()
    findings = run_rules(analysis, [path])
    infos = file_endpoints(analysis, path, findings=findings)
    names = [info.name for info in infos]
    expected = ["createNote", "updateNote", "deleteNote", "archiveNote", "exportNotes", "togglePinned", "renameNote"]
    assert [name for name in names if name in expected] == expected  # in source order
    # Lens titles, placed above the statement that defines each endpoint.
    titles = {info.name: (info.statement_line, info.protection.summary()) for info in infos}
    notes = ACME / "src/app/actions/notes.ts"
    assert titles["archiveNote"] == (ARCHIVE_LINE, "public endpoint: no auth")
    assert titles["deleteNote"] == (
        line_of(notes, "export async function deleteNote("),
        "protected by verifySession via deleteNoteForUser (src/lib/dal.ts)",
    )
    assert titles["createNote"][0] == line_of(notes, "export const createNote")
    ng101 = {info.name for info in infos for f in info.findings if f.code == "NG101"}
    assert {"archiveNote", "exportNotes"} <= ng101 and not ng101 & {"createNote", "deleteNote", "updateNote"}
    # Every finding of the file that lies inside an endpoint is attached to that endpoint.
    attached = {(f.code, f.span) for info in infos for f in info.findings}
    inside = {
        (f.code, f.span)
        for f in findings
        if any(info.endpoint.unit.span.start <= f.span.start < info.endpoint.unit.span.end for info in infos)
    }
    assert inside <= attached
    # Without findings at hand, the inventory computes them: the protection it shows depends on them.
    bare = file_endpoints(analysis, path)
    assert [info.protection for info in bare] == [info.protection for info in infos]
    assert [info.findings for info in bare] == [info.findings for info in infos]
    assert file_endpoints(analysis, ACME / "no-such-file.ts") == []


# -- the command line -----------------------------------------------------------------------------------


def test_json_format_matches_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    data = _map_json(capsys, str(ACME))
    assert len(data) == len(endpoints(load_analysis(ACME)[0])) >= 14
    archive = next(item for item in data if item["name"] == "archiveNote")
    assert (
        archive["kind"] == "action"
        and archive["file"] == "src/app/actions/notes.ts"
        and archive["line"] == ARCHIVE_LINE
    )
    assert archive["protection"]["status"] == "unprotected"
    assert archive["ownership"] == "unscoped"  # NG104: the update is keyed by the client's id alone
    assert archive["findings"][0]["code"] == "NG101"
    delete = next(item for item in data if item["name"] == "deleteNote")
    assert delete["protection"] == {
        "status": "protected",
        "by": "verifySession",
        "by_file": "src/lib/dal.ts",
        "via": "DAL function deleteNoteForUser (src/lib/dal.ts)",
        "via_kind": "dal",
        "via_name": "deleteNoteForUser",
        "via_file": "src/lib/dal.ts",
        "reason": None,
        "reason_kind": None,
        "note": None,
        "summary": "protected by verifySession via deleteNoteForUser (src/lib/dal.ts)",
    }
    routes = [(item["name"], item["route"]["path"]) for item in data if item["kind"] == "route"]
    assert ("GET", "/api/notes") in routes and ("POST", "/api/webhooks/stripe") in routes


def test_json_of_the_monorepo_matches_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    data = _map_json(capsys, str(MONOREPO))
    assert [(item["name"], item["protection"]["status"]) for item in data] == [
        ("deleteNote", "protected"),
        ("wipeNote", "unprotected"),
        ("pinNote", "unprotected"),
    ]


def test_map_of_a_folder_lists_only_its_endpoints(capsys: pytest.CaptureFixture[str]) -> None:
    data = _map_json(capsys, str(ACME / "src" / "app" / "api"))
    assert all(item["file"].startswith("src/app/api/") and item["kind"] == "route" for item in data)
    assert {("src/app/api/notes/route.ts", "GET"), ("src/app/api/webhooks/stripe/route.ts", "POST")} <= {
        (item["file"], item["name"]) for item in data
    }
    # The whole workspace was still analysed: the POST handler's auth helper is in src/lib.
    post = next(item for item in data if item["file"] == "src/app/api/notes/route.ts" and item["name"] == "POST")
    assert post["protection"]["by_file"] == "src/lib/session.ts"


def test_packaged_schema_is_the_same() -> None:
    packaged = REPO / "server" / "nextguard" / "schemas" / "map.schema.json"
    assert packaged.read_bytes() == (REPO / "schemas" / "map.schema.json").read_bytes()
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_table_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", str(ACME)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == summary_line(endpoints(load_analysis(ACME)[0]))
    assert re.fullmatch(r"\d+ endpoints: \d+ protected, \d+ public, \d+ unprotected", lines[0])
    # Grouped by route segment, each with its endpoints.
    headings = [line for line in lines if line.startswith("/")]
    segments = [heading.split(" (")[0] for heading in headings]
    assert segments == sorted(segments) and len(segments) == len(set(segments))
    assert {"/", "/api/notes", "/api/webhooks/stripe", "/dashboard", "/login"} <= set(segments)
    assert "archiveNote" in out and "protected by verifySession" in out and "anyone may subscribe" in out
    assert "curl -X POST 'https://<host>/dashboard' -H 'Next-Action: <id of archiveNote from the build>'" in out
    assert "server-reference-manifest.json" in out and "never runs the build" in out
    assert "not analysed" not in out and "Ownership comes from NG104 and NG105" in out


def test_markdown_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", str(ACME), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    infos = endpoints(load_analysis(ACME)[0])
    assert lines[0] == summary_line(infos)
    header = lines[2]
    assert header.startswith("| Route | Endpoint | Kind | File | Protection |")
    rows = [line for line in lines[4:] if line.startswith("| ")]
    assert len(rows) == len(infos)
    assert all(row.count(" | ") == header.count(" | ") for row in rows)
    archive = next(row for row in rows if "`archiveNote`" in row)
    assert (
        "**unprotected**" in archive and "NG101" in archive and f"`src/app/actions/notes.ts:{ARCHIVE_LINE}`" in archive
    )
    actions = sum(info.kind != "route" for info in infos)
    assert f"<details><summary>curl shapes of the {actions} Server Actions</summary>" in out


def test_markdown_escapes_table_syntax() -> None:
    from nextguard.render.map import _cell, _code

    assert _cell("a | b\nc") == "a \\| b<br>c"
    assert _code("x`y") == "`` x`y ``"


def test_output_file_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "map.md"
    assert main(["map", str(ACME), "--format", "markdown", "--output", str(target)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    summary = summary_line(endpoints(load_analysis(ACME)[0]))
    assert summary in captured.err
    assert target.read_text(encoding="utf-8").startswith(summary + "\n")
    # An inventory, not a check: unprotected endpoints do not make it fail.
    assert main(["map", str(ACME), "--format", "json", "--output", str(tmp_path / "map.json")]) == 0
    assert main(["map", str(tmp_path / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert main(["map", str(ACME), "--output", str(tmp_path / "no-dir" / "map.txt")]) == 2


def test_config_error_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _workspace(tmp_path, {"app/page.tsx": "export default function Page() { return null; }\n"})
    (root / "nextguard.json").write_text('{"publicActions": 3}', encoding="utf-8")
    assert main(["map", str(root)]) == 2
    assert "config error" in capsys.readouterr().err


def test_empty_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _workspace(tmp_path, {"lib/util.ts": "export const x = 1;\n"})
    assert _map_json(capsys, str(root)) == []
    analysis, _ = load_analysis(root)
    assert summary_line(endpoints(analysis)) == "0 endpoints: 0 protected, 0 public, 0 unprotected"


def _workspace(tmp_path: Path, sources: dict[str, str]) -> Path:
    root = tmp_path / "app-under-test"
    root.mkdir()
    (root / "package.json").write_text('{"name": "t", "dependencies": {"next": "15.0.0"}}', encoding="utf-8")
    (root / "tsconfig.json").write_text('{"compilerOptions": {"paths": {"@/*": ["./*"]}}}', encoding="utf-8")
    for name, text in sources.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_workspace_copy_is_independent(tmp_path: Path) -> None:
    # Files are named relative to the workspace root, wherever the workspace lives.
    copy = tmp_path / "acme"
    shutil.copytree(ACME, copy)
    infos = endpoints(load_analysis(copy)[0])
    assert _by_name(infos, "archiveNote").path == (copy / "src/app/actions/notes.ts").resolve()
    assert _by_name(infos, "archiveNote").file == "src/app/actions/notes.ts"


# -- public by design, recognised from what an endpoint does ----------------------------------------


def test_public_by_design_says_why_in_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    root = FIXTURES / "public-by-design"
    data = {entry["name"]: entry["protection"] for entry in _map_json(capsys, str(root))}
    survey = data["answerSurvey"]
    assert (survey["status"], survey["reason_kind"]) == ("public", "design")
    assert survey["reason"].startswith("public form: only inserts what was submitted into `response`")
    reset = data["requestReset"]
    assert (reset["status"], reset["reason_kind"]) == ("public", "design")
    assert "one-time secret flow" in reset["reason"] and "passwordResetToken" in reset["reason"]
    assert data["addToCart"]["reason"].startswith("anonymous session: keyed by the app's own `cartId` cookie")
    assert data["searchProducts"]["reason"].startswith("public read: `product` has no owner and no secret fields")
    # a form that records a client-chosen owner, a helper that returns the code it stores, and a
    # read of the users table are not
    assert data["listUsers"]["status"] == "unprotected"
    assert data["createPoll"]["status"] == "unprotected"
    assert data["issueResetCode"]["status"] == "unprotected"
    assert main(["map", str(root)]) in (0, 1)
    text = capsys.readouterr().out  # a table: the reason wraps inside its column
    assert "public form: only inserts what" in text
    assert "one-time secret flow (uses" in text


def test_the_map_and_ng303_agree_on_what_rate_limits() -> None:
    # The map's "rate limit" column is NG303's answer: configured limiters (`rateLimiters`:
    # consumeQuota) count, and an endpoint NG303 reports is never shown as limited.
    analysis, _ = load_analysis(REPO / "tests" / "fixtures" / "ng303" / "sensitive-actions")
    infos = endpoints(analysis)
    assert _by_name(infos, "textMemberWithQuota").rate_limit == ("consumeQuota",)
    reported = [info for info in infos if any(f.code == "NG303" for f in info.findings)]
    assert reported and all(not info.rate_limit for info in reported)
