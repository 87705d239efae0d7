"""The typed configuration, loaded from ``nextguard.json`` or the ``nextguard`` key of ``package.json``.

The JSON Schema in ``schemas/nextguard.schema.json`` is the single description of what a valid
configuration is: the CLI, the language server (``initializationOptions``,
``workspace/didChangeConfiguration``) and editors (completion and tooltips in ``nextguard.json``)
all validate against it, so a key the schema rejects is rejected everywhere with the same words.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

import pathspec

from nextguard.configfile import ConfigFileError, Syntax, parse_config, read_config_text
from nextguard.model import Severity

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

CONFIG_FILE = "nextguard.json"
PACKAGE_JSON = "package.json"
PACKAGE_JSON_KEY = "nextguard"

# The one table of settings: the key in nextguard.json, the editors' settings and the JSON Schema
# (camelCase) -> the ``Config`` field it sets. The server's settings, the schema and the VS Code
# extension's contributed settings are checked against it (tests/test_settings_table.py).
SETTINGS: tuple[tuple[str, str], ...] = (
    ("rules", "rules"),
    ("authPrimitives", "auth_primitives"),
    ("dataClients", "data_clients"),
    ("publicActions", "public_actions"),
    ("ignore", "ignore"),
    ("ownerFields", "owner_fields"),
    ("supabase", "supabase_rls"),
    ("unauthorized", "unauthorized"),
    ("diagnosticsScope", "diagnostics_scope"),
    ("validators", "validators"),
    ("rateLimiters", "rate_limiters"),
    ("sensitiveCalls", "sensitive_calls"),
)
# Settings only an editor sends (what the server logs), accepted in nextguard.json for symmetry.
EDITOR_SETTINGS: tuple[tuple[str, str], ...] = (("logLevel", "log_level"),)
CONFIG_KEYS = tuple(key for key, _ in SETTINGS)

RULE_SETTINGS = ("off", "error", "warning", "info", "hint")
DEFAULT_OWNER_FIELDS = ("userId", "authorId", "ownerId", "orgId")

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


class ConfigError(Exception):
    """An invalid configuration.

    ``str(e)`` is one line naming the file and the key, e.g.
    ``nextguard.json: rules.NG101: 'loud' is not one of ['off', 'error', 'warning', 'info', 'hint']``.
    ``path`` is None for settings that came from the editor rather than a file; ``key`` is "" when
    the problem is the file as a whole (unreadable, not JSON, not an object).
    """

    def __init__(self, path: Path | None, key: str, detail: str) -> None:
        # All three go to Exception so that the error survives pickling (process pools).
        super().__init__(path, key, detail)
        self.path = path
        self.key = key
        self.detail = detail

    def __str__(self) -> str:
        where = str(self.path) if self.path is not None else "settings"
        if self.key:
            return f"{where}: {self.key}: {self.detail}"
        return f"{where}: {self.detail}"


@dataclass(frozen=True)
class Config:
    rules: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    auth_primitives: tuple[str, ...] = ()
    data_clients: tuple[str, ...] = ()
    public_actions: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    owner_fields: tuple[str, ...] = DEFAULT_OWNER_FIELDS
    supabase_rls: bool = False
    unauthorized: str = "throw"
    diagnostics_scope: str = "workspace"
    log_level: str = "info"
    source: Path | None = None
    validators: tuple[str, ...] = ()
    rate_limiters: tuple[str, ...] = ()
    sensitive_calls: tuple[str, ...] = ()

    def severity_for(self, code: str, default: Severity) -> Severity | None:
        """The severity to report ``code`` with, or None when the rule is turned off."""
        setting = self.rules.get(code)
        if setting is None:
            return default
        if setting == "off":
            return None
        return Severity(setting)


DEFAULT_CONFIG = Config()


def load_config(root: Path) -> Config:
    """The configuration of the workspace at ``root``.

    ``root/nextguard.json`` if present (JSON with comments and trailing commas), else the
    ``nextguard`` key of ``root/package.json``, else DEFAULT_CONFIG. Raises ConfigError naming the
    file and the key of the first problem.
    """
    config_file = root / CONFIG_FILE
    text = _read_text(config_file)
    if text is not None:
        # nextguard.json is hand-written, often copied from docs with comments in it (JSONC, or
        # JSON5 for a small file). Duplicate keys are almost always a merge accident, so the
        # silent last-one-wins of plain JSON is refused.
        return _build(_parse(text, config_file, "jsonc", duplicate_keys=False), config_file, ())

    package_file = root / PACKAGE_JSON
    text = _read_text(package_file)
    if text is not None:
        package = _parse(text, package_file, "json", duplicate_keys=True)
        if not isinstance(package, dict):
            raise ConfigError(package_file, "", "expected a JSON object at the top level")
        if PACKAGE_JSON_KEY in package:
            return _build(package[PACKAGE_JSON_KEY], package_file, (PACKAGE_JSON_KEY,))

    return DEFAULT_CONFIG


def config_from_mapping(data: Mapping[str, Any], source: Path | None) -> Config:
    """Validate ``data`` (the keys of nextguard.json) and build a Config from it.

    Used by the language server for ``initializationOptions`` and
    ``workspace/didChangeConfiguration``. Raises ConfigError.
    """
    return _build(data, source, ())


def config_schema() -> Mapping[str, Any]:
    """The configuration's JSON Schema, as shipped in the package."""
    return _load_schema("nextguard.schema.json")


