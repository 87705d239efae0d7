"""The packages of a monorepo, so that ``import { db } from "@acme/db"`` leads to workspace source.

npm, yarn and bun list package directories as globs under ``"workspaces"`` in the root
package.json; pnpm lists them in pnpm-workspace.yaml, where ``!pattern`` excludes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from nextguard.workspace.discovery import SKIPPED_DIRS, read_json_object, read_yaml_object

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class WorkspacePackage:
    name: str
    dir: Path
    manifest: Mapping[str, Any]


def workspace_globs(root: Path) -> list[str]:
    """The package globs a monorepo root declares, ``!`` exclusions included, in declaration order."""
    globs: list[object] = []
    manifest = read_json_object(root / "package.json")
    if manifest is not None:
        declared = manifest.get("workspaces")
        if isinstance(declared, dict):
            # Yarn classic's form, which also carries "nohoist".
            declared = declared.get("packages")
        if isinstance(declared, list):
            globs.extend(declared)
    pnpm = read_yaml_object(root / "pnpm-workspace.yaml")
    if pnpm is not None and isinstance(pnpm.get("packages"), list):
        globs.extend(pnpm["packages"])
    return [g for g in globs if isinstance(g, str) and g.strip()]


def _segments(pattern: str) -> list[str]:
    pattern = pattern.strip().replace("\\", "/")
    while pattern.startswith("./"):
        pattern = pattern[2:]
    return [s for s in pattern.split("/") if s and s != "."]


def _subdirs(directory: str) -> Iterator[tuple[str, str]]:
    try:
        with os.scandir(directory) as listing:
            entries = list(listing)
    except OSError:
        return
    for entry in entries:
        # `**` must never wander into node_modules, where every dependency has a package.json.
        if entry.name in SKIPPED_DIRS or entry.name.startswith("."):
            continue
        try:
            if entry.is_dir():
                yield entry.name, entry.path
        except OSError:
            continue


def _expand(directory: str, segments: Sequence[str]) -> Iterator[str]:
    if not segments:
        yield directory
        return
    head, rest = segments[0], segments[1:]
    if head == "**":
        yield from _expand(directory, rest)
        for _, path in _subdirs(directory):
            yield from _expand(path, segments)
    elif _GLOB_CHARS.intersection(head):
        for name, path in _subdirs(directory):
            if fnmatchcase(name, head):
                yield from _expand(path, rest)
    else:
        path = os.path.join(directory, head)
        if os.path.isdir(path):
            yield from _expand(path, rest)


def _matches(parts: Sequence[str], segments: Sequence[str]) -> bool:
    if not segments:
        return not parts
    head, rest = segments[0], segments[1:]
    if head == "**":
        return any(_matches(parts[i:], rest) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _matches(parts[1:], rest)


def find_workspace_packages(root: Path) -> dict[str, WorkspacePackage]:
    """Packages of a monorepo: globs from root package.json "workspaces" (array, or {"packages": [...]}) and
    from pnpm-workspace.yaml "packages" (with "!" exclusions). Also include the root package itself if it has
    a name. Never raises on broken JSON/YAML (skip that package)."""
    root_dir = os.path.abspath(root)
    globs = workspace_globs(Path(root_dir))
    excludes = [_segments(g[1:]) for g in globs if g.startswith("!")]
    found: set[str] = set()
    for pattern in globs:
        if not pattern.startswith("!"):
            found.update(_expand(root_dir, _segments(pattern)))

    packages: dict[str, WorkspacePackage] = {}
    candidates = [root_dir, *sorted(d for d in found if d != root_dir)]
    for directory in candidates:
        rel_parts = Path(os.path.relpath(directory, root_dir)).parts if directory != root_dir else ()
        if rel_parts and any(_matches(rel_parts, exclude) for exclude in excludes):
            continue
        manifest = read_json_object(Path(directory) / "package.json")
        name = manifest.get("name") if manifest is not None else None
        if manifest is None or not isinstance(name, str) or not name or name in packages:
            continue
        packages[name] = WorkspacePackage(name, Path(directory), manifest)
    return packages
