"""A Server Action changes data and only calls `revalidateTag`: the user does not see their own write.

## What it does
Finds Server Actions that mutate data (themselves or through the workspace functions they call)
and whose only cache call — in their own body or in the functions they call — is
`revalidateTag(…)` from `next/cache`: no `revalidatePath`, `updateTag`, `refresh` or `redirect`.
Route handlers are not reported (`updateTag` can only be called from a Server Action), nor are
workspaces whose `package.json` depends on Next.js 15 or older, where `revalidateTag` in an action
already sends fresh data back.

## Why it matters
Since Next.js 16, `revalidateTag(tag, profile)` marks the tag stale with stale-while-revalidate
semantics: the next request is still served the cached data while it is refreshed in the
background. The user who just saved a change sees the old value after the action returns — they
click again, submit twice, or think the save failed. `updateTag(tag)` expires the tag and makes the
same request wait for fresh data: read-your-own-writes.

## Example
```ts
'use server'
import { revalidateTag } from 'next/cache'

export async function renameNote(id: string, title: string) {
  const session = await verifySession()
  await db.note.update({ where: { id, authorId: session.userId }, data: { title } })
  revalidateTag('notes', 'max')
}
```

## Fix
The quick fix calls `updateTag` instead (dropping the cache-life profile, which `updateTag` does
not take) and adjusts the `next/cache` import:
```ts
import { updateTag } from 'next/cache'
…
  updateTag('notes')
```
`updateTag` needs Next.js 16, so the fix is unsafe (applied with `--fix --unsafe-fixes`). Keep
`revalidateTag` where other users' views may lag (a public feed) and the writer does not read back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..facts.model import Call, FileFacts, Unit
from ..model import Finding, Fix, Related, Severity, Span, TextEdit
from ..workspace.calls import Kind
from ..workspace.discovery import read_json_object, workspace_files
from ..workspace.flow import call_args
from .base import Rule

_CACHE_MODULES = {"next/cache": ("revalidateTag", "revalidatePath", "updateTag", "refresh", "unstable_expireTag")}
_NAVIGATION = ("redirect", "permanentRedirect")
# Cache calls that let the writer read their own write: revalidatePath re-renders the page the action
# returns to; updateTag expires immediately; refresh re-renders the client router; redirect
# renders the target fresh.
_FRESH = frozenset({"revalidatePath", "updateTag", "refresh", "redirect", "permanentRedirect", "unstable_expireTag"})


def cache_calls(analysis: Analysis, path: Path, call: Call) -> str | None:
    chain = call.chain
    if len(chain) != 1:
        return None
    target = analysis.index.target(path, chain)
    if target.kind != "external" or target.rest:
        return None
    if target.specifier in _CACHE_MODULES and target.name in _CACHE_MODULES[target.specifier]:
        return target.name
    if target.specifier == "next/navigation" and target.name in _NAVIGATION:
        return target.name
    return None


def cache_names(analysis: Analysis, path: Path, index: int) -> frozenset[str]:
    """The cache calls a unit makes, itself or through the workspace functions it calls."""
    memo = analysis.index.memo
    key = ("ng401-cache", path, index)
    found = memo.get(key)
    if isinstance(found, frozenset):
        return found
    memo[key] = frozenset()  # a cycle contributes nothing
    names: set[str] = set()
    unit = analysis.index.modules[path].units[index]
    for call in unit.calls:
        name = cache_calls(analysis, path, call)
        if name is not None:
            names.add(name)
    summaries = analysis.summaries
    for event in summaries.unit(path, index).events:
        if event.kind is Kind.CALL and event.callee is not None:
            callee = summaries.callee_unit(event.callee)
            if callee is not None and callee in summaries.units:
                # A callee's redirect is a guard bailing out (`verifySession()` redirects to the
                # login page), not where this action sends the user after its write.
                names |= cache_names(analysis, *callee) - set(_NAVIGATION)
    result = frozenset(names)
    memo[key] = result
    return result


_VERSION = re.compile(r"(\d+)")


def next_major(analysis: Analysis) -> int | None:
    """The major version of `next` the workspace depends on, if a package.json says."""
    return analysis.memo("next-major", lambda: _next_major(analysis.index.root), packages_only=True)


def _next_major(root: Path) -> int | None:
    for path in workspace_files(root, ("package.json", "*/*/package.json")):
        package = read_json_object(path)  # bounded, never a FIFO
        deps = package.get("dependencies") if package is not None else None
        version = deps.get("next") if isinstance(deps, dict) else None
        match = _VERSION.search(version) if isinstance(version, str) else None
        if match is not None:
            return int(match.group(1))
    return None


class NoReadYourWrites(Rule):
    code = "NG401"
    name = "no-read-your-writes"
    severity = Severity.HINT
    per_function = True

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        summaries = analysis.summaries
        facts = analysis.index.modules[path]
        source = analysis.index.sources.get(path, b"")
        major = next_major(analysis)
        if major is not None and major < 16:
            return  # before Next.js 16, revalidateTag in an action already returns fresh data
        for endpoint in analysis.endpoints(path):
            if endpoint.kind == "route":
                continue
            unit = endpoint.unit
            if not summaries.unit(path, unit.index).mutates:
                continue
            names = cache_names(analysis, path, unit.index)
            if "revalidateTag" not in names or names & _FRESH:
                continue
            own = [call for call in unit.calls if cache_calls(analysis, path, call) == "revalidateTag"]
            message = (
                f"Server Action `{endpoint.name}` changes data but only calls `revalidateTag`, which serves the "
                "stale value until it refreshes: the user does not see their own write. Use `updateTag`."
            )
            if own:
                fix = _update_tag_fix(path, source, facts, unit, own)
                yield Finding(
                    self.code,
                    self.name,
                    self.severity,
                    message,
                    path,
                    own[0].span,
                    fixes=(fix,) if fix is not None else (),
                )
                continue
            related = self._callee_related(analysis, path, unit)
            yield Finding(self.code, self.name, self.severity, message, path, unit.report, related=related)

    @staticmethod
    def _callee_related(analysis: Analysis, path: Path, unit: Unit) -> tuple[Related, ...]:
        summaries = analysis.summaries
        for event in summaries.unit(path, unit.index).events:
            if event.kind is Kind.CALL and event.callee is not None:
                callee = summaries.callee_unit(event.callee)
                if callee is not None and "revalidateTag" in cache_names(analysis, *callee):
                    return (Related(path, event.span, f"`{event.label}` calls `revalidateTag`"),)
        return ()


_COMMENT = re.compile(rb"(?:(?<=\s)|^)//[^\n]*|/\*.*?\*/", re.DOTALL | re.MULTILINE)
_IMPORT = re.compile(rb"^(import\s*(?:type\s+)?)\{([^}]*)\}(\s*from\s*)(['\"])next/cache\4", re.DOTALL)


def _update_tag_fix(path: Path, source: bytes, facts: FileFacts, unit: Unit, calls: list[Call]) -> Fix | None:
    imported = facts.import_by_local.get("revalidateTag")
    if imported is None or imported.source != "next/cache" or imported.imported != "revalidateTag":
        return None  # `import { revalidateTag as rt }` or a namespace: leave it to the author
    edits: list[TextEdit] = []
    for call in calls:
        name_at = source.find(b"revalidateTag", call.span.start, call.span.end)
        if name_at != call.span.start or call.args_span is None:
            return None
        edits.append(TextEdit(path, Span(name_at, name_at + len("revalidateTag")), "updateTag"))
        args = call_args(source, call)
        if len(args) >= 2:
            # updateTag(tag) takes no cache-life profile
            edits.append(TextEdit(path, Span(args[0][1].end, args[-1][1].end), ""))
    statement = source[imported.span.start : imported.span.end]
    match = _IMPORT.match(statement)
    if match is None:
        return None
    names = [part.strip() for part in match.group(2).decode().split(",") if part.strip()]
    code = _COMMENT.sub(b"", source)
    uses = len(re.findall(rb"(?<![\w$.])revalidateTag(?![\w$])", code)) - 1  # less the import's
    still_used = uses > len(calls)
    has_update = any(re.fullmatch(r"updateTag", part) for part in names)
    replaced: list[str] = []
    for part in names:
        if part == "revalidateTag":
            if still_used:
                replaced.append(part)
            if not has_update:
                replaced.append("updateTag")
        else:
            replaced.append(part)
    inner = match.group(2).decode()
    padding = " " if inner.startswith(" ") else ""
    trailing = "," if inner.rstrip().endswith(",") else ""
    new_clause = "{" + padding + ", ".join(replaced) + trailing + padding + "}"
    clause_start = imported.span.start + match.start(2) - 1
    clause_end = imported.span.start + match.end(2) + 1
    if "\n" in inner:
        # a multi-line import: keep one name a line
        indent = re.search(r"\n([ \t]*)\S", inner)
        unit_indent = indent.group(1) if indent else "  "
        new_clause = "{\n" + "".join(f"{unit_indent}{part},\n" for part in replaced) + "}"
    edits.append(TextEdit(path, Span(clause_start, clause_end), new_clause))
    return Fix("Use `updateTag` (read-your-own-writes)", tuple(edits), "unsafe")
