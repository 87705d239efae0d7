"""Each call, classified once: an auth primitive, a data access, a call into another workspace
function, a sign-in flow, a cookie read… Summaries are computed from these events, never from the
calls again."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from ..facts.model import Call, Unit
from ..model import Span
from . import vocabulary as vocab
from .index import Target, WorkspaceIndex
from .resolve import ModuleResolver


class Kind(IntEnum):
    AUTH = 1
    DATA = 2
    CALL = 3
    FLOW = 4
    COOKIE = 5
    VERIFY = 6
    VALIDATE = 7
    BAILOUT = 8
    EFFECT = 9  # a call that reaches an outside service: a model API, a payment, an email…


# A unit of a module: its summary's key.
UnitKey = tuple[Path, int]
# A module-level name of a file: a binding ("verifySession") or a member of an object-of-functions
# binding ("notes.remove"). Calls refer to callees by name, so they stay valid when the callee's
# file is edited and its units are numbered anew.
NameKey = tuple[Path, str]


@dataclass(frozen=True, slots=True)
class Event:
    kind: Kind
    span: Span
    label: str  # how the call reads: `db.post.delete`, `verifySession`
    mutation: bool = False
    callee: NameKey | None = None  # for CALL: the binding or member it calls
    nullable: bool = False  # for AUTH: the result is null when nobody is signed in


# What an event is apart from its span: (kind, label, mutation, callee, nullable).
_Shape = tuple[Kind, str, bool, NameKey | None, bool]

# Events are made once per call of the workspace (tens of thousands): fill the slots directly
# instead of through the frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field).
_new_object = object.__new__
_SETTERS = tuple(Event.__dict__[name].__set__ for name in ("kind", "span", "label", "mutation", "callee", "nullable"))


def _event(kind: Kind, span: Span, label: str, mutation: bool, callee: NameKey | None, nullable: bool) -> Event:
    event = _new_object(Event)
    set_kind, set_span, set_label, set_mutation, set_callee, set_nullable = _SETTERS
    set_kind(event, kind)
    set_span(event, span)
    set_label(event, label)
    set_mutation(event, mutation)
    set_callee(event, callee)
    set_nullable(event, nullable)
    return event


# The methods whose classification reads the call's string argument (a SQL text).
_SQL_METHODS = frozenset({"query", "execute"})


def label_of(chain: tuple[str, ...]) -> str:
    text = ".".join(part for part in chain if part != "new").replace(".()", "()")
    return text.replace(".[]", "[]")


class CallClassifier:
    def __init__(self, index: WorkspaceIndex) -> None:
        self.index = index
        self._client_cache: dict[tuple[Path, str], bool] = {}
        # (file, chain, tagged, SQL text) -> the events' (kind, label, mutation, callee, nullable)
        self._memo: dict[tuple[Path, tuple[str, ...], bool, str | None], list[_Shape]] = {}
        # (what the chain names, chain, tagged, SQL text) -> the same: a classification reads the
        # file only through ``index.target``, so files that call one import the same way share it.
        self._by_target: dict[tuple[Target, tuple[str, ...], bool, str | None], list[_Shape]] = {}
        config = index.config
        self._auth_names = {entry for entry in config.auth_primitives if "#" not in entry and "." not in entry}
        self._auth_members = [tuple(e.split(".")) for e in config.auth_primitives if "#" not in e and "." in e]
        self._auth_exports = self._module_entries(config.auth_primitives)
        self._data_names = {entry for entry in config.data_clients if "#" not in entry and "." not in entry}
        self._data_exports = self._module_entries(config.data_clients)

    def _module_entries(self, entries: tuple[str, ...]) -> set[tuple[str, str]]:
        """`module#export` entries, as (specifier, name) and, when the module is a workspace file, as
        (absolute path, name) too, so both imports that resolve and imports that don't match."""
        found: set[tuple[str, str]] = set()
        anchor = self.index.root / "nextguard.config-anchor.ts"
        for entry in entries:
            if "#" not in entry:
                continue
            module, _, name = entry.partition("#")
            found.add((module, name))
            path = self.index.resolver.resolve(anchor, module)
            if path is None and not module.startswith("."):
                # a path relative to the workspace root, as config files usually write them
                path = self.index.resolver.resolve(anchor, "./" + module)
            if path is not None:
                found.add((str(path), name))
        return found

    def _matches_module_entry(self, target: Target, entries: set[tuple[str, str]]) -> bool:
        if not entries:
            return False
        if target.kind == "external":
            return (target.specifier, target.name) in entries
        if target.kind == "binding" and target.path is not None:
            return (str(target.path), target.name) in entries
        return False

    def forget(self) -> None:
        """Drop what depends on other files' facts, after they changed."""
        self._client_cache.clear()
        self._memo.clear()
        self._by_target.clear()

    # -- data clients -----------------------------------------------------------------------------

    def is_client(self, target: Target) -> bool:
        if target.kind == "external":
            package = ModuleResolver.package_name(target.specifier)
            return package in vocab.DATA_PACKAGES and target.name in vocab.CLIENT_EXPORTS
        if target.kind == "binding" and target.path is not None:
            return self.binding_is_client(target.path, target.name)
        return False

    def _made_by(self, path: Path, name: str) -> tuple[tuple[str, ...], Target] | None:
        """For a module-level value made by a call or `new` (`const db = drizzle(url)`,
        `new Resend(key)`): its initialiser's chain and what the chain's root names."""
        binding = self.index.binding_in(path, name)
        if binding is None or binding.body is not None or not binding.init:
            return None
        init = binding.init
        constructor = init[1:] if init[0] == "new" else init
        if not constructor:
            return None
        return init, self.index.target(path, (constructor[0],))

    def binding_is_client(self, path: Path, name: str) -> bool:
        key = (path, name)
        cached = self._client_cache.get(key)
        if cached is not None:
            return cached
        self._client_cache[key] = False  # cycles are not clients
        made = self._made_by(path, name)
        result = False
        if made is not None:
            init, origin = made
            if origin.kind == "external":
                result = ModuleResolver.package_name(origin.specifier) in vocab.DATA_PACKAGES and (
                    origin.name in vocab.CLIENT_FACTORIES or origin.name in vocab.CLIENT_EXPORTS
                )
            elif origin.kind == "binding" and origin.path is not None:
                result = self.binding_is_client(origin.path, origin.name)
            if not result and init[0] == "new" and init[-1] == "PrismaClient":
                result = True
        if not result and self._matches_module_entry(Target("binding", path, name, ()), self._data_exports):
            result = True
        self._client_cache[key] = result
        return result

    # -- classification ---------------------------------------------------------------------------

    def classify(self, path: Path, call: Call) -> list[Event]:
        """The events of a call. What they are depends on the callee chain (and, for SQL, the
        query text), not on where the call stands: calls with the same chain in one file share
        one classification, and only the span differs."""
        chain = call.chain
        if not chain or chain == ("",):
            return []
        sql = call.string_arg if call.tagged or chain[-1] in _SQL_METHODS else None
        key = (path, chain, call.tagged, sql)
        shapes = self._memo.get(key)
        if shapes is None:
            target = self.index.target(path, chain)
            shared = (target, chain, call.tagged, sql)
            shapes = self._by_target.get(shared)
            if shapes is None:
                shapes = self._by_target[shared] = [
                    (e.kind, e.label, e.mutation, e.callee, e.nullable) for e in self._classify(path, call, target)
                ]
            self._memo[key] = shapes
        span = call.span
        return [
            _event(kind, span, label, mutation, callee, nullable) for kind, label, mutation, callee, nullable in shapes
        ]

    def _classify(self, path: Path, call: Call, target: Target | None = None) -> list[Event]:
        chain = call.chain
        events: list[Event] = []
        label = label_of(chain)
        if target is None:
            target = self.index.target(path, chain)
        last = chain[-1]
        if self.is_auth(target, chain):
            nullable = last in vocab.NULLABLE_AUTH or (target.name in vocab.NULLABLE_AUTH and not target.rest)
            return [Event(Kind.AUTH, call.span, label, nullable=nullable)]
        # `client.setSession(cookie)` scopes an SDK client (Appwrite) to the caller's session: that
        # is verification by the service, not a sign-in flow (`supabase.auth.setSession`).
        scoped_client = last == "setSession" and chain[-2:-1] != ("auth",)
        if (last in vocab.AUTH_FLOW_NAMES and not scoped_client) or self._password_call(target, last):
            events.append(Event(Kind.FLOW, call.span, label))
        data = self._data_access(target, chain, call)
        if data is not None:
            if not data and self._session_lookup(chain):
                # reading the sessions table (by the cookie's token or its hash) verifies it: the
                # check comes first, so a function that reads the cookie and looks it up is guarded
                events.append(Event(Kind.VERIFY, call.span, label))
            events.append(Event(Kind.DATA, call.span, label, mutation=data))
            return events
        if self._effect(path, target, chain):
            events.append(Event(Kind.EFFECT, call.span, label, mutation=bool(vocab.GENERIC_MUTATION.match(last))))
            return events
        if target.kind == "binding" and target.path is not None and not target.rest:
            if self.index.binding_in(target.path, target.name) is not None:
                events.append(Event(Kind.CALL, call.span, label, callee=(target.path, target.name)))
        elif target.kind == "member" and target.path is not None and not target.rest:
            events.append(Event(Kind.CALL, call.span, label, callee=(target.path, target.name)))
        if target.kind == "external" and not target.rest:
            if target.specifier == vocab.NEXT_HEADERS and target.name in vocab.REQUEST_STATE_CALLS:
                events.append(Event(Kind.COOKIE, call.span, label))
            elif target.specifier == "next/navigation" and target.name in vocab.BAILOUT_CALLS:
                events.append(Event(Kind.BAILOUT, call.span, label))
        # Supabase's `auth.getSession()` reads the cookie's session without verifying it (NG110).
        unverified = last == "getSession" and chain[-2:-1] == ("auth",)
        if scoped_client or (vocab.VERIFY_NAME.match(last) and not unverified) or self._session_lookup(chain):
            events.append(Event(Kind.VERIFY, call.span, label))
        if last in vocab.VALIDATION_CALLS and len(chain) >= 2:
            events.append(Event(Kind.VALIDATE, call.span, label))
        return events

    @staticmethod
    def _session_lookup(chain: tuple[str, ...]) -> bool:
        """A read of the sessions table: `db.session.findUnique(…)`, `db.query.sessions.findFirst(…)`."""
        return len(chain) >= 3 and chain[-2].lower() in ("session", "sessions") and chain[-1] in vocab.PRISMA_READS

    @staticmethod
    def _password_call(target: Target, last: str) -> bool:
        """`bcrypt.compare(password, user.password)`, `hash(password)` of a password package."""
        if target.kind != "external" or last not in vocab.PASSWORD_CALLS:
            return False
        return ModuleResolver.package_name(target.specifier) in vocab.PASSWORD_PACKAGES

    # -- outside effects ----------------------------------------------------------------------------

    def _effect(self, path: Path, target: Target, chain: tuple[str, ...]) -> bool:
        """Whether a call reaches an outside service: a function of a server package that is not
        known to be pure, or a method of a module-level client of one (`stripe.charges.create`)."""
        if chain[0] == "new":
            return False
        if target.kind == "external":
            return self.effect_export(path, target.specifier, target.name)
        if target.kind == "binding" and target.path is not None and target.rest:
            if vocab.SDK_CONFIG_METHODS.match(chain[-1]):
                return False
            if target.rest[0] == "()" and len(target.rest) >= 2:
                # a client made by a factory of the project's own and used at once:
                # `getResend().emails.send(…)`
                return self.sdk_factory(target.path, target.name)
            return self.sdk_client(target.path, target.name)
        return False

    def effect_export(self, path: Path, specifier: str, name: str) -> bool:
        """Whether calling export ``name`` of ``specifier`` (imported in ``path``) is an effect."""
        if not specifier or specifier.startswith((".", "/")) or name == "*":
            return False
        package = ModuleResolver.package_name(specifier)
        listed = vocab.EFFECT_EXPORTS.get(package)
        if listed is not None:
            return name in listed
        if vocab.pure_package(package) or (package, name) in vocab.AUTH_IMPORTS:
            return False
        # an alias that did not resolve to a file (`@/lib/x` of a missing file) is not a package
        return self.index.resolver.is_external(specifier, path)

    def sdk_client(self, path: Path, name: str) -> bool:
        """Whether module-level ``name`` holds a client of an outside service: constructed, or made
        by a factory, from a server package that is not pure (`new Resend(key)`,
        `createTransport(…)`), or taken from another such client."""
        key = (path, "#sdk:" + name)
        cached = self._client_cache.get(key)
        if cached is not None:
            return cached
        self._client_cache[key] = False
        made = self._made_by(path, name)
        result = False
        if made is not None:
            init, origin = made
            if origin.kind == "external":
                result = self.effect_export(path, origin.specifier, origin.name) or (
                    init[0] == "new" and self._sdk_class(path, origin)
                )
            elif origin.kind == "binding" and origin.path is not None:
                result = self.sdk_client(origin.path, origin.name)
        self._client_cache[key] = result
        return result

    def _sdk_class(self, path: Path, origin: Target) -> bool:
        package = ModuleResolver.package_name(origin.specifier)
        return (
            bool(origin.specifier)
            and not origin.specifier.startswith((".", "/"))
            and not vocab.pure_package(package)
            and self.index.resolver.is_external(origin.specifier, path)
        )

    def sdk_factory(self, path: Path, name: str) -> bool:
        """Whether workspace function ``name`` builds and returns a client of an outside service
        (`createAdminClient()` making `new Client().setKey(secret)` and handing out its APIs)."""
        key = (path, "#factory:" + name)
        cached = self._client_cache.get(key)
        if cached is not None:
            return cached
        self._client_cache[key] = False
        binding = self.index.binding_in(path, name)
        result = False
        if binding is not None and binding.body is not None:
            unit = self.index.modules[path].units[binding.body]
            if unit.returns:
                for call in unit.calls:
                    if call.chain[:1] == ("new",) and len(call.chain) >= 2:
                        origin = self.index.target(path, call.chain[1:2])
                        if origin.kind == "external" and self._sdk_class(path, origin):
                            result = True
                            break
        self._client_cache[key] = result
        return result

    def local_effects(self, path: Path, unit: Unit) -> set[int]:
        """The calls of ``unit`` (by index) made through a local client of an outside service: a
        local made by `new` of a server package's class (`new GoogleGenerativeAI(key)`), by a
        workspace factory of such clients (`const { databases } = await createAdminClient()`), or
        taken from another one (`genAI.getGenerativeModel(…)`). These depend on the unit's own
        names, so they are read here rather than per callee chain."""
        clients: set[str] = set()
        for local in unit.locals:
            if local.call is None:
                continue
            chain = unit.calls[local.call].chain
            if not chain or not chain[0]:
                continue
            made = False
            if chain[0] in clients:
                made = True
            elif chain[0] == "new" and len(chain) >= 2:
                origin = self.index.target(path, chain[1:2])
                made = origin.kind == "external" and self._sdk_class(path, origin)
            elif len(chain) == 1:  # a factory is called by its name: `createAdminClient()`
                target = self.index.target(path, chain)
                made = (
                    target.kind == "binding"
                    and target.path is not None
                    and not target.rest
                    and self.sdk_factory(target.path, target.name)
                )
            if made:
                clients.update(local.names)
        if not clients:
            return set()
        return {
            position
            for position, call in enumerate(unit.calls)
            if len(call.chain) >= 2 and call.chain[0] in clients and not vocab.SDK_CONFIG_METHODS.match(call.chain[-1])
        }

    def dynamic_imports(self, path: Path, unit: Unit) -> dict[int, list[Event]]:
        """The events of the calls of ``unit`` (by index) made through names it takes from a
        dynamic import (`const { cookies } = await import('next/headers'); cookies()`): they call
        the module's export, not whatever the same name is at module level. Read per unit, as
        ``local_effects`` is."""
        names: dict[str, tuple[str, str | None]] = {}
        for local in unit.locals:
            if local.call is None:
                continue
            call = unit.calls[local.call]
            if call.chain != ("",) or not call.string_arg:
                continue
            for binder in local.binders:
                names[binder.name] = (call.string_arg, binder.path[0] if binder.path else None)
        if not names:
            return {}
        found: dict[int, list[Event]] = {}
        for position, call in enumerate(unit.calls):
            if not call.chain or call.chain[0] not in names:
                continue
            specifier, export = names[call.chain[0]]
            rest = call.chain[1:]
            if export is None:  # the namespace: `mod.cookies()`
                if not rest:
                    continue
                export, rest = rest[0], rest[1:]
            target = self.index._target_from(
                self.index._follow_import(path, specifier, export), rest, export, specifier
            )
            found[position] = self._classify(path, call, target)
        return found

    def effect_event(self, call: Call) -> Event:
        return Event(Kind.EFFECT, call.span, label_of(call.chain), bool(vocab.GENERIC_MUTATION.match(call.chain[-1])))

    def is_auth(self, target: Target, chain: tuple[str, ...]) -> bool:
        if target.kind == "external" and not target.rest and (target.specifier, target.name) in vocab.AUTH_IMPORTS:
            return True
        if target.kind == "binding" and not target.rest and target.path is not None:
            binding = self.index.binding_in(target.path, target.name)
            if (
                binding is not None
                and binding.destructured
                and binding.name == "auth"
                and binding.init
                and binding.init[0] in vocab.AUTH_FACTORIES
            ):
                return True
        for suffix in vocab.AUTH_MEMBER_SUFFIXES:
            if len(chain) >= len(suffix) and chain[-len(suffix) :] == suffix:
                return True
        if self._auth_names and ((chain[0] in self._auth_names and len(chain) == 1) or chain[-1] in self._auth_names):
            return True
        for member in self._auth_members:
            if len(chain) >= len(member) and chain[-len(member) :] == member:
                return True
        return not target.rest and self._matches_module_entry(target, self._auth_exports)

    def _data_access(self, target: Target, chain: tuple[str, ...], call: Call) -> bool | None:
        """None when the call is not a data access, else whether it mutates."""
        if chain[0] == "new":
            return None
        last = chain[-1]
        if last in vocab.CONNECTION_CALLS:
            return None  # opening or configuring the connection touches no record
        if (
            len(chain) == 2
            and target.kind == "external"
            and call.statement
            and not call.awaited
            and (last == "set" or vocab.SDK_CONFIG_METHODS.match(last))
        ):
            # A synchronous statement on the data package itself sets an option
            # (`mongoose.set('strictQuery', true);`): records are read and written asynchronously.
            return None
        client = self.is_client(target)
        if (
            len(chain) >= 4
            and chain[1] == "()"
            and target.kind == "external"
            and ModuleResolver.package_name(target.specifier) in vocab.DATA_PACKAGES
            and target.name in vocab.CLIENT_FACTORIES
            and last not in vocab.QUERY_BUILDERS
        ):
            # a client made and used in one expression: `getFirestore().collection('users').doc(id).get()`
            return bool(vocab.GENERIC_MUTATION.match(last))
        if self._data_names and chain[0] in self._data_names and len(chain) >= 2:
            return bool(vocab.GENERIC_MUTATION.match(last))
        if target.rest == () and self._matches_module_entry(target, self._data_exports) and call.tagged:
            return True
        if (
            len(chain) >= 2
            and target.kind in ("external", "binding")
            and self._matches_module_entry(Target(target.kind, target.path, target.name, ()), self._data_exports)
        ):
            return bool(vocab.GENERIC_MUTATION.match(last))
        clientish = client or any(part.lower() in vocab.CLIENT_NAMES for part in chain[:-1])
        if (
            len(chain) >= 3
            and last in vocab.PRISMA_READS | vocab.PRISMA_WRITES
            and chain[-2] not in ("()", "[]", "")
            and (clientish or last in vocab.PRISMA_DISTINCT)
        ):
            return last in vocab.PRISMA_WRITES
        if len(chain) >= 2 and last in vocab.PRISMA_RAW:
            return vocab.PRISMA_RAW[last]
        if len(chain) >= 4 and chain[-3] == "from" and chain[-2] == "()" and last in vocab.SUPABASE_OPS:
            return vocab.SUPABASE_OPS[last]
        if len(chain) >= 2 and last in vocab.KYSELY_OPS:
            return vocab.KYSELY_OPS[last]
        if (
            len(chain) >= 2
            and last in vocab.MONGO_DISTINCT
            and (client or chain[-2][:1].isupper() or (len(chain) >= 4 and chain[-3] == "collection"))
        ):
            return vocab.MONGO_DISTINCT[last]
        if call.tagged and (client or (chain[-1] == "sql" and self._sql_tag_executes(target))):
            return bool(vocab.SQL_MUTATION.match(call.string_arg or ""))
        if (
            len(chain) == 2
            and last in ("query", "execute")
            and (
                client or chain[0].lower() in ("pool", "db", "client", "conn", "connection", "pg", "mysql", "database")
            )
        ):
            return bool(vocab.SQL_MUTATION.match(call.string_arg or ""))
        if len(chain) == 2 and last in vocab.DRIZZLE_OPS and clientish:
            return vocab.DRIZZLE_OPS[last]
        if len(chain) == 2 and client and last in vocab.MONGO_GENERIC:
            return vocab.MONGO_GENERIC[last]
        if client and len(chain) >= 2 and chain[1] not in ("()", "[]"):
            return bool(vocab.GENERIC_MUTATION.match(last))
        if len(chain) >= 2 and chain[0] == "supabase" and last == "rpc":
            return True
        return None

    @staticmethod
    def _sql_tag_executes(target: Target) -> bool:
        # drizzle's and Prisma's `sql` build query fragments; @vercel/postgres', neon's and
        # postgres.js' `sql` run the query.
        if target.kind != "external":
            return False
        package = ModuleResolver.package_name(target.specifier)
        return package in vocab.DATA_PACKAGES and package not in ("drizzle-orm", "@prisma/client", "kysely")
