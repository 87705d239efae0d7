"""The packages of a monorepo, so that ``import { db } from "@acme/db"`` leads to workspace source.

npm, yarn and bun list package directories as globs under ``"workspaces"`` in the root
package.json; pnpm lists them in pnpm-workspace.yaml, where ``!pattern`` excludes.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from itertools import accumulate
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


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _subdirs(directory: str, root: str) -> Iterator[tuple[str, str, tuple[int, int]]]:
    """(name, path, identity) of each directory in ``directory`` that a glob may enter: not a
    skipped or hidden one, and not a symbolic link out of the workspace."""
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
            if not entry.is_dir():
                continue
            if entry.is_symlink() and not _inside(os.path.realpath(entry.path), root):
                continue
            info = entry.stat()
        except OSError:
            continue
        yield entry.name, entry.path, (info.st_dev, info.st_ino)


def _expand(root: str, segments: Sequence[str]) -> Iterator[str]:
    """The directories under ``root`` that a workspace glob names. Iterative, and each directory
    is visited once per position in the pattern, so `**` over a symlink loop or a deep tree ends;
    a symbolic link or a `..` that leads out of the workspace is not followed."""
    try:
        info = os.stat(root)
    except OSError:
        return
    real_root = os.path.realpath(root)
    stack: list[tuple[str, tuple[int, int], int]] = [(root, (info.st_dev, info.st_ino), 0)]
    seen: set[tuple[tuple[int, int], int]] = set()
    while stack:
        directory, identity, at = stack.pop()
        if (identity, at) in seen:
            continue
        seen.add((identity, at))
        if at == len(segments):
            yield directory
            continue
        head = segments[at]
        if head == "**":
            stack.append((directory, identity, at + 1))
            stack.extend((path, child, at) for _, path, child in _subdirs(directory, real_root))
        elif _GLOB_CHARS.intersection(head):
            stack.extend(
                (path, child, at + 1) for name, path, child in _subdirs(directory, real_root) if fnmatchcase(name, head)
            )
        else:
            path = os.path.join(directory, head)
            try:
                if not os.path.isdir(path) or not _inside(os.path.realpath(path), real_root):
                    continue
                child_info = os.stat(path)
            except OSError:
                continue
            stack.append((path, (child_info.st_dev, child_info.st_ino), at + 1))


def _matches(parts: Sequence[str], segments: Sequence[str]) -> bool:
    """Whether a relative path matches a glob's segments, `**` matching any number of parts.
    Position by position rather than by backtracking: several `**` in one pattern would
    otherwise try every way of splitting the path."""
    reachable = [True] + [False] * len(parts)  # which prefixes of parts the segments so far match
    for segment in segments:
        if segment == "**":
            reachable = list(accumulate(reachable, operator.or_))
        else:
            reachable = [False] + [reachable[i] and fnmatchcase(parts[i], segment) for i in range(len(parts))]
    return reachable[-1]


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