def findings_schema() -> Mapping[str, Any]:
    """The JSON Schema of ``nextguard check --format json`` output."""
    return _load_schema("findings.schema.json")


@cache
def _load_schema(name: str) -> Mapping[str, Any]:
    text = files("nextguard").joinpath("schemas").joinpath(name).read_text(encoding="utf-8")
    return MappingProxyType(cast(dict[str, Any], json.loads(text)))


@cache
def _config_validator() -> Draft202012Validator:
    # Imported here: jsonschema costs 45 ms to import, a third of a warm `check`, and a workspace
    # without a config file never needs it.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(dict(config_schema()))


def _read_text(path: Path) -> str | None:
    """The file's text, None when there is none. A FIFO, a device, a file over the size limit or
    one that is not UTF-8 is a ConfigError: never opened for reading, never a hang."""
    try:
        return read_config_text(path)
    except ConfigFileError as exc:
        raise ConfigError(path, "", exc.reason) from None


def _parse(text: str, path: Path, syntax: Syntax, *, duplicate_keys: bool) -> object:
    try:
        return parse_config(text, path, syntax, duplicate_keys=duplicate_keys)
    except ConfigFileError as exc:
        raise ConfigError(path, "", exc.reason) from None


def _build(data: object, source: Path | None, prefix: tuple[str | int, ...]) -> Config:
    # The validator's "object" type check wants a dict; editors may hand over other mappings.
    instance = dict(data) if isinstance(data, Mapping) else data
    from jsonschema.exceptions import best_match

    error = best_match(_config_validator().iter_errors(instance))
    if error is not None:
        key, detail = _describe(error)
        raise ConfigError(source, _render_key((*prefix, *key)), detail)
    settings = cast(dict[str, Any], instance)

    ignore = tuple(settings.get("ignore", ()))
    for index, pattern in enumerate(ignore):
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except ValueError as exc:
            raise ConfigError(source, _render_key((*prefix, "ignore", index)), str(exc)) from exc

    extra_owner_fields = tuple(settings.get("ownerFields", ()))
    return Config(
        rules=MappingProxyType(dict(settings.get("rules", {}))),
        auth_primitives=_unique(settings.get("authPrimitives", ())),
        data_clients=_unique(settings.get("dataClients", ())),
        public_actions=_unique(settings.get("publicActions", ())),
        ignore=ignore,
        # Owner fields extend the built-in ones: forgetting `userId` while adding `tenantId`
        # would silently stop NG104/NG105 from recognising the most common owner column.
        owner_fields=_unique((*DEFAULT_OWNER_FIELDS, *extra_owner_fields)),
        supabase_rls=bool(settings.get("supabase", {}).get("rls", False)),
        unauthorized=str(settings.get("unauthorized", DEFAULT_CONFIG.unauthorized)),
        diagnostics_scope=str(settings.get("diagnosticsScope", DEFAULT_CONFIG.diagnostics_scope)),
        log_level=str(settings.get("logLevel", DEFAULT_CONFIG.log_level)),
        source=source,
        validators=_unique(settings.get("validators", ())),
        rate_limiters=_unique(settings.get("rateLimiters", ())),
        sensitive_calls=_unique(settings.get("sensitiveCalls", ())),
    )


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _describe(error: ValidationError) -> tuple[tuple[str | int, ...], str]:
    """The JSON path and a one-line explanation of a schema violation."""
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        return _describe_unknown_key(path, schema, error.instance)
    if error.validator == "pattern" and "patternErrorMessage" in schema:
        # The same wording VS Code shows for this schema, so the CLI and the editor agree.
        return path, f"{error.instance!r}: {schema['patternErrorMessage']}"
    return path, error.message


def _describe_unknown_key(
    path: tuple[str | int, ...], schema: Mapping[str, Any], instance: Mapping[str, Any]
) -> tuple[tuple[str | int, ...], str]:
    known = list(schema.get("properties", {}))
    patterns = list(schema.get("patternProperties", {}))
    unknown = [key for key in instance if key not in known and not any(re.search(pattern, key) for pattern in patterns)]
    key = unknown[0]
    if patterns and not known:
        return (*path, key), f"unknown key; keys here must match {' or '.join(patterns)}"
    # Compared case-insensitively because the usual typo is the case: "RLS", "authprimitives".
    candidates = {k.lower(): k for k in known if k != "$schema"}
    suggestion = difflib.get_close_matches(key.lower(), candidates, n=1)
    if suggestion:
        return (*path, key), f"unknown key (did you mean {candidates[suggestion[0]]!r}?)"
    expected = ", ".join(k for k in known if k != "$schema")
    return (*path, key), f"unknown key; expected one of: {expected}"


def _render_key(path: Sequence[str | int]) -> str:
    """A JSON path as users write it: ``rules.NG101``, ``authPrimitives[1]``."""
    rendered = ""
    for part in path:
        if isinstance(part, int):
            rendered += f"[{part}]"
        elif _IDENTIFIER.match(part):
            rendered += f".{part}" if rendered else part
        else:
            rendered += f"[{json.dumps(part)}]"
    return rendered
