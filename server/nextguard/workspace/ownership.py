"""Ownership: which data accesses are tied to the caller, and which are keyed by what the client sent.

An update, delete or upsert — or a single-record read that is returned — is *keyed by client
input* when its filter mentions a value derived from an endpoint's parameters. It is *scoped* when
the filter also compares a column with a session-derived value (`where: { id, authorId:
session.userId }`), or when, before it, the function checked ownership: compared a fetched
record's owner column in a condition (`if (post.authorId !== session.userId)`), looked the record up
with the owner in the filter, or called a function that does one of those.

For a function that is not an endpoint its parameters stand for whatever its callers pass, and an
owner column compared with a parameter is trusted (the caller answers for what it passes). Its
summary lists the parameters that reach an unscoped keyed access — so a DAL function that scopes
makes its callers safe, and one that does not is reported where an endpoint passes it client input.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from ..facts.model import Call, FileFacts, Unit
from ..model import Span
from .calls import Event, Kind
from .discovery import read_json_object, read_workspace_text, workspace_files
from .flow import _BAIL, SESSION, Access, UnitFlow, call_args, refs_in
from .index import WorkspaceIndex

_ID_LIKE = re.compile(r"(Id|_id|ID|Ids|_ids)$")
# Checks that authorize by role or permission rather than by ownership: an admin banning a user
# by id is not an IDOR. Calls whose names say so, and tests of these members of the session.
AUTHZ_CALL = re.compile(r"admin|role|permission|authori[sz]|staff|superuser|owner|member|access|can[A-Z]", re.I)
# Records whose key is a secret the client holds (a reset token, an OTP, an OAuth code): having it
# is the proof, so there is no owner to compare.
BEARER_MODELS = re.compile(
    r"(?i:reset|verification|verify|otp|one_?time|magic|invit|nonce|session|passcode)|^[tT]okens?$"
)
# ... or whose filter is the secret itself (`where: { token }`, `eq(t.codeHash, hash)`).
BEARER_KEYS = re.compile(r"token|code|hash|secret|otp|nonce", re.IGNORECASE)
# Functions that make something (`createAdminClient`) rather than check who may act.
_MAKER = re.compile(r"^(create|new|make|build|init|get[A-Z]\w*Client)")
ROLE_MEMBERS = frozenset(
    {"role", "roles", "isAdmin", "admin", "isSuperAdmin", "isSuperuser", "isStaff", "permissions", "scopes"}
)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def owner_keys(fields: tuple[str, ...]) -> frozenset[str]:
    """The configured owner fields, as written and in snake_case (`userId`, `user_id`)."""
    return frozenset(fields) | frozenset(snake(name) for name in fields)


def id_like(name: str) -> bool:
    return bool(_ID_LIKE.search(name)) or name in ("id", "_id")


def scoping_key(name: str | None, keys: frozenset[str]) -> bool:
    """A filter key that can tie a record to its owner: a configured owner field, or a reference
    to another record (`projectId`, `team_id`) — not the record's own `id`."""
    if name is None:
        return False
    return name in keys or (bool(_ID_LIKE.search(name)) and name not in ("id", "_id", "ID"))


@dataclass(frozen=True, slots=True)
class Site:
    """A keyed access that nothing ties to the session user."""

    call: int  # the access's call (or the call into the function that makes it) in the unit
    params: frozenset[int]  # the parameters its key derives from
    read: bool  # a returned single-record read, not a write
    access: Access | None  # the access, when it is made here
    owner_from_client: bool = False  # the filter has an owner column, but its value is client input


