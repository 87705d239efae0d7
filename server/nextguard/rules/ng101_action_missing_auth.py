"""A Server Action reaches data with no auth check before it.

## What it does
Finds Server Actions — exports of a `'use server'` module and inline functions that start with
`'use server'` — that read or change data (directly, or through any workspace function they call)
when no auth primitive has run on the way: no `auth()`, `getServerSession()`, `currentUser()`,
`supabase.auth.getUser()`, the project's own `verifySession()`, no authenticating wrapper
(`withAuth(fn)`, an action client whose `.use()` middleware authenticates, a zsa procedure).

## Why it matters
`'use server'` does not add authentication: it turns the function into a public POST endpoint.
Anyone who can send a request with the action's id — no UI needed — can call it with any
arguments. The page that renders the button being protected does not matter; neither does a
proxy/middleware matcher, because actions POST to the page's own path. Validating the input with
a schema checks its shape, not who is asking.

## Example
```ts
'use server'
import { db } from '@/lib/db'

export async function deletePost(formData: FormData) {
  const postId = formData.get('postId') as string
  await db.post.delete({ where: { id: postId } })
}
```

## Fix
Check who is calling before touching data. The quick fix inserts the project's own auth helper
(the one the workspace already calls most) as the first statement, with its import:
```ts
export async function deletePost(formData: FormData) {
  const session = await verifySession()
  const postId = formData.get('postId') as string
  await db.post.delete({ where: { id: postId } })
}
```
Actions that are public by design (a newsletter sign-up) are marked with a
`// nextguard-public: <reason>` comment above them or listed in `publicActions`; sign-in, sign-up
and password-reset flows are recognised by what they call and are not reported. An action that
does check, but only after touching data, is NG102 instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..fixes.auth_guard import auth_fixes, trail_related
from ..model import Finding, Severity
from ..workspace import vocabulary as vocab
from ..workspace.actions import public_reason
from ..workspace.public_design import public_design
from .auth_helper import project_auth_helper
from .base import Rule


class ActionMissingAuth(Rule):
    code = "NG101"
    name = "action-missing-auth"
    severity = Severity.ERROR
    per_function = True

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        summaries = analysis.summaries
        for endpoint in analysis.endpoints(path):
            if endpoint.kind == "route":
                continue
            summary = summaries.unit(path, endpoint.unit.index)
            if not summary.unguarded:
                continue
            if endpoint.binding is not None and summaries.chain_protects(path, endpoint.binding, endpoint.unit):
                continue
            if summary.flow or vocab.AUTH_FLOW_ACTION_NAME.match(endpoint.name):
                continue
            if public_reason(index, endpoint) is not None or public_design(index, summaries, endpoint) is not None:
                continue
            trail = summaries.trail(path, endpoint.unit.index)
            if summaries.late_auth(path, endpoint.unit.index) is not None and not trail[-1].effect:
                continue  # it does check, only too late: NG102 (an outside effect before it is done)
            first = trail[-1]
            # Said of the access the trail names (a read is not called a change because a write
            # follows it), and of what follows when that is worse.
            what = "calls an outside service" if first.effect else "changes data" if first.write else "reads data"
            then = " and then changes data" if summary.mutates and not first.write and not first.effect else ""
            via = f" through `{trail[0].label}`" if len(trail) > 1 else ""
            kind = "inline Server Action" if endpoint.kind == "inline" else "Server Action"
            message = (
                f"{kind} `{endpoint.name}` {what} (`{first.label}`{via}){then} with no auth check before it: "
                "every Server Action is a public POST endpoint."
            )
            if summary.validates or (endpoint.binding is not None and _validates(endpoint.binding.chain_refs)):
                message += " Validating the input with a schema is not authorization."
            if analysis.proxy_with_auth is not None:
                message += (
                    f" The check in {index.rel(analysis.proxy_with_auth)} does not protect it: a proxy matcher does"
                    " not cover actions, which POST to the page's own path."
                )
            related = trail_related(trail)
            fixes = auth_fixes(index, project_auth_helper(analysis), path, endpoint.unit, f"`{endpoint.name}`")
            yield Finding(
                self.code,
                self.name,
                self.severity,
                message,
                path,
                endpoint.unit.report,
                related=related,
                fixes=fixes,
            )


def _validates(chain_refs: tuple[tuple[str, ...], ...]) -> bool:
    return any(part in vocab.VALIDATION_CHAIN for ref in chain_refs for part in ref)
