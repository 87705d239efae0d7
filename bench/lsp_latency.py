"""Language-server latency: `nextguard lsp` driven over stdio by pygls' language client.

    python bench/lsp_latency.py                 # 1,000+ files, 200 keystrokes, writes bench/results/
    python bench/lsp_latency.py --profile out.prof   # also profile the server's analysis thread

What it does, against a generated Next.js App Router workspace (a DAL, feature modules with their
pages, actions and client components, and one 3,000-line actions file):

1. starts the real server (`python -m nextguard lsp`) and waits for indexing (work-done progress
   end) and the workspace's diagnostics; reads the server's peak RSS (VmHWM) from /proc;
2. opens the big actions file and makes 200 single-character edits, each waiting for the
   `publishDiagnostics` of its version: 100 times it types an `X` into a `verifySession` call
   (the action loses its auth check: NG101 appears) and deletes it again (NG101 goes) — edits
   that change diagnostics, so each one has a matching publish;
3. makes 50 single-character edits that change no diagnostic (inside a string) and times each
   until the answer to a hover request sent right after it (requests wait for pending analysis);
4. cross-file: opens the DAL and types an `X` into `cookies()` (so `verifySession` no longer
   authenticates), timing the publish for the big actions file, then deletes it; 5 times;
5. indexes a 4,000-file variant for the RSS target (`--large-features`: its size) and, with
   `--corpus DIR` (e.g. /tmp/realapps/dubinc+dub), a real project: indexing time and peak RSS.

It prints a table and writes `bench/results/lsp-latency.md` and `.json` with the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.protocol import LanguageServerProtocol, default_converter

BIG_ACTIONS = "app/admin/actions.ts"
SMALL_ACTIONS = "app/feature0/actions.ts"
DAL = "lib/dal.ts"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _dal() -> str:
    return """import 'server-only';
import { cache } from 'react';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { jwtVerify } from 'jose';

const encodedKey = new TextEncoder().encode(process.env.SESSION_SECRET);

export const verifySession = cache(async () => {
  const token = (await cookies()).get('session')?.value;
  if (!token) redirect('/login');
  try {
    const { payload } = await jwtVerify<{ userId: string }>(token, encodedKey, { algorithms: ['HS256'] });
    return { isAuth: true, userId: payload.userId };
  } catch {
    redirect('/login');
  }
});

// Sessions are signed with SESSION_SECRET; see the README.
"""


def _db() -> str:
    return """import 'server-only';
import { PrismaClient } from '@prisma/client';

const globalForPrisma = globalThis as unknown as { prisma: PrismaClient | undefined };
export const db = globalForPrisma.prisma ?? new PrismaClient();
if (process.env.NODE_ENV !== 'production') globalForPrisma.prisma = db;
"""


def _feature_data(i: int) -> str:
    return f"""import 'server-only';
import {{ db }} from '@/lib/db';
import {{ verifySession }} from '@/lib/dal';

export async function list{i}(userId: string) {{
  return db.item{i}.findMany({{ where: {{ userId }} }});
}}

export async function get{i}(id: string) {{
  const {{ userId }} = await verifySession();
  return db.item{i}.findFirst({{ where: {{ id, userId }} }});
}}

export async function remove{i}(id: string) {{
  await db.item{i}.delete({{ where: {{ id }} }});
}}

export async function rename{i}(id: string, name: string) {{
  const {{ userId }} = await verifySession();
  await db.item{i}.updateMany({{ where: {{ id, userId }}, data: {{ name }} }});
}}
"""


def _feature_actions(i: int) -> str:
    return f"""'use server';

import {{ revalidatePath }} from 'next/cache';
import {{ verifySession }} from '@/lib/dal';
import {{ remove{i}, rename{i} }} from '@/lib/data/feature{i}';

export async function rename{i}Action(formData: FormData) {{
  await verifySession();
  await rename{i}(String(formData.get('id')), String(formData.get('name')));
  revalidatePath('/feature{i}');
}}

