"""Every rule, in code order. A rule is registered here and nowhere else."""

from __future__ import annotations

from .base import Rule
from .ng101_action_missing_auth import ActionMissingAuth
from .ng203_dal_missing_server_only import DalMissingServerOnly
from .ng208_server_only_not_imported import ServerOnlyNotImported

RULES: tuple[type[Rule], ...] = (ActionMissingAuth, DalMissingServerOnly, ServerOnlyNotImported)
BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in RULES}
