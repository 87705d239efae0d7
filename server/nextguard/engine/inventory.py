"""The endpoint inventory: every Server Action and route handler of a workspace, how each one is
protected, what data it reaches, and where a request reaches it.

Every `'use server'` export is a public POST endpoint, and so is every route handler: this module
lists them all with what the engine knows about each — the auth primitive that guards it and where
that runs (its own body, a DAL function it calls, a wrapper, an action client's middleware), or why
it is public, the data it reads or changes and through which functions, schema validation, rate
limiting, its findings, and the page paths a request can be POSTed to.

Plain data, shared by `nextguard map` (every format) and the language server's code lenses
(``file_endpoints`` for one document, ``Protection.summary`` for the lens title); nothing here knows
about terminals or the protocol. An ``Inventory`` is a snapshot of one ``Analysis``: build a new
one after the analysis has taken an edit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from ..analysis import Analysis
from ..config import Config, load_config
from ..facts.model import Binding
from ..model import Finding, Notice, Span
from ..syntax.positions import LineIndex
from ..workspace import vocabulary as vocab
from ..workspace.actions import ActionKind, Endpoint, public_reason
from ..workspace.calls import Kind, NameKey, UnitKey, label_of
from ..workspace.discovery import discover, find_workspace_root
from ..workspace.gating import bypassed
from ..workspace.public_design import public_design
from ..workspace.sensitive import rate_limits
from .batch import run_rules
from .loading import build_index

Status = Literal["protected", "public", "unprotected"]
# What NG104/NG105 found on the endpoint's data access: keyed by client input alone (NG104), an
# owner field written from client input (NG105), neither, or no data to own.
Ownership = Literal["unscoped", "client-owner", "checked", "not-applicable"]

# Findings that mean the guard an endpoint calls cannot stop a request, so the map must not call
# it protected: what each says, with the guard's name.
_DEFEATED = {
    "NG101": "no auth check can stop a request before its data access",
    "NG103": "`{by}` reads a session that is never checked",
    "NG112": "`{by}` is not awaited, so it cannot stop the request",
    "NG113": "`{by}` is called but its result is never checked",
}
ViaKind = Literal["body", "dal", "wrapper", "middleware"]
ReasonKind = Literal["comment", "config", "auth-flow", "design"]
RouteSource = Literal["page", "directory"]

ACTION_ID_NOTE = (
    "The Next-Action id comes from a production build (.next/server/server-reference-manifest.json, "
    "or the Next-Action header of the request in the browser's network tab); nextguard never runs the build."
)

# Calls that verify a webhook's signature: not a user session, but worth saying in the map.
_SIGNATURE = re.compile(r"constructEvent|verify\w*Signature|verifyWebhook|(^|\.)(wh|webhooks?)\.verify$", re.I)
_INTERCEPT = re.compile(r"^(\(\.{1,3}\))+")
_PAGE_KINDS = frozenset({"page", "default"})
_LAYOUT_KINDS = frozenset({"layout", "template"})
_MAX_DEPTH = 8
_MAX_ACCESSES = 50


# -- the data -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Via:
    """Where the auth check runs: the endpoint's own body, a DAL function it calls first, the
    wrapper it is wrapped in, or the middleware of the action client it is built on."""

    kind: ViaKind
    name: str | None = None  # the DAL function, wrapper or action client
    file: str | None = None  # where that is defined, relative to the workspace root

    def describe(self) -> str:
        where = f" ({self.file})" if self.file else ""
        if self.kind == "body":
            return "own body"
        if self.kind == "dal":
            return f"DAL function {self.name}{where}"
        if self.kind == "wrapper":
            return f"wrapper {self.name}{where}"
        return f"action client middleware {self.name}{where}"


@dataclass(frozen=True, slots=True)
class Protection:
    status: Status
    by: str | None = None  # the auth primitive: `verifySession`, `auth`, `supabase.auth.getUser`
    by_file: str | None = None  # where the primitive is defined, when it is the project's own
    via: Via | None = None
    reason: str | None = None  # public: why
    reason_kind: ReasonKind | None = None
    note: str | None = None  # what else is worth knowing (auth after data, a webhook signature…)
    defeated: str | None = None  # unprotected although a guard is called: why it cannot stop a request

    def summary(self) -> str:
        """One line for a code lens or a table cell."""
        if self.status == "public":
            return f"public by design: {self.reason}"
        if self.status == "unprotected":
            return f"not protected: {self.defeated}" if self.defeated else "public endpoint: no auth"
        by = self.by or "an auth check"
        if self.via is None:
            return f"protected by {by}"
        if self.via.kind == "body":
            return f"protected by {by}" + (f" ({self.by_file})" if self.by_file else "")
        if self.via.kind == "dal":
            return f"protected by {by} via {self.via.name}" + (f" ({self.via.file})" if self.via.file else "")
        noun = "wrapper" if self.via.kind == "wrapper" else "action client"
        return f"protected by {by} via {noun} {self.via.name}" + (f" ({self.via.file})" if self.via.file else "")


@dataclass(frozen=True, slots=True)
class Access:
    """One data access the endpoint reaches: the call, and the workspace functions on the way."""

    call: str
    mutates: bool
    through: tuple[str, ...]
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class DataUse:
    reads: bool
    mutates: bool
    accesses: tuple[Access, ...] = ()

    @property
    def functions(self) -> tuple[str, ...]:
        """What the endpoint calls to reach data: the data call itself or the first workspace
        function on the way (`db.note.update`, `deleteNoteForUser`)."""
        seen: dict[str, None] = {}
        for access in self.accesses:
            seen.setdefault(access.through[0] if access.through else access.call, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class RoutePath:
    path: str  # `/dashboard/notes/[id]`: route groups removed, dynamic segments kept
    file: str  # the page, layout or route file it comes from (or the endpoint's own file)


@dataclass(frozen=True, slots=True)
class Route:
    """Where a request reaches the endpoint. A Server Action answers a POST to any page whose module
    graph includes the action's module (Next.js forwards it to the worker that has the action)."""

    paths: tuple[RoutePath, ...] = ()
    source: RouteSource | None = None  # page: a page/layout/route file; directory: only its folder

    @property
    def path(self) -> str | None:
        return self.paths[0].path if self.paths else None