export async function remove{i}Action(formData: FormData) {{
  const session = await verifySession();
  if (!session) throw new Error('Unauthorized');
  await remove{i}(String(formData.get('id')));
  revalidatePath('/feature{i}');
}}
"""


def _feature_page(i: int) -> str:
    return f"""import {{ verifySession }} from '@/lib/dal';
import {{ list{i} }} from '@/lib/data/feature{i}';
import {{ remove{i}Action, rename{i}Action }} from './actions';
import {{ Item{i} }} from '@/components/item{i}';

export default async function Page() {{
  const {{ userId }} = await verifySession();
  const items = await list{i}(userId);
  return (
    <main>
      <h1>Feature {i}</h1>
      {{items.map((item) => (
        <Item{i} key={{item.id}} item={{item}} onRemove={{remove{i}Action}} onRename={{rename{i}Action}} />
      ))}}
    </main>
  );
}}
"""


def _component(i: int) -> str:
    return f"""'use client';

import {{ useState }} from 'react';

type Props = {{
  item: {{ id: string; name: string }};
  onRemove: (f: FormData) => Promise<void>;
  onRename: (f: FormData) => Promise<void>;
}};

export function Item{i}({{ item, onRemove, onRename }}: Props) {{
  const [editing, setEditing] = useState(false);
  return (
    <form action={{editing ? onRename : onRemove}}>
      <input type="hidden" name="id" value={{item.id}} />
      {{editing ? <input name="name" defaultValue={{item.name}} /> : <span>{{item.name}}</span>}}
      <button type="button" onClick={{() => setEditing(!editing)}}>Edit</button>
      <button type="submit">Save</button>
    </form>
  );
}}
"""


def big_action(k: int, guarded: bool) -> str:
    """One action of the large file (20 lines)."""
    check = "  const session = await verifySession();\n" if guarded else "  // no auth check here\n"
    return (
        f"export async function adminTask{k}(formData: FormData) {{\n"
        f"{check}"
        f"  const id = String(formData.get('id'));\n"
        f"  const name = String(formData.get('name') ?? '');\n"
        f"  if (!id) {{\n"
        f"    throw new Error('missing id');\n"
        f"  }}\n"
        f"  const record = await db.record{k % 50}.findUnique({{ where: {{ id }} }});\n"
        f"  if (!record) {{\n"
        f"    return {{ ok: false, error: 'not found' }};\n"
        f"  }}\n"
        f"  await db.record{k % 50}.update({{\n"
        f"    where: {{ id }},\n"
        f"    data: {{ name, updatedAt: new Date() }},\n"
        f"  }});\n"
        f"  await remove{k % 200}(id);\n"
        f"  revalidatePath('/admin/{k}');\n"
        f"  return {{ ok: true }};\n"
        f"}}\n"
        f"\n"
    )


def big_actions_file(actions: int = 150) -> str:
    header = [
        "'use server';",
        "",
        "import { revalidatePath } from 'next/cache';",
        "import { db } from '@/lib/db';",
        "import { verifySession } from '@/lib/dal';",
    ]
    header += [f"import {{ remove{i} }} from '@/lib/data/feature{i}';" for i in range(200)]
    header.append("")
    body = "".join(big_action(k, guarded=k % 2 == 0) for k in range(actions))
    return "\n".join(header) + "\n" + body


def generate(root: Path, features: int = 250) -> dict[str, int]:
    """Write the workspace under ``root``; returns a few counts. With the default 250 features it
    has 1,000+ source files; the big actions file has 3,000+ lines."""
    _write(
        root / "package.json",
        json.dumps(
            {
                "name": "bench-app",
                "private": True,
                "dependencies": {"next": "15.5.4", "react": "19.1.1", "@prisma/client": "6.16.2", "jose": "6.1.0"},
            },
            indent=2,
        ),
    )
    _write(
        root / "tsconfig.json",
        json.dumps({"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["./*"]}, "jsx": "preserve"}}, indent=2),
    )
    _write(root / DAL, _dal())
    _write(root / "lib/db.ts", _db())
    for i in range(features):
        _write(root / f"lib/data/feature{i}.ts", _feature_data(i))
        _write(root / f"app/feature{i}/actions.ts", _feature_actions(i))
        _write(root / f"app/feature{i}/page.tsx", _feature_page(i))
        _write(root / f"components/item{i}.tsx", _component(i))
    big = big_actions_file()
    _write(root / BIG_ACTIONS, big)
    files = sum(1 for path in root.rglob("*") if path.suffix in (".ts", ".tsx"))
    small = (root / SMALL_ACTIONS).read_text(encoding="utf-8")
    return {"files": files, "big_lines": big.count("\n"), "small_lines": small.count("\n")}


# -- driving the server ------------------------------------------------------------------------------


class TimedProtocol(LanguageServerProtocol):
    """Stamps each publishDiagnostics when its JSON has been read, before the client turns it into
    objects (the client's own cost, reported separately)."""

    arrivals: dict[tuple[str, int | None], float]

    def structure_message(self, data: dict[str, Any]) -> Any:
        if data.get("method") == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
            params = data.get("params") or {}
            self.arrivals[(params.get("uri", ""), params.get("version"))] = time.perf_counter()
        return super().structure_message(data)


@dataclass
class Client:
    client: LanguageClient
    protocol: TimedProtocol
    handled: dict[tuple[str, int | None], float] = field(default_factory=dict)
    published: dict[str, list[types.Diagnostic]] = field(default_factory=dict)
    progress_done: asyncio.Event = field(default_factory=asyncio.Event)
    waiters: dict[tuple[str, int | None], asyncio.Event] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        server = self.client._server
        assert server is not None
        return server.pid

    def expect(self, uri: str, version: int | None) -> asyncio.Event:
        event = self.waiters[(uri, version)] = asyncio.Event()
        return event


async def start(root: Path, profile: Path | None, only: list[str] | None = None) -> Client:
    protocol_holder: list[TimedProtocol] = []

    def make_protocol(server: Any, converter: Any) -> TimedProtocol:
        made = TimedProtocol(server, converter)
        made.arrivals = {}
        protocol_holder.append(made)
        return made

    client = LanguageClient("lsp-latency-bench", "1", protocol_cls=make_protocol, converter_factory=default_converter)  # type: ignore[arg-type]
    state = Client(client, protocol_holder[0])

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        key = (params.uri, params.version)
        state.handled[key] = time.perf_counter()
        state.published[params.uri] = list(params.diagnostics)
        waiter = state.waiters.pop(key, None)
        if waiter is not None:
            waiter.set()

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def on_create(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    @client.feature(types.PROGRESS)
    def on_progress(params: types.ProgressParams) -> None:
        value = params.value
        kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
        if kind == "end":
            state.progress_done.set()

    @client.feature(types.WORKSPACE_CONFIGURATION)
    def on_configuration(params: types.ConfigurationParams) -> list[Any]:
        return [None for _ in params.items]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: types.RegistrationParams) -> None:
        return None

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def on_log(params: types.LogMessageParams) -> None:
        if params.type == types.MessageType.Error:
            print(f"server: {params.message}", file=sys.stderr)

    env = dict(os.environ)
    if profile is not None:
        env["NEXTGUARD_LSP_PROFILE"] = str(profile)
    await client.start_io(sys.executable, "-m", "nextguard", "lsp", env=env)
    capabilities = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            configuration=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
        ),
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                related_information=True, version_support=True
            ),
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
        ),
        window=types.WindowClientCapabilities(work_done_progress=True),
    )
    options = None
    if only:
        # Every other rule off, through the same settings an editor would send.
        from nextguard.rules.registry import RULES

        options = {"nextguard": {"rules": {rule.code: "off" for rule in RULES if rule.code not in only}}}
    await client.initialize_async(
        types.InitializeParams(
            process_id=os.getpid(),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            capabilities=capabilities,
            initialization_options=options,
        )
    )
    client.initialized(types.InitializedParams())
    return state


