"""A page under a layout that checks auth has no check of its own.

## What it does
Finds `page` files that read data — directly or through workspace functions — with no auth check
of their own (neither in the page component nor in the DAL functions it calls), when a `layout`
above them checks auth (NG108). The diagnostic points, as a related location, at the layout's
check.

## Why it matters
The page is only protected on a full page load. Layouts do not re-render on client-side
navigation, so a user whose session was revoked — or who never had the right to this page — gets
it by navigating from another page under the same layout. The check that runs on every
navigation is the one in the page, or in the DAL function the page calls.

## Example
```tsx
// app/dashboard/layout.tsx checks `auth()` and redirects.
// app/dashboard/billing/page.tsx
export default async function BillingPage() {
  const invoices = await db.invoice.findMany()
  return <Invoices invoices={invoices} />
}
```

## Fix
Check in the page. The quick fix inserts the project's auth helper at the top of the page
component, as NG101's does:
```tsx
export default async function BillingPage() {
  const session = await verifySession()
  const invoices = await db.invoice.findMany()
  …
}
```
Better still, have the DAL function (`getInvoices()`) check: then every caller is covered.
Pages that read no data are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..fixes.auth_guard import guard_fix
from ..model import Finding, Fix, Related, Severity
from ..workspace.routes import component_unit
from .auth_helper import project_auth_helper
from .base import Rule
from .layout_auth import reliant_pages


class PageReliesOnLayoutAuth(Rule):
    code = "NG109"
    name = "page-relies-on-layout-auth"
    severity = Severity.WARNING

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        if index.app_kind(path) != "page":
            return
        layouts = reliant_pages(analysis).get(path)
        if not layouts:
            return
        unit = component_unit(index, path)
        if unit is None:
            return
        nearest = layouts[0]
        message = (
            f"This page reads data with no auth check of its own; it relies on the check in "
            f"{index.rel(nearest.path)}, which does not run again on client-side navigation."
        )
        related = tuple(
            Related(layout.path, layout.span, f"the layout's auth check (`{layout.label}`)") for layout in layouts
        )
        fixes: tuple[Fix, ...] = ()
        helper = project_auth_helper(analysis)
        if helper is not None:
            fix = guard_fix(index, helper, path, unit, "the page")
            if fix is not None:
                fixes = (fix,)
        yield Finding(self.code, self.name, self.severity, message, path, unit.report, related=related, fixes=fixes)
