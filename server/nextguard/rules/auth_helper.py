"""The project's own auth helper (the guard its code already calls, such as `verifySession()`):
what the auth rules' fixes insert (NG101, NG106, NG109, NG111). Chosen once per workspace state,
through ``Analysis.memo``, so it is chosen again after every edit like any shared value."""

from __future__ import annotations

from ..analysis import Analysis
from ..fixes.auth_guard import AuthHelper, choose_helper


def project_auth_helper(analysis: Analysis) -> AuthHelper | None:
    """The helper the fixes call, None when the project has none to offer."""
    return analysis.memo("auth-helper", lambda: choose_helper(analysis.index, analysis.summaries))