@dataclass(frozen=True, slots=True)
class EndpointInfo:
    endpoint: Endpoint  # the engine's view, with its spans (for the language server)
    file: str  # relative to the workspace root
    line: int  # 1-based, of the name (or the function header)
    column: int  # 1-based, in Unicode code points
    statement_line: int  # 1-based, of the statement that defines it (where a code lens goes)
    project: str  # the Next.js app folder holding it, relative to the workspace root ("." for the root)
    method: str  # POST for actions; the HTTP method of a route handler
    reexported_by: tuple[tuple[str, str], ...]  # ('use server' barrel file, exported name)
    protection: Protection
    data: DataUse
    validation: tuple[str, ...]
    rate_limit: tuple[str, ...]
    findings: tuple[Finding, ...]
    finding_positions: tuple[tuple[int, int], ...]  # 1-based (line, column) of each finding
    route: Route
    curl: str | None
    ownership: Ownership = "not-applicable"

    @property
    def kind(self) -> ActionKind:
        return self.endpoint.kind

    @property
    def name(self) -> str:
        return self.endpoint.name

    @property
    def path(self) -> Path:
        return self.endpoint.path

    @property
    def segment(self) -> str:
        """The route segment the endpoint is grouped under."""
        return self.route.path or "(no page imports it)"

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of `nextguard map --format json` (schemas/map.schema.json)."""
        protection = self.protection
        via = protection.via
        return {
            "kind": self.kind,
            "name": self.name,
            "method": self.method,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "project": self.project,
            "reexported_by": [{"file": file, "name": name} for file, name in self.reexported_by],
            "protection": {
                "status": protection.status,
                "by": protection.by,
                "by_file": protection.by_file,
                "via": via.describe() if via is not None else None,
                "via_kind": via.kind if via is not None else None,
                "via_name": via.name if via is not None else None,
                "via_file": via.file if via is not None else None,
                "reason": protection.reason,
                "reason_kind": protection.reason_kind,
                "note": protection.note,
                "summary": protection.summary(),
            },
            "data": {
                "reads": self.data.reads,
                "mutates": self.data.mutates,
                "functions": list(self.data.functions),
                "accesses": [
                    {
                        "call": access.call,
                        "mutates": access.mutates,
                        "through": list(access.through),
                        "file": access.file,
                        "line": access.line,
                    }
                    for access in self.data.accesses
                ],
            },
            "validation": {"validated": bool(self.validation), "by": list(self.validation)},
            "rate_limit": {"limited": bool(self.rate_limit), "by": list(self.rate_limit)},
            "ownership": self.ownership,
            "findings": [
                {
                    "code": finding.code,
                    "name": finding.name,
                    "severity": finding.severity.value,
                    "message": finding.message,
                    "line": line,
                    "column": column,
                }
                for finding, (line, column) in zip(self.findings, self.finding_positions, strict=True)
            ],
            "route": {
                "path": self.route.path,
                "source": self.route.source,
                "paths": [{"path": item.path, "file": item.file} for item in self.route.paths],
            },
            "curl": self.curl,
        }


def _honest(protection: Protection, findings: Sequence[Finding]) -> Protection:
    """The protection the map shows: a guard that a rule says cannot fire (its result unread, not
    awaited, a session never checked) protects nothing, whatever the shape of the code."""
    if protection.status != "protected":
        return protection
    for finding in findings:
        template = _DEFEATED.get(finding.code)
        if template is not None:
            why = template.format(by=protection.by or "the auth check")
            return Protection("unprotected", note=f"{why} ({finding.code})", defeated=why)
    return protection


def _ownership(data: DataUse, findings: Sequence[Finding]) -> Ownership:
    codes = {finding.code for finding in findings}
    if "NG104" in codes:
        return "unscoped"
    if "NG105" in codes:
        return "client-owner"
    return "checked" if data.reads or data.mutates else "not-applicable"


def counts(infos: Iterable[EndpointInfo]) -> dict[Status, int]:
    result: dict[Status, int] = {"protected": 0, "public": 0, "unprotected": 0}
    for info in infos:
        result[info.protection.status] += 1
    return result


def summary_line(infos: Sequence[EndpointInfo]) -> str:
    """`N endpoints: X protected, Y public, Z unprotected`."""
    count = counts(infos)
    noun = "endpoint" if len(infos) == 1 else "endpoints"
    return (
        f"{len(infos)} {noun}: {count['protected']} protected, {count['public']} public, "
        f"{count['unprotected']} unprotected"
    )


# -- entry points -------------------------------------------------------------------------------------


def load_analysis(path: Path, config: Config | None = None) -> tuple[Analysis, list[Notice]]:
    """Index the workspace that holds ``path``, as ``engine.analyze`` does. Raises ``ConfigError``
    for an invalid config."""
    root = find_workspace_root(path.absolute().resolve())
    root_config = config if config is not None else load_config(root)
    discovery = discover(root, ignore_globs=root_config.ignore)
    notices = list(discovery.notices)
    index = build_index(root, root_config, discovery.files, notices)
    return Analysis(index), notices


def endpoints(analysis: Analysis, paths: Iterable[Path] | None = None) -> list[EndpointInfo]:
    """Every Server Action and route handler of the workspace (or of the files and folders in
    ``paths``), sorted by project, route path, file and position."""
    return Inventory(analysis).endpoints(paths)


def file_endpoints(analysis: Analysis, path: Path, *, findings: Sequence[Finding] | None = None) -> list[EndpointInfo]:
    """The endpoints defined in one file, in source order: what a code lens shows. ``findings``
    are the file's findings when the caller has them already (None: they are computed)."""
    return Inventory(analysis).file(path, findings=findings)


