"""A layout performs the auth check.

## What it does
Finds `layout` files whose component checks auth itself: calls a guard as a bare statement
(`await verifySession();`, `auth.protect()`), or tests an auth result and redirects, calls
`notFound()` or throws (`if (!session) redirect('/login')`). Fetching the user to show their name
(`const user = await getUser()`) is not a check. The diagnostic lists, as related locations, the
pages under the layout that rely on it (NG109).

## Why it matters
Layouts do not re-render on client-side navigation (Partial Rendering): a user who moves from
`/dashboard` to `/dashboard/billing` gets the billing page without the layout's check running
again, so a session revoked in between is not noticed. A layout check also covers nothing the
layout does not render — not the Server Actions, not the route handlers under it. It feels like
one check for a whole segment; it is a check for the first page load.

## Example
```tsx
// app/dashboard/layout.tsx
export default async function DashboardLayout({ children }) {
  const session = await auth()
  if (!session) redirect('/login')
  return <Shell user={session.user}>{children}</Shell>
}
```

## Fix
Keep the layout for display, and check in each page (or in the DAL functions the pages call),
which run on every navigation. The fix lives on NG109: it inserts the auth call at the top of each
page that relies on the layout.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..model import Finding, Related, Severity
from ..workspace.routes import component_unit
from .base import Rule
from .layout_auth import checks, reliant_pages


def relying_pages(analysis: Analysis) -> dict[Path, list[Related]]:
    """Each auth-checking layout's reliant pages, in path order, as related locations, built once
    per analysis rather than once per layout."""

    def compute() -> dict[Path, list[Related]]:
        index = analysis.index
        found: dict[Path, list[Related]] = {}
        for page, above in sorted(reliant_pages(analysis).items()):
            unit = component_unit(index, page)
            if unit is None:
                continue
            for layout in dict.fromkeys(layout.path for layout in above):
                found.setdefault(layout, []).append(
                    Related(page, unit.report, f"{index.rel(page)} relies on this check (NG109)")
                )
        return found

    return analysis.memo("layout-relying-pages", compute)


class AuthInLayout(Rule):
    code = "NG108"
    name = "auth-in-layout"
    severity = Severity.WARNING

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        if analysis.index.app_kind(path) != "layout":
            return
        check = checks(analysis).get(path)
        if check is None:
            return
        related = relying_pages(analysis).get(path, [])
        message = (
            f"This layout checks auth (`{check.label}`): layouts do not re-render on client-side navigation, "
            "so the check does not run again between the pages under it."
        )
        if related:
            message += f" {len(related)} page(s) under it rely on it."
        yield Finding(self.code, self.name, self.severity, message, path, check.span, related=tuple(related))
