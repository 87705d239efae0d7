"""Every rule, in code order. A rule is registered here and nowhere else."""

from __future__ import annotations

from .base import Rule
from .ng101_action_missing_auth import ActionMissingAuth
from .ng102_auth_after_data_access import AuthAfterDataAccess
from .ng103_unchecked_session import UncheckedSession
from .ng104_unscoped_mutation import UnscopedMutation
from .ng105_client_supplied_owner import ClientSuppliedOwner
from .ng106_route_handler_missing_auth import RouteHandlerMissingAuth
from .ng107_mutation_on_get import MutationOnGet
from .ng108_auth_in_layout import AuthInLayout
from .ng109_page_relies_on_layout_auth import PageReliesOnLayoutAuth
from .ng110_unverified_session_read import UnverifiedSessionRead
from .ng111_header_identity_trust import HeaderIdentityTrust
from .ng112_unawaited_guard import UnawaitedGuard
from .ng113_ignored_guard_result import IgnoredGuardResult
from .ng114_permissions_from_session import PermissionsFromSession
from .ng201_raw_record_returned import RawRecordReturned
from .ng202_query_without_select import QueryWithoutSelect
from .ng203_dal_missing_server_only import DalMissingServerOnly
from .ng204_server_module_in_client import ServerModuleInClient
from .ng205_sensitive_closure import SensitiveClosure
from .ng206_distinguishable_authz_errors import DistinguishableAuthzErrors
from .ng207_use_server_on_dal import UseServerOnDal
from .ng208_server_only_not_imported import ServerOnlyNotImported
from .ng301_unvalidated_input import UnvalidatedInput
from .ng302_throwing_parse import ThrowingParse
from .ng303_missing_rate_limit import MissingRateLimit
from .ng401_no_read_your_writes import NoReadYourWrites
from .ng402_parallel_actions import ParallelActions

RULES: tuple[type[Rule], ...] = (
    ActionMissingAuth,
    AuthAfterDataAccess,
    UncheckedSession,
    UnscopedMutation,
    ClientSuppliedOwner,
    RouteHandlerMissingAuth,
    MutationOnGet,
    AuthInLayout,
    PageReliesOnLayoutAuth,
    UnverifiedSessionRead,
    HeaderIdentityTrust,
    UnawaitedGuard,
    IgnoredGuardResult,
    PermissionsFromSession,
    RawRecordReturned,
    QueryWithoutSelect,
    DalMissingServerOnly,
    ServerModuleInClient,
    SensitiveClosure,
    DistinguishableAuthzErrors,
    UseServerOnDal,
    ServerOnlyNotImported,
    UnvalidatedInput,
    ThrowingParse,
    MissingRateLimit,
    NoReadYourWrites,
    ParallelActions,
)
BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in RULES}