# -- the inventory ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Walk:
    seen: set[UnitKey] = field(default_factory=set)
    accesses: list[Access] = field(default_factory=list)
    validations: list[str] = field(default_factory=list)
    rate_limits: list[str] = field(default_factory=list)


class Inventory:
    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.index = analysis.index
        self.summaries = analysis.summaries
        # What rate-limits a request is NG303's answer (names, packages and the `rateLimiters`
        # setting), so the map and the rule cannot disagree.
        self.limits = rate_limits(analysis.summaries)
        self._importers: dict[Path, set[Path]] | None = None
        self._reexports: dict[tuple[Path, str], list[tuple[str, str]]] | None = None
        self._routes: dict[Path, Route] = {}
        self._app_dirs: dict[Path, tuple[str, int] | None] = {}

    # -- public ---------------------------------------------------------------------------------------

    def endpoints(self, paths: Iterable[Path] | None = None) -> list[EndpointInfo]:
        scopes = [Path(p).absolute().resolve() for p in paths] if paths is not None else None
        found: list[EndpointInfo] = []
        for path in sorted(self.index.modules):
            if scopes is not None and not any(path == s or s in path.parents for s in scopes):
                continue
            if not self.analysis.endpoints(path):
                continue
            found.extend(self.file(path))
        found.sort(key=lambda info: (info.project, info.segment, info.file, info.line, info.column))
        return found

    def file(self, path: Path, *, findings: Sequence[Finding] | None = None) -> list[EndpointInfo]:
        if path not in self.index.modules:
            return []
        endpoints = self.analysis.endpoints(path)
        # The findings decide what the map may call protected (a guard whose result is never read
        # protects nothing), so they are computed when the caller has none at hand.
        if findings is None:
            findings = run_rules(self.analysis, [path])
        owned = _assign_findings(endpoints, [f for f in findings if f.path == path])
        return [self._info(endpoint, owned.get(i, [])) for i, endpoint in enumerate(endpoints)]

    # -- one endpoint ---------------------------------------------------------------------------------

    def _info(self, endpoint: Endpoint, findings: list[Finding]) -> EndpointInfo:
        index = self.index
        path = endpoint.path
        lines = index.modules[path].lines
        line, column = _position(lines, endpoint.unit.report.start)
        statement_line, _ = _position(lines, endpoint.statement.start)
        walk = self._walk(endpoint)
        summary = self.summaries.unit(path, endpoint.unit.index)
        reads = any(not access.mutates for access in walk.accesses) or (summary.data and not summary.mutates)
        data = DataUse(reads=reads, mutates=summary.mutates, accesses=tuple(walk.accesses))
        route = self._route_of(endpoint)
        method = endpoint.name if endpoint.kind == "route" else "POST"
        app = self._app_dir(path)
        return EndpointInfo(
            endpoint=endpoint,
            file=index.rel(path),
            line=line,
            column=column,
            statement_line=statement_line,
            project=app[0] if app is not None else ".",
            method=method,
            reexported_by=tuple(self._reexported().get((path, _binding_name(endpoint)), ())),
            protection=_honest(self._protection(endpoint), findings),
            data=data,
            validation=tuple(dict.fromkeys(walk.validations)),
            rate_limit=tuple(dict.fromkeys(walk.rate_limits)),
            findings=tuple(findings),
            finding_positions=tuple(_position(lines, finding.span.start) for finding in findings),
            route=route,
            curl=_curl(endpoint, method, route),
            ownership=_ownership(data, findings),
        )

    # -- protection -----------------------------------------------------------------------------------

    def _protection(self, endpoint: Endpoint) -> Protection:
        path = endpoint.path
        summary = self.summaries.unit(path, endpoint.unit.index)
        if endpoint.binding is not None and self.summaries.chain_protects(path, endpoint.binding, endpoint.unit):
            chained = self._chain_protection(path, endpoint.binding)
            if chained is not None:
                return chained
        if summary.auth and not summary.unguarded:
            return self._body_protection(path, endpoint.unit.index)
        reason = public_reason(self.index, endpoint)
        if reason is not None:
            kind: ReasonKind = "config" if reason.startswith("listed in publicActions") else "comment"
            return Protection("public", reason=reason, reason_kind=kind)
        if summary.flow or vocab.AUTH_FLOW_ACTION_NAME.match(endpoint.name):
            flow = self._flow_call((path, endpoint.unit.index), set())
            reason = f"authentication flow (calls {flow})" if flow else "authentication flow (by its name)"
            return Protection("public", reason=reason, reason_kind="auth-flow")
        reason = public_design(self.index, self.summaries, endpoint)
        if reason is not None:
            return Protection("public", reason=reason, reason_kind="design")
        return Protection("unprotected", note=self._unprotected_note(endpoint))

    def _unprotected_note(self, endpoint: Endpoint) -> str | None:
        path = endpoint.path
        summary = self.summaries.unit(path, endpoint.unit.index)
        if endpoint.binding is not None and self.summaries.chain_auth(path, endpoint.binding):
            return (
                "its action client's middleware reads the session into the context but lets signed-out calls"
                " through, and the action does not test it first"
            )
        source = self.index.sources.get(path, b"")
        if summary.auth and any(
            (event.kind is Kind.AUTH or self.summaries.callee_auth(event))
            and bypassed(source, endpoint.unit, event.span.start)
            for event in summary.events
        ):
            return "the session is asked only when the caller sends no user of its own (`provided || getUser()`)"
        if summary.auth and summary.unguarded and self.summaries.late_auth(path, endpoint.unit.index) is None:
            return "the session is read, but nothing tests it: signed out, it runs anyway"
        if summary.auth and summary.unguarded:
            trail = self.summaries.trail(path, endpoint.unit.index)
            first = f" (`{trail[-1].label}`)" if trail else ""
            return f"an auth check runs, but only after the first data access{first}"
        for call in endpoint.unit.calls:
            label = label_of(call.chain)
            if _SIGNATURE.search(label):
                return f"no user session; verifies a request signature (`{label}`)"
        if not summary.data:
            return "touches no data"
        return None

    def _chain_protection(self, path: Path, binding: Binding) -> Protection | None:
        """Protection by what the binding is wrapped in: the middleware of the action client it is
        built on (`authActionClient.action(fn)`, a zsa procedure) or a wrapper (`withAuth(fn)`)."""
        summaries = self.summaries
        if not summaries.chain_auth(path, binding):
            return None
        client = binding.chain_refs[0][0] if binding.chain_refs and binding.chain_refs[0] else None
        for unit_index in binding.chain_units:
            if (path, unit_index) in summaries.units and summaries.unit(path, unit_index).auth:
                by, by_path = self._primitive_in_unit((path, unit_index), set()) or (None, None)
                return self._protected(by, by_path, Via("middleware", client, self.index.rel(path)))
        for ref in binding.chain_refs:
            target = self.index.target(path, ref)
            if target.kind == "binding" and target.path is not None:
                wrapper = self.index.binding_in(target.path, target.name)
                if wrapper is None or not self._binding_auth(target.path, wrapper):
                    continue
                by, by_path = self._primitive_of_binding(target.path, wrapper, set())
                # `client.action(fn)` calls a method of the client; `withAuth(fn)` calls the wrapper.
                kind: ViaKind = "middleware" if target.rest else "wrapper"
                return self._protected(by, by_path, Via(kind, target.name, self.index.rel(target.path)))
            if summaries.classifier.is_auth(target, ref):
                return self._protected(label_of(ref), None, Via("wrapper", label_of(ref), None))
        return Protection("protected")

    def _body_protection(self, path: Path, unit_index: int) -> Protection:
        summary = self.summaries.unit(path, unit_index)
        for event in summary.events:
            if event.kind is Kind.AUTH:
                return self._protected(event.label, None, Via("body"))
            if event.kind is Kind.CALL and event.callee is not None and self.summaries.callee_auth(event):
                by, by_path = self._primitive_of_name(event.callee, set())
                callee_path, callee_name = event.callee
                if by == callee_name and by_path == callee_path:
                    return self._protected(by, by_path, Via("body"))  # it calls the primitive itself
                return self._protected(by, by_path, Via("dal", event.label, self.index.rel(callee_path)))
        # The function reads the session cookie and verifies it itself.
        # (or hands it to a function of its own that verifies or looks it up)
        verify = next(
            (
                event.label
                for event in summary.events
                if event.kind is Kind.VERIFY or self.summaries.verifier_call(event)
            ),
            None,
        )
        return self._protected(verify, None, Via("body"))

    def _protected(self, by: str | None, by_path: Path | None, via: Via) -> Protection:
        return Protection("protected", by=by, by_file=self.index.rel(by_path) if by_path is not None else None, via=via)

    def _binding_auth(self, path: Path, binding: Binding) -> bool:
        if self.summaries.chain_auth(path, binding):
            return True
        key = (path, binding.body) if binding.body is not None else None
        return key is not None and key in self.summaries.units and self.summaries.units[key].auth

    def _primitive_in_unit(self, key: UnitKey, seen: set[object]) -> tuple[str, Path | None] | None:
        """The auth primitive a unit calls first, or None when the unit is a primitive itself (it
        reads the session cookie and verifies it)."""
        for event in self.summaries.units[key].events:
            if event.kind is Kind.AUTH:
                return event.label, None
            if event.kind is Kind.CALL and event.callee is not None and self.summaries.callee_auth(event):
                return self._primitive_of_name(event.callee, seen)
        return None

    def _primitive_of_name(self, name: NameKey, seen: set[object]) -> tuple[str, Path | None]:
        path, text = name
        owner, _, member = text.partition(".")
        binding = self.index.binding_in(path, owner)
        if binding is None:
            return text, path
        if member:
            unit_index = binding.members.get(member)
            if unit_index is None or name in seen:
                return text, path
            seen.add(name)
            return self._primitive_in_unit((path, unit_index), seen) or (text, path)
        return self._primitive_of_binding(path, binding, seen)

    def _primitive_of_binding(self, path: Path, binding: Binding, seen: set[object]) -> tuple[str, Path | None]:
        key = (path, binding.name)
        if key in seen:
            return binding.name, path
        seen.add(key)
        summaries = self.summaries
        if summaries.chain_auth(path, binding):
            for unit_index in binding.chain_units:
                if (path, unit_index) in summaries.units and summaries.unit(path, unit_index).auth:
                    return self._primitive_in_unit((path, unit_index), seen) or (binding.name, path)
            for ref in binding.chain_refs:
                target = self.index.target(path, ref)
                if target.kind == "binding" and target.path is not None:
                    wrapper = self.index.binding_in(target.path, target.name)
                    if wrapper is not None and self._binding_auth(target.path, wrapper):
                        return self._primitive_of_binding(target.path, wrapper, seen)
                elif summaries.classifier.is_auth(target, ref):
                    return label_of(ref), None
        if binding.body is not None and (path, binding.body) in summaries.units:
            found = self._primitive_in_unit((path, binding.body), seen)
            if found is not None:
                return found
        return binding.name, path

    def _flow_call(self, key: UnitKey, seen: set[UnitKey]) -> str | None:
        """The call that makes a unit a sign-in flow (`createSession`, `signIn`)."""
        if key in seen or key not in self.summaries.units:
            return None
        seen.add(key)
        flows = [event for event in self.summaries.units[key].events if event.kind is Kind.FLOW]
        # a sign-in call (`createSession`) says more than the password check before it
        for event in flows:
            if event.label.rsplit(".", 1)[-1] in vocab.AUTH_FLOW_NAMES:
                return event.label
        if flows:
            return flows[0].label
        for event in self.summaries.units[key].events:
            if event.kind is Kind.CALL and event.callee is not None:
                callee = self.summaries.callee_unit(event.callee)
                if callee is not None and callee in self.summaries.units and self.summaries.units[callee].flow:
                    return event.label
        return None

    # -- data, validation, rate limits ----------------------------------------------------------------

    def _walk(self, endpoint: Endpoint) -> _Walk:
        """Follow the endpoint's calls through the workspace functions it reaches, collecting data
        accesses, schema validations and rate-limit calls."""
        walk = _Walk()
        path = endpoint.path
        self._walk_unit((path, endpoint.unit.index), (), walk, 0)
        binding = endpoint.binding
        if binding is not None:
            for ref in binding.chain_refs:
                for i, part in enumerate(ref):
                    if part in vocab.VALIDATION_CHAIN:
                        walk.validations.append(label_of(ref[: i + 1]) + "()")
            # Middleware runs before the body: a limiter there counts (its data does not: the
            # endpoint's own data is what the map is about).
            seen_units: set[UnitKey] = set()
            seen_bindings: set[NameKey] = {(path, binding.name)}
            client = binding.chain_refs[0][0] if binding.chain_refs and binding.chain_refs[0] else None
            for unit_index in binding.chain_units:
                self._scan_limits((path, unit_index), walk, seen_units, client)
            for ref in binding.chain_refs:
                self._scan_target_limits(path, ref, walk, seen_units, seen_bindings)
        return walk

    def _walk_unit(self, key: UnitKey, through: tuple[str, ...], walk: _Walk, depth: int) -> None:
        if key in walk.seen or key not in self.summaries.units or depth > _MAX_DEPTH:
            return
        walk.seen.add(key)
        path = key[0]
        unit = self.index.modules[path].units[key[1]]
        where = f" (in {through[-1]})" if through else ""
        for call in unit.calls:
            if self.limits.is_limiter(path, call.chain):
                walk.rate_limits.append(label_of(call.chain) + where)
        events = self.summaries.units[key].events
        # A query builder chain (`db.select().from(t).where(...)`) is one access, though each call
        # of the chain is an event: they all start where the chain does. Keep the innermost call's
        # label (`db.select`), and whether any of them mutates.
        chains: dict[int, tuple[int, str, bool]] = {}
        for event in events:
            if event.kind is Kind.DATA or event.kind is Kind.EFFECT:
                size = event.span.end - event.span.start
                known = chains.get(event.span.start)
                mutates = event.mutation or (known is not None and known[2])
                if known is None or size < known[0]:
                    chains[event.span.start] = (size, event.label, mutates)
                else:
                    chains[event.span.start] = (known[0], known[1], mutates)
        for start, (_, label, mutates) in sorted(chains.items()):
            if len(walk.accesses) < _MAX_ACCESSES:
                line, _ = _position(self.index.modules[path].lines, start)
                walk.accesses.append(Access(label, mutates, through, self.index.rel(path), line))
        for event in events:
            if event.kind is Kind.VALIDATE:
                walk.validations.append(event.label + where)
            elif event.kind is Kind.CALL and event.callee is not None:
                callee = self.summaries.callee_unit(event.callee)
                if callee is not None:
                    self._walk_unit(callee, (*through, event.label), walk, depth + 1)

    def _scan_limits(self, key: UnitKey, walk: _Walk, seen: set[UnitKey], owner: str | None = None) -> None:
        """Rate-limit calls and schema validations in a wrapper's or middleware's unit and the
        workspace functions it calls (`validatedActionWithUser(schema, fn)` parses the input before
        calling ``fn``)."""
        summary = self.summaries.units.get(key)
        if key in seen or summary is None or len(seen) > _MAX_ACCESSES:
            return
        seen.add(key)
        where = f" (in {owner})" if owner else ""
        for call in self.index.modules[key[0]].units[key[1]].calls:
            if self.limits.is_limiter(key[0], call.chain):
                walk.rate_limits.append(label_of(call.chain) + where)
        for event in summary.events:
            if event.kind is Kind.VALIDATE:
                walk.validations.append(event.label + where)
            elif event.kind is Kind.CALL and event.callee is not None:
                callee = self.summaries.callee_unit(event.callee)
                if callee is not None:
                    self._scan_limits(callee, walk, seen, owner)

    def _scan_target_limits(
        self, path: Path, ref: tuple[str, ...], walk: _Walk, seen_units: set[UnitKey], seen_bindings: set[NameKey]
    ) -> None:
        """Rate limits in what a wrapper chain names: `withRateLimit(fn)`, `rateLimitedClient.action(fn)`,
        and the middleware of the clients those are built on."""
        if self.limits.is_limiter(path, ref):
            walk.rate_limits.append(label_of(ref))
        target = self.index.target(path, ref[:1])
        if target.kind != "binding" or target.path is None or (target.path, target.name) in seen_bindings:
            return
        seen_bindings.add((target.path, target.name))
        wrapper = self.index.binding_in(target.path, target.name)
        if wrapper is None:
            return
        for unit_index in (*wrapper.chain_units, *((wrapper.body,) if wrapper.body is not None else ())):
            self._scan_limits((target.path, unit_index), walk, seen_units, target.name)
        for inner in wrapper.chain_refs:
            self._scan_target_limits(target.path, inner, walk, seen_units, seen_bindings)

    # -- where a request reaches it -------------------------------------------------------------------

    def _route_of(self, endpoint: Endpoint) -> Route:
        path = endpoint.path
        kind = self.index.app_kind(path)
        if endpoint.kind == "route" or kind in _PAGE_KINDS or kind in _LAYOUT_KINDS:
            own = self._app_path(path)
            if own is not None:
                if kind in _LAYOUT_KINDS:
                    return Route(self._pages_under(path) or (RoutePath(own, self.index.rel(path)),), "page")
                return Route((RoutePath(own, self.index.rel(path)),), "page")
        modules = [path, *{barrel for barrel in self._barrels_of(endpoint)}]
        found: dict[str, RoutePath] = {}
        for module in modules:
            route = self._routes.get(module)
            if route is None:
                route = self._routes[module] = self._module_route(module)
            for item in route.paths:
                found.setdefault(item.path, item)
        if found:
            return Route(tuple(sorted(found.values(), key=_route_order)), "page")
        own = self._app_path(path, directory=True)
        if own is not None:
            return Route((RoutePath(own, self.index.rel(path)),), "directory")
        return Route()

    def _module_route(self, module: Path) -> Route:
        """The pages whose module graph includes ``module``: the importers of importers… up to the
        pages and layouts of the App Router. Route handlers do not dispatch Server Actions."""
        importers = self._importer_graph()
        found: dict[str, RoutePath] = {}
        seen = {module}
        stack = [module]
        while stack:
            current = stack.pop()
            for importer in importers.get(current, ()):
                if importer in seen:
                    continue
                seen.add(importer)
                kind = self.index.app_kind(importer)
                if kind in _PAGE_KINDS:
                    own = self._app_path(importer)
                    if own is not None:
                        found.setdefault(own, RoutePath(own, self.index.rel(importer)))
                    continue
                if kind in _LAYOUT_KINDS:
                    for item in self._pages_under(importer) or ():
                        found.setdefault(item.path, item)
                    continue
                if kind is not None:
                    continue  # route handlers, metadata files, error boundaries: not a way in
                stack.append(importer)
        return Route(tuple(sorted(found.values(), key=_route_order)), "page" if found else None)

    def _pages_under(self, layout: Path) -> tuple[RoutePath, ...]:
        folder = layout.parent
        found = []
        for module in self.index.modules:
            if self.index.app_kind(module) in _PAGE_KINDS and (module.parent == folder or folder in module.parents):
                own = self._app_path(module)
                if own is not None:
                    found.append(RoutePath(own, self.index.rel(module)))
        return tuple(sorted(found, key=_route_order))

    def _importer_graph(self) -> dict[Path, set[Path]]:
        if self._importers is None:
            reverse: dict[Path, set[Path]] = {}
            for module in self.index.modules:
                for target in self.index.imports_of(module):
                    reverse.setdefault(target, set()).add(module)
            self._importers = reverse
        return self._importers

    def _app_dir(self, path: Path) -> tuple[str, int] | None:
        """The Next.js project folder (relative) and the position of its `app` folder in the file's
        relative path parts."""
        if path in self._app_dirs:
            return self._app_dirs[path]
        parts = PurePosixPath(self.index.rel(path)).parts
        candidates = [i for i, part in enumerate(parts[:-1]) if part == "app"]
        chosen: int | None = None
        for i in candidates:
            project = i - 1 if i > 0 and parts[i - 1] == "src" else i
            folder = self.index.root.joinpath(*parts[:project])
            if any(folder.glob("next.config.*")) or (folder / "package.json").is_file():
                chosen = i
                break
        if chosen is None and candidates:
            chosen = candidates[0]
        result = None
        if chosen is not None:
            project = chosen - 1 if chosen > 0 and parts[chosen - 1] == "src" else chosen
            result = ("/".join(parts[:project]) or ".", chosen)
        self._app_dirs[path] = result
        return result

    def _app_path(self, path: Path, *, directory: bool = False) -> str | None:
        """The URL path of an App Router file's folder: route groups `(x)` and parallel-route slots
        `@x` removed, interception markers dropped, dynamic segments `[id]` kept. None outside
        `app/`, or under a private `_folder` (not routable) when ``directory`` is set."""
        app = self._app_dir(path)
        if app is None:
            return None
        parts = PurePosixPath(self.index.rel(path)).parts[app[1] + 1 : -1]
        segments = []
        for part in parts:
            if part.startswith("(") and part.endswith(")"):
                continue
            if part.startswith("@"):
                continue
            if directory and part.startswith("_"):
                return None
            segments.append(_INTERCEPT.sub("", part))
        return "/" + "/".join(segments)

    # -- 'use server' barrels -------------------------------------------------------------------------

    def _reexported(self) -> dict[tuple[Path, str], list[tuple[str, str]]]:
        """(defining file, binding name) → the `'use server'` modules that re-export it, with the
        name they export it under."""
        if self._reexports is not None:
            return self._reexports
        result: dict[tuple[Path, str], list[tuple[str, str]]] = {}
        for barrel, facts in self.index.modules.items():
            if facts.use_server is None or facts.use_client:
                continue
            for name in sorted(self._exported_names(barrel, set())):
                found = self.index.resolve_export(barrel, name)
                if found is None:
                    continue
                first, second = found
                if isinstance(first, Path) and isinstance(second, Binding) and first != barrel:
                    entry = (self.index.rel(barrel), name)
                    bucket = result.setdefault((first, second.name), [])
                    if entry not in bucket:
                        bucket.append(entry)
        self._reexports = result
        return result

    def _exported_names(self, path: Path, seen: set[Path]) -> set[str]:
        if path in seen or path not in self.index.modules:
            return set()
        seen.add(path)
        facts = self.index.modules[path]
        names = {export.exported for export in facts.exports if export.exported != "default" or seen == {path}}
        for source in facts.star_exports:
            target = self.index.resolve_import(path, source)
            if target is not None:
                names |= {name for name in self._exported_names(target, seen) if name != "default"}
        return names

    def _barrels_of(self, endpoint: Endpoint) -> Iterator[Path]:
        for file, _ in self._reexported().get((endpoint.path, _binding_name(endpoint)), ()):
            yield self.index.root / file


