"""Cross-file function summaries that flow along the call graph.

For every unit: does it authenticate, touch data, mutate, touch data *before* any auth check,
start a sign-in flow, enforce itself (throw or redirect when a check fails)? A call to a workspace
function contributes that function's summary, so an action that only calls
``deleteNoteForUser(id)`` is judged by what ``deleteNoteForUser`` does. Wrappers count: the
functions and clients a binding is wrapped in (``withAuth(fn)``, ``authClient.action(fn)``)
authenticate before its body runs.

Computed with worklists in three monotone passes — auth first, then data, then "data before auth",
which depends on auth being settled — so recursion terminates and work is proportional to the
edges that change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..facts.model import Binding
from ..model import Span
from .calls import CallClassifier, Event, Kind, UnitKey, label_of
from .index import WorkspaceIndex


@dataclass(frozen=True, slots=True)
class Step:
    """One hop of the path from an action to the data access it reaches."""

    path: Path
    span: Span
    label: str


@dataclass(slots=True)
class Summary:
    auth: bool = False
    data: bool = False
    mutates: bool = False
    unguarded: bool = False  # some data access runs before any auth check
    flow: bool = False  # starts or ends a sign-in flow
    enforces: bool = False  # throws or redirects itself when a check fails
    validates: bool = False
    trail: tuple[Step, ...] = ()  # to the first unguarded data access
    auth_event: Event | None = None
    events: list[Event] = field(default_factory=list)


BindingKey = tuple[Path, str]


class Summaries:
    def __init__(self, index: WorkspaceIndex) -> None:
        self.index = index
        self.classifier = CallClassifier(index)
        self.units: dict[UnitKey, Summary] = {}
        self._binding_auth: dict[BindingKey, bool] = {}
        self._callers: dict[UnitKey | BindingKey, set[UnitKey]] = defaultdict(set)
        self._trails: dict[UnitKey, tuple[Step, ...]] = {}
        self._build()

    # -- public -------------------------------------------------------------------------------------

    def unit(self, path: Path, index: int) -> Summary:
        return self.units[(path, index)]

    def chain_auth(self, path: Path, binding: Binding) -> bool:
        """Whether what ``binding`` is wrapped in authenticates before its body runs."""
        return self._chain_auth(path, binding)

    def trail(self, path: Path, index: int) -> tuple[Step, ...]:
        """The path from a unit to the *first* data access it makes before any auth check, through
        the functions it calls. Worklists settle which units are unguarded in whatever order they
        run; the earliest trail is read off once they have settled."""
        key = (path, index)
        found = self._trails.get(key)
        if found is not None:
            return found
        self._trails[key] = ()  # recursion through a cycle contributes nothing
        summary = self.units[key]
        result: tuple[Step, ...] = ()
        if summary.unguarded:
            result = self._first_unguarded(path, summary, settled=True) or summary.trail
        self._trails[key] = result
        return result

    def binding_auth(self, path: Path, binding: Binding) -> bool:
        return self._binding_auth.get((path, binding.name), False)

    # -- construction -------------------------------------------------------------------------------

    def _build(self) -> None:
        classify = self.classifier.classify
        for path, facts in self.index.modules.items():
            for unit in facts.units:
                summary = Summary()
                for call in unit.calls:
                    summary.events.extend(classify(path, call))
                summary.enforces = unit.throws > 0 or any(e.kind is Kind.BAILOUT for e in summary.events)
                summary.validates = any(e.kind is Kind.VALIDATE for e in summary.events)
                self.units[(path, unit.index)] = summary
                key = (path, unit.index)
                for event in summary.events:
                    if event.kind is Kind.CALL and event.callee is not None:
                        self._callers[self._callee_key(event)].add(key)
            for binding in facts.bindings.values():
                for unit_index in (binding.body, *binding.chain_units):
                    if unit_index is not None:
                        self._callers[(path, unit_index)].add(("binding", path, binding.name))  # type: ignore[arg-type]
                for ref in binding.chain_refs:
                    target = self.index.target(path, ref[:1])
                    if target.kind == "binding" and target.path is not None:
                        self._callers[(target.path, target.name)].add(("binding", path, binding.name))  # type: ignore[arg-type]
        self._pass_auth()
        self._pass_data()
        self._pass_unguarded()

    @staticmethod
    def _callee_key(event: Event) -> UnitKey | BindingKey:
        callee = event.callee
        assert callee is not None
        first, second = callee
        if isinstance(second, Binding):
            return (first, second.name)
        return (first, second)

    def _binding(self, path: Path, name: str) -> Binding | None:
        return self.index.binding_in(path, name)

    def _propagate(self, changed: UnitKey | BindingKey, work: list[UnitKey | BindingKey]) -> None:
        for caller in self._callers.get(changed, ()):
            if isinstance(caller, tuple) and len(caller) == 3:
                _, path, name = caller  # type: ignore[misc]
                work.append((path, name))
            else:
                work.append(caller)

    # -- pass 1: who authenticates -------------------------------------------------------------------

    def _callee_auth(self, event: Event) -> bool:
        callee = event.callee
        if callee is None:
            return False
        first, second = callee
        if isinstance(second, Binding):
            return self._binding_auth.get((first, second.name), False)
        return self.units[(first, second)].auth

    def _chain_auth(self, path: Path, binding: Binding) -> bool:
        if any(self.units[(path, index)].auth for index in binding.chain_units):
            return True
        for ref in binding.chain_refs:
            target = self.index.target(path, ref)
            if target.kind == "binding" and target.path is not None:
                if self._binding_auth.get((target.path, target.name), False):
                    return True
            elif self.classifier._is_auth(target, ref):
                return True
        return False

    def _unit_auth(self, key: UnitKey) -> bool:
        summary = self.units[key]
        cookie = verify = False
        for event in summary.events:
            if event.kind is Kind.AUTH or (event.kind is Kind.CALL and self._callee_auth(event)):
                summary.auth_event = event
                return True
            cookie = cookie or event.kind is Kind.COOKIE
            verify = verify or event.kind is Kind.VERIFY
        # A function of the project's own that reads the session cookie (or a header) and verifies
        # or decrypts it is an auth primitive, as the DAL pattern's `verifySession()` is.
        return cookie and verify

    def _pass_auth(self) -> None:
        work: list[UnitKey | BindingKey] = list(self.units)
        for path, facts in self.index.modules.items():
            work.extend((path, name) for name in facts.bindings)
        while work:
            key = work.pop()
            if isinstance(key[1], int):
                unit_key: UnitKey = (key[0], key[1])
                summary = self.units[unit_key]
                if not summary.auth and self._unit_auth(unit_key):
                    summary.auth = True
                    self._propagate(unit_key, work)
            else:
                path, name = key[0], str(key[1])
                binding = self._binding(path, name)
                if binding is None or self._binding_auth.get((path, name), False):
                    continue
                value = self._chain_auth(path, binding) or (
                    binding.body is not None and self.units[(path, binding.body)].auth
                )
                if value:
                    self._binding_auth[(path, name)] = True
                    self._propagate((path, name), work)

    # -- pass 2: who touches data --------------------------------------------------------------------

    def _callee_summaries(self, event: Event) -> list[Summary]:
        callee = event.callee
        if callee is None:
            return []
        first, second = callee
        if isinstance(second, Binding):
            indexes = [second.body] if second.body is not None else []
            return [self.units[(first, index)] for index in indexes]
        return [self.units[(first, second)]]

    def _pass_data(self) -> None:
        work: list[UnitKey | BindingKey] = list(self.units)
        while work:
            key = work.pop()
            if not isinstance(key[1], int):
                continue
            unit_key: UnitKey = (key[0], key[1])
            summary = self.units[unit_key]
            data, mutates, flow = summary.data, summary.mutates, summary.flow
            for event in summary.events:
                if event.kind is Kind.DATA:
                    data = True
                    mutates = mutates or event.mutation
                elif event.kind is Kind.FLOW:
                    flow = True
                elif event.kind is Kind.CALL:
                    for callee in self._callee_summaries(event):
                        data = data or callee.data
                        mutates = mutates or callee.mutates
                        flow = flow or callee.flow
            if (data, mutates, flow) != (summary.data, summary.mutates, summary.flow):
                summary.data, summary.mutates, summary.flow = data, mutates, flow
                self._propagate_units(unit_key, work)

    def _propagate_units(self, key: UnitKey, work: list[UnitKey | BindingKey]) -> None:
        """Callers of a unit: direct callers, and callers of every binding whose body it is."""
        for caller in self._callers.get(key, ()):
            if isinstance(caller, tuple) and len(caller) == 3:
                _, path, name = caller  # type: ignore[misc]
                work.extend(self._callers.get((path, name), ()))
            else:
                work.append(caller)

    # -- pass 3: data before auth --------------------------------------------------------------------

    def _callee_trail(self, event: Event, settled: bool = False) -> tuple[Step, ...] | None:
        """The trail to unguarded data access through this call, or None when the callee is safe."""
        callee = event.callee
        if callee is None:
            return None
        first, second = callee
        if isinstance(second, Binding):
            if second.body is None or self._chain_auth(first, second):
                return None
            key = (first, second.body)
        else:
            key = (first, second)
        summary = self.units[key]
        if not summary.unguarded:
            return None
        return self.trail(*key) if settled else summary.trail

    def _pass_unguarded(self) -> None:
        work: list[UnitKey | BindingKey] = list(self.units)
        while work:
            key = work.pop()
            if not isinstance(key[1], int):
                continue
            unit_key: UnitKey = (key[0], key[1])
            summary = self.units[unit_key]
            if summary.unguarded:
                continue
            trail = self._first_unguarded(unit_key[0], summary)
            if trail is not None:
                summary.unguarded = True
                summary.trail = trail
                self._propagate_units(unit_key, work)

    def _first_unguarded(self, path: Path, summary: Summary, settled: bool = False) -> tuple[Step, ...] | None:
        for event in summary.events:
            if event.kind is Kind.AUTH:
                return None
            if event.kind is Kind.DATA:
                return (Step(path, event.span, event.label),)
            if event.kind is Kind.CALL:
                # A function that authenticates protects what follows it, whatever it does
                # inside itself (that is its own finding, not its callers').
                if self._callee_auth(event):
                    return None
                inner = self._callee_trail(event, settled)
                if inner is not None:
                    return (Step(path, event.span, event.label), *inner)
        return None


__all__ = ["Step", "Summaries", "Summary", "label_of"]