def scope_points(
    facts: FileFacts,
    source: bytes,
    unit: Unit,
    flow: UnitFlow,
    keys: frozenset[str],
    checks_owner: Callable[[Event], bool] | None,
    endpoint: bool,
) -> list[int]:
    """Offsets in ``unit`` where an ownership check happens. ``checks_owner(event)`` says whether a
    call's callee checks ownership itself."""
    points: list[int] = []
    records = flow.records
    seen_conditions: set[int] = set()
    for position in refs_in(facts, unit.span.start, unit.span.end, records):
        ref = facts.refs[position]
        if not ref.test or ref.cond in seen_conditions:
            continue
        field = ref.member if ref.member is not None else ref.name
        if not (field in keys or id_like(field)) or (ref.member is None and ref.name not in keys):
            continue
        text = source[ref.cond : ref.cond_end].decode("utf-8", "replace")
        other = _strip_names(text, records)
        tags = flow.tags_of(other)
        if SESSION in tags or (not endpoint and any(tag >= 0 for tag in tags)):
            points.append(ref.cond)
            seen_conditions.add(ref.cond)
    for access in flow.accesses:
        if access.kind in ("mutation", "create") or not access.filters:
            continue
        session_pair = owner_param_pair = False
        keyed = 0
        for pair in access.filters:
            tags = flow.tags_of(pair.text)
            if SESSION in tags:
                session_pair = True
                if any(tag >= 0 for tag in tags):
                    keyed += 1  # a compound key: `userId_projectId: { userId: session.user.id, projectId }`
            elif scoping_key(pair.key, keys) and any(tag >= 0 for tag in tags):
                owner_param_pair = True
                if pair.text.lstrip().startswith("{"):
                    keyed += 1  # a compound key: `partnerId_programId: { partnerId, programId }`
            elif tags:
                keyed += 1
        if keyed and (session_pair or (owner_param_pair and not endpoint)):
            points.append(unit.calls[access.call].span.start)
    for position, events in flow.events_at.items():
        for event in events:
            name = event.label.split("(")[0].rsplit(".", 1)[-1]
            authorizes = (
                event.kind in (Kind.AUTH, Kind.CALL) and bool(AUTHZ_CALL.search(name)) and not _MAKER.match(name)
            )
            checks = checks_owner is not None and event.kind is Kind.CALL and checks_owner(event)
            if checks and endpoint:
                # the callee compares the owner with what it is passed: the session's user, or
                # (at an endpoint) whatever the client sent
                checks = any(SESSION in flow.tags_of(text) for text, _ in call_args(source, unit.calls[position]))
            if authorizes or checks:
                points.append(unit.calls[position].span.start)
    session_names = flow.session_names()
    for position in refs_in(facts, unit.span.start, unit.span.end, session_names):
        ref = facts.refs[position]
        if ref.test and ref.member in ROLE_MEMBERS:
            points.append(ref.cond)
        elif ref.test and ref.cond >= 0 and ref.cond not in seen_conditions:
            seen_conditions.add(ref.cond)
            text = source[ref.cond : ref.cond_end].decode("utf-8", "replace")
            if _identity_guard(text, flow) and _BAIL.match(source, _after_condition(source, ref.cond_end)):
                points.append(ref.cond)
    points.sort()
    return points


_DIFFERS = re.compile(r"^\s*\(?\s*(.+?)\s*!==?\s*(.+?)\s*\)?\s*$", re.DOTALL)


def _identity_guard(condition: str, flow: UnitFlow) -> bool:
    """Whether a condition fails the call when what the client sent is not the caller's own id:
    `session.user.id !== userId` (alone or among `||` alternatives), so that past it the client's
    value *is* the session's."""
    for part in condition.split("||"):
        if "&&" in part:
            continue  # `userId && userId !== input.userId` goes on when nobody is signed in
        match = _DIFFERS.match(part)
        if match is None:
            continue
        left, right = flow.tags_of(match.group(1)), flow.tags_of(match.group(2))
        if (SESSION in left and any(tag >= 0 for tag in right)) or (SESSION in right and any(tag >= 0 for tag in left)):
            return True
    return False


def _after_condition(source: bytes, end: int) -> int:
    """The offset after an `if`'s condition and its closing parenthesis."""
    position = end
    while position < len(source) and source[position] in b" \t\r\n)":
        position += 1
        if source[position - 1] == 41:  # `)`
            break
    return position


def _strip_names(text: str, names: dict[str, int]) -> str:
    """``text`` without the record names (and the members read off them) it mentions."""
    if not names:
        return text
    pattern = r"(?<![.\w$])(" + "|".join(re.escape(name) for name in names) + r")(\??\.[\w$]+)*"
    return re.sub(pattern, " ", text)


def returned_whole(facts: FileFacts, unit: Unit, flow: UnitFlow, call_index: int) -> bool:
    """Whether the result of call ``call_index`` is returned: directly (or as the end of its chain:
    `return Thread.findById(id).populate('author')`), or through a local that is returned whole or
    in part (`return note`, `return Response.json(note)`, `return { items: row.items }`)."""
    call = unit.calls[call_index]
    start = call.span.start
    if call.returned or any(unit.calls[i].returned for i in flow.chains.get(start, ())):
        return True
    for local in unit.locals:
        if local.init is None or local.init.start != start:
            continue
        names = [binder.name for binder in local.binders]
        for position in refs_in(facts, local.span.end, unit.span.end, names):
            ref = facts.refs[position]
            if ref.returned:
                return True
    return False


_LINK = re.compile(r"^\{\s*\$(?:push|addToSet)\s*:\s*\{\s*[\w$]+\s*:\s*([\w$]+)(?:\.[\w$]+)*\s*,?\s*\}\s*,?\s*\}$")


