"""The auth check a fix inserts: the project's own helper, called the way the project calls it.

The helper is the auth primitive (or the project's function wrapping one) that the workspace calls
most; it is imported the way an existing call site imports it (the same alias specifier, or a
relative path from the file being fixed), and called with the same arguments when those can be
imported too.
"""

from __future__ import annotations

import re
import weakref
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..facts.model import FileFacts, Unit
from ..model import Fix, Related, TextEdit
from ..workspace.calls import Event, Kind
from ..workspace.index import WorkspaceIndex
from ..workspace.summaries import Step, Summaries
from .edits import add_import, insert_statements, merge_insertions, style_of

_IDENTIFIER = re.compile(r"(?<![.\w$])([A-Za-z_$][\w$]*)(?!\s*:)")
_KEYWORDS = frozenset(
    {
        "await",
        "true",
        "false",
        "null",
        "undefined",
        "new",
        "typeof",
        "void",
        "this",
        "async",
        "function",
        "return",
    }
)
_GLOBALS = frozenset({"process", "Object", "JSON", "Date", "Math", "String", "Number", "Boolean", "Array"})


@dataclass(frozen=True, slots=True)
class ImportSpec:
    name: str  # the local name the call uses
    imported: str  # the export it names ("default" for a default import)
    specifier: str | None  # as written at the example site, when it is not relative
    target: Path | None  # the file a relative import resolves to


@dataclass(frozen=True, slots=True)
class AuthHelper:
    call: str  # `verifySession()`, `auth.api.getSession({ headers: await headers() })`
    imports: tuple[ImportSpec, ...]
    nullable: bool  # returns null when signed out, so the guard tests it
    clerk: bool  # Clerk's `auth()` returns `{ userId }`, never null


def _import_spec(index: WorkspaceIndex, facts: FileFacts, name: str) -> ImportSpec | None:
    imported = facts.import_by_local.get(name)
    if imported is not None:
        if imported.source.startswith("."):
            target = index.resolve_import(facts.path, imported.source)
            if target is None:
                return None
            return ImportSpec(name, imported.imported, None, target)
        return ImportSpec(name, imported.imported, imported.source, None)
    if name in facts.bindings and any(export.local == name and export.exported == name for export in facts.exports):
        return ImportSpec(name, name, None, facts.path)
    return None


def _helper_from(index: WorkspaceIndex, summaries: Summaries, path: Path, event: Event) -> AuthHelper | None:
    facts = index.modules[path]
    source = index.sources.get(path)
    if source is None:
        return None
    call = " ".join(source[event.span.start : event.span.end].decode("utf-8", "replace").split())
    if len(call) > 120:
        return None
    imports: list[ImportSpec] = []
    for name in dict.fromkeys(_IDENTIFIER.findall(call)):
        if name in _KEYWORDS or name in _GLOBALS:
            continue
        spec = _import_spec(index, facts, name)
        if spec is None:
            return None  # the call needs a local value we cannot bring along
        imports.append(spec)
    if not imports:
        return None
    nullable = event.nullable
    if event.kind is Kind.CALL and event.callee is not None:
        key = summaries.callee_unit(event.callee)
        nullable = key is None or not summaries.units[key].enforces
    clerk = any((spec.specifier or "").startswith("@clerk/") and spec.imported == "auth" for spec in imports)
    return AuthHelper(call, tuple(imports), nullable, clerk and call.startswith("auth("))


# Per summaries (weakly), per file: (its epoch, its auth calls by key in source order). A keystroke
# changes one file's summaries; the other files' auth calls are not listed again.
_AUTH_CALLS: weakref.WeakKeyDictionary[Summaries, dict[Path, tuple[int, dict[str, list[Event]]]]] = (
    weakref.WeakKeyDictionary()
)


def _auth_calls(summaries: Summaries, path: Path, units: int) -> dict[str, list[Event]]:
    cache = _AUTH_CALLS.setdefault(summaries, {})
    epoch = summaries.file_epoch(path)
    hit = cache.get(path)
    if hit is not None and hit[0] == epoch:
        return hit[1]
    found: dict[str, list[Event]] = {}
    for index in range(units):
        summary = summaries.units.get((path, index))
        if summary is None:
            continue
        for event in summary.events:
            if event.kind is Kind.AUTH or (event.kind is Kind.CALL and summaries.callee_auth(event)):
                found.setdefault(event.label.split("(")[0], []).append(event)
    cache[path] = (epoch, found)
    return found


