"""Whether code validates its input against a schema (zod, valibot, the project's own helpers and
action clients, config `validators`): shared by the input rules (NG301, NG302)."""

from __future__ import annotations

from pathlib import Path

from ..analysis import Analysis
from ..facts.model import Call
from ..workspace import vocabulary as vocab
from ..workspace.calls import Kind
from ..workspace.resolve import ModuleResolver

# Packages whose exported functions validate (`parse(Schema, input)` of valibot, `assert` of
# superstruct/typia, `parseWithZod` of conform).
VALIDATION_PACKAGES = frozenset(
    {
        "zod",
        "valibot",
        "yup",
        "arktype",
        "superstruct",
        "typia",
        "joi",
        "@sinclair/typebox",
        "io-ts",
        "effect",
        "@effect/schema",
        "@conform-to/zod",
        "@conform-to/valibot",
        "@conform-to/yup",
        "zod-form-data",
        "@vinejs/vine",
    }
)
_VALIDATING_FUNCTIONS = frozenset({"parseWithZod", "parseWithValibot", "parseWithYup", "validateForm"})


def validates(analysis: Analysis, path: Path, unit_index: int) -> bool:
    """Whether a function validates input against a schema: itself, or through a helper of the
    project's own that does (`validateInputs([id, ZId])`). Memoised per update."""
    memo = analysis.index.memo
    key = ("validates", path, unit_index)
    cached = memo.get(key)
    if isinstance(cached, bool):
        return cached
    summaries = analysis.summaries
    result = validates_itself(analysis, path, unit_index)
    if not result:
        for event in summaries.unit(path, unit_index).events:
            if event.kind is Kind.CALL and event.callee is not None:
                callee = summaries.callee_unit(event.callee)
                if callee is not None and callee in summaries.units and validates_itself(analysis, *callee):
                    result = True
                    break
    memo[key] = result
    return result


def validates_itself(analysis: Analysis, path: Path, unit_index: int) -> bool:
    memo = analysis.index.memo
    key = ("validates-itself", path, unit_index)
    cached = memo.get(key)
    if isinstance(cached, bool):
        return cached
    summary = analysis.summaries.unit(path, unit_index)
    result = summary.validates or any(
        _validating_call(analysis, path, call) for call in analysis.index.modules[path].units[unit_index].calls
    )
    memo[key] = result
    return result


def _validating_call(analysis: Analysis, path: Path, call: Call) -> bool:
    chain = call.chain
    if not chain or chain[0] == "new":
        return False
    if chain[-1] in _VALIDATING_FUNCTIONS:
        return True
    config = analysis.index.config.validators
    if config:
        parts = tuple(part for part in chain if part not in ("()", "[]"))
        for entry in config:
            name = tuple(entry.rpartition("#")[2].split("."))
            if parts[-len(name) :] == name:
                return True
    if len(chain) == 1 and chain[0] in vocab.VALIDATION_CALLS | {"assert", "is", "create", "decode"}:
        target = analysis.index.target(path, chain)
        return target.kind == "external" and ModuleResolver.package_name(target.specifier) in VALIDATION_PACKAGES
    return False


def wrapper_validates(analysis: Analysis, path: Path, chain_refs: tuple[tuple[str, ...], ...]) -> bool:
    """Whether an action's wrappers validate its input: a validating action client
    (`.schema(S)`, `.inputSchema(S)`, zsa `.input(S)`), or a function of the project's own that
    parses before calling the action's body (`validatedAction(schema, fn)`)."""
    for ref in chain_refs:
        if any(part in vocab.VALIDATION_CHAIN for part in ref):
            return True
        target = analysis.index.target(path, ref[:1])
        if target.kind == "binding" and target.path is not None:
            binding = analysis.index.binding_in(target.path, target.name)
            if binding is None:
                continue
            if binding.body is not None and validates(analysis, target.path, binding.body):
                return True
            if any(part in vocab.VALIDATION_CHAIN for inner in binding.chain_refs for part in inner):
                return True
    return False
