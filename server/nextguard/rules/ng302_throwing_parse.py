"""A Server Action validates with `schema.parse(…)`, which throws, instead of `safeParse`.

## What it does
Finds `S.parse(input)` and `await S.parseAsync(input)` calls on a schema (zod and the libraries
that copy its API: a `z.…` chain, a module-level value built from a schema package, a name ending
in `Schema`) of client input in the body of a Server Action, when no `try` around them catches
the error. Parsing a database record or a returned value (shaping a DTO), and parsing inside an
action whose client already validated the input (`.schema()`/`.inputSchema()`), are not reported.

## Why it matters
`parse` throws on bad input. Thrown from a Server Action, the error becomes a generic "An error
occurred in the Server Components render" in production — the user loses what they typed and
gets no field errors — while in development the full error (with the schema's messages and the
input) is shown. `safeParse` returns the problems as data, so the action can answer with field
errors that `useActionState` renders next to each field.

## Example
```ts
'use server'
export async function createNote(formData: FormData) {
  const session = await verifySession()
  const note = NoteSchema.parse({ title: formData.get('title') })
  await db.note.create({ data: { ...note, authorId: session.userId } })
}
```

## Fix
The quick fix rewrites the declaration into `safeParse` with an early return of the field errors,
and keeps the name the rest of the action uses:
```ts
  const parsed = NoteSchema.safeParse({ title: formData.get('title') })
  if (!parsed.success) return { errors: parsed.error.flatten().fieldErrors }
  const note = parsed.data
```
(`await S.parseAsync(v)` becomes `await S.safeParseAsync(v)`.) It changes what the action returns
on bad input, so it is unsafe: offered in the editor, applied with `--fix --unsafe-fixes`. It is
offered for `const x = S.parse(v)` and for a bare `S.parse(v);` statement at the top level of the
action's body; elsewhere, rewrite by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..facts.extract import roots_of
from ..facts.model import Call, FileFacts, Local, Unit
from ..fixes.edits import line_indent, style_of
from ..model import Finding, Fix, Severity, Span, TextEdit
from ..workspace.calls import Kind
from ..workspace.flow import SESSION, UnitFlow, call_args
from ..workspace.resolve import ModuleResolver
from .base import Rule
from .validation import wrapper_validates

SCHEMA_PACKAGES = frozenset({"zod", "yup", "arktype", "@sinclair/typebox", "effect", "@effect/schema", "zod/v4"})
# Schema-library namespaces people import as: `z.string().parse(x)`.
_SCHEMA_ROOTS = frozenset({"z", "zod"})
_SCHEMA_NAME = re.compile(r"(schema|validator|Schema|Validator)$|^[A-Z]\w*(Schema|Input|Form|Data)$")
# Roots whose `.parse` is not schema validation.
_NOT_SCHEMAS = frozenset(
    {"JSON", "JSON5", "Date", "URL", "path", "url", "qs", "querystring", "cookie", "yaml", "YAML", "Papa", "toml"}
)
_THROWING = {"parse": "safeParse", "parseAsync": "safeParseAsync"}


def _is_schema(analysis: Analysis, path: Path, chain: tuple[str, ...]) -> bool:
    root = chain[0]
    if root in _NOT_SCHEMAS or root in ("", "new", "this"):
        return False
    if root in _SCHEMA_ROOTS:
        return True
    target = analysis.index.target(path, (root,))
    if target.kind == "binding" and target.path is not None:
        binding = analysis.index.binding_in(target.path, target.name)
        if binding is not None and binding.init and binding.init[0] not in ("new", "", "()"):
            origin = analysis.index.target(target.path, binding.init[:1])
            if origin.kind == "external" and ModuleResolver.package_name(origin.specifier) in SCHEMA_PACKAGES:
                return True
            if binding.init[0] in _SCHEMA_ROOTS:
                return True
    return bool(_SCHEMA_NAME.search(root)) and len(chain) == 2


def _in_try(source: bytes, unit: Unit, call: Call) -> bool:
    """Whether a top-level `try` statement of the action holds the call (its error is handled)."""
    for statement in unit.statements:
        if statement.start <= call.span.start < statement.end and source.startswith(b"try", statement.start):
            return source.find(b"catch", call.span.end, statement.end) != -1
    return False


class ThrowingParse(Rule):
    code = "NG302"
    name = "throwing-parse"
    severity = Severity.INFO

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        source = analysis.index.sources.get(path, b"")
        facts = analysis.index.modules[path]
        summaries = analysis.summaries
        for endpoint in analysis.endpoints(path):
            if endpoint.kind == "route":
                continue
            unit = endpoint.unit
            if endpoint.binding is not None and wrapper_validates(analysis, path, endpoint.binding.chain_refs):
                continue  # the action client parsed the input already: a later parse shapes data
            for position, call in enumerate(unit.calls):
                chain = call.chain
                if len(chain) < 2 or chain[-1] not in _THROWING:
                    continue
                if not _is_schema(analysis, path, chain) or _in_try(source, unit, call):
                    continue
                if call.returned or _in_return(source, unit, call):
                    continue  # shaping a result into a DTO (`return Schema.parse(row)`) is not input validation
                if not _parses_input(source, call, summaries.flow(path, unit.index), _stored(analysis, path, unit)):
                    continue
                safe = _THROWING[chain[-1]]
                message = (
                    f"Server Action `{endpoint.name}` validates with `.{chain[-1]}(…)`, which throws on bad input: "
                    f"use `.{safe}(…)` and return the field errors."
                )
                fix = _safe_parse_fix(path, source, facts, unit, position, call)
                yield Finding(
                    self.code,
                    self.name,
                    self.severity,
                    message,
                    path,
                    call.span,
                    fixes=(fix,) if fix is not None else (),
                )


def _in_return(source: bytes, unit: Unit, call: Call) -> bool:
    for statement in unit.statements:
        if statement.start <= call.span.start < statement.end:
            return source.startswith(b"return", statement.start)
    return False


def _stored(analysis: Analysis, path: Path, unit: Unit) -> set[str]:
    """Names holding what a data access or a data-touching workspace function returned: parsing
    them shapes a record, it does not validate input."""
    summaries = analysis.summaries
    flow = summaries.flow(path, unit.index)
    found: set[str] = set()
    for local in unit.locals:
        stored = False
        if local.call is not None:
            for position in flow.chain(unit, local.call):
                for event in flow.events_at.get(position, ()):
                    if event.kind is Kind.DATA:
                        stored = True
                    elif event.kind is Kind.CALL:
                        callee = summaries.callee_summary(event)
                        stored = stored or (callee is not None and callee.data)
        elif local.reads is not None:
            stored = local.reads.split(".")[0] in found
        if stored:
            found.update(local.names)
    return found


def _parses_input(source: bytes, call: Call, flow: UnitFlow, stored: set[str]) -> bool:
    """Whether the parsed value is client input, not a record read from the database (whose
    tags say it was fetched by a client-supplied key)."""
    for text, _ in call_args(source, call):
        roots = roots_of(text.encode())
        if any(root in flow.records or root in stored for root in roots):
            return False
        if any(tag != SESSION for tag in flow.tags_of(text)):
            return True
    return False


def _fresh_name(source: bytes, unit: Unit) -> str:
    body = source[unit.span.start : unit.span.end]
    for candidate in ("parsed", "parseResult", "validation", "parsedInput"):
        if not re.search(rb"(?<![\w$])" + candidate.encode() + rb"(?![\w$])", body):
            return candidate
    number = 2
    while re.search(rb"(?<![\w$])parsed" + str(number).encode() + rb"(?![\w$])", body):
        number += 1
    return f"parsed{number}"


def _method_span(source: bytes, call: Call, method: str) -> Span | None:
    """Where the method name of the callee stands (`parse` in `S.parse(v)`)."""
    end = call.args_span.start if call.args_span is not None else call.span.end
    head = source[call.span.start : end]
    at = head.rfind(method.encode())
    if at < 0:
        return None
    return Span(call.span.start + at, call.span.start + at + len(method))


def _safe_parse_fix(path: Path, source: bytes, facts: FileFacts, unit: Unit, position: int, call: Call) -> Fix | None:
    method = call.chain[-1]
    method_span = _method_span(source, call, method)
    if method_span is None or call.args_span is None:
        return None
    style = style_of(source, facts)
    statement = next((s for s in unit.statements if s.start <= call.span.start < s.end), None)
    if statement is None:
        return None  # nested in a callback or a block: a `return` there would not leave the action
    local = next((loc for loc in unit.locals if loc.call == position and loc.statement == statement), None)
    name = _fresh_name(source, unit)
    semi = style.semicolon
    nl = style.newline
    indent = line_indent(source, statement.start)
    call_text = source[call.span.start : method_span.start].decode() + _THROWING[method]
    call_text += source[method_span.end : call.span.end].decode()
    awaited = "await " if call.awaited else ""
    check = f"if (!{name}.success) return {{ errors: {name}.error.flatten().fieldErrors }}{semi}"
    # The statement's own code ends at the call (and its `;`); a comment that ASI leaves inside the
    # statement stays where it is.
    end = call.span.end
    after = source[end : statement.end]
    if after.lstrip(b" \t").startswith(b";"):
        end += len(after) - len(after.lstrip(b" \t")) + 1
    rest = source[end : statement.end].strip()
    if rest and not rest.startswith((b"//", b"/*")):
        return None
    code = Span(statement.start, end)
    if local is not None:
        declared = _declaration(source, code, local, call)
        if declared is None:
            return None
        keyword, pattern = declared
        text = (
            f"const {name} = {awaited}{call_text}{semi}{nl}{indent}{check}{nl}"
            f"{indent}{keyword} {pattern} = {name}.data{semi}"
        )
    elif call.statement and _is_whole_statement(source, code, call):
        text = f"const {name} = {awaited}{call_text}{semi}{nl}{indent}{check}"
    else:
        return None
    title = f"Use `.{_THROWING[method]}(…)` and return the field errors"
    return Fix(title, (TextEdit(path, code, text),), "unsafe")


_DECLARATION = re.compile(rb"^(const|let|var)\s+")


def _declaration(source: bytes, statement: Span, local: Local, call: Call) -> tuple[str, str] | None:
    """`const x: T = [await] S.parse(v)[;]` as ("const", "x: T"), or None for any other shape."""
    text = source[statement.start : statement.end]
    match = _DECLARATION.match(text)
    if match is None or local.span.start != statement.start + match.end():
        return None
    declarator = source[local.span.start : call.span.start]
    head = re.match(rb"^(.*?)\s*=\s*(await\s+)?$", declarator, re.DOTALL)
    if head is None or bool(head.group(2)) != call.awaited:
        return None
    rest = source[call.span.end : statement.end].strip()
    if rest not in (b"", b";"):
        return None
    return match.group(1).decode(), head.group(1).decode()


def _is_whole_statement(source: bytes, statement: Span, call: Call) -> bool:
    text = source[statement.start : call.span.start].strip()
    rest = source[call.span.end : statement.end].strip()
    return text in (b"", b"await") and rest in (b"", b";")
