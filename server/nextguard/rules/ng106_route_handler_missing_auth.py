"""A route handler reaches data with no auth check before it.

## What it does
Finds `GET`/`POST`/`PUT`/`PATCH`/`DELETE`/`HEAD`/`OPTIONS` exported from `app/**/route.ts` that
read or change data — directly or through workspace functions — with no auth primitive on the
way: no `auth()`, `getServerSession()`, `currentUser()`, `supabase.auth.getUser()`, the project's
`verifySession()`, no authenticating wrapper (`withAuth(handler)`).

## Why it matters
A route handler is a public URL. Unlike Server Actions it does not even get Next.js' same-origin
check on POST, and it answers `GET` — so a link, an `<img>` tag or a script on any site can call
it. The middleware matcher may or may not cover its path; the handler has to check for itself.

## Example
```ts
// app/api/notes/route.ts
export async function GET(request: NextRequest) {
  const authorId = request.nextUrl.searchParams.get('authorId')!
  return Response.json(await db.note.findMany({ where: { authorId } }))
}
```

## Fix
Check who is calling first. The quick fix inserts the project's own auth helper, as NG101's does,
answering 401 when there is no session:
```ts
export async function GET(request: NextRequest) {
  const session = await getSession()
  if (!session) return new Response('Unauthorized', { status: 401 })
  …
}
```
Not reported: handlers marked `// nextguard-public: <reason>` or listed in `publicActions`, sign-in
and OAuth callback flows, webhooks that verify a signature (Stripe's `constructEvent`, Svix,
QStash…), cron jobs that compare a secret from the environment with a request header (or are
wrapped in a wrapper named for it, `withCron`), read-only handlers under `og/`, `.well-known/`,
`feed/`, `sitemap/`, handlers written as public APIs — rate-limited, or answering cross-origin
requests (the module exports `OPTIONS` or sets CORS headers) —, test-only routes (`e2e/`), and
handlers that do check, only too late (NG102).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..fixes.auth_guard import auth_fixes, trail_related
from ..model import Finding, Severity
from ..workspace.actions import public_reason
from ..workspace.routes import PUBLIC_SEGMENTS, auth_flow_route, machine_or_role_endpoint, public_api
from .auth_helper import project_auth_helper
from .base import Rule


class RouteHandlerMissingAuth(Rule):
    code = "NG106"
    name = "route-handler-missing-auth"
    severity = Severity.WARNING

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        summaries = analysis.summaries
        for endpoint in analysis.endpoints(path):
            if endpoint.kind != "route":
                continue
            unit = endpoint.unit
            summary = summaries.unit(path, unit.index)
            if not summary.unguarded or summary.flow:
                continue
            if endpoint.binding is not None and summaries.chain_auth(path, endpoint.binding):
                continue
            if summaries.late_auth(path, unit.index) is not None:
                continue  # NG102
            if public_reason(index, endpoint) is not None or auth_flow_route(index, path):
                continue
            if machine_or_role_endpoint(index, summaries, path, unit, evidence=True) is not None:
                continue
            if not summary.mutates and PUBLIC_SEGMENTS & set(index.rel_parts(path)):
                continue  # an Open Graph image, a well-known file, a feed: public by design
            if public_api(index, path, unit):
                continue
            trail = summaries.trail(path, unit.index)
            what = "changes" if summaries.step_mutates(path, unit.index, trail[0]) else "reads"
            via = f" through `{trail[0].label}`" if len(trail) > 1 else ""
            message = (
                f"Route handler `{endpoint.name}` {what} data (`{trail[-1].label}`{via}) with no auth check "
                "before it: a route handler is a public URL."
            )
            related = trail_related(trail)
            fixes = auth_fixes(index, project_auth_helper(analysis), path, unit, f"`{endpoint.name}`", route=True)
            yield Finding(self.code, self.name, self.severity, message, path, unit.report, related=related, fixes=fixes)