def read_status(pid: int) -> dict[str, int]:
    """VmHWM / VmRSS of a process in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0])
    return values


async def settle(state: Client, quiet: float = 0.5, limit: float = 120.0) -> None:
    """Wait until no publish has arrived for ``quiet`` seconds (the server is done publishing)."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        before = len(state.handled)
        await asyncio.sleep(quiet)
        if len(state.handled) == before:
            return


def did_open(state: Client, path: Path, text: str) -> None:
    state.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=path.as_uri(), language_id="typescript", version=1, text=text)
        )
    )


def did_change(state: Client, path: Path, version: int, line: int, character: int, old: int, new: str) -> None:
    """One single-character change: ``old`` characters at (line, character) replaced by ``new``."""
    start = types.Position(line=line, character=character)
    end = types.Position(line=line, character=character + old)
    state.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end), text=new)],
        )
    )


async def timed_change(
    state: Client, path: Path, version: int, line: int, character: int, old: int, new: str
) -> tuple[float, float]:
    """Milliseconds from sending the change to its publish: (JSON read, client handler done)."""
    waiter = state.expect(path.as_uri(), version)
    sent = time.perf_counter()
    did_change(state, path, version, line, character, old, new)
    await asyncio.wait_for(waiter.wait(), 30)
    key = (path.as_uri(), version)
    return (state.protocol.arrivals[key] - sent) * 1000, (state.handled[key] - sent) * 1000