def _binding_name(endpoint: Endpoint) -> str:
    return endpoint.binding.name if endpoint.binding is not None else endpoint.name


def _position(lines: LineIndex, offset: int) -> tuple[int, int]:
    row, column = lines.position(offset, "utf-32")
    return row + 1, column + 1


def _route_order(item: RoutePath) -> tuple[int, int, str]:
    # Static paths first (a curl needs no parameter filled in), then the shortest.
    return (item.path.count("["), len(item.path), item.path)


def _assign_findings(endpoints: Sequence[Endpoint], findings: Sequence[Finding]) -> dict[int, list[Finding]]:
    """Each finding belongs to the innermost endpoint whose function (or defining statement, or
    reported name) holds its start."""
    owned: dict[int, list[Finding]] = {}
    for finding in findings:
        start = finding.span.start
        best: tuple[int, int] | None = None
        for i, endpoint in enumerate(endpoints):
            spans = (endpoint.unit.span, endpoint.statement, endpoint.unit.report)
            if any(_holds(span, start) for span in spans):
                size = endpoint.unit.span.end - endpoint.unit.span.start
                if best is None or size < best[1]:
                    best = (i, size)
        if best is not None:
            owned.setdefault(best[0], []).append(finding)
    return owned


def _holds(span: Span, offset: int) -> bool:
    return span.start <= offset < span.end or (span.start == span.end == offset)


def _curl(endpoint: Endpoint, method: str, route: Route) -> str:
    """The shape of the request that reaches the endpoint with no UI at all."""
    # Only a page that renders the action can receive it: the folder an unimported action sits
    # in is not a page, so its curl names the page to find rather than a path that would 404.
    placed = route.path is not None and (endpoint.kind == "route" or route.source == "page")
    target = route.path if placed and route.path is not None else "/<path of a page that renders it>"
    globoff = " --globoff" if "[" in target else ""  # curl would read `[id]` as a glob range
    if endpoint.kind == "route":
        return f"curl{globoff} -X {method} 'https://<host>{target}'"
    return (
        f"curl{globoff} -X POST 'https://<host>{target}'"
        f" -H 'Next-Action: <id of {endpoint.name} from the build>'"
        " -H 'Content-Type: text/plain;charset=UTF-8'"
        " --data '[...]'"
    )


__all__ = [
    "ACTION_ID_NOTE",
    "Access",
    "DataUse",
    "EndpointInfo",
    "Inventory",
    "Protection",
    "Route",
    "RoutePath",
    "Via",
    "counts",
    "endpoints",
    "file_endpoints",
    "load_analysis",
    "summary_line",
]
