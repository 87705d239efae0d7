"""The live LiveWorkspace, updated one file at a time, must agree with a fresh analysis of the same
text. Edits that matter are the ones that move auth or data across files: removing a DAL's auth
check, renaming an export, deleting and re-creating a module."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from nextguard.engine import LiveWorkspace, analyze, incremental
from nextguard.facts.partial import common_ends
from nextguard.model import Finding
from nextguard.syntax.document import Document
from nextguard.workspace.discovery import SOURCE_SUFFIXES
from nextguard.workspace.kept import Edit, edit_since

FIXTURES = Path(__file__).parent / "fixtures"
CASES = [
    "ng101/transitive-dal",
    "ng101/barrel-reexport",
    "ng101/next-safe-action",
    "ng101/hof-withauth",
    "ng101/namespace-import",
    "ng101/monorepo-workspace-package",
    "ng203/dal-missing",
    "ng208/bare-string",
]


def _key(findings: list[Finding]) -> set[tuple[str, str, int, int, str]]:
    return {(f.code, f.path.name, f.span.start, f.span.end, f.message) for f in findings}


def _live(workspace: LiveWorkspace) -> set[tuple[str, str, int, int, str]]:
    # With reuse: what the language server shows (kept findings of untouched statements).
    found: list[Finding] = []
    for path in workspace.files:
        found.extend(workspace.findings(path, reuse=True))
    return _key(found)


def _fresh(root: Path) -> set[tuple[str, str, int, int, str]]:
    return _key(analyze([root]).findings)


def _edits(text: str) -> list[str]:
    """Variants of a file's text that change what it means to other files."""
    variants = [
        re.sub(r"await (verifySession|auth|getCurrentUser|requireUser|getSession)\(", r"await Promise.resolve(", text),
        re.sub(r"export (async function|const|function) (\w+)", r"export \1 \2Renamed", text, count=1),
        text.replace("'use server'", "'use client'", 1),
        text + "\nexport async function addedLater(id: string) {\n  await db.note.delete({ where: { id } })\n}\n",
    ]
    return [variant for variant in variants if variant != text]


