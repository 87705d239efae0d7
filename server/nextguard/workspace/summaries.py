"""Cross-file function summaries that flow along the call graph.

For every unit: does it authenticate, touch data, mutate, touch data *before* any auth check,
start a sign-in flow, enforce itself (throw or redirect when a check fails)? A call to a workspace
function contributes that function's summary, so an action that only calls
``deleteNoteForUser(id)`` is judged by what ``deleteNoteForUser`` does. Wrappers count: the
functions and clients a binding is wrapped in (``withAuth(fn)``, ``authClient.action(fn)``)
authenticate before its body runs.

Solved with worklists in three monotone passes — auth first, then data, then "data before auth",
which depends on auth being settled — so recursion terminates and work is proportional to the
edges that change. When files change, only their units and everything that (transitively) calls
them — the *cone* — is solved again; nothing outside the cone can depend on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..facts.model import Binding, FileFacts, Unit
from ..facts.partial import Moves
from ..model import Span
from .calls import CallClassifier, Event, Kind, NameKey, UnitKey, label_of
from .flow import SESSION, UnitFlow, bails_on, returns_identity, unit_flow
from .gating import bypassed, context_gate, soft_auth
from .index import WorkspaceIndex
from .owner_schema import schema_owner_fields
from .ownership import owner_keys, scope_points, unscoped_sites
from .unchanged import moved_bindings, top_unit, untouched_bindings, untouched_units


@dataclass(frozen=True, slots=True)
class Step:
    """One hop of the path from an action to the data access it reaches."""

    path: Path
    span: Span
    label: str
    effect: bool = False  # the access is an outside effect (a model API, an email…), not data
    write: bool = False  # the access changes data (or, for an effect, sends or changes something)


@dataclass(slots=True)
class Summary:
    events: list[Event] = field(default_factory=list)
    enforces: bool = False  # throws or redirects itself when a check fails
    validates: bool = False
    returns: bool = False  # hands a value back (a `return` of its own, an arrow's expression body)
    # solved along the call graph
    auth: bool = False
    data: bool = False
    mutates: bool = False
    unguarded: bool = False  # some data access runs before any auth check
    flow: bool = False  # starts or ends a sign-in flow
    guards: bool = False  # enforces itself, or through the auth guard it calls (`verifySession()`)
    checks_owner: bool = False  # checks that a record belongs to the caller (see ``ownership``)
    # reads the request credential (`cookies()`/`headers()`, or a helper of its own that reads and
    # returns one: `getSessionToken()`) and, when ``returns``, hands it on
    credential: bool = False
    # Parameters that reach an update/delete — or a returned single-record read — that nothing
    # scopes to the session user: parameter -> (only reads?, the trail to the access).
    unscoped: dict[int, tuple[bool, tuple[Step, ...]]] = field(default_factory=dict)

    def reset(self) -> None:
        self.auth = self.data = self.mutates = self.unguarded = self.flow = False
        self.guards = self.checks_owner = self.credential = False
        self.unscoped = {}


Node = UnitKey | NameKey


def _solved(summary: Summary) -> tuple[object, ...]:
    """Everything rules can read of a summary, for telling whether an update changed it."""
    return (
        tuple(summary.events),
        summary.enforces,
        summary.validates,
        summary.auth,
        summary.data,
        summary.mutates,
        summary.unguarded,
        summary.flow,
        summary.guards,
        summary.checks_owner,
        summary.credential,
        tuple(sorted(summary.unscoped.items())),
    )


def _shift(summary: Summary, path: Path, moves: Moves) -> Summary | None:
    """``summary`` of a unit ``moves`` moved, at its new offsets (None: one reaches into the edit)."""
    events: list[Event] = []
    for event in summary.events:
        span = moves.span(event.span)
        if span is None:
            return None
        events.append(Event(event.kind, span, event.label, event.mutation, event.callee, event.nullable))
    unscoped: dict[int, tuple[bool, tuple[Step, ...]]] = {}
    for parameter, (read, trail) in summary.unscoped.items():
        steps: list[Step] = []
        for step in trail:
            where = moves.span(step.span) if step.path == path else step.span
            if where is None:
                return None
            steps.append(
                Step(step.path, where, step.label, step.effect, step.write) if where is not step.span else step
            )
        unscoped[parameter] = (read, tuple(steps))
    return Summary(
        events=events,
        enforces=summary.enforces,
        validates=summary.validates,
        returns=summary.returns,
        auth=summary.auth,
        data=summary.data,
        mutates=summary.mutates,
        unguarded=summary.unguarded,
        flow=summary.flow,
        guards=summary.guards,
        checks_owner=summary.checks_owner,
        credential=summary.credential,
        unscoped=unscoped,
    )


class Summaries:
    def __init__(self, index: WorkspaceIndex) -> None:
        self.index = index
        self.classifier = CallClassifier(index)
        self.units: dict[UnitKey, Summary] = {}
        self._binding_auth: dict[NameKey, bool] = {}
        # The dependency graph, pointing from what is depended on to what depends on it.
        self._callers: dict[NameKey, set[UnitKey]] = defaultdict(set)  # name -> units calling it
        self._chain_users: dict[NameKey, set[NameKey]] = defaultdict(set)  # name -> bindings wrapped in it
        self._unit_names: dict[UnitKey, set[NameKey]] = defaultdict(set)  # unit -> names it is (part of)
        self._trails: dict[UnitKey, tuple[Step, ...]] = {}
        self._flows: dict[UnitKey, UnitFlow] = {}
        # the configured owner fields, and those the schemas say reference a user ("Open world")
        self.owner_keys = owner_keys(index.config.owner_fields) | schema_owner_fields(index)
        # What each file put into the graph, so an update can take it out again.
        self._file_units: dict[Path, int] = {}
        self._file_names: dict[Path, set[NameKey]] = {}
        self._file_chain_edges: dict[Path, list[tuple[NameKey, NameKey]]] = {}
        # After ``update``: the re-solved units whose summaries differ, with what depends on them.
        self.last_changed: set[UnitKey] = set()
        self.last_kept = 0  # after ``update``: units whose solved summaries were kept (untouched)
        # Per file, the update that last changed one of its units' summaries (see ``file_epoch``).
        self._epochs: dict[Path, int] = {}
        self._epoch = 0
        for path in index.modules:
            self._add_file(path)
        self._solve(set(self.units), {name for path in index.modules for name in self._names_of(path)})

    # -- public -------------------------------------------------------------------------------------

    def unit(self, path: Path, index: int) -> Summary:
        return self.units[(path, index)]

    def chain_auth(self, path: Path, binding: Binding) -> bool:
        """Whether what ``binding`` is wrapped in authenticates before its body runs."""
        return self._chain_auth(path, binding)

    def chain_protects(self, path: Path, binding: Binding, unit: Unit) -> bool:
        """Whether what ``binding`` is wrapped in protects its body ``unit``: it authenticates and
        stops the call when nobody is signed in, or it only reads the identity into the context
        (a middleware that passes a nullable user on) and the body tests it before touching data."""
        if not self._chain_auth(path, binding):
            return False
        if not self.chain_soft(path, binding):
            return True
        trail = self.trail(path, unit.index)
        end = trail[0].span.start if trail else unit.span.end
        if context_gate(self.index.sources.get(path, b""), unit, end):
            return True
        # a query filtered by the context's user scopes to it: it only forgot the test (as NG103
        # says of a session read that filters a query)
        flow = self.flow(path, unit.index)
        return any(SESSION in flow.tags_of(pair.text) for access in flow.accesses for pair in access.filters or ())

    def chain_soft(self, path: Path, binding: Binding, seen: set[NameKey] | None = None) -> bool:
        """Whether what ``binding`` is wrapped in authenticates only through middleware that reads
        the identity without gating anything (`const user = await getUser(); return next({ ctx: {
        user } })`): signed out, the action runs anyway, with a null user in its context."""
        seen = set() if seen is None else seen
        seen.add((path, binding.name))
        soft = False
        units = list(binding.chain_units)
        if binding.body is not None and binding.init and binding.init[-1] == "use":
            units.append(binding.body)  # `baseClient.use(async ({ next }) => …)`: the middleware
        for index in units:
            summary = self.units.get((path, index))
            if summary is None or not summary.auth:
                continue
            if not self._unit_soft(path, index):
                return False
            soft = True
        for ref in binding.chain_refs:
            target = self.index.target(path, ref)
            if target.kind == "binding" and target.path is not None:
                if not self._binding_auth.get((target.path, target.name), False):
                    continue
                if (target.path, target.name) in seen:
                    continue  # `client.schema(…).action(fn)` names the client twice
                wrapper = self.index.binding_in(target.path, target.name)
                if wrapper is None or not self.chain_soft(target.path, wrapper, seen):
                    return False
                soft = True
            elif self.classifier.is_auth(target, ref):
                return False
        return soft

    def _unit_soft(self, path: Path, index: int) -> bool:
        """Whether every auth call of a unit that authenticates is read without gating anything."""
        found = False
        for event in self.units[(path, index)].events:
            if event.kind is Kind.AUTH or (event.kind is Kind.CALL and self.callee_auth(event)):
                if not self.soft_auth(path, index, event, middleware=True):
                    return False
                found = True
        return found

    def callee_auth(self, event: Event) -> bool:
        return event.callee is not None and self._binding_auth.get(event.callee, False)

    def verifier_call(self, event: Event) -> bool:
        """Whether ``event`` calls a function of the project's own that verifies or looks up what it
        is given."""
        return self._verifier_call(event)

    def names_of_unit(self, path: Path, index: int) -> set[NameKey]:
        """The module-level names (bindings, members) whose function unit ``index`` is."""
        return self._unit_names.get((path, index), set())

    def flow(self, path: Path, index: int) -> UnitFlow:
        """What the names of a unit hold and its data accesses read as queries (cached until the
        unit's cone is solved again)."""
        key = (path, index)
        found = self._flows.get(key)
        if found is None:
            facts = self.index.modules[path]
            found = self._flows[key] = unit_flow(self, facts, self.index.sources.get(path, b""), facts.units[index])
        return found

    def callee_summary(self, event: Event) -> Summary | None:
        """The summary of the function a CALL event runs."""
        return self._callee_summary(event)

    def callee_unit(self, callee: NameKey) -> UnitKey | None:
        """The unit a call to ``callee`` runs: a binding's body or a member function."""
        path, name = callee
        owner, _, member = name.partition(".")
        binding = self.index.binding_in(path, owner)
        if binding is None:
            return None
        index = binding.members.get(member) if member else binding.body
        return (path, index) if index is not None else None

    def trail(self, path: Path, index: int) -> tuple[Step, ...]:
        """The path from a unit to the *first* data access it makes before any auth check, through
        the functions it calls. Worklists settle which units are unguarded in whatever order they
        run; the earliest trail is read off once they have settled."""
        key = (path, index)
        found = self._trails.get(key)
        if found is not None:
            return found
        self._trails[key] = ()  # recursion through a cycle contributes nothing
        result: tuple[Step, ...] = ()
        if self.units[key].unguarded:
            result = self._first_unguarded(path, index, self.units[key]) or ()
        self._trails[key] = result
        return result

    def late_auth(self, path: Path, index: int) -> tuple[Step, Event] | None:
        """For a unit that reaches data before any auth check: the first data access step it makes
        and the auth check of its own that only runs after it (`db.x()` … `await auth()`)."""
        summary = self.units[(path, index)]
        if not summary.unguarded or not summary.auth:
            return None
        trail = self.trail(path, index)
        if not trail:
            return None
        first = trail[0]
        facts = self.index.modules[path]
        unit = facts.units[index]
        source = self.index.sources.get(path, b"")
        for event in summary.events:
            if event.span.start <= first.span.start:
                continue
            is_auth = event.kind is Kind.AUTH or (event.kind is Kind.CALL and self.callee_auth(event))
            if is_auth and self._checks(facts, source, unit, event):
                return first, event
        return None

    def _checks(self, facts: FileFacts, source: bytes, unit: Unit, event: Event) -> bool:
        """Whether an auth call decides access: it enforces itself, or what it returns is tested by
        an `if` that bails out. (An optional session read for attribution does neither.)"""
        if event.kind is Kind.AUTH and event.label.endswith("protect"):
            return True
        if event.kind is Kind.CALL:
            if not returns_identity(event):
                return False
            callee = self._callee_summary(event)
            if callee is not None and callee.guards:
                return True
        for local in unit.locals:
            if local.init is not None and local.init.start <= event.span.start < local.init.end:
                return bails_on(facts, source, unit, local.names, local.span.end)
        return False

    def step_mutates(self, path: Path, index: int, step: Step) -> bool:
        """Whether the first step of a unit's trail writes (itself, or in the function it calls)."""
        for event in self.units[(path, index)].events:
            if event.span == step.span:
                callee = self._callee_summary(event)
                return event.mutation if callee is None else callee.mutates
        return False

    def update(
        self,
        paths: Iterable[Path],
        previous: Mapping[Path, tuple[FileFacts, bytes]] | None = None,
        moved: Mapping[Path, Moves] | None = None,
    ) -> set[UnitKey]:
        """Files whose facts changed (or were added or removed) in the index, or whose calls must be
        classified again: re-classify their calls and solve their cone again. Returns the units
        whose summaries were recomputed.

        ``previous``: for files whose names, exports and imports did not change, their facts and
        text before the edit. Their functions the edit did not touch (``unchanged.py``) keep their
        solved summaries and are not a starting point of the cone: a keystroke in one function of
        a DAL re-solves what depends on that function (and on those after it, whose offsets moved),
        not what depends on the whole file.

        ``moved``: for such files whose facts ``facts/partial.py`` made, the units it moved (those
        after the edited statement): they keep their solved summaries, moved too (``_moved``), and
        are not a starting point of the cone either."""
        changed = set(paths)
        self.classifier.forget()
        keep_units, keep_names = self._untouched(previous or {})
        shifted, moved_old = self._moved(moved or {}, previous or {}, keep_units, keep_names)
        before = {
            (path, index): _solved(self.units[(path, index)])
            for path in changed
            for index in range(self._file_units.get(path, 0))
            if (path, index) in self.units
        }
        start: set[Node] = set()
        kept: dict[UnitKey, Summary] = {}
        old_counts = {path: self._file_units.get(path, 0) for path in changed}
        for path in changed:
            start.update(name for name in self._file_names.pop(path, ()) if name not in keep_names)
            for index in range(self._file_units.pop(path, 0)):
                key = (path, index)
                if key in keep_units and key in self.units:
                    kept[key] = self.units[key]
                elif key not in moved_old:
                    start.update(self._unit_names.get(key, ()))
                self._remove_unit(key)
            for target, user in self._file_chain_edges.pop(path, ()):
                self._chain_users[target].discard(user)
        kept.update(shifted)
        for path in changed:
            if path in self.index.modules:
                self._add_file(path, shifted)
                for index in range(self._file_units[path]):
                    key = (path, index)
                    old_summary = kept.get(key)
                    if old_summary is not None and old_summary.events == self.units[key].events:
                        self.units[key] = old_summary  # solved already, from the same inputs
                    else:
                        kept.pop(key, None)
                        start.add(key)
                        start.update(self._unit_names.get(key, ()))
                start.update(name for name in self._file_names[path] if name not in keep_names)
        units, names = self._cone(start)
        for key in units:
            if key not in before:
                before[key] = _solved(self.units[key])
            self.units[key].reset()
        auth_before = {name: self._binding_auth.get(name) for name in names}
        for name in names:
            self._binding_auth.pop(name, None)
        for key in units:
            self._flows.pop(key, None)
        for path in changed:
            for index in range(max(self._file_units.get(path, 0), old_counts.get(path, 0))):
                if (path, index) not in kept:
                    self._flows.pop((path, index), None)
        for key in shifted:
            self._flows.pop(key, None)  # a flow holds the facts' offsets: made again when asked for
        self._trails.clear()
        self._solve(units, names)
        self.last_changed = self._changed_since(units, names, before, auth_before)
        if shifted:
            # Their summaries are the same, but at new offsets: what other files show of them
            # (related locations) must be shown again.
            self.last_changed |= self._cone(set(shifted))[0]
        self.last_kept = len(kept)
        self._epoch += 1
        for path in changed | {key[0] for key in self.last_changed}:
            self._epochs[path] = self._epoch
        return units

    def _untouched(self, previous: Mapping[Path, tuple[FileFacts, bytes]]) -> tuple[set[UnitKey], set[NameKey]]:
        units: set[UnitKey] = set()
        names: set[NameKey] = set()
        for path, (old, old_source) in previous.items():
            new = self.index.modules.get(path)
            if new is None:
                continue
            same = untouched_units(old, old_source, new, self.index.sources.get(path, b""))
            units.update((path, index) for index in same)
            for name in untouched_bindings(old, new, same):
                names.add((path, name))
                names.update((path, f"{name}.{member}") for member in new.bindings[name].members)
        return units, names

    def _moved(
        self,
        moved: Mapping[Path, Moves],
        previous: Mapping[Path, tuple[FileFacts, bytes]],
        keep_units: set[UnitKey],
        keep_names: set[NameKey],
    ) -> tuple[dict[UnitKey, Summary], set[UnitKey]]:
        """The solved summaries of the units ``moved`` says were only moved, by their new key, with
        their offsets moved (a family whose offsets reach into the edit is solved again as a
        whole); adds the names whose functions are all kept or moved to ``keep_names``. Also
        returns the moved units' old keys."""
        shifted: dict[UnitKey, Summary] = {}
        old_keys: set[UnitKey] = set()
        for path, moves in moved.items():
            new = self.index.modules.get(path)
            if path not in previous or new is None:
                continue
            old = previous[path][0]
            found: dict[int, Summary] = {}
            failed: set[int] = set()
            for index in range(moves.first, min(self._file_units.get(path, 0), len(old.units))):
                summary = self.units.get((path, index))
                moved_summary = _shift(summary, path, moves) if summary is not None else None
                if moved_summary is None:
                    failed.add(top_unit(old, index))
                else:
                    found[index] = moved_summary
            mapping: dict[int, int] = {}
            for index, moved_summary in found.items():
                if top_unit(old, index) not in failed:
                    mapping[index] = index + moves.renumber
                    shifted[(path, index + moves.renumber)] = moved_summary
                    old_keys.add((path, index))
            untouched = {key[1] for key in keep_units if key[0] == path}
            for name in moved_bindings(old, new, untouched, mapping):
                keep_names.add((path, name))
                keep_names.update((path, f"{name}.{member}") for member in new.bindings[name].members)
        return shifted, old_keys

    def file_epoch(self, path: Path) -> int:
        """A number that changes whenever what this file's units' summaries say may have changed
        (their events, flags, or the auth of what they call): a key for per-file caches that
        outlive an update."""
        return self._epochs.get(path, 0)

    def file_order(self) -> Iterable[tuple[Path, int]]:
        """Each file with its unit count, in the order ``units`` holds their units."""
        return self._file_units.items()

    def _changed_since(
        self,
        units: set[UnitKey],
        names: set[NameKey],
        before: dict[UnitKey, tuple[object, ...]],
        auth_before: dict[NameKey, bool | None],
    ) -> set[UnitKey]:
        """Of the units just solved again, those whose findings may differ: the ones whose summary
        (events with their spans, every solved flag, the unscoped trails) or whose names' wrapper
        auth changed, and every unit that (transitively) depends on one of those. A keystroke in
        a comment of a widely called helper changes nothing here, so nothing beyond its file is
        re-checked."""
        start: set[Node] = {key for key in units if before.get(key) != _solved(self.units[key])}
        start.update(name for name in names if auth_before.get(name) != self._binding_auth.get(name))
        start.update(key for key in before if key not in self.units)  # units that are gone
        if not start:
            return set()
        affected, _ = self._cone(start)
        return affected & units | {key for key in start if isinstance(key[1], int) and key in self.units}

    # -- the graph ----------------------------------------------------------------------------------

    def _names_of(self, path: Path) -> set[NameKey]:
        facts = self.index.modules[path]
        names: set[NameKey] = set()
        for binding in facts.bindings.values():
            names.add((path, binding.name))
            names.update((path, f"{binding.name}.{member}") for member in binding.members)
        return names

    def _add_file(self, path: Path, moved: Mapping[UnitKey, Summary] | None = None) -> None:
        facts = self.index.modules[path]
        classify = self.classifier.classify
        for unit in facts.units:
            key = (path, unit.index)
            summary = Summary()
            was = moved.get(key) if moved else None
            if was is not None:
                summary.events = list(was.events)  # classified before, at other offsets
            else:
                through_clients = self.classifier.local_effects(path, unit)
                imported = self.classifier.dynamic_imports(path, unit)
                for position, call in enumerate(unit.calls):
                    found = imported[position] if position in imported else classify(path, call)
                    if position in through_clients and not any(
                        e.kind is Kind.DATA or e.kind is Kind.EFFECT for e in found
                    ):
                        found.append(self.classifier.effect_event(call))
                    summary.events.extend(found)
            summary.enforces = unit.throws > 0 or any(e.kind is Kind.BAILOUT for e in summary.events)
            summary.validates = any(e.kind is Kind.VALIDATE for e in summary.events)
            summary.returns = bool(unit.returns)
            self.units[key] = summary
            for event in summary.events:
                if event.kind is Kind.CALL and event.callee is not None:
                    self._callers[event.callee].add(key)
        edges: list[tuple[NameKey, NameKey]] = []
        for binding in facts.bindings.values():
            name = (path, binding.name)
            for index in (binding.body, *binding.chain_units):
                if index is not None:
                    self._unit_names[(path, index)].add(name)
            for member, index in binding.members.items():
                self._unit_names[(path, index)].add((path, f"{binding.name}.{member}"))
            for ref in binding.chain_refs:
                target = self.index.target(path, ref[:1])
                if target.kind == "binding" and target.path is not None:
                    edge = ((target.path, target.name), name)
                    self._chain_users[edge[0]].add(name)
                    edges.append(edge)
        self._file_units[path] = len(facts.units)
        self._file_names[path] = self._names_of(path)
        self._file_chain_edges[path] = edges

    def _remove_unit(self, key: UnitKey) -> None:
        summary = self.units.pop(key, None)
        if summary is not None:
            for event in summary.events:
                if event.callee is not None:
                    callers = self._callers.get(event.callee)
                    if callers is not None:
                        callers.discard(key)
        self._unit_names.pop(key, None)

    def _cone(self, start: set[Node]) -> tuple[set[UnitKey], set[NameKey]]:
        """Everything that depends, transitively, on ``start``."""
        units: set[UnitKey] = set()
        names: set[NameKey] = set()
        stack: list[Node] = list(start)
        while stack:
            node = stack.pop()
            if isinstance(node[1], int):
                unit_key: UnitKey = (node[0], node[1])
                if unit_key in units or unit_key not in self.units:
                    continue
                units.add(unit_key)
                stack.extend(self._unit_names.get(unit_key, ()))
            else:
                name_key: NameKey = (node[0], str(node[1]))
                if name_key in names:
                    continue
                names.add(name_key)
                stack.extend(self._callers.get(name_key, ()))
                stack.extend(self._chain_users.get(name_key, ()))
                # What a binding's wrappers do decides what its body's parameters hold (the `ctx`
                # an authenticating client passes): its body is read again too.
                body = self.callee_unit(name_key)
                if body is not None:
                    stack.append(body)
        return units, names

    # -- solving -------------------------------------------------------------------------------------

    def _solve(self, units: set[UnitKey], names: set[NameKey]) -> None:
        self._pass_auth(units, names)
        self._pass_data(units)
        self._pass_guards(units)  # before "data before auth": an auth call that guards always protects
        self._pass_unguarded(units)
        self._pass_owner_checks(units)
        self._pass_unscoped(units)

    def _dependents(self, node: Node) -> Iterable[Node]:
        if isinstance(node[1], int):
            return self._unit_names.get((node[0], node[1]), ())
        name: NameKey = (node[0], str(node[1]))
        return (*self._callers.get(name, ()), *self._chain_users.get(name, ()))

    def _unit_dependents(self, key: UnitKey) -> Iterable[UnitKey]:
        """Units that call a name this unit is."""
        for name in self._unit_names.get(key, ()):
            yield from self._callers.get(name, ())

    # pass 1: who authenticates

    def _chain_auth(self, path: Path, binding: Binding) -> bool:
        if any(self.units[(path, index)].auth for index in binding.chain_units if (path, index) in self.units):
            return True
        for ref in binding.chain_refs:
            target = self.index.target(path, ref)
            if target.kind == "binding" and target.path is not None:
                if self._binding_auth.get((target.path, target.name), False):
                    return True
            elif self.classifier.is_auth(target, ref):
                return True
        return False

    def _name_auth(self, name: NameKey) -> bool:
        path, text = name
        owner, _, member = text.partition(".")
        binding = self.index.binding_in(path, owner)
        if binding is None:
            return False
        if member:
            index = binding.members.get(member)
            return index is not None and self.units[(path, index)].auth
        return self._chain_auth(path, binding) or (binding.body is not None and self.units[(path, binding.body)].auth)

    def _credential_call(self, event: Event) -> bool:
        """A call to a function of the project's own that reads the request credential and hands
        it back (`getSessionToken()` returning the session cookie's value)."""
        if event.kind is not Kind.CALL:
            return False
        callee = self._callee_summary(event)
        return callee is not None and callee.credential and callee.returns and not callee.auth

    def _verifier_call(self, event: Event) -> bool:
        """A call to a function of the project's own that verifies or looks up what it is given
        (`validateSessionToken(token)`: hashes it and finds the session row)."""
        if event.kind is not Kind.CALL:
            return False
        callee = self._callee_summary(event)
        return (
            callee is not None
            and not callee.credential
            and not callee.auth
            and any(e.kind is Kind.VERIFY for e in callee.events)
        )

    def _unit_auth(self, summary: Summary) -> bool:
        cookie = verify = False
        for event in summary.events:
            if event.kind is Kind.AUTH or (event.kind is Kind.CALL and self.callee_auth(event)):
                return True
            cookie = cookie or event.kind is Kind.COOKIE or self._credential_call(event)
            verify = verify or event.kind is Kind.VERIFY or self._verifier_call(event)
        summary.credential = cookie
        # A function of the project's own that reads the session cookie (or a header), directly or
        # through a helper that returns it, and verifies, decrypts or looks it up is an auth
        # primitive, as the DAL pattern's `verifySession()` and the own-sessions pattern's
        # `validateRequest()` are.
        return cookie and verify

    def _pass_auth(self, units: set[UnitKey], names: set[NameKey]) -> None:
        work: list[Node] = [*units, *names]
        while work:
            node = work.pop()
            if isinstance(node[1], int):
                summary = self.units.get((node[0], node[1]))
                if summary is None or summary.auth:
                    continue
                credential = summary.credential
                if not self._unit_auth(summary):
                    if summary.credential != credential:
                        # its callers may now read the credential through it
                        for unit_name in self._unit_names.get((node[0], node[1]), ()):
                            work.extend(self._callers.get(unit_name, ()))
                    continue
                summary.auth = True
            else:
                name: NameKey = (node[0], str(node[1]))
                if self._binding_auth.get(name, False) or not self._name_auth(name):
                    continue
                self._binding_auth[name] = True
            work.extend(self._dependents(node))

    # pass 2: who touches data

    def _callee_summary(self, event: Event) -> Summary | None:
        if event.callee is None:
            return None
        key = self.callee_unit(event.callee)
        return self.units.get(key) if key is not None else None

    def _pass_data(self, units: set[UnitKey]) -> None:
        work = list(units)
        while work:
            key = work.pop()
            summary = self.units.get(key)
            if summary is None:
                continue
            data, mutates, flow = summary.data, summary.mutates, summary.flow
            for event in summary.events:
                if event.kind is Kind.DATA:
                    data = True
                    mutates = mutates or event.mutation
                elif event.kind is Kind.EFFECT:
                    data = True  # an outside effect counts as touching data ("Open world")
                elif event.kind is Kind.FLOW:
                    flow = True
                elif event.kind is Kind.CALL:
                    callee = self._callee_summary(event)
                    if callee is not None:
                        data = data or callee.data
                        mutates = mutates or callee.mutates
                        flow = flow or callee.flow
            if (data, mutates, flow) != (summary.data, summary.mutates, summary.flow):
                summary.data, summary.mutates, summary.flow = data, mutates, flow
                work.extend(self._unit_dependents(key))

    # pass 3: data before auth

    def _callee_unguarded(self, event: Event) -> UnitKey | None:
        """The callee's unit when calling it reaches data before any auth check."""
        if event.callee is None:
            return None
        path, name = event.callee
        owner, _, member = name.partition(".")
        binding = self.index.binding_in(path, owner)
        if binding is None:
            return None
        if not member and self._chain_auth(path, binding):
            return None
        key = self.callee_unit(event.callee)
        if key is None or key not in self.units or not self.units[key].unguarded:
            return None
        return key

    def _pass_unguarded(self, units: set[UnitKey]) -> None:
        work = list(units)
        while work:
            key = work.pop()
            summary = self.units.get(key)
            if summary is None or summary.unguarded:
                continue
            if self._first_unguarded(key[0], key[1], summary, settled=False) is not None:
                summary.unguarded = True
                work.extend(self._unit_dependents(key))

    # pass 4: who enforces a failed check (throws or redirects), itself or through its auth guard

    def _pass_guards(self, units: set[UnitKey]) -> None:
        work = list(units)
        while work:
            key = work.pop()
            summary = self.units.get(key)
            if summary is None or summary.guards:
                continue
            if summary.enforces or any(self._guard_event(event) for event in summary.events):
                summary.guards = True
                work.extend(self._unit_dependents(key))

    def _guard_event(self, event: Event) -> bool:
        if event.kind is Kind.AUTH:
            return event.label.endswith("protect")  # Clerk `auth.protect()` redirects or 404s
        if event.kind is Kind.CALL and self.callee_auth(event):
            callee = self._callee_summary(event)
            return callee is not None and callee.guards
        return False

    # passes 5 and 6: ownership (see ``ownership``); only functions that reach data can have any

    def _owner_units(self, units: set[UnitKey]) -> list[UnitKey]:
        """Units that can check ownership or reach an unscoped access: those that read or write
        data themselves, or call a function that does."""
        found = []
        for key in units:
            summary = self.units.get(key)
            if summary is None or not summary.data:
                continue
            if any(event.kind is Kind.DATA or event.kind is Kind.CALL for event in summary.events):
                found.append(key)
        return found

    def checks_owner_event(self, event: Event) -> bool:
        callee = self._callee_summary(event)
        return callee is not None and callee.checks_owner

    def _pass_owner_checks(self, units: set[UnitKey]) -> None:
        work = _ordered(self._owner_units(units))
        while work:
            key = work.pop()
            summary = self.units.get(key)
            if summary is None or summary.checks_owner or not summary.data:
                continue
            path, index = key
            facts = self.index.modules[path]
            flow = self.flow(path, index)
            points = scope_points(
                facts,
                self.index.sources.get(path, b""),
                facts.units[index],
                flow,
                self.owner_keys,
                self.checks_owner_event,
                endpoint=False,
            )
            if points:
                summary.checks_owner = True
                work.extend(_ordered(self._unit_dependents(key)))

    def callee_sites(self, event: Event) -> dict[int, bool]:
        """The callee's unscoped parameters (-> whether they only reach returned reads)."""
        callee = self._callee_summary(event)
        if callee is None or not callee.unscoped:
            return {}
        return {index: read for index, (read, _) in callee.unscoped.items()}

    def _pass_unscoped(self, units: set[UnitKey]) -> None:
        work = _ordered(self._owner_units(units))
        while work:
            key = work.pop()
            summary = self.units.get(key)
            if summary is None or not summary.data:
                continue
            path, index = key
            facts = self.index.modules[path]
            unit = facts.units[index]
            source = self.index.sources.get(path, b"")
            flow = self.flow(path, index)
            points = scope_points(facts, source, unit, flow, self.owner_keys, self.checks_owner_event, False)
            sites = unscoped_sites(
                facts,
                source,
                unit,
                flow,
                self.owner_keys,
                points,
                self.callee_sites,
                endpoint=False,
                supabase_rls=self.index.config.supabase_rls,
            )
            changed = False
            for site in sites:
                call = unit.calls[site.call]
                step = Step(path, call.span, label_of(call.chain))
                trail: tuple[Step, ...] = (step,)
                if site.access is None:
                    trail = (step, *self._callee_trail(flow, site.call, site.params))
                for param in site.params:
                    if param < 0:
                        continue
                    previous = summary.unscoped.get(param)
                    if previous is None or (previous[0] and not site.read):
                        summary.unscoped[param] = (site.read, trail)
                        changed = True
            if changed:
                work.extend(_ordered(self._unit_dependents(key)))

    def _callee_trail(self, flow: UnitFlow, call: int, params: frozenset[int]) -> tuple[Step, ...]:
        for event in flow.events_at.get(call, ()):
            callee = self._callee_summary(event)
            if callee is not None and callee.unscoped:
                return next(iter(callee.unscoped.values()))[1]
        return ()

    def soft_auth(self, path: Path, index: int, event: Event, middleware: bool = False) -> bool:
        """Whether an auth call of unit ``index`` is read without gating anything (see ``gating``):
        it does not protect what follows it."""
        facts = self.index.modules[path]
        source = self.index.sources.get(path, b"")
        if bypassed(source, facts.units[index], event.span.start):
            return True
        if event.kind is Kind.AUTH:
            if not event.nullable or event.label.endswith("protect"):
                return False  # a primitive that enforces itself, or one we know nothing of
        else:
            callee = self._callee_summary(event)
            if callee is None or callee.guards:
                return False
        flow = self.flow(path, index)
        return soft_auth(facts, source, facts.units[index], flow, event.span.start, middleware)

    def _first_unguarded(
        self, path: Path, index: int, summary: Summary, settled: bool = True
    ) -> tuple[Step, ...] | None:
        cookie = False
        for event in summary.events:
            if event.kind is Kind.COOKIE or self._credential_call(event):
                cookie = True
            elif (event.kind is Kind.VERIFY or self._verifier_call(event)) and cookie:
                return None  # it reads the session cookie and verifies it itself: an auth check
            if event.kind is Kind.AUTH:
                if self.soft_auth(path, index, event):
                    continue
                return None
            if event.kind is Kind.DATA or event.kind is Kind.EFFECT:
                return (Step(path, event.span, event.label, event.kind is Kind.EFFECT, event.mutation),)
            if event.kind is Kind.CALL:
                # A function that authenticates protects what follows it, whatever it does
                # inside itself (that is its own finding, not its callers').
                if self.callee_auth(event):
                    if self.soft_auth(path, index, event):
                        continue
                    return None
                inner = self._callee_unguarded(event)
                if inner is not None:
                    rest = self.trail(*inner) if settled else ()
                    return (Step(path, event.span, event.label), *rest)
        return None


def _ordered(keys: Iterable[UnitKey]) -> list[UnitKey]:
    """Units in an order that does not depend on string hashing, popped first to last. The
    ownership passes keep the first trail they find for a parameter, so the order they visit
    units in shows in the findings; set order changed with PYTHONHASHSEED from run to run."""
    return sorted(keys, key=lambda key: (str(key[0]), key[1]), reverse=True)


__all__ = ["Step", "Summaries", "Summary", "label_of"]
