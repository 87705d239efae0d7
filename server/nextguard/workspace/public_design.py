"""Endpoints that are public by design, recognised from what they do, each with its reason.

"Open world" lists the shapes that legitimately need no session. Two are read here (sign-in
flows are the summaries' ``flow``; marker comments and config are ``actions.public_reason``):

- **One-time secrets.** The endpoint, or a function it calls, reads or writes a table of one-time
  secrets — password-reset tokens, verification requests, OTPs, magic links, invitations. Those
  tables exist for the flows that let a signed-out user prove who they are by what they were sent
  (request a reset, redeem the code, set the new password).
- **Public forms.** The endpoint only inserts what was submitted (a survey answer, a newsletter
  address, a waitlist entry): no update or delete, no owner field among the values, no outside
  service called, nothing it reads handed back.

The reason is stated (``nextguard map``, hover, JSON), never silent: a reviewer who disagrees sees
why the endpoint was not reported and can say so in config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..facts.model import Call, Unit
from .actions import Endpoint
from .calls import Kind, UnitKey
from .exposure import is_secret, raw_returns
from .flow import refs_in
from .index import WorkspaceIndex
from .owner_schema import principal, prisma_models
from .ownership import returned_whole
from .resolve import ModuleResolver
from .summaries import Summaries

# Tables of one-time secrets, by name (`resetPasswordTokens`, `VerificationRequests`, `otp_codes`,
# `magicLinks`, `invitations`). A bare "token" is not one: API tokens and credit balances are not.
_ONE_TIME = re.compile(
    r"reset|verification|verify|otp|one_?time|magic|invit|passcode|email_?token|emailtoken", re.IGNORECASE
)
# Methods whose (first) argument names the table a query builder works on.
_TABLE_METHODS = frozenset(
    {"from", "insert", "update", "delete", "insertInto", "selectFrom", "updateTable", "deleteFrom", "into", "table"}
    | {"collection"}
)
_CREATES = frozenset({"create", "createMany", "insert", "insertInto", "insertOne", "insertMany", "values", "add"})
_MAX_DEPTH = 4
# Names that say a value records who owns a row, besides the configured owner fields: a form
# that writes one is not anonymous.
_OWNER_WORDS = frozenset({"owner", "author", "user", "creator", "createdby", "postedby", "sender", "senderid"})
_NAME = re.compile(r"[A-Za-z_$][\w$]*")


@dataclass(frozen=True, slots=True)
class _Access:
    key: UnitKey
    call: Call
    kind: Kind
    mutation: bool
    tables: tuple[str, ...]


def public_design(index: WorkspaceIndex, summaries: Summaries, endpoint: Endpoint) -> str | None:
    """Why an endpoint needs no session, read from what it does; None when nothing says so."""
    memo_key = ("public-design", endpoint.path, endpoint.unit.index)
    if memo_key in index.memo:
        found = index.memo[memo_key]
        return found if isinstance(found, str) else None
    result = _public_design(index, summaries, endpoint)
    index.memo[memo_key] = result
    return result


def _public_design(index: WorkspaceIndex, summaries: Summaries, endpoint: Endpoint) -> str | None:
    key = (endpoint.path, endpoint.unit.index)
    accesses = list(_accesses(index, summaries, key, set(), 0))
    for access in accesses:
        for table in access.tables:
            if _ONE_TIME.search(table):
                if _hands_out_secret(index, endpoint, accesses):
                    return None  # it returns the secret it stores: whoever calls it holds the key
                return f"one-time secret flow (uses `{table}`: a reset, verification or invitation token)"
    cookie = _anonymous_cookie(index, summaries, key)
    if cookie is not None:
        return f"anonymous session: keyed by the app's own `{cookie}` cookie (a guest cart, a configurator)"
    return (
        _public_form(index, summaries, endpoint, accesses)
        or _public_read(index, summaries, accesses)
        or _published_read(index, summaries, accesses)
    )


# A filter that keeps only what the owners chose to show (`isPublic: true`, `published: true`,
# `visibility: 'public'`), and the values that mean so.
_VISIBILITY_KEY = re.compile(r"^(is_?)?(public|published|visible|listed)$|^visibility$", re.IGNORECASE)
_PUBLIC_VALUE = re.compile(r"""^(true|(['"`])(public|published|visible|listed)\2)$""", re.IGNORECASE)
# Reads that answer a number, not records.
_AGGREGATES = frozenset({"count", "aggregate", "groupBy"})
# Fields that identify or reach a person, besides secrets: a public read never selects them.
_PERSONAL = re.compile(r"^(e_?mail|phone|ip_?address|birth|date_?of_?birth|ssn)", re.IGNORECASE)


def _published_read(index: WorkspaceIndex, summaries: Summaries, accesses: list[_Access]) -> str | None:
    """Only reads that answer counts, or rows filtered to those their owners made public
    (`where: { isPublic: true }`) whose secret and personal fields do not leave: an explicit
    select without them, or a result mapped to a new shape rather than returned whole. A public
    profile page, a directory of public projects, a count on a landing page."""
    if not accesses:
        return None
    published: str | None = None
    counted: str | None = None
    owners = {_plain(name) for name in summaries.owner_keys} | _OWNER_WORDS
    for access in accesses:
        chain = access.call.chain
        if access.kind is not Kind.DATA or access.mutation or len(chain) < 3:
            return None
        model = chain[-2]
        path, unit_index = access.key
        unit = index.modules[path].units[unit_index]
        position = unit.calls.index(access.call)
        query = next((found for found in summaries.flow(path, unit_index).accesses if found.call == position), None)
        if chain[-1] in _AGGREGATES:
            if query is not None and query.filters is None:
                return None  # counted by a filter it cannot read
            flow = summaries.flow(path, unit_index)
            if query is not None and any(
                pair.key is not None and _plain(pair.key.rsplit(".", 1)[-1]) in owners and flow.tags_of(pair.text)
                for pair in query.filters or ()
            ):
                return None  # one given owner's count: how much that user did is theirs
            counted = counted or model
            continue
        if query is None or not query.filters:
            return None
        if not any(
            pair.key is not None
            and _VISIBILITY_KEY.match(pair.key.rsplit(".", 1)[-1])
            and _PUBLIC_VALUE.match(pair.text.strip())
            for pair in query.filters
        ):
            return None
        if not _shown_fields_public(index, path, access.call):
            return None
        if access.call.selected is None and _returned_unmapped(index, summaries, access.key, unit, position):
            return None  # whole rows handed back: whatever else they hold leaves too
        published = published or model
    if published is not None:
        return f"public read: only `{published}` rows marked public, without secret or personal fields"
    if counted is not None:
        return f"public read: counts of `{counted}` only (no records)"
    return None


def _returned_unmapped(index: WorkspaceIndex, summaries: Summaries, key: UnitKey, unit: Unit, position: int) -> bool:
    """Whether a read's rows are returned as they are, rather than mapped to a new shape first
    (`return rows.map((row) => ({ id: row.id, title: row.title }))`)."""
    facts = index.modules[key[0]]
    flow = summaries.flow(*key)
    call = unit.calls[position]
    if call.returned or any(unit.calls[i].returned for i in flow.chains.get(call.span.start, ())):
        return True
    for local in unit.locals:
        if local.init is None or local.init.start != call.span.start:
            continue
        names = [binder.name for binder in local.binders]
        for ref_at in refs_in(facts, local.span.end, unit.span.end, names):
            ref = facts.refs[ref_at]
            if ref.returned and ref.member != "map":
                return True
    return False


def _shown_fields_public(index: WorkspaceIndex, path: Path, call: Call) -> bool:
    """Whether an explicit select leaves out secret and personal fields (`email: false` does)."""
    if not call.selected:
        return True
    source = index.sources.get(path, b"")
    text = source[call.args_span.start : call.args_span.end].decode("utf-8", "replace") if call.args_span else ""
    for name in call.selected:
        if not (is_secret(name) or _PERSONAL.match(name)):
            continue
        if not re.search(rf"(?<![\w$]){re.escape(name)}\s*:\s*false\b", text):
            return False
    return True


# Cookies an app keeps for a visitor who has not signed in.
_ANONYMOUS_COOKIE = re.compile(r"cart|basket|bag|guest|anon|visitor|configurat", re.IGNORECASE)


def _anonymous_cookie(index: WorkspaceIndex, summaries: Summaries, key: UnitKey) -> str | None:
    """The name of a guest cookie (`cartId`) the endpoint, or a function it calls, reads or sets."""
    for unit_key in _reached(summaries, key, set(), 0):
        unit = index.modules[unit_key[0]].units[unit_key[1]]
        stores = {"cookies"}  # `cookies().get(…)`, or `const store = await cookies(); store.get(…)`
        for local in unit.locals:
            if local.call is not None and unit.calls[local.call].chain[-1:] == ("cookies",):
                stores.update(local.names)
        for call in unit.calls:
            chain = call.chain
            if (
                len(chain) >= 2
                and chain[-1] in ("get", "set")
                and stores.intersection(chain[:-1])
                and call.string_arg is not None
                and _ANONYMOUS_COOKIE.search(call.string_arg)
            ):
                return call.string_arg
    return None


def _reached(summaries: Summaries, key: UnitKey, seen: set[UnitKey], depth: int) -> list[UnitKey]:
    if key in seen or depth > _MAX_DEPTH or key not in summaries.units:
        return []
    seen.add(key)
    found = [key]
    for event in summaries.units[key].events:
        if event.kind is Kind.CALL and event.callee is not None and not summaries.callee_auth(event):
            callee = summaries.callee_unit(event.callee)
            if callee is not None:
                found += _reached(summaries, callee, seen, depth + 1)
    return found


def _public_read(index: WorkspaceIndex, summaries: Summaries, accesses: list[_Access]) -> str | None:
    """Only reads of Prisma models that have no owner and no secret field, and do not hold
    principals: a catalogue, a search."""
    models = prisma_models(index)
    if not accesses or not models:
        return None
    owners = {_plain(name) for name in summaries.owner_keys} | _OWNER_WORDS
    read: list[str] = []
    for access in accesses:
        chain = access.call.chain
        if access.kind is not Kind.DATA or access.mutation or len(chain) < 3:
            return None
        model = chain[-2]
        fields = models.get(model)
        if fields is None or principal(model) or principal(model + "s"):
            return None
        if any(_plain(field) in owners or is_secret(field) or _PERSONAL.match(field) for field in fields):
            return None
        read.append(model)
    return f"public read: `{read[0]}` has no owner and no secret fields (a catalogue, a search)"


def _hands_out_secret(index: WorkspaceIndex, endpoint: Endpoint, accesses: list[_Access]) -> bool:
    """Whether the endpoint returns a value it writes into a table of one-time secrets (`return
    code` after storing `token_code: code`)."""
    unit = endpoint.unit
    returned = {ret.name for ret in unit.returns if ret.kind == "name" and ret.name}
    returned |= {entry.name for ret in unit.returns for entry in ret.entries if entry.name}
    if not returned:
        return False
    source = index.sources.get(endpoint.path, b"")
    key = (endpoint.path, unit.index)
    for access in accesses:
        if access.key != key or not access.mutation or not any(_ONE_TIME.search(t) for t in access.tables):
            continue
        for call in unit.calls:
            if call.span.start != access.call.span.start:
                continue
            for field in call.fields:
                if source[field.span.start : field.span.end].decode("utf-8", "replace").strip() in returned:
                    return True
    return False


def _public_form(
    index: WorkspaceIndex, summaries: Summaries, endpoint: Endpoint, accesses: list[_Access]
) -> str | None:
    key = (endpoint.path, endpoint.unit.index)
    created: list[str] = []
    for access in accesses:
        if access.kind is Kind.EFFECT:
            if _mail_call(index, access.key[0], index.modules[access.key[0]].units[access.key[1]], access.call):
                continue  # the confirmation mail to the submitted address
            return None  # any other outside service
        method = access.call.chain[-1]
        if not access.mutation:
            continue
        if method not in _CREATES and method not in _UPSERTS:
            return None
        unit = index.modules[access.key[0]].units[access.key[1]]
        fields = {
            field.key.split(".", 1)[-1]
            for call in unit.calls
            if call.span.start == access.call.span.start
            for field in call.fields
        }
        owners = {_plain(name) for name in summaries.owner_keys} | _OWNER_WORDS
        if any(_plain(name) in owners for name in fields):
            return None
        tables = [table for table in access.tables if table not in ("()", "[]", "")]
        if not tables or any(principal(table) for table in tables):
            return None  # a table it cannot name, or accounts: creating one is signing up, not a form
        created.extend(tables)
    if not created or raw_returns(index, summaries, *key):
        return None
    if any(
        _returns_read(index, summaries, index.modules[access.key[0]].units[access.key[1]], access)
        for access in accesses
        if access.kind is Kind.DATA and not access.mutation
    ):
        return None
    return f"public form: only inserts what was submitted into `{created[0]}` (no owner field, nothing read back)"


# Adding the submitted address again is no change of anyone's data (`upsert` on the email).
_UPSERTS = frozenset({"upsert"})
# Packages that send mail or keep a mailing list.
_MAIL_PACKAGES = frozenset(
    {"resend", "nodemailer", "@sendgrid/mail", "postmark", "mailgun.js", "@aws-sdk/client-ses", "@plunk/node"}
    | {"loops", "@mailchimp/mailchimp_marketing", "@mailchimp/mailchimp_transactional", "mailersend", "brevo"}
)


def _mail_call(index: WorkspaceIndex, path: Path, unit: Unit, call: Call) -> bool:
    """Whether a call sends mail or adds a contact: an export of a mail package, or a method of a
    client made from one (`resend.emails.send(…)`, `transporter.sendMail(…)`): module-level, made
    by a factory of the project's own, or a local one of either kind."""
    target = index.target(path, call.chain)
    if target.kind == "local" and len(call.chain) >= 2:
        local = next((local for local in unit.locals if call.chain[0] in local.names), None)
        return local is not None and local.call is not None and _makes_mail(index, path, unit.calls[local.call].chain)
    if target.kind == "external":
        return _mail_package(target.specifier)
    if target.kind != "binding" or target.path is None:
        return False
    binding = index.binding_in(target.path, target.name)
    if binding is None:
        return False
    if binding.body is not None:
        return target.rest[:1] == ("()",) and _factory_makes_mail(index, target.path, binding.body)
    return binding.init is not None and _makes_mail(index, target.path, binding.init)


def _makes_mail(index: WorkspaceIndex, path: Path, chain: tuple[str, ...]) -> bool:
    """Whether the call ``chain`` (in ``path``) makes a mail client: `new Resend(key)`,
    `createTransport(…)`, or a factory of the project's own that does (`getResend()`)."""
    constructor = chain[1:] if chain[:1] == ("new",) else chain
    if not constructor:
        return False
    origin = index.target(path, constructor[:1])
    if origin.kind == "external":
        return _mail_package(origin.specifier)
    if origin.kind == "binding" and origin.path is not None:
        binding = index.binding_in(origin.path, origin.name)
        return (
            binding is not None and binding.body is not None and _factory_makes_mail(index, origin.path, binding.body)
        )
    return False


def _factory_makes_mail(index: WorkspaceIndex, path: Path, body: int) -> bool:
    unit = index.modules[path].units[body]
    return any(made.chain[:1] == ("new",) and _makes_mail(index, path, made.chain) for made in unit.calls)


def _mail_package(specifier: str) -> bool:
    return ModuleResolver.package_name(specifier) in _MAIL_PACKAGES


def _plain(name: str) -> str:
    """`UserID`, `user_id`, `userId` alike."""
    return name.replace("_", "").lower()


def _returns_read(index: WorkspaceIndex, summaries: Summaries, unit: Unit, access: _Access) -> bool:
    """Whether what a read gives is returned (directly, or kept in a local that is returned)."""
    facts = index.modules[access.key[0]]
    flow = summaries.flow(*access.key)
    position = unit.calls.index(access.call)
    return returned_whole(facts, unit, flow, position)


def _accesses(
    index: WorkspaceIndex, summaries: Summaries, key: UnitKey, seen: set[UnitKey], depth: int
) -> list[_Access]:
    if key in seen or depth > _MAX_DEPTH or key not in summaries.units:
        return []
    seen.add(key)
    path, unit_index = key
    unit = index.modules[path].units[unit_index]
    by_span = {(call.span.start, call.span.end): call for call in unit.calls}
    found: list[_Access] = []
    for event in summaries.units[key].events:
        if event.kind is Kind.DATA or event.kind is Kind.EFFECT:
            call = by_span.get((event.span.start, event.span.end))
            if call is not None:
                found.append(_Access(key, call, event.kind, event.mutation, _tables(index, path, unit, call)))
        elif event.kind is Kind.CALL and event.callee is not None and not summaries.callee_auth(event):
            callee = summaries.callee_unit(event.callee)
            if callee is not None:
                found.extend(_accesses(index, summaries, callee, seen, depth + 1))
    return found


def _tables(index: WorkspaceIndex, path: Path, unit: Unit, call: Call) -> tuple[str, ...]:
    """The tables a data call names: a Prisma or Mongoose model, a Drizzle table, a Kysely or
    Supabase table name."""
    source = index.sources.get(path, b"")
    found: list[str] = []
    chain = call.chain
    if len(chain) >= 3 and chain[-2] not in ("()", "[]", ""):
        found.append(chain[-2])  # `db.passwordResetToken.create`, `db.query.otps.findFirst`
    elif len(chain) == 2 and chain[0][:1].isupper():
        found.append(chain[0])  # a Mongoose model: `Invite.findOne`
    for other in unit.calls:
        if other.span.start != call.span.start or not other.chain or other.chain[-1] not in _TABLE_METHODS:
            continue
        if other.string_arg:
            found.append(other.string_arg)
        elif other.args_span is not None:
            match = _NAME.match(source[other.args_span.start : other.args_span.end].decode("utf-8", "replace").strip())
            if match is not None:
                found.append(match.group(0))
    return tuple(found)
