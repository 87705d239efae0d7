"""The editor set-ups in ``clients/`` and the pre-commit hook, as a user takes them: the VS Code
extension packs from a clean copy of its folder with ``npm ci && npx @vscode/vsce package``; the
Neovim, Helix and Emacs files are exactly what a user should load (no stray example code, and the
commented example settings are valid settings once uncommented); the README's pre-commit snippet
runs and fails on a finding.

The end-to-end runs in the real editors are in ``tests/editors/``. Like them, a test here that
needs a program the machine lacks (node/npm, Neovim 0.11, Emacs) is a skip on a developer's
machine and a failure in CI (the ``CI`` environment variable set, as ``.ci/run`` does).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from nextguard.config import DEFAULT_CONFIG
from nextguard.lsp.settings import effective_config, settings_from

REPO = Path(__file__).resolve().parent.parent
CLIENTS = REPO / "clients"
SCHEMA = REPO / "schemas" / "nextguard.schema.json"
EDITORS = Path(os.environ.get("NG_EDITORS", "/tmp/nextguard-editors"))
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _missing(message: str) -> None:
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


# -- VS Code ----------------------------------------------------------------------------------------

VSCODE = CLIENTS / "vscode"


def test_vscode_ships_the_current_schema() -> None:
    """The extension validates nextguard.json with its own copy of the schema (a clean copy of
    clients/vscode has no ../../schemas): that copy must be the schema."""
    shipped = VSCODE / "schemas" / "nextguard.schema.json"
    assert shipped.read_bytes() == SCHEMA.read_bytes(), (
        "clients/vscode/schemas/nextguard.schema.json differs from schemas/nextguard.schema.json: "
        "cp schemas/nextguard.schema.json clients/vscode/schemas/"
    )
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    assert manifest["contributes"]["jsonValidation"] == [
        {"fileMatch": "nextguard.json", "url": "./schemas/nextguard.schema.json"}
    ]


def _clean_copy(destination: Path) -> Path:
    """clients/vscode without what its .gitignore keeps out of git (node_modules, dist, .vsix)."""
    ignored = [
        line.strip().rstrip("/")
        for line in (VSCODE / ".gitignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    target = destination / "vscode"
    shutil.copytree(VSCODE, target, ignore=shutil.ignore_patterns(*ignored), symlinks=True)
    return target


def test_vscode_packs_from_a_clean_copy(tmp_path: Path) -> None:
    """`npm ci && npx @vscode/vsce package` in a copy of clients/vscode outside the repository (no
    node_modules, no dist, no ../../schemas) gives a .vsix with the bundle, the schema and no
    node_modules."""
    if not (shutil.which("node") and shutil.which("npm") and shutil.which("npx")):
        _missing("not installed: node/npm (Node 20)")
    work = _clean_copy(tmp_path)
    assert not (work / "node_modules").exists() and not (work / "dist").exists()
    env = dict(os.environ, npm_config_update_notifier="false", npm_config_fund="false", npm_config_audit="false")
    # --prefer-offline: the same install, from npm's cache when install.sh already filled it.
    for argv in (["npm", "ci", "--prefer-offline"], ["npx", "@vscode/vsce", "package"]):
        result = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, f"{' '.join(argv)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    packages = list(work.glob("*.vsix"))
    assert [p.name for p in packages] == [f"nextguard-{manifest['version']}.vsix"]

    with zipfile.ZipFile(packages[0]) as vsix:
        names = set(vsix.namelist())
        assert not any(n.startswith("extension/node_modules/") for n in names), "dependencies are bundled"
        assert not any(n.startswith("extension/src/") for n in names)
        bundle = vsix.read("extension/dist/extension.js").decode("utf-8")
        # vscode-languageclient is inlined, vscode is left to the host
        assert "LanguageClient" in bundle and 'require("vscode")' in bundle
        assert vsix.read("extension/schemas/nextguard.schema.json") == SCHEMA.read_bytes()
        packed = json.loads(vsix.read("extension/package.json"))
        assert packed["main"] == "./dist/extension.js"
        assert packed["repository"]["url"]
        for image in re.findall(r"\]\((images/[^)]+)\)", (VSCODE / "README.md").read_text(encoding="utf-8")):
            assert f"extension/{image}" in names, f"the README shows {image}: it must ship"
        assert "extension/LICENSE.txt" in names


def test_vscode_build_script_takes_the_same_path() -> None:
    """build.sh packages with vsce, whose prepublish builds; no second recipe to drift."""
    script = (VSCODE / "build.sh").read_text(encoding="utf-8")
    commands = [line for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert any("vsce package" in line for line in commands)
    assert not any("esbuild" in line or "tsc" in line or "schemas" in line for line in commands)
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    assert "build" in manifest["scripts"]["vscode:prepublish"]


# -- Neovim -----------------------------------------------------------------------------------------

NVIM_CONFIG = CLIENTS / "neovim" / "nextguard.lua"


def _lua_code_lines(text: str) -> list[tuple[int, str]]:
    """(line number, code) of the lines that are not only a comment; a trailing `--` comment is cut
    (the file's strings hold no `--`)."""
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split("--", 1)[0].rstrip()
        if code.strip():
            lines.append((number, code))
    return lines


def test_neovim_config_has_no_stray_example_code() -> None:
    code = _lua_code_lines(NVIM_CONFIG.read_text(encoding="utf-8"))
    placeholders = [(n, c) for n, c in code if "/path/to" in c]
    assert not placeholders, f"example placeholders run as code (comment them out): {placeholders}"
    local_names = Counter(m.group(1) for _, c in code if (m := re.match(r"local\s+(?:function\s+)?([A-Za-z_]\w*)", c)))
    assert not [name for name, count in local_names.items() if count > 1], f"defined twice: {local_names}"
    assert sum("vim.lsp.config(" in c for _, c in code) == 1
    assert sum("vim.lsp.enable(" in c for _, c in code) == 1


def _nvim() -> str:
    """A Neovim 0.11+ (vim.lsp.config): tests/editors/install.sh's, else one on PATH."""
    for candidate in (EDITORS / "nvim" / "bin" / "nvim", shutil.which("nvim")):
        if candidate is None or not Path(candidate).exists():
            continue
        version = subprocess.run([str(candidate), "--version"], capture_output=True, text=True, check=False).stdout
        found = re.match(r"NVIM v(\d+)\.(\d+)", version)
        if found and (int(found.group(1)), int(found.group(2))) >= (0, 11):
            return str(candidate)
    _missing("not installed: Neovim 0.11+ (run tests/editors/install.sh)")
    raise AssertionError("unreachable")


# Loads a config file the way a user's start-up does (dofile) and reports what it registered.
# vim.lsp.config and vim.lsp.enable are wrapped to record every call, not only the merged result:
# a stray second vim.lsp.config('nextguard', …) is merged away and would not show otherwise.
NVIM_PROBE = r"""
local path = arg[1]
local calls, enabled = {}, {}
local config, enable = vim.lsp.config, vim.lsp.enable
vim.lsp.config = setmetatable({}, {
  __call = function(_, name, cfg)
    table.insert(calls, { name = name, cmd = cfg.cmd or vim.NIL })
    return config(name, cfg)
  end,
  __index = config,
  __newindex = config,
})
vim.lsp.enable = function(name, ...)
  table.insert(enabled, name)
  return enable(name, ...)
end
local ok, returned = pcall(dofile, path)
vim.lsp.config, vim.lsp.enable = config, enable
local out = { ok = ok, error = (not ok) and tostring(returned) or vim.NIL, calls = calls, enabled = enabled }
if ok then
  local resolved = vim.lsp.config.nextguard
  out.cmd = resolved.cmd
  out.filetypes = resolved.filetypes
  out.root_markers = resolved.root_markers
  out.init_options = vim.json.encode(resolved.init_options)
  out.settings = vim.json.encode(resolved.settings)
  out.commands = vim.tbl_keys(vim.api.nvim_get_commands({}))
end
io.stdout:write(vim.json.encode(out))
"""


def _load_in_nvim(nvim: str, config: Path, tmp_path: Path) -> dict[str, Any]:
    probe = tmp_path / "probe.lua"
    probe.write_text(NVIM_PROBE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "NVIM", "VIM"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"))
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    result = subprocess.run(
        [nvim, "--clean", "--headless", "-l", str(probe), str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout)
    assert loaded["ok"], loaded["error"]
    return loaded


def test_neovim_config_loads_as_shipped(tmp_path: Path) -> None:
    loaded = _load_in_nvim(_nvim(), NVIM_CONFIG, tmp_path)
    assert loaded["calls"] == [{"name": "nextguard", "cmd": ["nextguard", "lsp"]}]
    assert loaded["enabled"] == ["nextguard"]
    assert loaded["cmd"] == ["nextguard", "lsp"]
    assert set(loaded["filetypes"]) == {"typescript", "typescriptreact", "javascript", "javascriptreact"}
    # nothing set: an empty JSON object (a Lua {} would go out as [] and fail the server's schema)
    assert json.loads(loaded["init_options"]) == {}
    assert json.loads(loaded["settings"]) == {"nextguard": {}}
    assert {"NextguardFixAll", "NextguardFixAllWorkspace"} <= set(loaded["commands"])


def _uncomment_block(text: str, start: str, end: str) -> tuple[str, int]:
    """``text`` with the commented lines between the line starting ``start`` and the next line
    starting ``end`` uncommented (the example settings a user turns on), and how many there were."""
    out, inside, count = [], False, 0
    for line in text.splitlines(keepends=True):
        if line.startswith(start):
            inside = True
        elif inside and line.startswith(end):
            inside = False
        elif inside and (m := re.match(r"(\s*)(?:--|#) ?(.*)", line, re.S)):
            line, count = m.group(1) + m.group(2), count + 1
        out.append(line)
    return "".join(out), count


def test_neovim_example_settings_are_valid(tmp_path: Path) -> None:
    """Every commented example in the `settings` table, uncommented, is a setting the server
    accepts, and reaches it both as initializationOptions and as workspace/configuration."""
    text, count = _uncomment_block(NVIM_CONFIG.read_text(encoding="utf-8"), "local settings = {", "}")
    assert count >= 8
    variant = tmp_path / "nextguard.lua"
    variant.write_text(text, encoding="utf-8")
    loaded = _load_in_nvim(_nvim(), variant, tmp_path)
    init_options = json.loads(loaded["init_options"])
    assert len(init_options) == count
    assert json.loads(loaded["settings"]) == {"nextguard": init_options}
    config = effective_config(DEFAULT_CONFIG, settings_from(init_options))
    assert config.unauthorized == "redirect:/login"
    assert config.supabase_rls is True


# -- Helix ------------------------------------------------------------------------------------------

HELIX_CONFIG = CLIENTS / "helix" / "languages.toml"


def test_helix_languages_toml() -> None:
    data = tomllib.loads(HELIX_CONFIG.read_text(encoding="utf-8"))
    server = data["language-server"]["nextguard"]
    assert (server["command"], server["args"]) == ("nextguard", ["lsp"])
    assert server.get("config", {}) == {}  # nothing set unless the user sets it
    languages = {entry["name"]: entry["language-servers"] for entry in data["language"]}
    assert set(languages) == {"typescript", "tsx", "javascript", "jsx"}
    for servers in languages.values():
        assert servers == ["typescript-language-server", "nextguard"]


def test_helix_example_settings_are_valid() -> None:
    text, count = _uncomment_block(HELIX_CONFIG.read_text(encoding="utf-8"), "[language-server.nextguard.config]", "[")
    assert count >= 8
    settings = tomllib.loads(text)["language-server"]["nextguard"]["config"]
    assert len(settings) == count
    config = effective_config(DEFAULT_CONFIG, settings_from(settings))
    assert config.unauthorized == "redirect:/login"


# -- Emacs ------------------------------------------------------------------------------------------


def _emacs(tmp_path: Path, *args: str) -> str:
    """Runs ``emacs --batch -Q`` in a folder holding a copy of nextguard.el; its stdout."""
    emacs = shutil.which("emacs")
    if emacs is None:
        _missing("not installed: emacs")
        raise AssertionError("unreachable")
    if not (tmp_path / "nextguard.el").exists():
        shutil.copy(CLIENTS / "emacs" / "nextguard.el", tmp_path / "nextguard.el")
    result = subprocess.run(
        [emacs, "--batch", "-Q", "-L", ".", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, HOME=str(tmp_path)),
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# What eglot sends as initializationOptions, serialized the way eglot's jsonrpc does.
EMACS_INIT_OPTIONS = """(princ (json-serialize (plist-get (cddr (nextguard-eglot-contact)) :initializationOptions)
                             :false-object :json-false :null-object nil))"""


def test_emacs_package_compiles_cleanly_and_registers(tmp_path: Path) -> None:
    """nextguard.el byte-compiles with warnings as errors, and loading it gives the eglot contact
    `nextguard lsp` with an empty settings object."""
    _emacs(tmp_path, "--eval", "(setq byte-compile-error-on-warn t)", "-f", "batch-byte-compile", "nextguard.el")
    (tmp_path / "nextguard.elc").unlink()
    show = "(progn (require 'json) (princ (json-encode (nextguard-eglot-contact))))"
    contact = _emacs(tmp_path, "--eval", "(require 'nextguard)", "--eval", show)
    assert json.loads(contact) == ["nextguard", "lsp", "initializationOptions", {}]
    assert json.loads(_emacs(tmp_path, "--eval", "(require 'nextguard)", "--eval", EMACS_INIT_OPTIONS)) == {}


def test_emacs_example_settings_are_valid(tmp_path: Path) -> None:
    """The example in `nextguard-settings`' documentation, set as is, goes out as settings the
    server accepts."""
    use_example = """(let* ((doc (documentation-property 'nextguard-settings 'variable-documentation))
                            (at (and (string-match "Example:\n" doc) (match-end 0))))
                       (setq nextguard-settings (car (read-from-string doc at))))"""
    out = _emacs(tmp_path, "--eval", "(require 'nextguard)", "--eval", use_example, "--eval", EMACS_INIT_OPTIONS)
    settings = json.loads(out)
    assert len(settings) >= 8
    config = effective_config(DEFAULT_CONFIG, settings_from(settings))
    assert config.unauthorized == "redirect:/login"
    assert config.supabase_rls is True


# -- pre-commit -------------------------------------------------------------------------------------

APP_FILES = {
    "package.json": '{ "name": "tiny", "private": true, "dependencies": { "next": "15.5.4" } }\n',
    "tsconfig.json": '{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["./*"] } } }\n',
    "auth.ts": "import NextAuth from 'next-auth';\nexport const { auth, handlers } = NextAuth({ providers: [] });\n",
    "lib/db.ts": "import 'server-only';\nimport { PrismaClient } from '@prisma/client';\n"
    "export const db = new PrismaClient();\n",
}
UNPROTECTED = """'use server';
import { db } from '@/lib/db';

export async function deleteNote(id: string) {
  await db.note.delete({ where: { id } });
}
"""
PROTECTED = """'use server';
import { z } from 'zod';
import { auth } from '@/auth';
import { db } from '@/lib/db';

const Input = z.object({ id: z.string() });

export async function deleteNote(input: unknown) {
  const session = await auth();
  if (!session?.user?.id) throw new Error('Unauthorized');
  const parsed = Input.safeParse(input);
  if (!parsed.success) return { errors: parsed.error.flatten().fieldErrors };
  await db.note.delete({ where: { id: parsed.data.id, userId: session.user.id } });
}
"""


def _readme_pre_commit_config() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "repo: local" in b]
    assert len(blocks) == 1, "the README should hold one pre-commit snippet (```yaml with `repo: local`)"
    return blocks[0]


def test_readme_pre_commit_hook_matches_the_hook_definition() -> None:
    """The README's local hook and .pre-commit-hooks.yaml (for a pinned clone) run the same thing."""
    local = yaml.safe_load(_readme_pre_commit_config())["repos"][0]["hooks"][0]
    published = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [hook["id"] for hook in published] == ["nextguard"]
    for key in ("id", "entry", "types_or", "pass_filenames"):
        assert local[key] == published[0][key], key
    manifest = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr


def _git(app: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=app, check=True, capture_output=True)


def test_readme_pre_commit_snippet_runs(tmp_path: Path) -> None:
    """The README's snippet, as a project's .pre-commit-config.yaml: `pre-commit run --all-files`
    fails on an unprotected Server Action, naming the finding, and passes once it is protected."""
    if shutil.which("git") is None:
        _missing("not installed: git")
    app = tmp_path / "app"
    for name, text in {**APP_FILES, "app/actions.ts": UNPROTECTED}.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text(text, encoding="utf-8")
    (app / ".pre-commit-config.yaml").write_text(_readme_pre_commit_config(), encoding="utf-8")
    # `language: system` runs the nextguard on PATH: this checkout's, through this interpreter.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "nextguard"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nextguard "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", PRE_COMMIT_HOME=str(tmp_path / "pc"))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO / "server"), os.environ.get("PYTHONPATH")) if p)
    env.pop("PRE_COMMIT", None)
    _git(app, "init", "-q")
    _git(app, "add", "-A")

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
            cwd=app,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    failing = run()
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert re.search(r"^nextguard\.+Failed$", failing.stdout, re.M), failing.stdout
    assert "app/actions.ts:4:23: NG101" in failing.stdout

    (app / "app" / "actions.ts").write_text(PROTECTED, encoding="utf-8")
    _git(app, "add", "-A")
    passing = run()
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert re.search(r"^nextguard\.+Passed$", passing.stdout, re.M), passing.stdout
