"""One table of settings (config.SETTINGS): the JSON Schema, the server's settings and the VS Code
extension's contributed settings all accept exactly its keys, and each key sets its field."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from nextguard.config import EDITOR_SETTINGS, SETTINGS, Config, config_from_mapping, config_schema
from nextguard.lsp.settings import effective_config

ROOT = Path(__file__).resolve().parent.parent
VSCODE = ROOT / "clients" / "vscode"

# A valid value for each key that differs from the default: what a user could set.
SAMPLES: dict[str, Any] = {
    "rules": {"NG203": "off"},
    "authPrimitives": ["assertAdmin"],
    "dataClients": ["ledger"],
    "publicActions": ["app/actions.ts#subscribe"],
    "ignore": ["legacy/**"],
    "ownerFields": ["tenantId"],
    "supabase": {"rls": True},
    "unauthorized": "redirect:/login",
    "diagnosticsScope": "openFiles",
    "validators": ["checkInput"],
    "rateLimiters": ["checkQuota"],
    "sensitiveCalls": ["sendMoney"],
    "logLevel": "debug",
}
ALL_KEYS = [key for key, _ in (*SETTINGS, *EDITOR_SETTINGS)]


def test_every_config_field_has_a_key_and_every_key_a_sample() -> None:
    fields = {field.name for field in dataclasses.fields(Config)} - {"source"}
    assert {name for _, name in (*SETTINGS, *EDITOR_SETTINGS)} == fields
    assert set(SAMPLES) == set(ALL_KEYS)


def test_the_schema_accepts_exactly_the_table() -> None:
    properties = set(config_schema()["properties"]) - {"$schema"}
    assert properties == set(ALL_KEYS)


@pytest.mark.parametrize("key", ALL_KEYS)
def test_each_setting_reaches_its_field(key: str) -> None:
    field = dict((*SETTINGS, *EDITOR_SETTINGS))[key]
    base = config_from_mapping({}, None)
    changed = effective_config(base, {key: SAMPLES[key]})
    assert getattr(changed, field) != getattr(base, field)


def test_the_vscode_extension_contributes_and_sends_every_key() -> None:
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    contributed = set(manifest["contributes"]["configuration"]["properties"])
    # Nested objects are contributed by their leaves (`nextguard.supabase.rls`).
    expected = {
        f"nextguard.{key}" if not isinstance(SAMPLES[key], dict) or key == "rules" else None for key in ALL_KEYS
    }
    expected.discard(None)
    expected |= {
        f"nextguard.{key}.{leaf}"
        for key in ALL_KEYS
        if key != "rules" and isinstance(SAMPLES[key], dict)
        for leaf in SAMPLES[key]
    }
    assert expected <= contributed
    source = (VSCODE / "src" / "settings.ts").read_text(encoding="utf-8")
    block = source[source.index("SERVER_KEYS = [") : source.index("] as const")]
    sent = set(re.findall(r"'([A-Za-z.]+)'", block))
    assert sent == {name.removeprefix("nextguard.") for name in expected}
