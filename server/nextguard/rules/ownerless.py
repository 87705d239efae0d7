"""Endpoints whose input has no owner to be scoped to (public by design, sign-in flows, webhooks
and cron jobs, test-only and admin-only routes): shared by the ownership rules (NG104, NG105)."""

from __future__ import annotations

from ..analysis import Analysis
from ..workspace import vocabulary as vocab
from ..workspace.actions import Endpoint, public_reason
from ..workspace.public_design import public_design
from ..workspace.routes import (
    auth_flow_route,
    machine_or_role_endpoint,
    public_api,
)


def exempt(analysis: Analysis, endpoint: Endpoint) -> bool:
    """Endpoints whose input has no owner to be scoped to: public by design, sign-in flows,
    webhooks and cron jobs authenticated by a signature or secret, test-only and admin-only routes."""
    summaries = analysis.summaries
    path = endpoint.path
    summary = summaries.unit(path, endpoint.unit.index)
    if summary.flow or vocab.AUTH_FLOW_ACTION_NAME.match(endpoint.name):
        return True
    if public_reason(analysis.index, endpoint) is not None:
        return True
    if not _authenticated(analysis, endpoint) and public_design(analysis.index, summaries, endpoint) is not None:
        return True
    if endpoint.kind == "route" and (
        auth_flow_route(analysis.index, path) or public_api(analysis.index, path, endpoint.unit)
    ):
        return True
    # A cron job or webhook calls a route handler; for a Server Action under `jobs/` the folder name
    # alone says nothing, the check must show.
    evidence = endpoint.kind != "route"
    return machine_or_role_endpoint(analysis.index, summaries, path, endpoint.unit, evidence=evidence) is not None


def _authenticated(analysis: Analysis, endpoint: Endpoint) -> bool:
    summaries = analysis.summaries
    if endpoint.binding is not None and summaries.chain_auth(endpoint.path, endpoint.binding):
        return True
    summary = summaries.unit(endpoint.path, endpoint.unit.index)
    return summary.auth and not summary.unguarded
