"""The expression a fix writes for "the signed-in user's id" inside a function, in the function's
own terms: the `userId` it already destructured, the `session.user.id` it already reads, the
`ctx.userId` its action client's middleware passes."""

from __future__ import annotations

import re
import weakref
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..facts.model import Unit
from ..model import Span, TextEdit
from ..workspace.calls import Event, Kind
from ..workspace.flow import UnitFlow
from ..workspace.index import WorkspaceIndex
from ..workspace.session_use import identity_name
from ..workspace.summaries import Summaries

_ID_NAMES = ("userId", "user_id", "uid", "currentUserId", "viewerId")
_ID_READ = re.compile(rb"(?<![.\w$])([A-Za-z_$][\w$]*)((?:\?\.|!?\.)(?:userId|user(?:\?\.|!?\.)id|id))(?![\w$])")
_ANY_ID_READ = re.compile(rb"(?<![.\w$])([A-Za-z_$][\w$]*)(?:\?\.|!?\.)(userId|user(?:\?\.|!?\.)id|id)\b")
_CTX_KEYS = re.compile(rb"ctx\s*:\s*\{([^{}]*)\}")


@dataclass(frozen=True, slots=True)
class SessionId:
    expression: str
    edits: tuple[TextEdit, ...] = ()  # e.g. adding `ctx` to the parameters it comes from


def session_id(index: WorkspaceIndex, summaries: Summaries, path: Path, unit: Unit, flow: UnitFlow) -> SessionId | None:
    source = index.sources[path]
    names = flow.session_names()
    for name in _ID_NAMES:
        if name in names:
            return SessionId(name)
    counts: Counter[str] = Counter()
    for match in _ID_READ.finditer(source, unit.body.start, unit.body.end):
        if match.group(1).decode() in names:
            counts[match.group(0).decode()] += 1
    if counts:
        return SessionId(counts.most_common(1)[0][0])
    for local, event in flow.auth_locals:
        name = identity_name(local)
        member = _member_for(index, summaries, path, event, name, [b.path for b in local.binders])
        if member is not None:
            return SessionId(member)
    if flow.wrapped:
        return _from_ctx(index, summaries, path, unit, names)
    return None


def _member_for(
    index: WorkspaceIndex,
    summaries: Summaries,
    path: Path,
    event: Event,
    name: str,
    paths: list[tuple[str, ...]],
) -> str | None:
    destructured = any(len(binder_path) >= 1 for binder_path in paths)
    last = event.label.split("(")[0].rsplit(".", 1)[-1]
    if event.kind is Kind.AUTH:
        if destructured and name == "user":
            return "user.id"
        if last == "auth" and _clerk(index, path, event):
            return f"{name}.userId"
        if last in ("currentUser", "getUser"):
            return f"{name}.id"
        if last in ("auth", "getServerSession", "getSession"):
            return f"{name}.user.id"
        return None
    callee = event.callee
    if callee is None:
        return None
    field = helper_id_member(index, summaries, callee[1])
    return f"{name}.{field}" if field is not None else None


def _clerk(index: WorkspaceIndex, path: Path, event: Event) -> bool:
    facts = index.modules[path]
    root = event.label.split("(")[0].split(".")[0]
    imported = facts.import_by_local.get(root)
    return imported is not None and imported.source.startswith("@clerk/")


def helper_id_member(index: WorkspaceIndex, summaries: Summaries, name: str) -> str | None:
    """How the workspace reads the user id off the result of its helper ``name`` (`userId`,
    `user.id`, `id`): the most common way its callers do. It reads every file, so it is worked out
    once per analysis."""
    key = ("helper_id_member", name)
    if key in index.memo:
        return index.memo[key]  # type: ignore[return-value]
    found = _helper_id_member(index, name)
    index.memo[key] = found
    return found


# Per index (weakly: a re-indexed workspace starts afresh), per helper word, per file: the text
# counted and how its callers read the id. An edit replaces one file's text, so only that file is
# scanned again; the other files' counts are reused across analyses.
_READS: weakref.WeakKeyDictionary[WorkspaceIndex, dict[bytes, dict[Path, tuple[bytes, Counter[str]]]]] = (
    weakref.WeakKeyDictionary()
)