@pytest.mark.parametrize("case", CASES)
def test_updates_match_a_fresh_analysis(case: str, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / case, root)
    root = root.resolve()
    workspace = LiveWorkspace(root)
    workspace.index()
    assert _live(workspace) == _fresh(root)
    sources = sorted(p for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES and "node_modules" not in p.parts)
    checked = 0
    for path in sources:
        original = path.read_text(encoding="utf-8")
        for variant in _edits(original):
            path.write_text(variant, encoding="utf-8")
            workspace.update(path, variant.encode())
            assert _live(workspace) == _fresh(root), f"after editing {path.relative_to(root)}"
            checked += 1
        path.write_text(original, encoding="utf-8")
        workspace.update(path, original.encode())
        assert _live(workspace) == _fresh(root)
    # a module disappears, then comes back
    victim = sources[len(sources) // 2]
    saved = victim.read_bytes()
    victim.unlink()
    workspace.update(victim, None)
    assert _live(workspace) == _fresh(root), f"after deleting {victim.name}"
    victim.write_bytes(saved)
    workspace.update(victim, saved)
    assert _live(workspace) == _fresh(root), f"after re-creating {victim.name}"
    assert checked > 0


def test_an_export_that_reappears_is_seen_by_files_classified_while_it_was_gone(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / "ng101/transitive-dal", root)
    root = root.resolve()
    workspace = LiveWorkspace(root)
    workspace.index()
    before = _live(workspace)
    assert any(code == "NG101" for code, *_ in before)
    dal = next(p for p in root.rglob("dal.ts"))
    original = dal.read_text(encoding="utf-8")
    renamed = re.sub(r"export (async function|const) (\w+)", r"export \1 \2Gone", original)
    dal.write_text(renamed, encoding="utf-8")
    workspace.update(dal, renamed.encode())
    # Every importer is saved (re-read) while the DAL's names are gone...
    for path in workspace.files:
        if path != dal:
            workspace.update(path, path.read_bytes())
    assert _live(workspace) == _fresh(root)
    # ...and must see them again when they come back.
    dal.write_text(original, encoding="utf-8")
    workspace.update(dal, original.encode())
    assert _live(workspace) == _fresh(root) == before


def _full_key(findings: list[Finding]) -> set[tuple[object, ...]]:
    """Everything a diagnostic shows, related locations included (they point into other files)."""
    return {
        (
            f.code,
            f.path.name,
            f.span.start,
            f.span.end,
            f.message,
            tuple((r.path.name, r.span, r.message) for r in f.related),
        )
        for f in findings
    }


def _keystrokes(text: str, rng: random.Random, count: int) -> list[str]:
    """Texts after one-character edits at random places: typing into names, strings, comments and
    calls, the way an editor sends them, each against the previous text."""
    texts = []
    for _ in range(count):
        at = rng.randrange(len(text) + 1)
        if rng.random() < 0.4 and at < len(text):
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + rng.choice("Xa(;' ") + text[at:]
        texts.append(text)
    return texts


@pytest.mark.parametrize("with_tree", [False, True], ids=["text", "tree"])
@pytest.mark.parametrize("case", CASES)
def test_findings_kept_for_files_an_update_does_not_dirty_stay_right(
    case: str, with_tree: bool, tmp_path: Path
) -> None:
    # What the language server does: findings are kept per file and computed again only for the
    # files an update returns. Whatever it leaves out must not have changed. With ``with_tree``
    # each edit comes with its incrementally parsed tree, as from an open document: the update
    # then extracts only the edited statement again (facts/partial.py).
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / case, root)
    root = root.resolve()
    workspace = LiveWorkspace(root)
    workspace.index()
    kept = {path: workspace.findings(path) for path in workspace.files}
    rng = random.Random(case)
    sources = sorted(p for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES and "node_modules" not in p.parts)
    for path in sources:
        original = path.read_text(encoding="utf-8")
        for text in [*_edits(original)[:1], *_keystrokes(original, rng, 6), original]:
            path.write_text(text, encoding="utf-8")
            tree = None
            if with_tree:
                # The previous text's tree, edited where the texts differ and parsed again.
                before, after = workspace.source(path) or b"", text.encode()
                prefix, suffix = common_ends(before, after)
                document = Document(path, before)
                document.tree  # noqa: B018 -- parsed before the edit, as an open document is
                document.replace(prefix, len(before) - suffix, after[prefix : len(after) - suffix])
                tree = document.tree
            for dirty in workspace.update(path, text.encode(), tree):
                kept[dirty] = workspace.findings(dirty, reuse=True) if dirty in workspace.analysis.index.modules else []
            live = _full_key([f for found in kept.values() for f in found])
            assert live == _full_key(analyze([root]).findings), f"after editing {path.relative_to(root)}"


def test_a_keystroke_in_one_action_keeps_the_actions_before_it(tmp_path: Path) -> None:
    # Three actions calling a DAL; typing in the last one leaves the first two untouched: their
    # summaries are kept, and the findings still match a fresh analysis at every step.
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / "ng101/transitive-dal", root)
    root = root.resolve()
    target = root / "app" / "many-actions.ts"
    body = "'use server';\nimport { db } from './db';\n\n" + "".join(
        f"export async function act{k}(id: string) {{\n  await db.note{k}.delete({{ where: {{ id }} }});\n}}\n\n"
        for k in range(3)
    )
    target.write_text(body, encoding="utf-8")
    (root / "app" / "db.ts").write_text("export const db: any = {};\n", encoding="utf-8")
    workspace = LiveWorkspace(root)
    workspace.index()
    at = body.rindex("delete")
    text = body
    for char in "XY":
        text = text[:at] + char + text[at:]
        target.write_text(text, encoding="utf-8")
        workspace.update(target, text.encode())
        assert workspace.analysis.summaries.last_kept >= 2
        assert _live(workspace) == _fresh(root)
    text = text[:at] + text[at + 2 :]
    target.write_text(text, encoding="utf-8")
    workspace.update(target, text.encode())
    assert text == body and _live(workspace) == _fresh(root)


def _with_fixes(findings: list[Finding]) -> set[tuple[object, ...]]:
    return {
        (f.code, f.path.name, f.span.start, f.message, tuple((x.title, x.edits) for x in f.fixes)) for f in findings
    }


