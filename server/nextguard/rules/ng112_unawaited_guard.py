"""An async guard or auth call is tested without `await`: the test can never fail.

## What it does
Finds `if`, `?:`, `&&`/`||` and `!` tests of a call to an async function that is not awaited —
the project's own `async` guards (`isOwner(id)`, `canEdit(…)`, `getCurrentUser()`), async auth
primitives (`auth()`, `getServerSession()`, `currentUser()`, `supabase.auth.getUser()`, Kinde's
`isAuthenticated()`) — directly, or through a variable that holds the unawaited call.

## Why it matters
An async function returns a Promise, and a Promise is always truthy. `if (!isOwner(id))` is
`if (!promise)`, which is always false: the check passes for everyone, every time, and TypeScript
does not complain unless `no-misused-promises` is on. It reads exactly like a working check.

## Example
```ts
export async function deletePost(id: string) {
  if (!isOwner(id)) throw new Error('Forbidden')
  await db.post.delete({ where: { id } })
}
```

## Fix
Insert `await` (and make the enclosing function `async` when it is not):
```ts
  if (!await isOwner(id)) throw new Error('Forbidden')
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..facts.model import Call, Unit
from ..model import Finding, Fix, Severity, Span, TextEdit
from ..workspace.calls import Event, Kind
from ..workspace.discovery import read_json_object, workspace_files
from ..workspace.flow import UnitFlow, refs_in
from ..workspace.session_use import ASYNC_AUTH, is_clerk
from ..workspace.summaries import Summaries
from .base import Rule

# Kinde's server session: `getKindeServerSession()` is sync, its methods are async.
_KINDE_ASYNC = frozenset(
    {"isAuthenticated", "getUser", "getPermission", "getPermissions", "getOrganization", "getRoles", "getClaim"}
)


class UnawaitedGuard(Rule):
    code = "NG112"
    name = "unawaited-guard"
    severity = Severity.ERROR
    per_function = True

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        summaries = analysis.summaries
        facts = index.modules[path]
        clerk_async = analysis.memo("clerk-async-auth", lambda: _clerk_async(analysis), packages_only=True)
        for unit in analysis.units(path, module=True):
            held = {local.call: local for local in unit.locals if local.call is not None and not local.awaited}
            if not held and not any(call.test and not call.awaited for call in unit.calls):
                continue
            flow = summaries.flow(path, unit.index)
            kinde = _kinde_names(unit)
            for position, call in enumerate(unit.calls):
                if call.awaited:
                    continue
                local = held.get(position)
                tested = call.test
                if not tested and local is not None:
                    names = [binder.name for binder in local.binders]
                    tested = any(
                        facts.refs[i].test and facts.refs[i].member is None
                        for i in refs_in(facts, local.span.end, unit.span.end, names)
                    )
                if not tested:
                    continue
                label = _async_guard(analysis, path, flow, position, call, kinde, clerk_async)
                if label is None:
                    continue
                how = "tested" if call.test else f"kept in `{local.names[0] if local else ''}` and tested"
                message = (
                    f"`{label}` is async and {how} without `await`: a Promise is always truthy, "
                    "so this check can never fail."
                )
                fix = _await_fix(path, call, unit)
                yield Finding(
                    self.code,
                    self.name,
                    self.severity,
                    message,
                    path,
                    call.span,
                    fixes=(fix,) if fix is not None else (),
                )


def _async_guard(
    analysis: Analysis,
    path: Path,
    flow: UnitFlow,
    position: int,
    call: Call,
    kinde: set[str],
    clerk_async: bool,
) -> str | None:
    summaries = analysis.summaries
    chain = call.chain
    if chain and (chain[0] == "getKindeServerSession" or chain[0] in kinde) and chain[-1] in _KINDE_ASYNC:
        return ".".join(part for part in chain if part != "()")
    for event in flow.events_at.get(position, ()):
        if event.kind is Kind.AUTH:
            last = chain[-1]
            if last in ASYNC_AUTH and (clerk_async or not is_clerk(analysis.index, path, call)):
                return event.label
            if last in ("getKindeServerSession", "withAuth"):
                return None
        elif event.kind is Kind.CALL and _callee_async(summaries, event):
            return event.label
    return None


def _callee_async(summaries: Summaries, event: Event) -> bool:
    if event.callee is None:
        return False
    key = summaries.callee_unit(event.callee)
    if key is None:
        return False
    path, index = key
    unit = summaries.index.modules[path].units[index]
    return unit.is_async


def _kinde_names(unit: Unit) -> set[str]:
    """Names destructured from `getKindeServerSession()` (`const { isAuthenticated } = …`)."""
    names: set[str] = set()
    for local in unit.locals:
        if local.call is not None and unit.calls[local.call].chain[:1] == ("getKindeServerSession",):
            names.update(binder.name for binder in local.binders)
    return names


def _clerk_async(analysis: Analysis) -> bool:
    """Clerk's `auth()` is async from `@clerk/nextjs` 6 on; before, it returned the object."""
    for package in workspace_files(analysis.index.root, ("package.json", "apps/*/package.json")):
        data = read_json_object(package)  # bounded, never a FIFO
        if data is None:
            continue
        for section in ("dependencies", "devDependencies"):
            deps = data.get(section)
            version = deps.get("@clerk/nextjs") if isinstance(deps, dict) else None
            if isinstance(version, str):
                match = re.search(r"(\d+)", version)
                return match is not None and int(match.group(1)) >= 6
    return False


def _await_fix(path: Path, call: Call, unit: Unit) -> Fix | None:
    edits = [TextEdit(path, Span(call.span.start, call.span.start), "await ")]
    if not call.scope_async:
        if call.scope_at < 0:
            return None
        edits.append(TextEdit(path, Span(call.scope_at, call.scope_at), "async "))
    title = "Insert `await`" if call.scope_async else "Insert `await` and make the function `async`"
    return Fix(title, tuple(sorted(edits, key=lambda edit: edit.span.start)), "safe")
