"""The input, rate-limit and caching rules (NG301–NG303, NG401, NG402) through the real language
server: reported as diagnostics (pulled, as VS Code does for open documents), fixed by their code
actions where they have one (the edit applied to the buffer, sent back, the text still parsing and
the diagnostic gone), and kept up to date when a file they depend on changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_support import (
    apply_fix,
    copy_case,
    initialize,
    open_document,
    pull_until,
    replace_all,
    uri,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

# This file tests one rule family; the others also report on its fixtures and have their own tests.
FAMILY = ("NG3", "NG4")


async def _titles(client: LanguageClient, path: Path, diagnostic: types.Diagnostic) -> list[str]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(path)),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    return [a.title for a in result or [] if isinstance(a, types.CodeAction)]


@pytest.mark.asyncio
async def test_unvalidated_input_is_published_without_a_fix(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng301/prisma-actions", tmp_path)
    await initialize(client, [root])
    actions = root / "app/notes/actions.ts"
    text = open_document(client, actions)
    found = await pull_until(client, actions, ["NG301", "NG301"], FAMILY)
    rename = next(d for d in found if d.message.startswith("Server Action `renameNote`"))
    assert rename.related_information and "db.note.updateMany" in rename.related_information[0].message
    # Only suppression is offered: the schema is the project's to write.
    titles = await _titles(client, actions, rename)
    assert titles and all("Suppress" in title for title in titles), titles
    # Validating the input in the action clears it.
    validated = text.replace(
        "  const title = formData.get('title') as string;\n",
        "  const { title } = NoteInput.parse({ title: formData.get('title') });\n",
    )
    assert validated != text
    replace_all(client, actions, 2, text, validated)
    await pull_until(client, actions, ["NG301", "NG302"], FAMILY)


@pytest.mark.asyncio
async def test_throwing_parse_gets_its_safe_parse_rewrite(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng302/zod-parse", tmp_path)
    await initialize(client, [root])
    tags = root / "app/tags/actions.ts"
    text = open_document(client, tags)
    await pull_until(client, tags, ["NG302"], FAMILY)
    fixed = await apply_fix(client, tags, text, 2, "NG302", "safeParse")
    assert '    const parsed = TagInput.safeParse({ name: formData.get("name") })\n' in fixed
    assert "    if (!parsed.success) return { errors: parsed.error.flatten().fieldErrors }\n" in fixed
    assert "    const tag = parsed.data" in fixed
    await pull_until(client, tags, [], FAMILY)


@pytest.mark.asyncio
async def test_missing_rate_limit_follows_the_dal_across_files(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng303/sensitive-actions", tmp_path)
    await initialize(client, [root])
    invites = root / "app/invites/actions.ts"
    mail = root / "lib/mail.ts"
    open_document(client, invites)
    mail_text = open_document(client, mail)
    found = await pull_until(client, invites, ["NG303", "NG303"], FAMILY)
    invite = next(d for d in found if "`inviteMember`" in d.message)
    related = invite.related_information or []
    assert any(item.location.uri == uri(mail) and "resend.emails.send" in item.message for item in related)
    # Limiting inside the shared mail helper protects every action that sends through it.
    limited = mail_text.replace(
        "import { resend } from '@/lib/resend';\n",
        "import { resend } from '@/lib/resend';\nimport { checkRateLimit } from '@/lib/ratelimit';\n",
    ).replace(
        "export async function sendWelcome(to: string) {\n",
        "export async function sendWelcome(to: string) {\n  await checkRateLimit('mail');\n",
    )
    assert limited.count("checkRateLimit") == 2
    replace_all(client, mail, 2, mail_text, limited)
    [left] = await pull_until(client, invites, ["NG303"], FAMILY)
    assert "`textMember`" in left.message


@pytest.mark.asyncio
async def test_revalidate_tag_is_replaced_by_update_tag(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng401/revalidate-tag", tmp_path)
    await initialize(client, [root])
    notes = root / "app/notes/actions.ts"
    text = open_document(client, notes)
    await pull_until(client, notes, ["NG401", "NG401"], FAMILY)
    fixed = await apply_fix(client, notes, text, 2, "NG401", "updateTag")
    assert "  updateTag('notes'); // expect: NG401" in fixed
    # Another action still calls revalidateTag, so the import keeps it and gains updateTag.
    assert "import { revalidatePath, revalidateTag, updateTag } from 'next/cache';" in fixed
    await pull_until(client, notes, ["NG401"], FAMILY)


@pytest.mark.asyncio
async def test_parallel_actions_point_at_each_action_call(client: LanguageClient, tmp_path: Path) -> None:
    root = copy_case("ng402/client-batches", tmp_path)
    await initialize(client, [root])
    toolbar = root / "components/bulk-toolbar.tsx"
    text = open_document(client, toolbar)
    found = await pull_until(client, toolbar, ["NG402", "NG402", "NG402"], FAMILY)
    pair = next(d for d in found if d.message.startswith("`Promise.all` makes 2 Server Action calls"))
    assert len(pair.related_information or []) == 2
    # Turning the pair into one sequential call each leaves only the .map one.
    sequential = text.replace(
        "    await Promise.all([archiveNote(first), deleteNote(second)]); // expect: NG402\n",
        "    await archiveNote(first);\n    await deleteNote(second);\n",
    )
    assert sequential != text
    replace_all(client, toolbar, 2, text, sequential)
    left = await pull_until(client, toolbar, ["NG402", "NG402"], FAMILY)
    assert sorted(d.message.split(" ")[0] for d in left) == sorted(["`Promise.all`", "`Promise.allSettled`"])
    assert any("once per item" in d.message for d in left)