def _links_a_new_record(source: bytes, unit: Unit, flow: UnitFlow, call: Call) -> bool:
    """`Community.findByIdAndUpdate(id, { $push: { threads: created._id } })` after creating
    `created`: the parent only gains a reference to the new child (the group a post goes into),
    nothing of it is changed or taken."""
    args = call_args(source, call)
    if len(args) < 2:
        return False
    match = _LINK.match(args[1][0].strip())
    if match is None:
        return False
    name = match.group(1)
    for access in flow.accesses:
        if access.kind == "create":
            for local in unit.locals:
                if local.call == access.call and name in local.names:
                    return True
    return False


def _plain(name: str) -> str:
    return name.replace("_", "").lower()


def _owner_of_a_create(flow: UnitFlow, access: Access, keys: frozenset[str]) -> bool:
    """Whether every key of ``access``'s filter is a value the unit also writes into the owner field
    of a record it creates (`Thread.create({ author })` then `User.findByIdAndUpdate(author, …)`)."""
    owners = {_plain(key) for key in keys}
    written = {
        pair.text.strip()
        for other in flow.accesses
        if other.kind == "create"
        for pair in other.writes
        if pair.key is not None and _plain(pair.key) in owners
    }
    return bool(written) and all(pair.text.strip() in written for pair in access.filters or ())


def unscoped_sites(
    facts: FileFacts,
    source: bytes,
    unit: Unit,
    flow: UnitFlow,
    keys: frozenset[str],
    points: list[int],
    callee_sites: Callable[[Event], dict[int, bool]] | None,
    endpoint: bool,
    supabase_rls: bool,
) -> list[Site]:
    """The keyed accesses of ``unit`` (direct, or through a callee — ``callee_sites(event)`` gives
    the callee's unscoped (param -> read?) map) that nothing before them ties to the session user."""
    found: list[Site] = []
    for access in flow.accesses:
        if access.kind not in ("mutation", "read") or not access.filters:
            continue
        if access.orm == "supabase" and supabase_rls:
            continue
        call = unit.calls[access.call]
        # A write must be checked before it runs; a read may be checked after it, before the
        # record is returned (`if (post.authorId !== session.userId) return null`).
        if any(point < call.span.start for point in points) or (access.kind == "read" and points):
            continue
        if access.orm == "prisma" and len(call.chain) >= 2 and BEARER_MODELS.search(call.chain[-2]):
            continue
        if any(pair.key is not None and BEARER_KEYS.search(pair.key) for pair in access.filters):
            continue
        if access.kind == "mutation" and _owner_of_a_create(flow, access, keys):
            continue  # the same client value is written as the new record's owner: NG105's finding
        if access.orm == "mongo" and _links_a_new_record(source, unit, flow, call):
            continue
        key_params: set[int] = set()
        scoped = False
        owner_from_client = False
        for pair in access.filters:
            tags = flow.tags_of(pair.text)
            if SESSION in tags:
                scoped = True
            params = {tag for tag in tags if tag >= 0}
            if (pair.key in keys if endpoint else scoping_key(pair.key, keys)) and params:
                if endpoint:
                    owner_from_client = True
                else:
                    scoped = True
            key_params |= params
        if scoped or not key_params:
            continue
        if access.kind == "read" and not returned_whole(facts, unit, flow, access.call):
            continue
        found.append(Site(access.call, frozenset(key_params), access.kind == "read", access, owner_from_client))
    if callee_sites is not None:
        for position, events in flow.events_at.items():
            for event in events:
                if event.kind is not Kind.CALL:
                    continue
                sites = callee_sites(event)
                if not sites:
                    continue
                call = unit.calls[position]
                if any(point < call.span.start for point in points):
                    continue
                args = call_args(source, call)
                reached: set[int] = set()
                read_only = True
                for index, read in sites.items():
                    if index >= len(args):
                        continue
                    tags = flow.tags_of(args[index][0])
                    if SESSION in tags:
                        # `{ partner, handle }`: the callee cannot tell which part it keys by;
                        # when the session's user is handed over, assume it scopes by it.
                        continue
                    hit = {tag for tag in tags if tag >= 0}
                    if hit and (not read or returned_whole(facts, unit, flow, position)):
                        reached |= hit
                        read_only = read_only and read
                if reached:
                    found.append(Site(position, frozenset(reached), read_only, None))
    found.sort(key=lambda site: unit.calls[site.call].span.start)
    return found


# -- the workspace's naming: which owner column a fix writes -------------------------------------


