"""Editor settings: the keys of ``nextguard.json`` (plus ``logLevel``), as the client sends them in
``initializationOptions``, ``workspace/didChangeConfiguration`` or answers to
``workspace/configuration`` (section ``"nextguard"``).

There is one typed model, ``Config``: settings are validated by the same JSON Schema as the file
and override it key by key (``rules`` code by code), so a project's ``nextguard.json`` stays the
shared baseline and one developer's editor can still turn a rule off locally.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..config import EDITOR_SETTINGS, SETTINGS, Config, config_from_mapping

SECTION = "nextguard"

# Keys an editor extension keeps under the same section for itself (VS Code's `trace.server`, the
# interpreter or server path a launcher uses): not ours to validate, never an error.
CLIENT_ONLY_KEYS = frozenset({"trace", "path", "interpreter", "enable", "args", "importStrategy"})

# camelCase settings key -> Config field: config.py's one table.
_FIELDS = dict((*SETTINGS, *EDITOR_SETTINGS))
# Fields that only change what the server shows, not what the engine finds.
PRESENTATION_FIELDS = ("diagnostics_scope", "log_level", "source")


def settings_from(payload: object) -> dict[str, Any]:
    """The nextguard settings in a payload: ``{"nextguard": {...}}`` (how VS Code and most clients
    nest a section) or the keys themselves. Anything else is no settings."""
    if not isinstance(payload, Mapping):
        return {}
    nested = payload.get(SECTION)
    if isinstance(nested, Mapping):
        return dict(nested)
    if any(key in _FIELDS for key in payload):
        return dict(payload)
    return {}


def effective_config(file_config: Config, settings: Mapping[str, Any]) -> Config:
    """``file_config`` with ``settings`` laid over it. Raises ``ConfigError`` (path None, so the
    message says "settings") when the settings are invalid."""
    given = {key: value for key, value in settings.items() if key not in CLIENT_ONLY_KEYS and key != "$schema"}
    if not given:
        return file_config
    overlay = config_from_mapping(given, None)
    changes: dict[str, Any] = {}
    for key in given:
        field = _FIELDS[key]  # the schema has rejected any other key
        value = getattr(overlay, field)
        if field == "rules":
            value = MappingProxyType({**file_config.rules, **overlay.rules})
        changes[field] = value
    return dataclasses.replace(file_config, **changes)


def same_analysis(a: Config, b: Config) -> bool:
    """Whether two configs make the engine find the same things (they may differ in scope or
    logging, which only the server reads)."""
    return all(
        getattr(a, item.name) == getattr(b, item.name)
        for item in dataclasses.fields(Config)
        if item.name not in PRESENTATION_FIELDS
    )


__all__ = ["CLIENT_ONLY_KEYS", "SECTION", "effective_config", "same_analysis", "settings_from"]
