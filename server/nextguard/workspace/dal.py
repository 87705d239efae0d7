"""Which modules are a Data Access Layer, and why: the notion NG203 (a DAL module must `import
'server-only'`), NG204 (a client module must not import one) and NG207 (a DAL module must not be a
`'use server'` module) share. Answers are memoised in ``index.memo``, which every update clears."""

from __future__ import annotations

from pathlib import Path

from ..facts.model import FileFacts
from . import vocabulary as vocab
from .calls import Kind
from .index import WorkspaceIndex
from .summaries import Summaries


def secret_env_reads(facts: FileFacts) -> list[str]:
    """Non-`NEXT_PUBLIC_` environment variables with secret-looking names the module reads (none
    when it validates its environment with t3-env, which keeps secrets off the client itself)."""
    if any(imported.source in vocab.ENV_VALIDATORS for imported in facts.imports):
        return []
    return [
        name
        for unit in facts.units
        for name, _ in unit.env_reads
        if not name.startswith(vocab.PUBLIC_ENV_PREFIX) and vocab.SECRET_ENV.search(name)
    ]


# The reasons (see ``data_access_reason``) that are about the database, not cookies, auth or secrets.
DATA_REASONS = ("imports the database client", "creates the database client", "accesses data")


def data_access_reason(index: WorkspaceIndex, summaries: Summaries, path: Path) -> str | None:
    """Why the module acts as a DAL, whatever its directives say — it imports or creates a
    database client, accesses data, reads `cookies()`/`headers()`, checks auth, defines an auth
    check, or reads an environment secret — or None. Modules that only build action clients are
    not DAL modules."""
    key = ("dal.reason", path)
    if key in index.memo:
        return index.memo[key]  # type: ignore[return-value]
    reason = _reason(index, summaries, path)
    index.memo[key] = reason
    return reason


def _reason(index: WorkspaceIndex, summaries: Summaries, path: Path) -> str | None:
    facts = index.modules[path]
    bindings = list(facts.bindings.values())
    if bindings and all(is_action_client(binding.init, binding.chain_refs) for binding in bindings):
        return None
    classifier = summaries.classifier
    for imported in facts.imports:
        if imported.local is None or imported.type_only:
            continue
        if classifier.is_client(index.target(path, (imported.local,))):
            return f"imports the database client `{imported.local}`"
    for binding in bindings:
        if binding.body is None and classifier.binding_is_client(path, binding.name):
            return f"creates the database client `{binding.name}`"
    for unit in facts.units:
        if unit.kind == "middleware":
            continue
        summary = summaries.unit(path, unit.index)
        for event in summary.events:
            if event.kind is Kind.DATA:
                return f"accesses data (`{event.label}`)"
            if event.kind is Kind.COOKIE:
                return f"reads `{event.label}()`"
            if event.kind is Kind.AUTH:
                return f"checks auth (`{event.label}`)"
        if unit.kind == "function" and summary.auth and not any(e.kind is Kind.CALL for e in summary.events):
            return f"defines the auth check `{unit.name}`"
    secrets = secret_env_reads(facts)
    if secrets:
        return f"reads the secret `process.env.{secrets[0]}`"
    return None


def is_dal_module(index: WorkspaceIndex, summaries: Summaries, path: Path) -> bool:
    """A module NG203 holds to `import 'server-only'`: not a page/layout/route, not a client or
    `'use server'` module, not a component file, not a script outside the bundle, and acting as a
    DAL (see ``data_access_reason``)."""
    facts = index.modules[path]
    if facts.use_client or facts.use_server is not None:
        return False
    if path.suffix in (".tsx", ".jsx") or index.app_kind(path) is not None or index.is_outside_bundle(path):
        return False
    return data_access_reason(index, summaries, path) is not None


def is_action_client(init: tuple[str, ...] | None, refs: tuple[tuple[str, ...], ...]) -> bool:
    names = {part for ref in refs for part in ref} | set(init or ())
    return bool(names & vocab.ACTION_CLIENT_FACTORIES) or any(
        part in ("use", "middleware", "createServerAction", "handler") for part in names
    )
