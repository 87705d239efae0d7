from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from nextguard.config import (
    CONFIG_KEYS,
    DEFAULT_CONFIG,
    ConfigError,
    config_from_mapping,
    load_config,
)
from nextguard.model import Severity

REPO = Path(__file__).resolve().parent.parent
PACKAGE_SCHEMAS = REPO / "server" / "nextguard" / "schemas"
SCHEMA_NAMES = ("nextguard.schema.json", "findings.schema.json")


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def repo_schema(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((REPO / "schemas" / name).read_text(encoding="utf-8"))
    return result


# --- loading ---------------------------------------------------------------------------------


def test_no_config_gives_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == DEFAULT_CONFIG
    assert config.source is None
    assert config.rules == {}
    assert config.owner_fields == ("userId", "authorId", "ownerId", "orgId")
    assert config.unauthorized == "throw"
    assert config.diagnostics_scope == "workspace"
    assert config.supabase_rls is False


def test_package_json_without_nextguard_key_gives_defaults(tmp_path: Path) -> None:
    write_json(tmp_path / "package.json", {"name": "app", "dependencies": {"next": "15.0.0"}})
    assert load_config(tmp_path) == DEFAULT_CONFIG


def test_nextguard_json_is_read(tmp_path: Path) -> None:
    source = write_json(
        tmp_path / "nextguard.json",
        {
            "$schema": "./node_modules/nextguard/schemas/nextguard.schema.json",
            "rules": {"NG202": "off", "NG301": "warning"},
            "authPrimitives": ["requireUser", "auth.api.getSession", "@/lib/auth#requireUser"],
            "dataClients": ["@/lib/db#db"],
            "publicActions": ["app/actions.ts#subscribe", "app/(marketing)/**"],
            "ignore": ["legacy/**"],
            "ownerFields": ["tenantId"],
            "supabase": {"rls": True},
            "unauthorized": "redirect:/login",
            "diagnosticsScope": "openFiles",
            "logLevel": "debug",
        },
    )
    config = load_config(tmp_path)
    assert config.source == source
    assert dict(config.rules) == {"NG202": "off", "NG301": "warning"}
    assert config.auth_primitives == ("requireUser", "auth.api.getSession", "@/lib/auth#requireUser")
    assert config.data_clients == ("@/lib/db#db",)
    assert config.public_actions == ("app/actions.ts#subscribe", "app/(marketing)/**")
    assert config.ignore == ("legacy/**",)
    assert config.owner_fields == ("userId", "authorId", "ownerId", "orgId", "tenantId")
    assert config.supabase_rls is True
    assert config.unauthorized == "redirect:/login"
    assert config.diagnostics_scope == "openFiles"
    assert config.log_level == "debug"


def test_nextguard_json_wins_over_package_json(tmp_path: Path) -> None:
    write_json(tmp_path / "package.json", {"name": "app", "nextguard": {"rules": {"NG101": "hint"}}})
    source = write_json(tmp_path / "nextguard.json", {"rules": {"NG101": "info"}})
    config = load_config(tmp_path)
    assert config.source == source
    assert config.rules == {"NG101": "info"}


def test_package_json_nextguard_key(tmp_path: Path) -> None:
    source = write_json(
        tmp_path / "package.json",
        {"name": "app", "nextguard": {"rules": {"NG101": "hint"}, "authPrimitives": ["getUser"]}},
    )
    config = load_config(tmp_path)
    assert config.source == source
    assert config.rules == {"NG101": "hint"}
    assert config.auth_primitives == ("getUser",)


def test_jsonc_comments_and_trailing_commas(tmp_path: Path) -> None:
    (tmp_path / "nextguard.json").write_text(
        """// nextguard settings
        {
          /* the marketing site has no accounts */
          "publicActions": ["app/(marketing)/**",],
          "rules": {
            "NG202": "off", // noisy for now
          },
        }
        """,
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    assert config.public_actions == ("app/(marketing)/**",)
    assert config.severity_for("NG202", Severity.INFO) is None


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "nextguard.json").write_text('\ufeff{"rules": {"NG101": "warning"}}', encoding="utf-8")
    assert load_config(tmp_path).rules == {"NG101": "warning"}


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "key", "detail_words"),
    [
        pytest.param({"rulez": {"NG101": "off"}}, "rulez", ["unknown key", "'rules'"], id="unknown-key"),
        pytest.param(
            {"rules": {"NG101": "loud"}},
            "rules.NG101",
            ["'loud' is not one of ['off', 'error', 'warning', 'info', 'hint']"],
            id="bad-severity",
        ),
        pytest.param({"rules": {"NG1": "off"}}, "rules.NG1", ["unknown key", "^NG[0-9]{3}$"], id="bad-code"),
        pytest.param(
            {"authPrimitives": ["requireUser", 42]},
            "authPrimitives[1]",
            ["42 is not of type 'string'"],
            id="auth-primitive-type",
        ),
        pytest.param(
            {"authPrimitives": ["requireUser()"]},
            "authPrimitives[0]",
            ["'requireUser()'", "without parentheses"],
            id="auth-primitive-call",
        ),
        pytest.param({"authPrimitives": "requireUser"}, "authPrimitives", ["not of type 'array'"], id="not-array"),
        pytest.param(
            {"unauthorized": "redirect-login"},
            "unauthorized",
            ["'redirect-login'", "redirect:/login"],
            id="unauth",
        ),
        pytest.param(
            {"unauthorized": "redirect:/login'); evil('"},
            "unauthorized",
            ["redirect:/login"],
            id="unauth-quote",
        ),
        pytest.param({"supabase": {"rls": "yes"}}, "supabase.rls", ["not of type 'boolean'"], id="rls-type"),
        pytest.param({"supabase": {"RLS": True}}, "supabase.RLS", ["unknown key", "'rls'"], id="supabase-key"),
        pytest.param({"ignore": [""]}, "ignore[0]", ["non-empty"], id="empty-glob"),
        pytest.param({"ignore": ["ok/**", "bad\\"]}, "ignore[1]", ["bad\\"], id="invalid-glob"),
        pytest.param({"diagnosticsScope": "open"}, "diagnosticsScope", ["'open'"], id="scope"),
    ],
)
def test_invalid_nextguard_json_names_file_and_key(
    tmp_path: Path, data: dict[str, Any], key: str, detail_words: list[str]
) -> None:
    source = write_json(tmp_path / "nextguard.json", data)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    error = caught.value
    assert error.path == source
    assert error.key == key
    message = str(error)
    assert "\n" not in message
    assert message.startswith(f"{source}: {key}: ")
    for words in detail_words:
        assert words in error.detail


