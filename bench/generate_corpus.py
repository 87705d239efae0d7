"""Write a synthetic Next.js App Router workspace of N source files, for benchmarks that scale.

    python bench/generate_corpus.py 5000                 # -> bench/.work/corpus-5000
    python bench/generate_corpus.py 20000 --out /tmp/c20k --seed 7

The workspace looks like a feature-sliced App Router app: ``package.json``, a ``tsconfig.json`` with
``@/*`` paths, ``src/lib/dal.ts`` (``verifySession()`` through React ``cache()``), ``src/lib/db.ts``
(Prisma), a next-safe-action client whose middleware authenticates, and per feature ten files: a DAL
module, a ``'use server'`` action file (actions protected through the DAL, by an inline
``verifySession()``, by the safe-action client, and some not protected at all), pages, a layout, a
route handler, two client components, utils and zod schemas. Files are 50–300 lines. Output is
deterministic for a given (N, seed). The directory gets its own ``.git`` so that it is analysed as a
checkout of its own (the repo's ``.gitignore`` ignores ``bench/.work/``, and git would apply it).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

GENERATOR_VERSION = 1
MARKER = ".nextguard-bench-corpus.json"
BENCH = Path(__file__).resolve().parent
DEFAULT_WORK = BENCH / ".work"
FILES_PER_FEATURE = 10

_NOUNS = (
    "invoice",
    "project",
    "task",
    "note",
    "comment",
    "team",
    "member",
    "report",
    "ticket",
    "order",
    "product",
    "customer",
    "payment",
    "subscription",
    "workspace",
    "document",
    "folder",
    "label",
    "webhook",
    "domain",
    "link",
    "campaign",
    "contact",
    "deal",
    "event",
    "calendar",
    "booking",
    "review",
    "article",
    "category",
    "tag",
    "asset",
    "upload",
    "message",
    "thread",
    "channel",
    "integration",
    "token",
    "invite",
    "audit",
    "plan",
    "coupon",
    "shipment",
    "warehouse",
    "supplier",
)
_FIELDS = ("title", "name", "description", "status", "priority", "amount", "slug", "email", "notes", "color")
_STATUSES = ("draft", "active", "archived", "pending", "done")


def default_dir(files: int) -> Path:
    return DEFAULT_WORK / f"corpus-{files}"


class _Feature:
    def __init__(self, index: int) -> None:
        noun = _NOUNS[index % len(_NOUNS)]
        suffix = "" if index < len(_NOUNS) else str(index // len(_NOUNS))
        self.camel = f"{noun}{suffix}"
        self.pascal = self.camel[0].upper() + self.camel[1:]
        self.kebab = f"{noun}-{suffix}" if suffix else noun
        self.model = self.camel  # prisma model accessor: db.<model>


class _Writer:
    """Builds one file from blocks until its target size is reached."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lines: list[str] = []

    def add(self, text: str) -> None:
        self.lines.extend(text.rstrip("\n").split("\n"))
        self.lines.append("")

    def fill(self, target: int, block: Callable[[int], str]) -> None:
        n = 0
        while len(self.lines) < target:
            self.add(block(n))
            n += 1

    def text(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"


class Generator:
    def __init__(self, files: int, seed: int) -> None:
        self.files = files
        self.rng = random.Random(f"nextguard-corpus:{seed}:{files}")
        self.out: dict[str, str] = {}

    # -- sizes ----------------------------------------------------------------------------------------

    def target_lines(self) -> int:
        # Most files are 70–150 lines; a tail goes up to 300.
        return max(50, min(300, int(self.rng.triangular(50, 300, 90))))

    def pick_fields(self) -> list[str]:
        return self.rng.sample(_FIELDS, self.rng.randint(3, 6))

    # -- the whole workspace --------------------------------------------------------------------------

    def build(self) -> dict[str, str]:
        core = self.core_files()
        self.out.update(core)
        features = max(0, (self.files - len(core)) // FILES_PER_FEATURE)
        for i in range(features):
            self.feature(_Feature(i), i, features)
        extra = 0
        while len(self.out) < self.files:
            self.out[f"src/lib/helpers/helper-{extra}.ts"] = self.utils_file(f"helper{extra}", extra)
            extra += 1
        return self.out

    def core_files(self) -> dict[str, str]:
        return {
            "src/lib/db.ts": _DB,
            "src/lib/dal.ts": _DAL,
            "src/lib/session.ts": _SESSION,
            "src/lib/safe-action.ts": _SAFE_ACTION,
            "src/lib/utils.ts": _UTILS,
            "src/middleware.ts": _MIDDLEWARE,
            "src/app/layout.tsx": _ROOT_LAYOUT,
            "src/app/page.tsx": _HOME,
        }

    def feature(self, f: _Feature, index: int, count: int) -> None:
        fields = self.pick_fields()
        # A feature sometimes uses another feature's DAL and utils, so the import graph is not a forest.
        other = _Feature(self.rng.randrange(count)) if count > 1 else f
        out = self.out
        out[f"src/lib/dal/{f.kebab}.ts"] = self.dal_module(f, fields)
        out[f"src/app/actions/{f.kebab}.ts"] = self.actions_file(f, fields, other)
        out[f"src/app/(app)/{f.kebab}/page.tsx"] = self.list_page(f, fields)
        out[f"src/app/(app)/{f.kebab}/[id]/page.tsx"] = self.detail_page(f, fields)
        out[f"src/app/(app)/{f.kebab}/layout.tsx"] = self.layout(f)
        out[f"src/app/api/{f.kebab}/route.ts"] = self.route(f, fields)
        out[f"src/components/{f.kebab}/{f.kebab}-form.tsx"] = self.form(f, fields)
        out[f"src/components/{f.kebab}/{f.kebab}-table.tsx"] = self.table(f, fields, other)
        out[f"src/lib/utils/{f.kebab}.ts"] = self.utils_file(f.camel, index)
        out[f"src/lib/validations/{f.kebab}.ts"] = self.validations(f, fields)

    # -- DAL ------------------------------------------------------------------------------------------

    def dal_module(self, f: _Feature, fields: list[str]) -> str:
        w = _Writer(self.rng)
        header = "import 'server-only';\n" if self.rng.random() < 0.9 else ""  # some forget it: NG203
        w.add(
            f"{header}import {{ cache }} from 'react';\n"
            "import { db } from '@/lib/db';\n"
            "import { verifySession } from '@/lib/dal';\n"
            f"import type {{ {f.pascal}Input }} from '@/lib/validations/{f.kebab}';"
        )
        select = ", ".join(f"{field}: true" for field in fields)
        w.add(
            f"export const get{f.pascal} = cache(async (id: string) => {{\n"
            "  const session = await verifySession();\n"
            f"  const row = await db.{f.model}.findUnique({{\n"
            "    where: { id },\n"
            f"    select: {{ id: true, ownerId: true, {select} }},\n"
            "  });\n"
            "  if (!row || row.ownerId !== session.userId) {\n"
            "    return null;\n"
            "  }\n"
            "  return row;\n"
            "});"
        )
        w.add(
            f"export const list{f.pascal}s = cache(async (page = 0) => {{\n"
            "  const session = await verifySession();\n"
            f"  return db.{f.model}.findMany({{\n"
            "    where: { ownerId: session.userId },\n"
            f"    select: {{ id: true, {select} }},\n"
            "    orderBy: { updatedAt: 'desc' },\n"
            "    skip: page * 50,\n"
            "    take: 50,\n"
            "  });\n"
            "});"
        )
        for verb, call in (("create", "create"), ("update", "update"), ("delete", "delete")):
            data = "" if verb == "delete" else f", data: {f.pascal}Input"
            args = "{ data: { ...data, ownerId: session.userId } }" if verb == "create" else "{ where: { id }"
            if verb == "update":
                args += ", data }"
            elif verb == "delete":
                args += " }"
            param = "" if verb == "create" else "id: string"
            sep = ", " if param and data else ""
            guard = (
                ""
                if verb == "create"
                else (
                    f"  const existing = await db.{f.model}.findUnique("
                    "{ where: { id }, select: { ownerId: true } });\n"
                    "  if (!existing || existing.ownerId !== session.userId) {\n"
                    "    throw new Error('Not found');\n"
                    "  }\n"
                )
            )
            w.add(
                f"export async function {verb}{f.pascal}ForUser({param}{sep}{data.lstrip(', ')}) {{\n"
                "  const session = await verifySession();\n"
                f"{guard}"
                f"  return db.{f.model}.{call}({args});\n"
                "}"
            )

        def helper(n: int) -> str:
            kind = self.rng.choice(("count", "search", "archive", "stats"))
            name = f"{kind}{f.pascal}{n}"
            field = self.rng.choice(fields)
            if kind == "count":
                return (
                    f"export async function {name}(status: string) {{\n"
                    "  const session = await verifySession();\n"
                    f"  const total = await db.{f.model}.count({{ where: {{ ownerId: session.userId, status }} }});\n"
                    "  return { status, total };\n"
                    "}"
                )
            if kind == "search":
                return (
                    f"export async function {name}(query: string, limit = 20) {{\n"
                    "  const session = await verifySession();\n"
                    "  const needle = query.trim().toLowerCase();\n"
                    "  if (needle.length < 2) {\n"
                    "    return [];\n"
                    "  }\n"
                    f"  return db.{f.model}.findMany({{\n"
                    f"    where: {{ ownerId: session.userId, {field}: {{ contains: needle, mode: 'insensitive' }} }},\n"
                    "    take: Math.min(limit, 100),\n"
                    "  });\n"
                    "}"
                )
            if kind == "archive":
                return (
                    f"export async function {name}(ids: string[]) {{\n"
                    "  const session = await verifySession();\n"
                    "  const unique = Array.from(new Set(ids)).slice(0, 500);\n"
                    f"  const result = await db.{f.model}.updateMany({{\n"
                    "    where: { id: { in: unique }, ownerId: session.userId },\n"
                    "    data: { status: 'archived', archivedAt: new Date() },\n"
                    "  });\n"
                    "  return result.count;\n"
                    "}"
                )
            return (
                f"export const {name} = cache(async () => {{\n"
                "  const session = await verifySession();\n"
                f"  const rows = await db.{f.model}.groupBy({{\n"
                "    by: ['status'],\n"
                "    where: { ownerId: session.userId },\n"
                "    _count: { _all: true },\n"
                "  });\n"
                "  const byStatus: Record<string, number> = {};\n"
                "  for (const row of rows) {\n"
                "    byStatus[row.status] = row._count._all;\n"
                "  }\n"
                "  return byStatus;\n"
                "});"
            )

        w.fill(self.target_lines(), helper)
        return w.text()

    # -- Server Actions -------------------------------------------------------------------------------

    def actions_file(self, f: _Feature, fields: list[str], other: _Feature) -> str:
        w = _Writer(self.rng)
        w.add(
            "'use server';\n\n"
            "import { revalidatePath } from 'next/cache';\n"
            "import { redirect } from 'next/navigation';\n"
            "import { z } from 'zod';\n"
            "import { db } from '@/lib/db';\n"
            "import { verifySession } from '@/lib/dal';\n"
            "import { authActionClient, actionClient } from '@/lib/safe-action';\n"
            f"import {{ create{f.pascal}ForUser, update{f.pascal}ForUser, delete{f.pascal}ForUser }} "
            f"from '@/lib/dal/{f.kebab}';\n"
            f"import {{ {f.camel}Schema }} from '@/lib/validations/{f.kebab}';\n"
            f"import {{ normalize{other.pascal} }} from '@/lib/utils/{other.kebab}';"
        )
        w.add(
            "export type ActionState = {\n"
            "  ok: boolean;\n"
            "  error?: string;\n"
            "  fieldErrors?: Record<string, string[] | undefined>;\n"
            "};"
        )
        reads = "\n".join(f"    {field}: formData.get('{field}')," for field in fields)

        def action(n: int) -> str:
            mode = self.rng.choices(("dal", "inline", "safe", "unprotected", "public"), (40, 25, 15, 12, 8))[0]
            name = f"{self.rng.choice(('save', 'edit', 'remove', 'archive', 'publish', 'sync'))}{f.pascal}{n}"
            if mode == "dal":
                verb = self.rng.choice(("create", "update", "delete"))
                call = {
                    "create": f"await create{f.pascal}ForUser(parsed.data);",
                    "update": f"await update{f.pascal}ForUser(id, parsed.data);",
                    "delete": f"await delete{f.pascal}ForUser(id);",
                }[verb]
                return (
                    f"export async function {name}(id: string, _prev: ActionState, formData: FormData): "
                    "Promise<ActionState> {\n"
                    f"  const parsed = {f.camel}Schema.safeParse({{\n{reads}\n  }});\n"
                    "  if (!parsed.success) {\n"
                    "    return { ok: false, fieldErrors: parsed.error.flatten().fieldErrors };\n"
                    "  }\n"
                    "  try {\n"
                    f"    {call}\n"
                    "  } catch (error) {\n"
                    "    return { ok: false, error: error instanceof Error ? error.message : 'Failed' };\n"
                    "  }\n"
                    f"  revalidatePath('/{f.kebab}');\n"
                    "  return { ok: true };\n"
                    "}"
                )
            if mode == "inline":
                return (
                    f"export async function {name}(id: string, status: string) {{\n"
                    "  const session = await verifySession();\n"
                    f"  const row = await db.{f.model}.findUnique("
                    "{ where: { id }, select: { ownerId: true } });\n"
                    "  if (!row || row.ownerId !== session.userId) {\n"
                    "    throw new Error('Not found');\n"
                    "  }\n"
                    f"  await db.{f.model}.update({{ where: {{ id }}, data: {{ status }} }});\n"
                    f"  revalidatePath(`/{f.kebab}/${{id}}`);\n"
                    "}"
                )
            if mode == "safe":
                return (
                    f"export const {name} = authActionClient\n"
                    "  .schema(z.object({ id: z.string().min(1), status: z.string() }))\n"
                    "  .action(async ({ parsedInput, ctx }) => {\n"
                    f"    await db.{f.model}.updateMany({{\n"
                    "      where: { id: parsedInput.id, ownerId: ctx.userId },\n"
                    "      data: { status: parsedInput.status },\n"
                    "    });\n"
                    f"    revalidatePath('/{f.kebab}');\n"
                    "    return { ok: true };\n"
                    "  });"
                )
            if mode == "unprotected":
                # The mistake nextguard exists for: data access with no auth before it.
                return (
                    f"export async function {name}(id: string) {{\n"
                    f"  const row = await db.{f.model}.findUnique({{ where: {{ id }} }});\n"
                    "  if (!row) {\n"
                    "    return { ok: false };\n"
                    "  }\n"
                    f"  await db.{f.model}.delete({{ where: {{ id }} }});\n"
                    f"  revalidatePath('/{f.kebab}');\n"
                    f"  redirect('/{f.kebab}');\n"
                    "}"
                )
            return (
                f"export const {name} = actionClient\n"
                "  .schema(z.object({ value: z.string().max(200) }))\n"
                "  .action(async ({ parsedInput }) => {\n"
                f"    const normalized = normalize{other.pascal}(parsedInput.value);\n"
                "    return { normalized, length: normalized.length };\n"
                "  });"
            )

        w.fill(self.target_lines(), action)
        return w.text()

    # -- pages, layouts, routes ------------------------------------------------------------------------

    def list_page(self, f: _Feature, fields: list[str]) -> str:
        w = _Writer(self.rng)
        w.add(
            "import Link from 'next/link';\n"
            f"import {{ list{f.pascal}s }} from '@/lib/dal/{f.kebab}';\n"
            f"import {{ {f.pascal}Table }} from '@/components/{f.kebab}/{f.kebab}-table';\n"
            f"import {{ {f.pascal}Form }} from '@/components/{f.kebab}/{f.kebab}-form';\n"
            f"import {{ format{f.pascal}Label }} from '@/lib/utils/{f.kebab}';"
        )
        w.add(f"export const metadata = {{ title: '{f.pascal}s' }};")
        sections = []
        for n in range(max(1, (self.target_lines() - 30) // 12)):
            field = self.rng.choice(fields)
            sections.append(
                f'      <section className="mt-6 rounded border p-4" data-section="{n}">\n'
                f'        <h2 className="text-lg font-semibold">{f.pascal} {field} {n}</h2>\n'
                '        <ul className="mt-2 space-y-1">\n'
                f"          {{rows.slice({n}, {n + 5}).map((row) => (\n"
                "            <li key={row.id}>\n"
                f"              <Link href={{`/{f.kebab}/${{row.id}}`}}>"
                f"{{format{f.pascal}Label(String(row.{field}))}}</Link>\n"
                "            </li>\n"
                "          ))}\n"
                "        </ul>\n"
                "      </section>"
            )
        body = "\n".join(sections)
        w.add(
            "export default async function Page({\n"
            "  searchParams,\n"
            "}: {\n"
            "  searchParams: Promise<{ page?: string }>;\n"
            "}) {\n"
            "  const { page } = await searchParams;\n"
            f"  const rows = await list{f.pascal}s(Number(page ?? 0));\n"
            "  return (\n"
            '    <main className="mx-auto max-w-5xl p-6">\n'
            f'      <h1 className="text-2xl font-bold">{f.pascal}s</h1>\n'
            f"      <{f.pascal}Form />\n"
            f"      <{f.pascal}Table rows={{rows}} />\n"
            f"{body}\n"
            "    </main>\n"
            "  );\n"
            "}"
        )
        return w.text()

    def detail_page(self, f: _Feature, fields: list[str]) -> str:
        w = _Writer(self.rng)
        w.add(
            "import { notFound } from 'next/navigation';\n"
            f"import {{ get{f.pascal} }} from '@/lib/dal/{f.kebab}';\n"
            f"import {{ format{f.pascal}Label }} from '@/lib/utils/{f.kebab}';"
        )
        rows = "\n".join(
            f'        <dt className="font-medium">{field}</dt>\n'
            f'        <dd className="text-gray-700">{{format{f.pascal}Label(String(row.{field}))}}</dd>'
            for field in fields
        )
        w.add(
            "export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {\n"
            "  const { id } = await params;\n"
            f"  const row = await get{f.pascal}(id);\n"
            f"  return {{ title: row ? `{f.pascal} ${{row.id}}` : 'Not found' }};\n"
            "}"
        )
        w.add(
            "export default async function Page({ params }: { params: Promise<{ id: string }> }) {\n"
            "  const { id } = await params;\n"
            f"  const row = await get{f.pascal}(id);\n"
            "  if (!row) {\n"
            "    notFound();\n"
            "  }\n"
            "  return (\n"
            '    <article className="p-6">\n'
            '      <dl className="grid grid-cols-2 gap-2">\n'
            f"{rows}\n"
            "      </dl>\n"
            "    </article>\n"
            "  );\n"
            "}"
        )

        def widget(n: int) -> str:
            field = self.rng.choice(fields)
            return (
                f"function {f.pascal}Widget{n}({{ value }}: {{ value: string }}) {{\n"
                f"  const label = format{f.pascal}Label(value);\n"
                "  return (\n"
                f'    <div className="rounded border p-2" data-field="{field}">\n'
                '      <span className="text-sm">{label}</span>\n'
                "    </div>\n"
                "  );\n"
                "}"
            )

        w.fill(self.target_lines(), widget)
        return w.text()

    def layout(self, f: _Feature) -> str:
        w = _Writer(self.rng)
        w.add(
            "import Link from 'next/link';\n"
            "import { redirect } from 'next/navigation';\n"
            "import { getUser } from '@/lib/dal';"
        )
        links = "\n".join(
            f'          <Link className="block px-3 py-2" href="/{f.kebab}?tab={n}">Tab {n}</Link>'
            for n in range(self.rng.randint(8, 30))
        )
        w.add(
            "export default async function Layout({ children }: { children: React.ReactNode }) {\n"
            "  const user = await getUser();\n"
            "  if (!user) {\n"
            "    redirect('/login');\n"
            "  }\n"
            "  return (\n"
            '    <div className="flex min-h-screen">\n'
            '      <aside className="w-64 border-r">\n'
            "        <nav>\n"
            f"{links}\n"
            "        </nav>\n"
            "      </aside>\n"
            '      <div className="flex-1">{children}</div>\n'
            "    </div>\n"
            "  );\n"
            "}"
        )

        def nav_item(n: int) -> str:
            return (
                f"function NavItem{n}({{ href, label, active }}: "
                "{ href: string; label: string; active?: boolean }) {\n"
                "  return (\n"
                "    <Link href={href} aria-current={active ? 'page' : undefined} "
                "className={active ? 'font-bold' : ''}>\n"
                "      {label}\n"
                "    </Link>\n"
                "  );\n"
                "}"
            )

        w.fill(self.target_lines(), nav_item)
        return w.text()

    def route(self, f: _Feature, fields: list[str]) -> str:
        w = _Writer(self.rng)
        w.add(
            "import { NextResponse, type NextRequest } from 'next/server';\n"
            "import { db } from '@/lib/db';\n"
            "import { verifySession } from '@/lib/dal';\n"
            f"import {{ list{f.pascal}s }} from '@/lib/dal/{f.kebab}';\n"
            f"import {{ {f.camel}Schema }} from '@/lib/validations/{f.kebab}';"
        )
        w.add(
            "export async function GET(request: NextRequest) {\n"
            "  const page = Number(request.nextUrl.searchParams.get('page') ?? 0);\n"
            f"  const rows = await list{f.pascal}s(page);\n"
            "  return NextResponse.json({ rows, page });\n"
            "}"
        )
        auth = "  const session = await verifySession();\n" if self.rng.random() < 0.8 else ""
        owner = "session.userId" if auth else "body.ownerId"
        w.add(
            "export async function POST(request: NextRequest) {\n"
            f"{auth}"
            "  const body = await request.json();\n"
            f"  const parsed = {f.camel}Schema.safeParse(body);\n"
            "  if (!parsed.success) {\n"
            "    return NextResponse.json({ error: parsed.error.flatten() }, { status: 400 });\n"
            "  }\n"
            f"  const row = await db.{f.model}.create({{ data: {{ ...parsed.data, ownerId: {owner} }} }});\n"
            "  return NextResponse.json(row, { status: 201 });\n"
            "}"
        )

        def helper(n: int) -> str:
            field = self.rng.choice(fields)
            return (
                f"function pick{f.pascal}{n}(input: Record<string, unknown>): Record<string, unknown> {{\n"
                "  const out: Record<string, unknown> = {};\n"
                f"  if (typeof input.{field} === 'string' && input.{field}.length > 0) {{\n"
                f"    out.{field} = input.{field}.trim();\n"
                "  }\n"
                "  for (const [key, value] of Object.entries(input)) {\n"
                "    if (key.startsWith('_') || value === undefined) {\n"
                "      continue;\n"
                "    }\n"
                "    out[key] ??= value;\n"
                "  }\n"
                "  return out;\n"
                "}"
            )

        w.fill(self.target_lines(), helper)
        return w.text()

    # -- client components ----------------------------------------------------------------------------

    def form(self, f: _Feature, fields: list[str]) -> str:
        w = _Writer(self.rng)
        w.add(
            "'use client';\n\n"
            "import { useActionState, useState } from 'react';\n"
            f"import * as actions from '@/app/actions/{f.kebab}';\n"
            "import { cn } from '@/lib/utils';"
        )
        inputs = "\n".join(
            f'      <label className="block">\n'
            f'        <span className="text-sm">{field}</span>\n'
            f"        <input name=\"{field}\" className={{cn('input', errors?.{field} && 'border-red-500')}} />\n"
            f'        {{errors?.{field} && <p className="text-xs text-red-600">{{errors.{field}[0]}}</p>}}\n'
            "      </label>"
            for field in fields
        )
        w.add(
            f"export function {f.pascal}Form({{ id = '' }}: {{ id?: string }}) {{\n"
            "  const [open, setOpen] = useState(false);\n"
            f"  const action = Object.values(actions).find((value) => typeof value === 'function') as any;\n"
            "  const [state, formAction, pending] = useActionState(action.bind(null, id), { ok: true });\n"
            "  const errors = state?.fieldErrors;\n"
            "  if (!open) {\n"
            "    return <button onClick={() => setOpen(true)}>New</button>;\n"
            "  }\n"
            "  return (\n"
            '    <form action={formAction} className="space-y-3">\n'
            f"{inputs}\n"
            '      <button type="submit" disabled={pending}>\n'
            "        {pending ? 'Saving…' : 'Save'}\n"
            "      </button>\n"
            '      {state?.error && <p role="alert">{state.error}</p>}\n'
            "    </form>\n"
            "  );\n"
            "}"
        )

        def field_component(n: int) -> str:
            return (
                f"export function {f.pascal}Field{n}({{ label, value, onChange }}: {{\n"
                "  label: string;\n"
                "  value: string;\n"
                "  onChange: (value: string) => void;\n"
                "}) {\n"
                "  const [touched, setTouched] = useState(false);\n"
                "  return (\n"
                '    <div className="field">\n'
                "      <label>{label}</label>\n"
                "      <input\n"
                "        value={value}\n"
                "        onBlur={() => setTouched(true)}\n"
                "        onChange={(event) => onChange(event.target.value)}\n"
                "      />\n"
                "      {touched && value.length === 0 && <small>Required</small>}\n"
                "    </div>\n"
                "  );\n"
                "}"
            )

        w.fill(self.target_lines(), field_component)
        return w.text()

    def table(self, f: _Feature, fields: list[str], other: _Feature) -> str:
        w = _Writer(self.rng)
        w.add(
            "'use client';\n\n"
            "import { useMemo, useState } from 'react';\n"
            f"import {{ format{f.pascal}Label }} from '@/lib/utils/{f.kebab}';\n"
            f"import {{ normalize{other.pascal} }} from '@/lib/utils/{other.kebab}';"
        )
        headers = "\n".join(f"            <th onClick={{() => setSort('{field}')}}>{field}</th>" for field in fields)
        cells = "\n".join(
            f"              <td>{{format{f.pascal}Label(String(row.{field} ?? ''))}}</td>" for field in fields
        )
        w.add(f"type Row = {{ id: string; {'; '.join(f'{field}?: unknown' for field in fields)} }};")
        w.add(
            f"export function {f.pascal}Table({{ rows }}: {{ rows: Row[] }}) {{\n"
            f"  const [sort, setSort] = useState<string>('{fields[0]}');\n"
            "  const [filter, setFilter] = useState('');\n"
            "  const visible = useMemo(() => {\n"
            f"    const needle = normalize{other.pascal}(filter);\n"
            "    return rows\n"
            "      .filter((row) => JSON.stringify(row).toLowerCase().includes(needle))\n"
            "      .sort((a, b) => String((a as any)[sort]).localeCompare(String((b as any)[sort])));\n"
            "  }, [rows, sort, filter]);\n"
            "  return (\n"
            "    <div>\n"
            "      <input value={filter} onChange={(event) => setFilter(event.target.value)} />\n"
            '      <table className="w-full text-sm">\n'
            "        <thead>\n"
            "          <tr>\n"
            f"{headers}\n"
            "          </tr>\n"
            "        </thead>\n"
            "        <tbody>\n"
            "          {visible.map((row) => (\n"
            "            <tr key={row.id}>\n"
            f"{cells}\n"
            "            </tr>\n"
            "          ))}\n"
            "        </tbody>\n"
            "      </table>\n"
            "    </div>\n"
            "  );\n"
            "}"
        )

        def cell(n: int) -> str:
            return (
                f"export function {f.pascal}Cell{n}({{ value, highlight }}: "
                "{ value: unknown; highlight?: boolean }) {\n"
                "  const text = value == null ? '—' : String(value);\n"
                "  return (\n"
                "    <span className={highlight ? 'font-semibold text-blue-700' : 'text-gray-800'} title={text}>\n"
                "      {text.length > 40 ? `${text.slice(0, 39)}…` : text}\n"
                "    </span>\n"
                "  );\n"
                "}"
            )

        w.fill(self.target_lines(), cell)
        return w.text()

    # -- utils and schemas ----------------------------------------------------------------------------

    def utils_file(self, camel: str, index: int) -> str:
        pascal = camel[0].upper() + camel[1:]
        w = _Writer(self.rng)
        w.add("import { clsx } from 'clsx';")
        w.add(
            f"export function normalize{pascal}(value: string): string {{\n"
            "  return value.normalize('NFKC').trim().toLowerCase().replace(/\\s+/g, ' ');\n"
            "}"
        )
        w.add(
            f"export function format{pascal}Label(value: string, max = 48): string {{\n"
            "  const clean = value.replace(/[\\u0000-\\u001f]/g, '');\n"
            "  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;\n"
            "}"
        )

        def helper(n: int) -> str:
            kind = self.rng.randrange(4)
            name = f"{camel}Helper{index}_{n}"
            if kind == 0:
                return (
                    f"export function {name}<T extends {{ id: string }}>(items: T[]): Map<string, T> {{\n"
                    "  const byId = new Map<string, T>();\n"
                    "  for (const item of items) {\n"
                    "    if (!byId.has(item.id)) {\n"
                    "      byId.set(item.id, item);\n"
                    "    }\n"
                    "  }\n"
                    "  return byId;\n"
                    "}"
                )
            if kind == 1:
                return (
                    f"export const {name} = (amount: number, currency = 'USD'): string =>\n"
                    "  new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(amount / 100);"
                )
            if kind == 2:
                status = self.rng.choice(_STATUSES)
                return (
                    f"export function {name}(status: string, flags: Record<string, boolean> = {{}}): string {{\n"
                    "  switch (status) {\n"
                    f"    case '{status}':\n"
                    "      return clsx('badge', flags.compact && 'badge-sm', 'badge-primary');\n"
                    "    case 'archived':\n"
                    "      return clsx('badge', 'badge-muted');\n"
                    "    default:\n"
                    "      return clsx('badge', flags.warn ? 'badge-warn' : 'badge-neutral');\n"
                    "  }\n"
                    "}"
                )
            return (
                f"export async function {name}(input: string[], concurrency = 4): Promise<string[]> {{\n"
                "  const results: string[] = new Array(input.length);\n"
                "  let next = 0;\n"
                "  async function worker() {\n"
                "    while (next < input.length) {\n"
                "      const i = next++;\n"
                "      results[i] = await Promise.resolve(input[i].toUpperCase());\n"
                "    }\n"
                "  }\n"
                "  await Promise.all(Array.from({ length: concurrency }, worker));\n"
                "  return results;\n"
                "}"
            )

        w.fill(self.target_lines(), helper)
        return w.text()

    def validations(self, f: _Feature, fields: list[str]) -> str:
        w = _Writer(self.rng)
        w.add("import { z } from 'zod';")
        props = "\n".join(
            f"  {field}: z.string().trim().min(1, '{field} is required').max({self.rng.randint(40, 400)}),"
            for field in fields
        )
        w.add(f"export const {f.camel}Schema = z.object({{\n{props}\n}});")
        w.add(f"export type {f.pascal}Input = z.infer<typeof {f.camel}Schema>;")

        def schema(n: int) -> str:
            picked = self.rng.sample(fields, min(len(fields), 3))
            body = "\n".join(f"  {field}: z.string().optional()," for field in picked)
            return (
                f"export const {f.camel}Patch{n}Schema = {f.camel}Schema.partial().extend({{\n"
                f"{body}\n"
                f"  status: z.enum([{', '.join(repr(s) for s in _STATUSES)}]).optional(),\n"
                "});"
            )

        w.fill(max(50, self.target_lines() // 2), schema)
        return w.text()


# -- the fixed core files -------------------------------------------------------------------------------

_DB = """\
import 'server-only';
import { PrismaClient } from '@prisma/client';

const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };

export const db = globalForPrisma.prisma ?? new PrismaClient({ log: ['error'] });

if (process.env.NODE_ENV !== 'production') {
  globalForPrisma.prisma = db;
}
"""

_DAL = """\
import 'server-only';
import { cache } from 'react';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { db } from '@/lib/db';
import { decrypt } from '@/lib/session';

export const verifySession = cache(async () => {
  const cookie = (await cookies()).get('session')?.value;
  const session = await decrypt(cookie);
  if (!session?.userId) {
    redirect('/login');
  }
  return { isAuth: true, userId: session.userId as string };
});

export const getUser = cache(async () => {
  const session = await verifySession();
  return db.user.findUnique({
    where: { id: session.userId },
    select: { id: true, name: true, email: true },
  });
});
"""

_SESSION = """\
import 'server-only';
import { jwtVerify, SignJWT } from 'jose';

const key = new TextEncoder().encode(process.env.SESSION_SECRET);

export async function encrypt(payload: Record<string, unknown>) {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('7d').sign(key);
}

export async function decrypt(token: string | undefined) {
  if (!token) {
    return null;
  }
  try {
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
    return payload as { userId?: string };
  } catch {
    return null;
  }
}
"""

_SAFE_ACTION = """\
import 'server-only';
import { createSafeActionClient } from 'next-safe-action';
import { verifySession } from '@/lib/dal';

export const actionClient = createSafeActionClient();

export const authActionClient = actionClient.use(async ({ next }) => {
  const session = await verifySession();
  return next({ ctx: { userId: session.userId } });
});
"""

_UTILS = """\
import { clsx, type ClassValue } from 'clsx';
import { twMerge } from 'tailwind-merge';

export function cn(...inputs: ClassValue[]) {
  return twMerge(clsx(inputs));
}
"""

_MIDDLEWARE = """\
import { NextResponse, type NextRequest } from 'next/server';

export function middleware(request: NextRequest) {
  if (!request.cookies.get('session')) {
    return NextResponse.redirect(new URL('/login', request.url));
  }
  return NextResponse.next();
}

export const config = { matcher: ['/((?!api|_next/static|_next/image|login).*)'] };
"""

_ROOT_LAYOUT = """\
export const metadata = { title: 'Bench corpus' };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
"""

_HOME = """\
import Link from 'next/link';

export default function Home() {
  return (
    <main>
      <h1>Bench corpus</h1>
      <Link href="/login">Sign in</Link>
    </main>
  );
}
"""

_PACKAGE_JSON = {
    "name": "nextguard-bench-corpus",
    "version": "0.0.0",
    "private": True,
    "scripts": {"dev": "next dev", "build": "next build"},
    "dependencies": {
        "@prisma/client": "^6.16.2",
        "clsx": "^2.1.1",
        "jose": "^6.1.0",
        "next": "^15.5.4",
        "next-safe-action": "^8.0.11",
        "react": "^19.1.1",
        "react-dom": "^19.1.1",
        "server-only": "^0.0.1",
        "tailwind-merge": "^3.3.1",
        "zod": "^4.1.5",
    },
}

_TSCONFIG = """\
{
  // Generated by nextguard's bench/generate_corpus.py
  "compilerOptions": {
    "target": "ES2017",
    "lib": ["dom", "dom.iterable", "esnext"],
    "strict": true,
    "noEmit": true,
    "module": "esnext",
    "moduleResolution": "bundler",
    "jsx": "preserve",
    "baseUrl": ".",
    "paths": {
      "@/*": ["./src/*"],
    },
  },
  "include": ["next-env.d.ts", "**/*.ts", "**/*.tsx"],
  "exclude": ["node_modules"],
}
"""


def generate(files: int, out: Path, seed: int = 1, *, force: bool = False) -> Path:
    """Write the corpus to ``out`` unless a corpus of the same parameters is already there."""
    marker = {"generator_version": GENERATOR_VERSION, "files": files, "seed": seed}
    marker_path = out / MARKER
    if not force and marker_path.is_file():
        try:
            if json.loads(marker_path.read_text(encoding="utf-8")) == marker:
                return out
        except ValueError:
            pass
    if out.exists():
        if not marker_path.is_file():
            raise SystemExit(f"{out} exists and is not a generated corpus; refusing to overwrite it")
        shutil.rmtree(out)
    sources = Generator(files, seed).build()
    out.mkdir(parents=True)
    for rel, text in sources.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (out / "package.json").write_text(json.dumps(_PACKAGE_JSON, indent=2) + "\n", encoding="utf-8")
    (out / "tsconfig.json").write_text(_TSCONFIG, encoding="utf-8")
    (out / "next-env.d.ts").write_text('/// <reference types="next" />\n', encoding="utf-8")
    (out / ".gitignore").write_text("node_modules/\n.next/\n", encoding="utf-8")
    # Its own checkout, so that the enclosing repo's .gitignore (which ignores bench/.work/) and
    # workspace markers above it do not apply.
    if subprocess.run(["git", "init", "-q", str(out)], check=False, capture_output=True).returncode != 0:
        (out / ".git").mkdir(exist_ok=True)
    marker_path.write_text(json.dumps(marker) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", type=int, help="number of source files (e.g. 1000, 5000, 20000)")
    parser.add_argument("--out", type=Path, help="directory to write (default: bench/.work/corpus-N)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="regenerate even if an identical corpus is there")
    args = parser.parse_args(argv)
    if args.files < 20:
        parser.error("files must be at least 20")
    out = (args.out or default_dir(args.files)).resolve()
    generate(args.files, out, args.seed, force=args.force)
    print(out, file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