def find(text: str, needle: str, occurrence: int) -> tuple[int, int]:
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index)
    return line, index - (text.rfind("\n", 0, index) + 1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * (len(ordered) - 1))))
    return ordered[rank]


async def run(root: Path, profile: Path | None, only: list[str] | None, keystrokes: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    began = time.perf_counter()
    state = await start(root, profile, only)
    await asyncio.wait_for(state.progress_done.wait(), 300)
    results["index_s"] = time.perf_counter() - began
    big = root / BIG_ACTIONS
    # The workspace's diagnostics follow indexing: wait for them, so no background work is left.
    while big.as_uri() not in state.published and time.perf_counter() - began < 600:
        await asyncio.sleep(0.05)
    await settle(state, quiet=1.0)
    results["ready_s"] = time.perf_counter() - began
    results["rss_after_index_kb"] = read_status(state.pid)
    results["files_with_diagnostics"] = sum(1 for items in state.published.values() if items)

    # The protocol's own floor: a request the session answers without analysing anything.
    floor: list[float] = []
    outside = types.TextDocumentIdentifier(uri=(root.parent / "outside.ts").as_uri())
    for _ in range(50):
        sent = time.perf_counter()
        await state.client.text_document_hover_async(
            types.HoverParams(text_document=outside, position=types.Position(line=0, character=0))
        )
        floor.append((time.perf_counter() - sent) * 1000)
    results["round_trip_ms"] = summarize(floor)

    text = big.read_text(encoding="utf-8")
    did_open(state, big, text)
    await settle(state, quiet=0.3)

    # 1. keystrokes that change diagnostics: `verifySession` -> `verifySessionX` -> back
    wire: list[float] = []
    handled: list[float] = []
    version = 1
    for k in range(keystrokes // 2):
        line, column = find(text, "await verifySession()", k % 75)
        column += len("await verifySession")
        version += 1
        a, b = await timed_change(state, big, version, line, column, 0, "X")
        wire.append(a)
        handled.append(b)
        version += 1
        a, b = await timed_change(state, big, version, line, column, 1, "")
        wire.append(a)
        handled.append(b)
    results["keystroke_ms"] = summarize(wire)
    results["keystroke_handled_ms"] = summarize(handled)

    # 1b. the same in a 20-line actions file of the same workspace: what does not scale with the file
    small = root / SMALL_ACTIONS
    small_text = small.read_text(encoding="utf-8")
    did_open(state, small, small_text)
    await settle(state, quiet=0.3)
    # the check in `remove0Action`: without it the action reaches `remove0`, which deletes unguarded
    line, column = find(small_text, "await verifySession()", 1)
    column += len("await verifySession")
    small_times: list[float] = []
    small_version = 1
    for _ in range(max(keystrokes // 10, 1)):
        for old, new in ((0, "X"), (1, "")):
            small_version += 1
            small_times.append((await timed_change(state, small, small_version, line, column, old, new))[0])
    results["small_keystroke_ms"] = summarize(small_times)

    # 2. keystrokes that change no diagnostic, each followed by a request that waits for them
    quiet: list[float] = []
    line, column = find(text, "throw new Error('missing id')", 10)
    column += len("throw new Error('missing")
    for k in range(max(keystrokes // 4, 1)):
        version += 1
        sent = time.perf_counter()
        did_change(state, big, version, line, column + k, 0, "x")
        await state.client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=big.as_uri()),
                position=types.Position(line=0, character=0),
            )
        )
        quiet.append((time.perf_counter() - sent) * 1000)
    results["quiet_keystroke_ms"] = summarize(quiet)

    # 3. cross-file: the DAL stops authenticating, then authenticates again
    dal = root / DAL
    dal_text = dal.read_text(encoding="utf-8")
    did_open(state, dal, dal_text)
    await settle(state, quiet=0.3)
    line, column = find(dal_text, "cookies()", 0)
    column += len("cookies")
    cross: list[float] = []
    dal_version = 1
    for _ in range(max(min(5, keystrokes // 20), 1)):
        for old, new in ((0, "X"), (1, "")):
            dal_version += 1
            waiter = state.expect(big.as_uri(), version)
            sent = time.perf_counter()
            did_change(state, dal, dal_version, line, column, old, new)
            await asyncio.wait_for(waiter.wait(), 60)
            cross.append((state.protocol.arrivals[(big.as_uri(), version)] - sent) * 1000)
            await settle(state, quiet=0.3)
    results["cross_file_ms"] = summarize(cross)
    results["rss_end_kb"] = read_status(state.pid)

    await state.client.shutdown_async(None)
    state.client.exit(None)
    await state.client.stop()
    return results


async def index_only(root: Path, only: list[str] | None) -> dict[str, Any]:
    """Index a workspace and read the server's peak RSS: when indexing ends, and once the whole
    workspace's diagnostics are out (given up to 5 minutes)."""
    began = time.perf_counter()
    state = await start(root, None, only)
    await asyncio.wait_for(state.progress_done.wait(), 600)
    indexed = time.perf_counter() - began
    result: dict[str, Any] = {"index_s": indexed, "rss_kb": read_status(state.pid)}
    await settle(state, quiet=1.0, limit=300)
    result["ready_s"] = time.perf_counter() - began
    result["rss_after_diagnostics_kb"] = read_status(state.pid)
    await state.client.shutdown_async(None)
    state.client.exit(None)
    await state.client.stop()
    return result


def breakdown(root: Path, only: list[str] | None, rounds: int = 20) -> dict[str, dict[str, float]]:
    """Where one keystroke's time goes, in process and without a profiler: the same steps the
    server's analysis thread takes for an edit of the big actions file and of the DAL."""
    from nextguard.config import config_from_mapping
    from nextguard.engine import LiveWorkspace
    from nextguard.facts.extract import extract
    from nextguard.facts.partial import reextract_moving
    from nextguard.lsp.convert import DiagnosticMemo
    from nextguard.rules.registry import RULES
    from nextguard.syntax.document import Document, TextChange, TextLines

    settings = {"rules": {rule.code: "off" for rule in RULES if rule.code not in only}} if only else {}
    workspace = LiveWorkspace(root, config_from_mapping(settings, None))
    workspace.index()
    # The server's garbage-collection policy after indexing (lsp/indexing.py `_index`).
    import gc

    from nextguard.lsp.indexing import FULL_COLLECTIONS_BY_THRESHOLD

    gc.collect()
    gc.freeze()
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTIONS_BY_THRESHOLD)
    result: dict[str, dict[str, float]] = {}
    edits = (
        ("big actions file", BIG_ACTIONS, "await verifySession()", 0),
        ("small actions file", SMALL_ACTIONS, "await verifySession()", 1),
        ("DAL", DAL, "cookies()", 0),
        # a keystroke that changes no summary: only the DAL itself is checked again
        ("DAL, in a comment", DAL, "see the README", 0),
    )
    # The session's converter (a keystroke converts only the findings it moved or changed) and its
    # lines: a new object for the edited file, the same one for files that did not change.
    lines_by_path: dict[Path, TextLines] = {}

    def lines_of(p: Path) -> TextLines:
        found = lines_by_path.get(p)
        if found is None:
            found = lines_by_path[p] = TextLines(workspace.source(p) or b"")
        return found

    memo = DiagnosticMemo(lines_of, lambda p: p.as_uri(), "utf-16", True)
    for name, relative, needle, occurrence in edits:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        document = Document(path, text, 1)
        document.tree  # noqa: B018 -- the server parses on open
        line, column = find(text, needle, occurrence)
        column += len(needle) - 2
        stages: dict[str, list[float]] = {"parse": [], "extract": [], "analysis.update": [], "findings": [], "lsp": []}
        dirty_sizes: list[int] = []
        previous_shown: list[object] = []
        cpu: list[float] = []  # the thread's CPU time: what the other processes on a shared machine do not inflate
        for k in range(rounds):
            change = (
                TextChange("X", (line, column), (line, column))
                if k % 2 == 0
                else TextChange("", (line, column), (line, column + 1))
            )
            c0 = time.thread_time()
            t0 = time.perf_counter()
            document.apply([change], k + 2)
            tree = document.tree
            t1 = time.perf_counter()
            # What ``LiveWorkspace.update`` does with the tree: the edited statement extracted again,
            # the units after it moved (their summaries too).
            previous = workspace.facts(path)
            found = None
            if previous is not None:
                found = reextract_moving(path, previous, workspace.source(path) or b"", document.data, tree)
            facts, moves = found if found is not None else (extract(path, document.data, tree), None)
            t2 = time.perf_counter()
            dirty = workspace.analysis.update(path, facts, document.data, moves)
            t3 = time.perf_counter()
            target = BIG_ACTIONS if name == "DAL" else relative
            # What the session does: per-endpoint rules keep the findings of untouched statements.
            found = [f for f in workspace.rule_findings(root / target) if f.path == root / target]
            t4 = time.perf_counter()
            lines_by_path[path] = document.lines
            shown = memo.convert(root / target, found, k)[1]
            _ = shown == previous_shown  # the session publishes only when what is shown changed
            previous_shown = shown
            t5 = time.perf_counter()
            cpu.append((time.thread_time() - c0) * 1000)
            for stage, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
                stages[stage].append(seconds * 1000)
            dirty_sizes.append(len(dirty))
        result[name] = {stage: statistics.median(values) for stage, values in stages.items()}
        result[name]["dirty_files"] = statistics.median(dirty_sizes)
        result[name]["cpu"] = statistics.median(cpu)
        result[name]["cpu_p99"] = percentile(cpu, 0.99)
    gc.set_threshold(young, middle, full)
    gc.unfreeze()
    return result


def summarize(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": statistics.median(values),
        "p99": percentile(values, 0.99),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "load_average": os.getloadavg(),  # at the start: other work on a shared machine inflates wall times
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


TARGETS = {"keystroke_p50_ms": 5.0, "keystroke_p99_ms": 15.0, "cross_file_ms": 50.0, "rss_mb": 300.0}


def render_run(report: dict[str, Any], run: dict[str, Any]) -> list[str]:
    main, large = run["main"], run.get("large")
    key, handled, quiet, cross = (
        main["keystroke_ms"],
        main["keystroke_handled_ms"],
        main["quiet_keystroke_ms"],
        main["cross_file_ms"],
    )
    rss_main = main["rss_after_index_kb"]["VmHWM"] / 1024
    rows = [
        ("keystroke → publishDiagnostics, p50", f"{key['p50']:.1f} ms", "≤ 5 ms"),
        ("keystroke → publishDiagnostics, p99", f"{key['p99']:.1f} ms", "≤ 15 ms"),
        ("  same, until the client's handler ran (p50 / p99)", f"{handled['p50']:.1f} / {handled['p99']:.1f} ms", ""),
        (
            f"keystroke in a {report['workspace']['small_lines']}-line actions file → publish (p50 / p99)",
            f"{main['small_keystroke_ms']['p50']:.1f} / {main['small_keystroke_ms']['p99']:.1f} ms",
            "",
        ),
        (
            "keystroke without a diagnostic change → next request answered (p50 / p99)",
            f"{quiet['p50']:.1f} / {quiet['p99']:.1f} ms",
            "",
        ),
        (
            "cross-file: DAL edit → publish for the actions file (p50 / max)",
            f"{cross['p50']:.1f} / {cross['max']:.1f} ms",
            "≤ 50 ms",
        ),
        (
            "protocol round trip: a request answered without analysis (p50 / p99)",
            f"{main['round_trip_ms']['p50']:.2f} / {main['round_trip_ms']['p99']:.2f} ms",
            "",
        ),
        (f"peak RSS after indexing {report['workspace']['files']} files", f"{rss_main:.0f} MB", ""),
        (f"indexing {report['workspace']['files']} files (until progress end)", f"{main['index_s']:.2f} s", ""),
    ]
    if large is not None:
        rss_large = large["rss_kb"]["VmHWM"] / 1024
        rss_later = large["rss_after_diagnostics_kb"]["VmHWM"] / 1024
        rows.append(
            (
                f"peak RSS after indexing {large['files']} files (then with its diagnostics computed)",
                f"{rss_large:.0f} MB ({rss_later:.0f} MB)",
                "≤ 300 MB",
            )
        )
        rows.append((f"indexing {large['files']} files (until progress end)", f"{large['index_s']:.2f} s", ""))
    rules = ", ".join(run["rules"]) if run["rules"] else f"all {len(run['registered'])} registered rules"
    lines = [
        f"## Rules: {rules}; {main['keystroke_ms']['n']} keystrokes",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        *[f"| {name} | {value} | {target} |" for name, value, target in rows],
        "",
    ]
    parts = run.get("breakdown")
    if parts:
        stages = ["parse", "extract", "analysis.update", "findings", "lsp"]
        lines += [
            "Where a keystroke goes (in process, median ms; `extract` + `analysis.update` = `LiveWorkspace.update`;",
            "`findings` = `run_rules` for the file published, for a DAL edit the big actions file; `lsp` = findings →",
            "diagnostics; `CPU` = the thread's CPU time for all of it, median / p99; less noisy when busy):",
            "",
            "| edit in | " + " | ".join(stages) + " | CPU (p50 / p99) | files dirtied |",
            "|---|" + "---|" * (len(stages) + 2),
        ]
        for name, values in parts.items():
            cells = " | ".join(f"{values[stage]:.2f}" for stage in stages)
            cpu = f"{values.get('cpu', 0.0):.1f} / {values.get('cpu_p99', 0.0):.1f}"
            lines.append(f"| {name} | {cells} | {cpu} | {values['dirty_files']:.0f} |")
        lines.append("")
    return lines


def render_corpora(report: dict[str, Any]) -> list[str]:
    corpora = report.get("corpora") or []
    if not corpora:
        return []
    lines = [
        "## Real projects (all rules): indexing",
        "",
        "| project | files | indexing (until progress end) | peak RSS after indexing | peak RSS with diagnostics |",
        "|---|---|---|---|---|",
    ]
    for item in corpora:
        lines.append(
            f"| {item['corpus']} | {item['files']} | {item['index_s']:.2f} s | "
            f"{item['rss_kb']['VmHWM'] / 1024:.0f} MB | {item['rss_after_diagnostics_kb']['VmHWM'] / 1024:.0f} MB |"
        )
    return [*lines, ""]


def render(report: dict[str, Any]) -> str:
    info = report["machine"]
    lines = [
        "# nextguard lsp latency",
        "",
        f"Machine: {info['nproc']} CPUs, {info['cpu']}, Python {info['python']}, {info['platform']}"
        + (f"; load average {info['load_average'][0]:.1f} at the start." if info.get("load_average") else "."),
        f"Workspace: {report['workspace']['files']} generated files; the edited actions file has "
        f"{report['workspace']['big_lines']} lines. Client: pygls {report['client']} over stdio "
        "(`python bench/lsp_latency.py`, see its docstring for what each row measures).",
        "",
    ]
    for run in report["runs"]:
        lines += render_run(report, run)
    lines += render_corpora(report)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--run",
        action="append",
        metavar="RULES:KEYSTROKES",
        help="a run: `all:200` (every registered rule, 200 keystrokes) or `NG101,NG203,NG208:200` (the other "
        "rules off); repeatable; default `all:200`",
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of the server's analysis thread (first run)")
    parser.add_argument("--no-large", action="store_true", help="skip the 4,000-file RSS run (done with the last run)")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the in-process breakdown")
    parser.add_argument(
        "--large-features", type=int, default=1000, help="features of the RSS workspace (4 files each; default 1000)"
    )
    parser.add_argument(
        "--corpus", type=Path, action="append", help="also index this real project: indexing time and RSS (repeatable)"
    )
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    import importlib.metadata

    from nextguard.rules.registry import RULES

    specs = []
    for spec in args.run or ["all:200"]:
        rules, _, count = spec.rpartition(":")
        only = None if rules.lower() in ("", "all") else [code.strip().upper() for code in rules.split(",")]
        specs.append((only, int(count)))
    with tempfile.TemporaryDirectory(prefix="nextguard-lsp-bench-") as scratch:
        root = Path(scratch) / "app"
        workspace = generate(root)
        large_root = Path(scratch) / "large"
        large_files = None if args.no_large else generate(large_root, features=args.large_features)
        report: dict[str, Any] = {
            "machine": machine(),
            "workspace": workspace,
            "client": importlib.metadata.version("pygls"),
            "targets": TARGETS,
            "runs": [],
        }
        for position, (only, keystrokes) in enumerate(specs):
            profile = args.profile if position == 0 else None
            run_report: dict[str, Any] = {
                "rules": only or [],
                "registered": [rule.code for rule in RULES],
                "main": asyncio.run(run(root.resolve(), profile, only, keystrokes)),
            }
            if not args.no_breakdown:
                run_report["breakdown"] = breakdown(root.resolve(), only, rounds=20 if keystrokes >= 20 else 4)
            # Indexing memory does not depend on the rules (they run after it): the 4,000-file
            # workspace is indexed once, with the last run's rules.
            if large_files is not None and position == len(specs) - 1:
                run_report["large"] = {**asyncio.run(index_only(large_root.resolve(), only)), **large_files}
            report["runs"].append(run_report)
            print("\n".join(render_run(report, run_report)), flush=True)
        for corpus in args.corpus or []:
            from nextguard.workspace.discovery import discover

            found = discover(corpus.resolve()).files
            indexed = asyncio.run(index_only(corpus.resolve(), None))
            # named by its folder's name: the report is committed, the folder is this machine's
            name = corpus.resolve().name.replace("+", "/", 1)
            report.setdefault("corpora", []).append({"corpus": name, "files": len(found), **indexed})
            print("\n".join(render_corpora(report)), flush=True)
    text = render(report)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "lsp-latency.md").write_text(text, encoding="utf-8")
    (args.out_dir / "lsp-latency.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
