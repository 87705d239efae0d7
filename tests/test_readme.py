"""The README's rule table is the registry's: every rule, with its name, severity and summary."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nextguard.rules.registry import RULES

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_rule_is_in_the_readme_table() -> None:
    text = README.read_text(encoding="utf-8")
    for rule in RULES:
        row = f"| {rule.code} | {rule.name} | {rule.severity.value} | {rule.doc().summary} |"
        assert row in text, f"README is missing: {row}"


def test_the_sample_output_is_what_the_command_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """Every line of the Quick start's sample (but the `…`) appears verbatim in the output of the
    command above it, run from the repository root as the README says."""
    from nextguard.cli.main import main

    text = README.read_text(encoding="utf-8")
    command = "python3 -m pip install . && nextguard check examples/acme-notes"
    after = text[text.index(command) :]
    block = after.split("```")[2]  # the command's block closes, then the sample's block opens
    sample = [line for line in block.splitlines() if line.strip() not in ("", "…")]
    assert len(sample) >= 3
    cwd = os.getcwd()
    os.chdir(README.parent)
    try:
        assert main(["check", "examples/acme-notes", "--no-cache", "--no-progress"]) == 1
    finally:
        os.chdir(cwd)
    printed = capsys.readouterr().out.splitlines()
    for line in sample:
        assert line in printed, f"README sample line not printed: {line}"
