"""Editor settings over nextguard.json: the same keys, validated the same way, laid over the file
key by key (rules code by code)."""

from __future__ import annotations

import pytest

from nextguard.config import ConfigError, config_from_mapping
from nextguard.lsp.settings import effective_config, same_analysis, settings_from
from nextguard.model import Severity


def test_settings_override_the_file_key_by_key_and_rules_code_by_code() -> None:
    file_config = config_from_mapping({"rules": {"NG101": "warning", "NG203": "off"}, "ignore": ["legacy/**"]}, None)
    config = effective_config(file_config, {"rules": {"NG203": "error"}, "diagnosticsScope": "openFiles"})
    assert config.severity_for("NG101", Severity.ERROR) is Severity.WARNING  # from the file
    assert config.severity_for("NG203", Severity.WARNING) is Severity.ERROR  # from the settings
    assert config.ignore == ("legacy/**",)
    assert config.diagnostics_scope == "openFiles"
    assert same_analysis(config, effective_config(config, {"logLevel": "debug"}))
    assert not same_analysis(config, file_config)


def test_editor_only_keys_are_ignored_and_unknown_keys_rejected() -> None:
    file_config = config_from_mapping({}, None)
    assert effective_config(file_config, {"trace": {"server": "verbose"}}) == file_config
    with pytest.raises(ConfigError, match="rulez"):
        effective_config(file_config, {"rulez": {}})
    with pytest.raises(ConfigError, match="loud"):
        effective_config(file_config, {"rules": {"NG101": "loud"}})


def test_settings_payloads_nested_or_flat() -> None:
    assert settings_from({"nextguard": {"logLevel": "debug"}}) == {"logLevel": "debug"}
    assert settings_from({"rules": {"NG101": "off"}}) == {"rules": {"NG101": "off"}}
    assert settings_from({"editor": {"tabSize": 2}}) == {}
    assert settings_from(None) == {}
