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
from ..workspace.routes import LayoutCheck, component_unit, layout_checks, layout_segments, layouts_above
from .base import Rule


def checks(analysis: Analysis) -> dict[Path, LayoutCheck]:
    return analysis.memo("layout-checks", lambda: layout_checks(analysis.index, analysis.summaries))


def reliant_pages(analysis: Analysis) -> dict[Path, list[LayoutCheck]]:
    """Pages that reach data with no auth check of their own, and the auth-checking layouts above
    them (nearest first)."""

    def compute() -> dict[Path, list[LayoutCheck]]:
        index = analysis.index
        found: dict[Path, list[LayoutCheck]] = {}
        layouts = checks(analysis)
        if not layouts:
            return found
        segments = layout_segments(layouts)
        for path in index.modules:
            if index.app_kind(path) != "page":
                continue
            above = layouts_above(index, layouts, path, segments)
            if not above:
                continue
            unit = component_unit(index, path)
            if unit is None:
                continue
            summary = analysis.summaries.unit(path, unit.index)
            if summary.auth or not summary.data:
                continue
            found[path] = above
        return found

    return analysis.memo("layout-reliant-pages", compute)


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