def choose_helper(index: WorkspaceIndex, summaries: Summaries) -> AuthHelper | None:
    """The auth call the workspace makes most, among those a fix can reproduce elsewhere."""
    counts: Counter[str] = Counter()
    examples: dict[str, list[tuple[Path, Event]]] = {}
    for path, units in summaries.file_order():
        for key, events in _auth_calls(summaries, path, units).items():
            counts[key] += len(events)
            listed = examples.setdefault(key, [])
            if len(listed) < 5:  # only the first five are tried
                listed.extend((path, event) for event in events[: 5 - len(listed)])
    preferred = [entry.split("#")[-1] for entry in index.config.auth_primitives]
    ordered = sorted(counts, key=lambda key: (key.split(".")[0] not in preferred, -counts[key], key))
    for key in ordered:
        for path, event in examples[key][:5]:
            helper = _helper_from(index, summaries, path, event)
            if helper is not None:
                return helper
    return _defined_helper(index, summaries)


def _defined_helper(index: WorkspaceIndex, summaries: Summaries) -> AuthHelper | None:
    """When nothing calls an auth check yet (a new project), the one the workspace defines: an
    exported guard that takes no arguments and enforces itself, else Auth.js's `auth`."""
    fallback: AuthHelper | None = None
    for path, facts in sorted(index.modules.items()):
        exported = {export.local for export in facts.exports if export.local == export.exported}
        for name, binding in facts.bindings.items():
            if name not in exported:
                continue
            spec = (ImportSpec(name, name, None, path),)
            if binding.body is not None:
                unit = facts.units[binding.body]
                summary = summaries.unit(path, unit.index)
                if unit.arity == 0 and summary.auth and summary.enforces:
                    return AuthHelper(f"{name}()", spec, nullable=False, clerk=False)
            elif binding.destructured and name == "auth" and binding.init and binding.init[0] == "NextAuth":
                fallback = fallback or AuthHelper("auth()", spec, nullable=True, clerk=False)
    return fallback


def helper_imports(index: WorkspaceIndex, helper: AuthHelper, path: Path) -> list[TextEdit] | None:
    """The import edits a call of ``helper`` needs in ``path``; None when one cannot be written."""
    source = index.sources[path]
    facts = index.modules[path]
    edits: list[TextEdit] = []
    for spec in helper.imports:
        if spec.name in facts.import_by_local or spec.name in facts.bindings:
            continue
        if spec.specifier is not None:
            specifier = spec.specifier
        elif spec.target is not None:
            if spec.target == path:
                continue
            specifier = index.resolver.specifier_for(path, spec.target, prefer_alias=False)
        else:
            return None
        default = spec.imported == "default"
        imported_name = spec.name if default or spec.imported == spec.name else f"{spec.imported} as {spec.name}"
        edit = add_import(path, source, facts, imported_name, specifier, default=default)
        if edit is not None:
            edits.append(edit)
    return edits


def guard_fix(
    index: WorkspaceIndex, helper: AuthHelper, path: Path, unit: Unit, label: str, *, route: bool = False
) -> Fix | None:
    """Insert the auth check as ``unit``'s first statements. In a route handler (``route``) a
    failed check answers 401 instead of throwing."""
    call_name = helper.call.split("(")[0]
    name = tuple(call_name.split("."))
    if any(tuple(part for part in call.chain if part != "()") == name for call in unit.calls):
        # It already calls the helper and ignores the answer: a second call above it is not what a
        # careful human writes; the check belongs on the call it has (NG103/NG113 offer that).
        return None
    guard = guard_edits(index, helper, path, unit, route=route)
    if guard is None:
        return None
    return Fix(f"Check auth first: insert `await {call_name}()` in {label}", tuple(guard[0]), "safe")