# Read line by line: a `^\s*` under MULTILINE, or a lazy `{(.*?)^\s*}` across the file, tries
# every line start against everything after it, and a schema of blank lines or of unclosed
# `model X {` took seconds per 20 KB (hours for the 1 MB a schema may be).
_MODEL = re.compile(r"[ \t]*model[ \t]+(\w+)[ \t]*\{")
_MODEL_END = re.compile(r"[ \t]*\}")
_FIELD = re.compile(r"[ \t]*(\w+)[ \t]+\w")


def prisma_models(text: str) -> dict[str, list[str]]:
    """Model name (lower-case) -> its field names, in one Prisma schema's text."""
    models: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if current is None:
            opening = _MODEL.match(line)
            if opening is not None:
                current = models[opening.group(1).lower()] = []
            continue
        if _MODEL_END.match(line):
            current = None
            continue
        field_match = _FIELD.match(line.split("//", 1)[0])
        if field_match is not None and not field_match.group(1).startswith("@"):
            current.append(field_match.group(1))
    return models


_PRISMA_VERSION = re.compile(r"(\d+)\.")


class OwnerNaming:
    """The owner column a scoping fix writes, in the workspace's own naming: from
    `schema.prisma` models, Drizzle table definitions, and the filters the code already writes."""

    def __init__(self, index: WorkspaceIndex) -> None:
        self.index = index
        self.fields = index.config.owner_fields
        self.keys = owner_keys(self.fields)

    @cached_property
    def prisma_models(self) -> dict[str, list[str]]:
        """Model name (lower-case) -> its field names, from the workspace's Prisma schema files."""
        patterns = (
            "schema.prisma",
            "prisma/*.prisma",
            "prisma/schema/*.prisma",
            "*/prisma/*.prisma",
            "*/*/prisma/*.prisma",
            "*/*/prisma/schema/*.prisma",
        )
        models: dict[str, list[str]] = {}
        for path in workspace_files(self.index.root, patterns):
            text = read_workspace_text(path)  # never a FIFO (it would block), never unbounded
            if text is None:
                continue
            models.update(prisma_models(text))
        return models

    @cached_property
    def prisma_major(self) -> int | None:
        """The major version of `@prisma/client` the workspace depends on, if it says."""
        for path in workspace_files(self.index.root, ("package.json", "*/*/package.json")):
            package = read_json_object(path)
            if package is None:
                continue
            for section in ("dependencies", "devDependencies"):
                deps = package.get(section)
                if isinstance(deps, dict):
                    for name in ("@prisma/client", "prisma"):
                        version = deps.get(name)
                        if isinstance(version, str):
                            match = _PRISMA_VERSION.search(version)
                            if match is not None:
                                return int(match.group(1))
        return None

    @cached_property
    def filter_keys(self) -> dict[str, Counter[str]]:
        """For each Prisma model (`note`) and each Supabase table, the owner keys its filters use."""
        found: dict[str, Counter[str]] = {}
        for facts in self.index.modules.values():
            for unit in facts.units:
                for call in unit.calls:
                    if len(call.chain) >= 3 and call.fields:
                        model = call.chain[-2].lower()
                        for item in call.fields:
                            key = item.key[6:] if item.key.startswith("where.") else ""
                            if key in self.keys:
                                found.setdefault(model, Counter())[key] += 1
                    elif call.chain and call.chain[-1] == "eq" and call.string_arg in self.keys:
                        found.setdefault("*supabase", Counter())[str(call.string_arg)] += 1
        return found

    def _preferred(self, candidates: list[str] | set[str]) -> str | None:
        for name in self.fields:
            if name in candidates:
                return name
        for name in self.fields:
            if snake(name) in candidates:
                return snake(name)
        return None

    def prisma_owner(self, model: str) -> str | None:
        """The owner field of Prisma model ``model`` (as the client spells it: `note`)."""
        fields = self.prisma_models.get(model.lower())
        if fields is not None:
            return self._preferred(fields)
        seen = self.filter_keys.get(model.lower())
        if seen:
            return seen.most_common(1)[0][0]
        if self.prisma_models:
            return None  # the schema is there and the model is not: do not guess
        return self.fields[0] if self.fields else None

    def drizzle_owner(self, columns: tuple[str, ...]) -> str | None:
        return self._preferred(list(columns)) if columns else None

    def supabase_owner(self) -> str:
        seen = self.filter_keys.get("*supabase")
        if seen:
            return seen.most_common(1)[0][0]
        return snake(self.fields[0]) if self.fields else "user_id"


def span_text(source: bytes, span: Span) -> str:
    return source[span.start : span.end].decode("utf-8", "replace")