def test_invalid_package_json_key_is_prefixed_with_nextguard(tmp_path: Path) -> None:
    source = write_json(tmp_path / "package.json", {"nextguard": {"rules": {"NG101": "loud"}}})
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert caught.value.path == source
    assert str(caught.value).startswith(f"{source}: nextguard.rules.NG101: 'loud' is not one of")


def test_package_json_nextguard_not_an_object(tmp_path: Path) -> None:
    source = write_json(tmp_path / "package.json", {"nextguard": ["NG101"]})
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(f"{source}: nextguard: ")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"rules": {"NG101": "off"', id="truncated"),
        pytest.param('{"rules": {}}\n{"ignore": []}', id="two-documents"),
        pytest.param('{"ignore": ["a"], "ignore": ["b"]}', id="duplicate-key"),
        pytest.param("", id="empty"),
    ],
)
def test_broken_nextguard_json_names_the_file(tmp_path: Path, text: str) -> None:
    source = tmp_path / "nextguard.json"
    source.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert caught.value.path == source
    assert caught.value.key == ""
    assert str(caught.value).startswith(f"{source}: not valid JSON")
    assert "\n" not in str(caught.value)


def test_broken_package_json_names_the_file(tmp_path: Path) -> None:
    source = tmp_path / "package.json"
    source.write_text('{"name": "app",', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(f"{source}: not valid JSON")


def test_non_utf8_config_names_the_file(tmp_path: Path) -> None:
    source = tmp_path / "nextguard.json"
    source.write_bytes(b'{"ignore": ["\xff"]}')
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(f"{source}: not UTF-8")


def test_config_error_survives_pickling() -> None:
    error = ConfigError(Path("nextguard.json"), "rules.NG101", "bad")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.key, copy.detail, str(copy)) == (
        error.path,
        error.key,
        error.detail,
        "nextguard.json: rules.NG101: bad",
    )


# --- severity_for and config_from_mapping --------------------------------------------------


def test_severity_for() -> None:
    config = config_from_mapping({"rules": {"NG101": "off", "NG202": "error"}}, None)
    assert config.severity_for("NG101", Severity.ERROR) is None
    assert config.severity_for("NG202", Severity.INFO) is Severity.ERROR
    assert config.severity_for("NG301", Severity.INFO) is Severity.INFO
    assert DEFAULT_CONFIG.severity_for("NG101", Severity.ERROR) is Severity.ERROR


def test_config_from_mapping_builds_config() -> None:
    source = Path("/ws/nextguard.json")
    config = config_from_mapping({"dataClients": ["db", "db"], "diagnosticsScope": "openFiles", "supabase": {}}, source)
    assert config.source == source
    assert config.data_clients == ("db",)
    assert config.diagnostics_scope == "openFiles"
    assert config.supabase_rls is False
    assert config_from_mapping({}, None) == DEFAULT_CONFIG


