"""App Router structure the auth rules read: which layouts check auth themselves, which pages sit
under them, the component a page or layout renders, and route handlers that authenticate their
caller another way (a webhook's signature, a cron job's shared secret)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..facts.model import Unit
from ..model import Span
from . import vocabulary as vocab
from .calls import Kind
from .flow import refs_in
from .index import WorkspaceIndex
from .session_use import derived_names, is_auth_event
from .summaries import Summaries

# Calls that verify a signed request: a webhook's signature, a queue's signed delivery.
SIGNATURE_CALLS = re.compile(
    r"^(constructEvent|constructEventAsync|parseThinEvent|verifySignature\w*|verifyWebhook\w*|"
    r"verify\w*Signature\w*|validateRequest|validateWebhook|timingSafeEqual|verifyRequest\w*|verifyKey|"
    r"unsign\w*|isIpIn\w*|ipIn\w*|isAllowedIp\w*|checkIp\w*)$"
)
_SECRET_HEADER = re.compile(r"authorization|signature|secret|token|api[-_]?key", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LayoutCheck:
    path: Path
    span: Span  # the check: the bare guard call, or the redirect/throw after the tested session
    label: str


def component_unit(index: WorkspaceIndex, path: Path) -> Unit | None:
    """The function a page or layout module exports by default."""
    facts = index.modules[path]
    for export in facts.exports:
        if export.exported != "default" or export.local is None:
            continue
        binding = facts.bindings.get(export.local)
        if binding is not None and binding.body is not None:
            return facts.units[binding.body]
    return None


def layout_check(index: WorkspaceIndex, summaries: Summaries, path: Path) -> LayoutCheck | None:
    """The auth check a layout performs itself: a bare call of a guard (`await verifySession();`,
    `auth.protect()`), or a redirect, `notFound()` or throw after it tested an auth result. Fetching
    the user for display (`const user = await getUser()`) is not a check, even when `getUser()`
    redirects inside."""
    unit = component_unit(index, path)
    if unit is None:
        return None
    facts = index.modules[path]
    summary = summaries.unit(path, unit.index)
    if not summary.auth:
        return None
    flow = summaries.flow(path, unit.index)
    for position, events in flow.events_at.items():
        call = unit.calls[position]
        if call.statement and any(is_auth_event(summaries, event) for event in events):
            return LayoutCheck(path, call.span, events[0].label)
    tested_at: int | None = None
    for local, _ in flow.auth_locals:
        names = derived_names(unit, local)
        for ref_index in refs_in(facts, local.span.end, unit.span.end, names):
            ref = facts.refs[ref_index]
            if ref.test:
                tested_at = ref.span.start if tested_at is None else min(tested_at, ref.span.start)
                break
    if tested_at is None:
        return None
    for event in summary.events:
        if event.kind is Kind.BAILOUT and event.span.start > tested_at:
            return LayoutCheck(path, event.span, event.label)
    if unit.throws:
        return LayoutCheck(path, unit.report, "throw")
    return None


def layout_checks(index: WorkspaceIndex, summaries: Summaries) -> dict[Path, LayoutCheck]:
    found: dict[Path, LayoutCheck] = {}
    for path in index.modules:
        if index.app_kind(path) == "layout":
            check = layout_check(index, summaries, path)
            if check is not None:
                found[path] = check
    return found


def layouts_above(
    index: WorkspaceIndex,
    checks: dict[Path, LayoutCheck],
    page: Path,
    segments: dict[Path, list[tuple[int, LayoutCheck]]] | None = None,
) -> list[LayoutCheck]:
    """The auth-checking layouts whose segment holds ``page`` (route groups included), nearest
    first. ``segments`` (``layout_segments(checks)``), when a caller asks for many pages, makes
    each answer a walk up the page's directories instead of a pass over every layout."""
    if segments is None:
        segments = layout_segments(checks)
    found = [entry for directory in page.parents for entry in segments.get(directory, ())]
    found.sort(key=lambda entry: (-len(entry[1].path.parts), entry[0]))
    return [check for _, check in found]


def layout_relatives(index: WorkspaceIndex, path: Path) -> set[Path]:
    """The files a change to ``path`` can change the findings of as a layout or a page: the pages
    under a layout, the layouts above a page (what a layout checks protects the pages it wraps)."""
    kind = index.app_kind(path)
    if kind not in ("layout", "page"):
        return set()
    if kind == "layout":
        return {o for o in index.modules if index.app_kind(o) == "page" and path.parent in o.parents}
    return {o for o in index.modules if index.app_kind(o) == "layout" and o.parent in path.parents}


def layout_segments(checks: dict[Path, LayoutCheck]) -> dict[Path, list[tuple[int, LayoutCheck]]]:
    """The layouts by the directory (segment) they sit in, with their order in ``checks``."""
    segments: dict[Path, list[tuple[int, LayoutCheck]]] = {}
    for order, (path, check) in enumerate(checks.items()):
        segments.setdefault(path.parent, []).append((order, check))
    return segments


