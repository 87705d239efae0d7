"""Client input reaches a query with no schema validation.

## What it does
Finds Server Actions that pass client input — their arguments, `formData.get(…)`, anything derived
from them — to data access (a Prisma/Drizzle/Supabase/Kysely/Mongoose/SQL call, or a workspace
function that performs one) when nothing validates it against a schema: no zod, valibot, yup or
arktype `.parse`/`.safeParse`/`.parseAsync` call, no conform `parseWithZod`, no action client that
validates for you (next-safe-action `.schema()`/`.inputSchema()`, zsa `.input()`), no wrapper of
the project's own that validates (`validatedAction(schema, fn)`), no validating helper the input
is handed to (`validateInputs([id, ZId])`), and no validation in the workspace function that
receives it. Through a workspace function, only the parameters that reach a query count. Config
`validators` adds names. One finding per action, at its name, pointing at the first access that
receives the input.

## Why it matters
TypeScript types vanish at runtime: an action typed `(id: string)` receives whatever the POST
body holds — an object, an array, a 10 MB string. `formData.get('x') as string` is a cast, not a
check. Unvalidated input reaches the query as-is: operator injection into Prisma/Mongo filters
(`{ id: { not: '' } }`), mass assignment when an object is spread into `data`, crashes that leak
stack traces.

## Example
```ts
'use server'
export async function renameNote(id: string, formData: FormData) {
  const session = await verifySession()
  await db.note.update({
    where: { id, authorId: session.userId },
    data: { title: formData.get('title') as string },
  })
}
```

## Fix
Parse the input with a schema first, and use only what it returns:
```ts
const RenameNote = z.object({ id: z.string().uuid(), title: z.string().min(1).max(200) })

export async function renameNote(id: string, formData: FormData) {
  const session = await verifySession()
  const parsed = RenameNote.safeParse({ id, title: formData.get('title') })
  if (!parsed.success) return { errors: parsed.error.flatten().fieldErrors }
  await db.note.update({
    where: { id: parsed.data.id, authorId: session.userId },
    data: { title: parsed.data.title },
  })
}
```
No quick fix: the schema is the project's knowledge of its own data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..facts.model import Unit
from ..model import Finding, Related, Severity, Span
from ..workspace.calls import Kind
from ..workspace.flow import SESSION, UnitFlow, call_args
from ..workspace.summaries import Summaries
from .base import Rule
from .validation import validates, wrapper_validates


def _client_input(tags: frozenset[int]) -> bool:
    return any(tag != SESSION for tag in tags)


class UnvalidatedInput(Rule):
    code = "NG301"
    name = "unvalidated-input"
    severity = Severity.INFO
    per_function = True

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        summaries = analysis.summaries
        source = analysis.index.sources.get(path, b"")
        for endpoint in analysis.endpoints(path):
            if endpoint.kind == "route":
                continue
            unit = endpoint.unit
            summary = summaries.unit(path, unit.index)
            if not summary.data or not unit.params:
                continue
            if validates(analysis, path, unit.index):
                continue
            if endpoint.binding is not None and wrapper_validates(analysis, path, endpoint.binding.chain_refs):
                continue
            flow = summaries.flow(path, unit.index)
            if _hands_input_to_validator(analysis, summaries, path, source, unit, flow):
                continue
            site = _first_site(analysis, summaries, path, source, unit, flow)
            if site is None:
                continue
            span, label, dal = site
            where = f"`{label}`" + (", a workspace function that touches data," if dal else "")
            message = (
                f"Server Action `{endpoint.name}` passes client input to {where} without validating it "
                "against a schema: its parameter types are not checked at runtime."
            )
            related = (Related(path, span, f"client input reaches `{label}` here"),)
            yield Finding(self.code, self.name, self.severity, message, path, unit.report, related=related)


def _hands_input_to_validator(
    analysis: Analysis, summaries: Summaries, path: Path, source: bytes, unit: Unit, flow: UnitFlow
) -> bool:
    """Whether the action passes its input to a function of the project's own that validates it
    (`validateInputs([id, ZId])`, a DAL getter that parses its id first): an invalid value stops
    there."""
    for position, events in flow.events_at.items():
        for event in events:
            if event.kind is not Kind.CALL or event.callee is None:
                continue
            key = summaries.callee_unit(event.callee)
            if key is None or key not in summaries.units or not validates(analysis, *key):
                continue
            if any(_client_input(flow.tags_of(text)) for text, _ in call_args(source, unit.calls[position])):
                return True
    return False


def reaching_params(analysis: Analysis, path: Path, unit_index: int) -> frozenset[int]:
    """The positions of a function's parameters whose values reach a data access in it (directly,
    or through the functions it passes them to). Memoised per update; a cycle contributes
    nothing."""
    memo = analysis.index.memo
    key = ("ng301-reaching", path, unit_index)
    cached = memo.get(key)
    if isinstance(cached, frozenset):
        return cached
    memo[key] = frozenset()
    summaries = analysis.summaries
    unit = analysis.index.modules[path].units[unit_index]
    source = analysis.index.sources.get(path, b"")
    flow = summaries.flow(path, unit_index)
    found: set[int] = set()
    for position, events in flow.events_at.items():
        for event in events:
            if event.kind is Kind.DATA:
                for member in flow.chain(unit, position):
                    for text, _ in call_args(source, unit.calls[member]):
                        found.update(tag for tag in flow.tags_of(text) if tag >= 0)
            elif event.kind is Kind.CALL and event.callee is not None:
                callee = summaries.callee_unit(event.callee)
                if callee is None or callee not in summaries.units or not summaries.units[callee].data:
                    continue
                if validates(analysis, *callee):
                    continue  # what it is given is checked there before it reaches data
                inner = reaching_params(analysis, *callee)
                for position_in_call, (text, _) in enumerate(call_args(source, unit.calls[position])):
                    if position_in_call in inner:
                        found.update(tag for tag in flow.tags_of(text) if tag >= 0)
    result = frozenset(found)
    memo[key] = result
    return result


def _first_site(
    analysis: Analysis, summaries: Summaries, path: Path, source: bytes, unit: Unit, flow: UnitFlow
) -> tuple[Span, str, bool] | None:
    """The first data access whose arguments — in any call of its chain: `.where(…)`, `.eq(…)` —
    carry client input, or the first call that hands client input to a parameter of a workspace
    function that reaches data with it (and does not validate)."""
    calls = unit.calls
    for position in sorted(flow.events_at, key=lambda i: calls[i].span.start):
        for event in flow.events_at[position]:
            if event.kind is Kind.CALL:
                callee = summaries.callee_summary(event)
                key = summaries.callee_unit(event.callee) if event.callee is not None else None
                if callee is None or key is None or not callee.data or validates(analysis, *key):
                    continue
                reaching = reaching_params(analysis, *key)
                for index, (text, _) in enumerate(call_args(source, calls[position])):
                    if index in reaching and _client_input(flow.tags_of(text)):
                        return calls[position].span, event.label, True
            elif event.kind is Kind.DATA:
                for member in flow.chain(unit, position):
                    if any(_client_input(flow.tags_of(text)) for text, _ in call_args(source, calls[member])):
                        return calls[position].span, event.label, False
    return None