def test_config_from_mapping_rejects_invalid_settings() -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_mapping({"authPrimitives": [1]}, None)
    assert caught.value.path is None
    assert caught.value.key == "authPrimitives[0]"
    assert str(caught.value) == "settings: authPrimitives[0]: 1 is not of type 'string'"


def test_config_is_immutable() -> None:
    config = config_from_mapping({"rules": {"NG101": "off"}}, None)
    with pytest.raises(TypeError):
        config.rules["NG101"] = "error"  # type: ignore[index]


# --- schemas ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_package_copy_of_schema_is_identical(name: str) -> None:
    assert (PACKAGE_SCHEMAS / name).read_bytes() == (REPO / "schemas" / name).read_bytes()


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = repo_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def _property_schemas(schema: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Every schema that describes a property, wherever it is nested."""
    if isinstance(schema, dict):
        for container in ("properties", "patternProperties"):
            for name, sub in schema.get(container, {}).items():
                yield f"{where}.{name}", sub
        for key, value in schema.items():
            if key not in ("enum", "examples", "default", "const"):
                yield from _property_schemas(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _property_schemas(value, f"{where}[{index}]")


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_property_has_a_description(name: str) -> None:
    missing = [where for where, sub in _property_schemas(repo_schema(name), "") if "description" not in sub]
    assert missing == []


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_object_forbids_additional_properties(name: str) -> None:
    def objects(schema: Any) -> Iterator[dict[str, Any]]:
        if isinstance(schema, dict):
            if "properties" in schema or "patternProperties" in schema:
                yield schema
            for value in schema.values():
                yield from objects(value)
        elif isinstance(schema, list):
            for value in schema:
                yield from objects(value)

    found = list(objects(repo_schema(name)))
    assert found
    assert all(obj.get("additionalProperties") is False for obj in found)


def test_config_schema_keys_match_config_keys() -> None:
    properties = set(repo_schema("nextguard.schema.json")["properties"])
    assert properties == {*CONFIG_KEYS, "$schema", "logLevel"}


def test_config_schema_defaults_match_default_config() -> None:
    properties = repo_schema("nextguard.schema.json")["properties"]
    defaults = {key: properties[key]["default"] for key in (*CONFIG_KEYS, "logLevel")}
    assert config_from_mapping(defaults, None) == DEFAULT_CONFIG
    assert properties["supabase"]["properties"]["rls"]["default"] is DEFAULT_CONFIG.supabase_rls


VALID_FINDING: dict[str, Any] = {
    "code": "NG101",
    "name": "action-missing-auth",
    "severity": "error",
    "message": "Server Action `deletePost` deletes data without checking who is calling",
    "filename": "app/posts/actions.ts",
    "location": {"row": 4, "column": 1},
    "end_location": {"row": 7, "column": 2},
    "fix": {
        "message": "Insert `const session = await auth()`",
        "applicability": "unsafe",
        "edits": [
            {
                "content": "  const session = await auth();\n",
                "location": {"row": 5, "column": 1},
                "end_location": {"row": 5, "column": 1},
            }
        ],
    },
    "related": [
        {
            "filename": "lib/dal.ts",
            "location": {"row": 10, "column": 3},
            "end_location": {"row": 10, "column": 30},
            "message": "`deletePost` mutates here",
        }
    ],
    "url": "https://example.invalid/rules/NG101",
}


def findings_validator() -> Draft202012Validator:
    return Draft202012Validator(repo_schema("findings.schema.json"))


def test_findings_schema_accepts_valid_output() -> None:
    no_fix = {**VALID_FINDING, "fix": None, "related": []}
    del no_fix["url"]
    findings_validator().validate([VALID_FINDING, no_fix])
    findings_validator().validate([])


def without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


@pytest.mark.parametrize(
    "finding",
    [
        pytest.param(without(VALID_FINDING, "code"), id="missing-code"),
        pytest.param({**VALID_FINDING, "location": {"row": 0, "column": 1}}, id="row-0"),
        pytest.param({**VALID_FINDING, "end_location": {"row": 1, "column": 0}}, id="column-0"),
        pytest.param({**VALID_FINDING, "code": "E501"}, id="bad-code"),
        pytest.param({**VALID_FINDING, "severity": "fatal"}, id="bad-severity"),
        pytest.param({**VALID_FINDING, "extra": 1}, id="extra-key"),
        pytest.param(without(VALID_FINDING, "fix"), id="missing-fix"),
        pytest.param({**VALID_FINDING, "fix": {**VALID_FINDING["fix"], "applicability": "maybe"}}, id="appl"),
        pytest.param({**VALID_FINDING, "related": [{"filename": "a.ts"}]}, id="related-incomplete"),
    ],
)
def test_findings_schema_rejects_invalid_output(finding: dict[str, Any]) -> None:
    assert not findings_validator().is_valid([finding])