def secret_authenticated(index: WorkspaceIndex, summaries: Summaries, path: Path, unit: Unit) -> bool:
    """A route handler that authenticates its caller without a user session: it verifies a
    signature (Stripe, Svix, QStash…) or compares a header with a secret from the environment (a
    cron job's `CRON_SECRET`)."""
    summary = summaries.unit(path, unit.index)
    module = index.modules[path].units[0]
    secret_env = any(
        not name.startswith(vocab.PUBLIC_ENV_PREFIX) and vocab.SECRET_ENV.search(name)
        for name, _ in (*unit.env_reads, *module.env_reads)
    )
    header_read = False
    for call in unit.calls:
        last = call.chain[-1] if call.chain else ""
        if SIGNATURE_CALLS.match(last) or (last == "verify" and len(call.chain) >= 2):
            return True
        if last == "get" and call.string_arg is not None and _SECRET_HEADER.search(call.string_arg):
            header_read = True
            lowered = call.string_arg.lower()
            if lowered in ("authorization", "x-api-key") or "signature" in lowered:
                return True  # a bearer token or an API key looked up, a signature checked
    for event in summary.events:
        if event.kind is Kind.VERIFY and not any(
            other.span == event.span
            and (other.kind is Kind.AUTH or other.kind is Kind.DATA or summaries.callee_auth(other))
            for other in summary.events
        ):
            return True  # `verifyUnsubscribeToken(token)`: a signed token, not a user session
        if event.kind is Kind.CALL and event.callee is not None:
            name = event.label.rsplit(".", 1)[-1]
            if SIGNATURE_CALLS.match(name):
                return True
            target = summaries.callee_unit(event.callee)
            if target is not None:
                # one level in: `handleSlashCommand(req)` that starts with `verifySlackSignature(…)`
                inner = index.modules[target[0]].units[target[1]]
                if any(call.chain and SIGNATURE_CALLS.match(call.chain[-1]) for call in inner.calls):
                    return True
    return secret_env and header_read


_AUTH_SEGMENTS = frozenset({"auth", "callback", "callbacks", "oauth", "saml", "sso", "oidc", "[...nextauth]"})


def auth_flow_route(index: WorkspaceIndex, path: Path) -> bool:
    """A route under an auth segment (`api/auth/…`, `…/callback`, `saml/`) or named for a sign-in
    flow (`reset-password`, `verify-email`, `magic-link`): public by nature, like sign-in actions."""
    parts = index.rel_parts(path)[:-1]
    return any(part in _AUTH_SEGMENTS or vocab.AUTH_FLOW_ACTION_NAME.match(part) for part in parts)


def is_cron(index: WorkspaceIndex, path: Path) -> bool:
    parts = index.rel_parts(path)
    return any(part in ("cron", "crons", "cronjobs", "jobs") for part in parts)


def is_webhook(index: WorkspaceIndex, path: Path) -> bool:
    return any("webhook" in part for part in index.rel_parts(path))


# Wrappers whose name says they authenticate a machine, not a user (`withCron`, `verifyQstash…`,
# an embed token), or authorize by role (`withAdmin`).
_MACHINE_WRAPPER = re.compile(r"cron|qstash|signature|webhook|verify|secret|apikey|api_key|token", re.IGNORECASE)
_ROLE_WRAPPER = re.compile(r"admin|role|permission|staff|superuser", re.IGNORECASE)
_TEST_SEGMENTS = frozenset({"e2e", "__tests__", "test", "tests", "playwright", "cypress"})
# Route segments that serve public content by design: Open Graph images, well-known files, feeds.
PUBLIC_SEGMENTS = frozenset({"og", "opengraph", ".well-known", "wellknown", "feed", "rss", "sitemap", "robots"})


def machine_or_role_endpoint(
    index: WorkspaceIndex, summaries: Summaries, path: Path, unit: Unit, *, evidence: bool = False
) -> str | None:
    """Why an endpoint's caller is not a signed-in user acting on their own records, if it is
    not: a webhook or cron job authenticated by a signature or secret, a test-only route, an
    admin-only route (authorized by role, not ownership). With ``evidence``, a cron or webhook
    path alone is not enough: the handler or its wrapper must show the check."""
    parts = index.rel_parts(path)
    if any(part in _TEST_SEGMENTS for part in parts):
        return "a test-only route"
    if secret_authenticated(index, summaries, path, unit):
        return "authenticated by a signature or secret"
    for name_path, name in summaries.names_of_unit(path, unit.index):
        binding = index.binding_in(name_path, name)
        if binding is None or binding.body != unit.index:
            continue
        for ref in binding.chain_refs:
            text = ".".join(ref)
            if _MACHINE_WRAPPER.search(text):
                return f"authenticated by `{ref[0]}`"
            if _ROLE_WRAPPER.search(text):
                return f"authorized by role (`{ref[0]}`)"
    machine = is_cron(index, path) or is_webhook(index, path)
    if machine and (not evidence or any(vocab.SECRET_ENV.search(name) for name, _ in unit.env_reads)):
        return "a cron job" if is_cron(index, path) else "a webhook"
    return None


def public_api(index: WorkspaceIndex, path: Path, unit: Unit) -> bool:
    """A handler written to be called by anyone: it is rate-limited, or it answers cross-origin
    requests (the module exports `OPTIONS` or sets CORS headers) — a tracking pixel, a public
    embed, a link checker. Its author has thought about unauthenticated callers."""
    facts = index.modules[path]
    if any(export.exported == "OPTIONS" for export in facts.exports):
        return True
    for call in unit.calls:
        for part in call.chain:
            lowered = part.lower()
            if lowered.startswith(("ratelimit", "ratelimiter")) or "cors" in lowered:
                return True
        if call.string_arg is not None and call.string_arg.lower().startswith("access-control-allow-origin"):
            return True
    return False