def guard_edits(
    index: WorkspaceIndex, helper: AuthHelper, path: Path, unit: Unit, *, route: bool = False
) -> tuple[list[TextEdit], str] | None:
    """The edits that insert the auth check (with its imports), and the name that holds the
    helper's result afterwards: a fix that needs the session (NG111's user id) inserts exactly
    these edits, so applied beside the auth fix of the same function it makes one guard, not two."""
    source = index.sources[path]
    facts = index.modules[path]
    style = style_of(source, facts)
    imports = helper_imports(index, helper, path)
    if imports is None:
        return None
    edits = imports
    body_text = source[unit.span.start : unit.span.end]
    variable = "session"
    if re.search(rb"\b(const|let|var)\s+session\b|\bsession\s*[:,)]", body_text):
        variable = "authSession"
    bail = bail_statement(index, path, edits, style.quote, route=route)
    if bail is None:
        return None
    semicolon = style.semicolon or ""
    if helper.clerk:
        if re.search(rb"\buserId\b", body_text):
            return None
        variable = "userId"
        lines = [f"const {{ userId }} = await {helper.call}{semicolon}", f"if (!userId) {bail}{semicolon}"]
    elif helper.nullable:
        lines = [f"const {variable} = await {helper.call}{semicolon}", f"if (!{variable}) {bail}{semicolon}"]
    else:
        lines = [f"const {variable} = await {helper.call}{semicolon}"]
    edits = merge_insertions(edits)
    edits.extend(insert_statements(path, source, unit, lines, style))
    return edits, variable


def helper_holder(helper: AuthHelper, unit: Unit, before: int) -> str | None:
    """The local that already holds the auth helper's awaited result in ``unit``, declared before
    ``before`` (`const session = await verifySession()`; Clerk's `const { userId } = await auth()`)."""
    name = tuple(helper.call.split("(")[0].split("."))
    for local in unit.locals:
        if local.call is None or not local.awaited or local.span.end > before:
            continue
        chain = tuple(part for part in unit.calls[local.call].chain if part != "()")
        if chain != name:
            continue
        if helper.clerk and any(b.name == "userId" and b.path == ("userId",) for b in local.binders):
            return "userId"
        if len(local.binders) == 1 and not local.binders[0].path and not helper.clerk:
            return local.names[0]
    return None


def bail_statement(
    index: WorkspaceIndex, path: Path, edits: list[TextEdit], quote: str, *, route: bool = False
) -> str | None:
    """What a failed check does, per config `unauthorized`: throw (the default), or
    `redirect(<path>)` (adding its import to ``edits``). A route handler answers 401 instead."""
    facts = index.modules[path]
    source = index.sources[path]
    if route:
        return f"return new Response({quote}Unauthorized{quote}, {{ status: 401 }})"
    return _bail(index, path, facts, source, edits, quote)


def _bail(
    index: WorkspaceIndex, path: Path, facts: FileFacts, source: bytes, edits: list[TextEdit], quote: str
) -> str | None:
    setting = index.config.unauthorized
    if setting.startswith("redirect:"):
        target = setting.partition(":")[2]
        existing = facts.import_by_local.get("redirect")
        if existing is None:
            if not any(edit.content.startswith("import { redirect }") for edit in edits):
                edit = add_import(path, source, facts, "redirect", "next/navigation")
                if edit is not None:
                    edits.append(edit)
        elif existing.source != "next/navigation":
            return None
        return f"redirect({quote}{target}{quote})"
    return f"throw new Error({quote}Unauthorized{quote})"


def auth_fixes(
    index: WorkspaceIndex, helper: AuthHelper | None, path: Path, unit: Unit, label: str, *, route: bool = False
) -> tuple[Fix, ...]:
    """The auth-insertion fix NG101, NG106 and NG109 offer, when the workspace has a helper."""
    if helper is None:
        return ()
    fix = guard_fix(index, helper, path, unit, label, route=route)
    return (fix,) if fix is not None else ()


def trail_related(trail: tuple[Step, ...]) -> tuple[Related, ...]:
    """Related locations for a path to unguarded data access: each call on the way, then the access."""
    return tuple(
        Related(
            step.path,
            step.span,
            f"data access: `{step.label}`"
            if i == len(trail) - 1
            else f"calls `{step.label}`, which reaches data without an auth check",
        )
        for i, step in enumerate(trail)
    )
