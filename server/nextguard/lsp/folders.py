"""Workspace folders: which folder analyses a file and which one publishes it, which files are a
folder's sources (discovery's rules, asked again for a file it has not seen), and a folder's
configuration (its config file with the editor's settings laid over it)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from ..config import DEFAULT_CONFIG, Config, ConfigError, load_config
from ..engine import (
    BASELINE_FILE,
    Baseline,
    BaselineError,
    LiveWorkspace,
    LoneFileWorkspace,
    default_jobs,
    discover,
    folder_baseline,
    is_source_name,
    skipped_without_walk,
)
from ..model import Finding
from .client import Client
from .settings import effective_config

# Files whose change can change the configuration or how imports resolve: the folder is read again.
# The baseline (`check --write-baseline`) is one of them: the findings it covers are not shown.
CONFIG_FILES = frozenset({"nextguard.json", "package.json", "tsconfig.json", "jsconfig.json", BASELINE_FILE})
WATCHED_GLOBS = (
    "**/*.{ts,tsx,js,jsx,mjs,cjs,mts,cts}",
    "**/nextguard.json",
    f"**/{BASELINE_FILE}",
    "**/package.json",
    "**/tsconfig.json",
    "**/jsconfig.json",
)


@dataclass(eq=False)
class Folder:
    """One workspace folder and the engine workspace analysing it."""

    uri: str
    root: Path  # as the client names it
    real_root: Path  # symlinks resolved, as the engine names files
    workspace: LiveWorkspace
    implicit: bool = False  # made for a file opened outside every folder
    lone: Path | None = None  # that file: the folder's only one (``engine.LoneFileWorkspace``)
    settings: dict[str, Any] = field(default_factory=dict)
    good_settings: dict[str, Any] = field(default_factory=dict)
    file_config: Config = DEFAULT_CONFIG
    config: Config = DEFAULT_CONFIG
    baseline: Baseline | None = None  # the root's nextguard-baseline.json: findings not shown
    indexed: bool = False
    dirty: set[Path] = field(default_factory=set)  # to deliver again
    findings: dict[Path, list[Finding]] = field(default_factory=dict)  # current findings only
    inexact: set[Path] = field(default_factory=set)  # findings whose fixes may be out of date
    rule_errors: dict[Path, tuple[str, ...]] = field(default_factory=dict)
    discovered: set[Path] = field(default_factory=set)
    excluded: set[Path] = field(default_factory=set)

    def contains(self, path: Path) -> bool:
        if self.lone is not None:
            return path == self.lone
        return path == self.real_root or self.real_root in path.parents

    def uri_for(self, path: Path) -> str:
        try:
            shown = self.root / path.relative_to(self.real_root)
        except ValueError:
            shown = path
        return str(from_fs_path(str(shown)))


def path_of(uri: str) -> Path | None:
    """The real path of a `file:` URI (None for other schemes: `untitled:`, `git:` …)."""
    fs_path = to_fs_path(uri)
    if fs_path is None:
        return None
    return Path(os.path.realpath(fs_path))


def make_folder(uri: str, init_settings: dict[str, Any], client: Client, implicit: bool = False) -> Folder | None:
    """A workspace folder the client named (None, with a warning, when it is not a local directory)."""
    fs_path = to_fs_path(uri)
    if fs_path is None or not os.path.isdir(fs_path):
        client.log(types.MessageType.Warning, f"nextguard: workspace folder {uri} is not a local directory")
        return None
    root = Path(fs_path)
    real_root = Path(os.path.realpath(fs_path))
    folder = Folder(uri, root, real_root, LiveWorkspace(real_root, cache=True, jobs=default_jobs()), implicit=implicit)
    folder.settings = dict(init_settings)
    return folder


def make_lone_folder(path: Path, init_settings: dict[str, Any]) -> Folder:
    """The folder of a file opened outside every folder: the file alone (``engine.LoneFileWorkspace``)."""
    root = path.parent
    uri = str(from_fs_path(str(root)))
    folder = Folder(uri, root, root, LoneFileWorkspace(path), implicit=True, lone=path)
    folder.settings = dict(init_settings)
    return folder


def folders_for(folders: Iterable[Folder], path: Path) -> list[Folder]:
    """Folders whose workspace holds ``path``, deepest first: with nested folders every one
    analyses the file (imports cross the boundary), the deepest one publishes it."""
    found = [folder for folder in folders if folder.contains(path)]
    found.sort(key=lambda folder: len(folder.real_root.parts), reverse=True)
    return found


def owner(folders: Iterable[Folder], path: Path) -> Folder | None:
    """The folder that publishes ``path``: the deepest that holds it."""
    found = folders_for(folders, path)
    return found[0] if found else None


def accepts(folder: Folder, path: Path, rediscover: bool = True) -> bool:
    """Whether ``path`` is one of the folder's source files as discovery defines them
    (suffix, not a test or declaration, not in build output, not ignored)."""
    if path in folder.workspace.analysis.index.modules or path in folder.discovered:
        return True
    if path in folder.excluded:
        return False
    if not is_source_name(path.name):
        return False
    if folder.lone is not None:
        return path == folder.lone  # and nothing around it is discovered to say otherwise
    try:
        rel = path.relative_to(folder.real_root)
    except ValueError:
        return False
    if skipped_without_walk(rel, folder.workspace.config.ignore):
        folder.excluded.add(path)
        return False
    if not path.exists():
        return True  # a new buffer not saved yet: nothing on disk can exclude it
    if rediscover:
        # Only discovery knows the .gitignore files in force; a file it has not seen is new
        # or excluded, and asking again settles which.
        rediscover_files(folder)
        if path in folder.discovered:
            return True
    folder.excluded.add(path)
    return False


def rediscover_files(folder: Folder) -> None:
    """Walk the folder again for its source files (discovery's rules: .gitignore, build output …)."""
    if folder.lone is not None:
        folder.discovered = {folder.lone}  # never a walk of the directory it happens to be in
    else:
        found = discover(folder.real_root, ignore_globs=folder.workspace.config.ignore)
        folder.discovered = set(found.files)
    folder.excluded.clear()


def baseline_for(folder: Folder, client: Client) -> Baseline | None:
    """The baseline committed at the folder's root, as `check --baseline` reads it: the findings
    it lists are accepted for now and not shown. A broken one is a warning and shows everything."""
    if folder.lone is not None:
        return None
    try:
        return folder_baseline(folder.real_root)
    except BaselineError as error:
        client.show(types.MessageType.Warning, f"nextguard: {error} (every finding is shown)")
        return None


def config_for(folder: Folder, client: Client) -> Config:
    """The folder's file config with its settings laid over it. A broken file or broken settings
    is a warning; the last good one stays in force. A lone file has no config file: the
    directory it is in is not a project nextguard was asked to read."""
    try:
        if folder.lone is None:
            folder.file_config = load_config(folder.real_root)
    except ConfigError as error:
        kept = "the defaults" if folder.file_config is DEFAULT_CONFIG else "the previous configuration"
        client.show(types.MessageType.Warning, f"nextguard: {error} (using {kept})")
    try:
        config = effective_config(folder.file_config, folder.settings)
        folder.good_settings = dict(folder.settings)
        return config
    except ConfigError as error:
        client.show(types.MessageType.Warning, f"nextguard: {error} (using the previous settings)")
        folder.settings = dict(folder.good_settings)
        try:
            return effective_config(folder.file_config, folder.good_settings)
        except ConfigError:
            return folder.file_config