def _helper_id_member(index: WorkspaceIndex, name: str) -> str | None:
    word = name.split(".")[-1].encode()
    pattern = re.compile(rb"(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*await\s+" + re.escape(word) + rb"\(")
    cache = _READS.setdefault(index, {}).setdefault(word, {})
    counts: Counter[str] = Counter()
    for path, source in index.sources.items():
        hit = cache.get(path)
        if hit is None or hit[0] is not source:
            hit = cache[path] = (source, _id_reads(source, word, pattern))
        if hit[1]:
            counts.update(hit[1])  # in file order, as a fresh count: ties go the same way
    if len(cache) > len(index.sources):
        for gone in [path for path in cache if path not in index.sources]:
            del cache[gone]
    if counts:
        return counts.most_common(1)[0][0]
    return None


def _id_reads(source: bytes, word: bytes, pattern: re.Pattern[bytes]) -> Counter[str]:
    found: Counter[str] = Counter()
    if word not in source:
        return found
    declared = [match.group(1) for match in pattern.finditer(source)]
    if declared:
        # Every variable's id reads in one pass (not one pass per declaration): a file with
        # hundreds of `const session = await verifySession()` is read once.
        reads: dict[bytes, Counter[str]] = {}
        for read in _ANY_ID_READ.finditer(source):
            member = read.group(2).decode().replace("?.", ".").replace("!.", ".")
            reads.setdefault(read.group(1), Counter())[member] += 1
        for variable in declared:
            found.update(reads.get(variable, {}))
    return found


def _from_ctx(index: WorkspaceIndex, summaries: Summaries, path: Path, unit: Unit, names: set[str]) -> SessionId | None:
    """`ctx.<key>` of an action client whose middleware passes `next({ ctx: { <key> } })`."""
    key = _ctx_key(index, summaries, path, unit)
    if key is None:
        return None
    source = index.sources[path]
    if "ctx" in names:
        return SessionId(f"ctx.{key}")
    param = unit.first_param
    if param is None:
        return None
    text = source[param.start : param.end]
    if text.startswith(b"{") and text.rstrip().endswith(b"}"):
        close = param.start + len(text.rstrip()) - 1
        before = source[param.start : close].rstrip()
        at = param.start + len(before)
        content = " ctx" if before.endswith(b",") else ", ctx"
        return SessionId(f"ctx.{key}", (TextEdit(path, Span(at, at), content),))
    if re.fullmatch(rb"[A-Za-z_$][\w$]*", text):
        return SessionId(f"{text.decode()}.ctx.{key}")
    return None


def _ctx_key(index: WorkspaceIndex, summaries: Summaries, path: Path, unit: Unit) -> str | None:
    for name_path, name in summaries.names_of_unit(path, unit.index):
        binding = index.binding_in(name_path, name)
        if binding is None:
            continue
        texts: list[bytes] = []
        frontier = [(name_path, binding)]
        seen: set[tuple[Path, str]] = set()
        while frontier:
            where, current = frontier.pop()
            if (where, current.name) in seen:
                continue
            seen.add((where, current.name))
            facts = index.modules[where]
            source = index.sources[where]
            wrappers = list(current.chain_units)
            if current is not binding and current.body is not None:
                wrappers.append(current.body)  # `authClient = client.use(middleware)`
            for chain_unit in wrappers:
                span = facts.units[chain_unit].span
                texts.append(source[span.start : span.end])
            for ref in current.chain_refs:
                target = index.target(where, ref[:1])
                if target.kind == "binding" and target.path is not None:
                    found = index.binding_in(target.path, target.name)
                    if found is not None:
                        frontier.append((target.path, found))
        for text in texts:
            for match in _CTX_KEYS.finditer(text):
                keys = [part.split(b":")[0].strip().decode() for part in match.group(1).split(b",") if part.strip()]
                for key in keys:
                    if key in _ID_NAMES:
                        return key
                if "user" in keys:
                    return "user.id"
    return None
