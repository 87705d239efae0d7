"""Client code runs several Server Actions in `Promise.all`, but actions run one at a time.

## What it does
Finds, in client code (a `'use client'` module or a module bundled for the browser through one),
`Promise.all(…)`/`Promise.allSettled(…)` calls whose arguments call Server Actions — two or more
calls, or one inside a `.map(…)` callback (one call per item). A callee is a Server Action when it
resolves, through the import graph, to an export of a `'use server'` module (or to a function a
`'use server'` module re-exports).

## Why it matters
The Next.js client dispatches Server Actions one after another: each waits for the previous one's
response (and the router update it carries). `Promise.all` does not make them run in parallel; it
makes N round trips in a row, each re-rendering the page, while the code reads as if they were
concurrent. Deleting 50 selected items this way is 50 sequential requests.

## Example
```tsx
'use client'
import { deleteNote } from '@/app/actions/notes'

export function BulkDelete({ ids }: { ids: string[] }) {
  return <button onClick={() => Promise.all(ids.map((id) => deleteNote(id)))}>Delete</button>
}
```

## Fix
Send one action that does the whole batch on the server (where it can also run in one query and
one transaction):
```ts
'use server'
export async function deleteNotes(ids: string[]) {
  const session = await verifySession()
  await db.note.deleteMany({ where: { id: { in: ids }, authorId: session.userId } })
}
```
No quick fix: the batch action is new server code.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..facts.model import Call
from ..model import Finding, Related, Severity
from ..workspace.calls import label_of
from .base import Rule

_PARALLEL = frozenset({"all", "allSettled"})
_PER_ITEM = frozenset({"map", "flatMap", "from"})


def is_action(analysis: Analysis, path: Path, call: Call) -> bool:
    """Whether a call from ``path`` runs a Server Action defined in another module."""
    chain = call.chain
    if not chain or chain[0] in ("", "new", "this"):
        return False
    # `deleteNote(id)`, or `actions.deleteNote(id)` through a namespace import
    target = analysis.index.target(path, chain)
    if target.kind != "binding" or target.path is None or target.path == path or target.rest:
        return False
    memo = analysis.index.memo
    key = ("ng402-action", target.path, target.name)
    cached = memo.get(key)
    if isinstance(cached, bool):
        return cached
    result = any(
        endpoint.binding is not None and endpoint.binding.name == target.name and endpoint.kind != "route"
        for endpoint in analysis.endpoints(target.path)
    )
    memo[key] = result
    return result


class ParallelActions(Rule):
    code = "NG402"
    name = "parallel-actions"
    severity = Severity.HINT

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        index = analysis.index
        facts = index.modules[path]
        if facts.use_server is not None or not (facts.use_client or path in index.client_reachable):
            return
        for unit in facts.units:
            calls = unit.calls
            for call in calls:
                chain = call.chain
                if len(chain) != 2 or chain[0] != "Promise" or chain[1] not in _PARALLEL or call.args_span is None:
                    continue
                inside = [c for c in calls if call.args_span.start <= c.span.start and c.span.end <= call.args_span.end]
                actions = [c for c in inside if is_action(analysis, path, c)]
                if not actions:
                    continue
                per_item = any(
                    mapper.chain[-1] in _PER_ITEM
                    and mapper.args_span is not None
                    and mapper.args_span.start <= action.span.start < mapper.args_span.end
                    for action in actions
                    for mapper in inside
                )
                if len(actions) < 2 and not per_item:
                    continue
                distinct = list(dict.fromkeys(f"`{label_of(a.chain)}`" for a in actions))
                if per_item and len(actions) == 1:
                    what = f"calls the Server Action {distinct[0]} once per item"
                else:
                    what = f"makes {len(actions)} Server Action calls ({', '.join(distinct)})"
                message = (
                    f"`Promise.{chain[1]}` {what}, but actions run one at a time: these are sequential round trips. "
                    "Send one action that does the batch."
                )
                related = tuple(Related(path, a.span, f"Server Action call `{label_of(a.chain)}`") for a in actions)
                yield Finding(self.code, self.name, self.severity, message, path, call.span, related=related)