@pytest.mark.parametrize("case", ["ng101/transitive-dal", "ng101/hof-withauth", "ng203/dal-missing"])
def test_fixes_after_edits_match_a_fresh_analysis(case: str, tmp_path: Path) -> None:
    # The fixes read workspace-wide choices (the auth helper, how callers read its user id) that
    # are kept per file across updates: after edits they must be what a fresh analysis builds.
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / case, root)
    root = root.resolve()
    workspace = LiveWorkspace(root)
    workspace.index()
    rng = random.Random(case)
    sources = sorted(p for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES and "node_modules" not in p.parts)
    for path in sources:
        original = path.read_text(encoding="utf-8")
        for text in [*_edits(original)[:2], *_keystrokes(original, rng, 3), original]:
            path.write_text(text, encoding="utf-8")
            workspace.update(path, text.encode())
            live = [f for p in workspace.files for f in workspace.findings(p)]
            fresh = [f for f in analyze([root]).findings if f.path in workspace.files]
            assert _with_fixes(live) == _with_fixes(fresh), f"after editing {path.relative_to(root)}"


MORE_ACTIONS = """
async function loadNote(id: string) {
  return db.note.findUnique({ where: { id } });
}

const guarded = withAuth;

async function removeIt(id: string) {
  await db.note.delete({ where: { id } });
}

export async function viaHelper(id: string) {
  return loadNote(id);
}

export async function viaRemove(id: string) {
  await removeIt(id);
}

export const wrapped = guarded(async (session, id: string) => {
  await db.note.delete({ where: { id } });
});

export async function sendMail(to: string) {
  await resend.emails.send({ to, subject: 'hi' });
}

export async function rename(id: string, title: string) {
  const session = await auth();
  if (!session) return null;
  await db.note.update({ where: { id }, data: { title } });
  return { ok: true };
}
"""


@pytest.mark.parametrize("seed", range(2))
def test_findings_of_functions_a_keystroke_did_not_touch_are_kept_right(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One file of many actions, same-file helpers and wrappers, typed into at random with its
    # incrementally parsed tree (the language server's path): the rules declared ``per_function``
    # run only on the statements the keystroke touched and those linked to them by a name
    # (typing into `loadNote`'s name re-checks `viaHelper`), the rest is kept, moved.
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / "ng101/hof-withauth", root)
    root = root.resolve()
    path = root / "app" / "notes" / "actions.ts"
    text = path.read_text(encoding="utf-8").replace(
        "import { withLogging } from '@/lib/with-logging';",
        "import { withLogging } from '@/lib/with-logging';\nimport { auth } from '@/auth';\n"
        "import { resend } from '@/lib/mail';",
    )
    path.write_text(text + MORE_ACTIONS, encoding="utf-8")
    workspace = LiveWorkspace(root)
    workspace.index()
    workspace.findings(path, reuse=True)
    partial: list[int] = []  # statements checked again, when some were kept

    def spy(*args: Any) -> Edit | None:
        edit = edit_since(*args)
        if edit is not None:
            partial.append(len(edit.statements))
        return edit

    monkeypatch.setattr(incremental, "edit_since", spy)
    document = Document(path, path.read_bytes())
    document.tree  # noqa: B018 -- an open document is parsed before its first keystroke
    rng = random.Random(seed)
    good = document.data
    for step in range(150):
        facts = workspace.facts(path)
        if facts is not None and facts.syntax_error is not None:
            document = Document(path, good)  # back to the last text that parsed
            document.tree  # noqa: B018
        good = document.data
        at = rng.randrange(len(good))
        if rng.random() < 0.3:
            document.replace(at, at + 1, b"")
        else:
            document.replace(at, at, rng.choice([b"X", b" ", b"(", b"'", b"await auth();\n"]))
        data = document.data
        path.write_bytes(data)
        workspace.update(path, data, document.tree)
        found = workspace.findings(path, reuse=True)
        assert _full_key(found) == _full_key([f for f in analyze([root]).findings if f.path == path]), (
            f"step {step}: {data!r}"
        )
    assert len(partial) >= 5 and min(partial) == 1
