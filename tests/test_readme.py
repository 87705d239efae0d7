"""The README's rule table is the registry's: every rule, with its name, severity and summary."""

from __future__ import annotations

from pathlib import Path

from nextguard.rules.registry import RULES

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_rule_is_in_the_readme_table() -> None:
    text = README.read_text(encoding="utf-8")
    for rule in RULES:
        row = f"| {rule.code} | {rule.name} | {rule.severity.value} | {rule.doc().summary} |"
        assert row in text, f"README is missing: {row}"
