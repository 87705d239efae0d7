"""Which files make up a workspace, and reading them safely.

Discovery walks the tree once with ``os.scandir``: ``DirEntry`` carries the file type from the
directory listing itself, so only directories and candidate source files cost a ``stat``. Whole
subtrees (``node_modules``, build output, git-ignored directories) are pruned before they are
listed, which is where nearly all the time of a naive walk goes.

Paths come back as real paths (symlinks resolved) so that one file reached two ways is analysed
once, and so that the resolver's existence checks agree with discovery.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import pathspec

from nextguard.configfile import read_object
from nextguard.model import Notice, NoticeKind
from nextguard.safefs import TooLarge, UnsafeFile, read_bounded
from nextguard.workspace.tsconfig import tsconfig_notices

SOURCE_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
SKIPPED_DIRS = frozenset(
    {
        "node_modules",
        ".next",
        "dist",
        "build",
        "out",
        ".git",
        ".turbo",
        ".vercel",
        "coverage",
        ".output",
        ".svelte-kit",
        ".cache",
        ".nextguard_cache",
    }
)

# Test code is not shipped in a Server Action bundle, so findings there would only be noise.
_TEST_DIRS = frozenset({"__tests__", "__mocks__"})
_DECLARATION_SUFFIXES = (".d.ts", ".d.mts", ".d.cts")
_BINARY_SNIFF_BYTES = 8192
# How far up find_workspace_root and the ancestor-.gitignore search look; deeper than any real
# checkout, shallow enough that a path on a strange mount cannot make us walk for long.
_MAX_ANCESTORS = 64
_MAX_GITIGNORE_BYTES = 1_000_000


@dataclass(frozen=True)
class Discovery:
    root: Path
    files: list[Path]
    notices: list[Notice]


def find_workspace_root(path: Path) -> Path:
    """Given a file or directory the user named, return the workspace root to index: walk up from it to
    the nearest directory that is a monorepo root (package.json with "workspaces", or pnpm-workspace.yaml);
    failing that the nearest directory with package.json, tsconfig.json or jsconfig.json; failing that the
    directory itself (or the file's parent). Stop at a .git boundary (a dir containing .git is a candidate
    and the walk does not go above it)."""
    start = Path(os.path.abspath(path))
    if not start.is_dir():
        start = start.parent
    nearest_project: Path | None = None
    for directory in _ancestors(start):
        if _is_monorepo_root(directory):
            return directory
        if nearest_project is None and any(
            (directory / marker).is_file() for marker in ("package.json", "tsconfig.json", "jsconfig.json")
        ):
            nearest_project = directory
        if (directory / ".git").exists():
            # The checkout's top is a project in its own right, and nothing above it is ours.
            nearest_project = nearest_project or directory
            break
    return nearest_project if nearest_project is not None else start


def _ancestors(start: Path) -> Iterator[Path]:
    directory = start
    for _ in range(_MAX_ANCESTORS):
        yield directory
        if directory.parent == directory:
            return
        directory = directory.parent


def _is_monorepo_root(directory: Path) -> bool:
    if (directory / "pnpm-workspace.yaml").is_file():
        return True
    manifest = read_json_object(directory / "package.json")
    return manifest is not None and "workspaces" in manifest


def read_json_object(path: Path) -> dict[str, Any] | None:
    """The object in a JSON file, or None when it is missing or cannot be used (see ``configfile``:
    never a FIFO, never unbounded)."""
    return read_object(path, "json")[0]


def read_yaml_object(path: Path) -> dict[str, Any] | None:
    return read_object(path, "yaml")[0]


def _read_gitignore(path: str) -> pathspec.GitIgnoreSpec:
    """Raises OSError (``UnsafeFile`` for a FIFO or a device, ``TooLarge``) or ValueError."""
    text = read_bounded(path, _MAX_GITIGNORE_BYTES).decode("utf-8-sig", errors="replace")
    return pathspec.GitIgnoreSpec.from_lines(text.splitlines())


def workspace_files(root: Path, patterns: Sequence[str]) -> list[Path]:
    """The files under ``root`` that the glob ``patterns`` name (``prisma/*.prisma``,
    ``*/*/package.json``), in pattern order: none under node_modules, and none reached through a
    symbolic link out of the workspace (``Path.glob`` follows links, so ``apps -> /`` would have
    ``*/*/package.json`` read the machine's files). Read them with ``configfile`` or ``safefs``."""
    real_root = os.path.realpath(root)
    prefix = real_root.rstrip(os.sep) + os.sep
    found: dict[Path, None] = {}
    for pattern in patterns:
        for path in root.glob(pattern):
            if "node_modules" in path.parts or path in found:
                continue
            real = os.path.realpath(path)
            if real == real_root or real.startswith(prefix):
                found[path] = None
    return list(found)


def read_workspace_text(path: Path, limit: int = 1_000_000) -> str | None:
    """The text of a regular file of at most ``limit`` bytes (undecodable bytes replaced); None
    for anything else: missing, a FIFO or a device, too large, unreadable."""
    try:
        return read_bounded(path, limit).decode("utf-8-sig", errors="replace")
    except OSError:
        return None


def is_test_file(name: str) -> bool:
    return ".test." in name or ".spec." in name


def is_declaration_file(name: str) -> bool:
    return name.endswith(_DECLARATION_SUFFIXES)


def is_source_name(name: str) -> bool:
    """Whether a file of this name is analysed: a source suffix, not a test or declaration file."""
    return name.endswith(SOURCE_SUFFIXES) and not is_declaration_file(name) and not is_test_file(name)


def skipped_without_walk(rel: PurePath, ignore_globs: Sequence[str]) -> bool:
    """Whether discovery skips the file at ``rel`` (relative to the root) for what can be told
    without walking: a directory above it that is build output, dependencies or tests, or one of
    the user's ignore globs. Only a walk (``discover``) knows the .gitignore files in force; the
    language server asks this first for a file it has not seen, then walks if need be."""
    if any(part in SKIPPED_DIRS or part in _TEST_DIRS for part in rel.parts[:-1]):
        return True
    return bool(ignore_globs) and pathspec.GitIgnoreSpec.from_lines(list(ignore_globs)).match_file(rel.as_posix())


# One .gitignore in force: (characters of the root-relative path to drop, text to put in front, spec).
# Git matches each file against a .gitignore relative to the directory holding it, so a nested one
# drops its own directory's prefix and one above the root adds the path from there down to the root.
_IgnoreLayer = tuple[int, str, pathspec.GitIgnoreSpec]


class _Walk:
    def __init__(self, root: str, ignore_globs: Sequence[str], max_bytes: int) -> None:
        self.root = root
        self.prefix = root.rstrip(os.sep) + os.sep
        self.max_bytes = max_bytes
        self.user_ignores = pathspec.GitIgnoreSpec.from_lines(list(ignore_globs)) if ignore_globs else None
        self.files: dict[str, None] = {}
        self.notices: list[Notice] = []
        self.visited: set[tuple[int, int]] = set()

    def inside(self, real: str) -> bool:
        return real == self.root or real.startswith(self.prefix)

    def outside(self, path: str, real: str) -> None:
        # A link out of the workspace is not followed: `src/escape -> /` would have the walk list
        # the whole machine (and read /proc), and a file elsewhere is not the project's to check.
        self.notices.append(
            Notice(Path(path), "outside", f"{path} links outside the workspace (to {real}); not followed")
        )

    def ignored(self, rel: str, layers: Sequence[_IgnoreLayer]) -> bool:
        if self.user_ignores is not None and self.user_ignores.match_file(rel):
            return True
        # The deepest .gitignore with an opinion wins, as in git: a nested file can re-include
        # (`!pattern`) what a parent excluded, but only for files, since excluded directories are
        # never listed and so their contents are never asked about.
        for strip, prefix, spec in reversed(layers):
            verdict = spec.check_file(prefix + rel[strip:]).include
            if verdict is not None:
                return verdict
        return False

    def run(self, root_stat: os.stat_result, layers: list[_IgnoreLayer]) -> None:
        key = (root_stat.st_dev, root_stat.st_ino)
        self.visited.add(key)
        # Iterative so a deep tree cannot hit the recursion limit; each frame carries the
        # directories on its own path, which is what tells a symlink loop from a mere alias.
        stack: list[tuple[str, str, str, dict[tuple[int, int], str], list[_IgnoreLayer]]] = [
            (self.root, "", self.root, {key: self.root}, layers)
        ]
        while stack:
            directory, rel, real_dir, on_path, layers = stack.pop()
            try:
                with os.scandir(directory) as listing:
                    entries = list(listing)
            except OSError as error:
                self.notices.append(Notice(Path(directory), "unreadable", f"cannot list {directory}: {error.strerror}"))
                continue
            if any(entry.name == ".gitignore" for entry in entries):
                layers = self.with_gitignore(directory, rel, layers)
            for entry in entries:
                child = self.visit(entry, rel, real_dir, on_path, layers)
                if child is not None:
                    stack.append(child)

    def with_gitignore(self, directory: str, rel: str, layers: list[_IgnoreLayer]) -> list[_IgnoreLayer]:
        path = os.path.join(directory, ".gitignore")
        try:
            spec = _read_gitignore(path)
        except (OSError, ValueError) as error:
            if isinstance(error, TooLarge):
                detail = f"{path} is {error.reason}"
            elif isinstance(error, UnsafeFile):  # "is not a regular file"
                detail = f"{path} {error.reason}"
            else:
                detail = f"{path}: {getattr(error, 'strerror', None) or error}"
            self.notices.append(Notice(Path(path), "unreadable", f"{detail}; its patterns are not applied"))
            return layers
        return [*layers, (len(rel) + 1 if rel else 0, "", spec)]

    def visit(
        self,
        entry: os.DirEntry[str],
        rel: str,
        real_dir: str,
        on_path: dict[tuple[int, int], str],
        layers: list[_IgnoreLayer],
    ) -> tuple[str, str, str, dict[tuple[int, int], str], list[_IgnoreLayer]] | None:
        name = entry.name
        child_rel = f"{rel}/{name}" if rel else name
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError as error:
            # A link that resolves to itself (`a.ts -> b.ts -> a.ts`) fails with ELOOP here.
            if not self.ignored(child_rel, layers):
                kind: NoticeKind = "symlink-loop" if error.errno == errno.ELOOP else "unreadable"
                self.notices.append(Notice(Path(entry.path), kind, f"{entry.path}: {error.strerror}; skipped"))
            return None
        if is_dir:
            if name in SKIPPED_DIRS or name in _TEST_DIRS or self.ignored(child_rel + "/", layers):
                return None
            real = os.path.realpath(entry.path) if is_link else None
            if real is not None and not self.inside(real):
                self.outside(entry.path, real)
                return None
            try:
                info = entry.stat()
            except OSError as error:
                self.notices.append(Notice(Path(entry.path), "unreadable", f"{entry.path}: {error.strerror}"))
                return None
            key = (info.st_dev, info.st_ino)
            if key in on_path:
                self.notices.append(
                    Notice(
                        Path(entry.path),
                        "symlink-loop",
                        f"{entry.path} links back to {on_path[key]}; not followed",
                    )
                )
                return None
            if key in self.visited:
                # Reached again through another symlink: its files are already collected.
                return None
            self.visited.add(key)
            child_real = real if real is not None else os.path.join(real_dir, name)
            return entry.path, child_rel, child_real, {**on_path, key: entry.path}, layers
        if is_file:
            if (
                not name.endswith(SOURCE_SUFFIXES)
                or is_declaration_file(name)
                or is_test_file(name)
                or self.ignored(child_rel, layers)
            ):
                return None
            real = os.path.realpath(entry.path) if is_link else None
            if real is not None and not self.inside(real):
                self.outside(entry.path, real)
                return None
            try:
                size = entry.stat().st_size
            except OSError as error:
                self.notices.append(Notice(Path(entry.path), "unreadable", f"{entry.path}: {error.strerror}"))
                return None
            if size > self.max_bytes:
                self.notices.append(Notice(Path(entry.path), "too-large", _too_large(entry.path, size, self.max_bytes)))
                return None
            self.files[real if real is not None else os.path.join(real_dir, name)] = None
            return None
        if name.endswith(SOURCE_SUFFIXES) and not is_link and not self.ignored(child_rel, layers):
            # A FIFO, socket or device with a source file's name: never read it (a FIFO blocks).
            self.notices.append(Notice(Path(entry.path), "unreadable", f"{entry.path} is not a regular file; skipped"))
            return None
        # Only names that could have held source (a source file, or a directory) are worth a
        # notice; a dangling `.env` link is not our business.
        has_suffix = bool(os.path.splitext(name)[1])
        if is_link and (name.endswith(SOURCE_SUFFIXES) or not has_suffix) and not self.ignored(child_rel, layers):
            self.notices.append(
                Notice(Path(entry.path), "unreadable", f"{entry.path} is a broken symbolic link; skipped")
            )
        return None


def _too_large(path: str, size: int, limit: int) -> str:
    return f"{path} is {size:,} bytes, over the {limit:,}-byte limit; skipped"


def _ancestor_gitignores(root: str) -> list[_IgnoreLayer]:
    """The .gitignore files above ``root`` up to its git checkout's top, which git applies too.

    Only inside a checkout: without a ``.git`` above us, a stray .gitignore in a parent directory
    belongs to something else.
    """
    found: list[tuple[str, str]] = []
    directory = root
    for _ in range(_MAX_ANCESTORS):
        if os.path.exists(os.path.join(directory, ".git")):
            break
        parent = os.path.dirname(directory)
        if parent == directory:
            return []
        directory = parent
        found.append((directory, os.path.relpath(root, directory).replace(os.sep, "/") + "/"))
    else:
        return []
    layers: list[_IgnoreLayer] = []
    for directory, prefix in reversed(found):
        try:
            layers.append((0, prefix, _read_gitignore(os.path.join(directory, ".gitignore"))))
        except (OSError, ValueError):
            continue
    return layers


def discover(root: Path, *, ignore_globs: Sequence[str] = (), max_bytes: int = 1_000_000) -> Discovery:
    """Every source file under root: honour .gitignore files (the root one and nested ones, each relative to
    its own directory, like git does) and ignore_globs (gitignore-style patterns relative to root), skip
    SKIPPED_DIRS at any depth, skip test files (`*.test.*`, `*.spec.*`, files under `__tests__`/`__mocks__`
    dirs), skip `.d.ts`/`.d.mts`/`.d.cts`. Follows symlinks that stay inside the root (each directory
    once), but not one that leads out of it (Notice(kind="outside")); detects loops (by (st_dev, st_ino)
    of each directory visited on the current path) and reports a Notice(kind="symlink-loop") instead of
    looping; broken symlinks are skipped with a notice (kind="unreadable"). Files over max_bytes are NOT
    returned and get Notice(kind="too-large", message mentions the size and the limit). A root that does not
    exist gives Notice(kind="not-found") and no files.

    ``root`` in the result is the real path of the given root; ``files`` are real paths. The notices
    also name any tsconfig/jsconfig governing the files that cannot be used (kind="config").
    """
    absolute = os.path.abspath(root)
    try:
        root_stat = os.stat(absolute)
    except OSError:
        return Discovery(Path(absolute), [], [Notice(Path(absolute), "not-found", f"{absolute} does not exist")])
    if not stat.S_ISDIR(root_stat.st_mode):
        return Discovery(Path(absolute), [], [Notice(Path(absolute), "not-found", f"{absolute} is not a directory")])
    real_root = os.path.realpath(absolute)
    walk = _Walk(real_root, ignore_globs, max_bytes)
    walk.run(root_stat, _ancestor_gitignores(real_root))
    files = [Path(p) for p in sorted(walk.files)]
    # Said here, where both front ends and the result cache see the notices of a discovery: a
    # tsconfig that cannot be read changes what every import through its aliases resolves to.
    return Discovery(Path(real_root), files, [*walk.notices, *tsconfig_notices(Path(real_root), files)])


def read_source(path: Path, max_bytes: int = 1_000_000) -> tuple[bytes | None, Notice | None]:
    """Read a file for parsing. Returns (data, None) on success. Returns (None, Notice) when unreadable
    (permission, vanished: kind="unreadable"), binary (a NUL byte in the first 8 KiB: kind="binary"),
    not UTF-8 (kind="encoding"; a UTF-8 BOM is fine and is kept), or larger than max_bytes
    (kind="too-large"). Never raises on user input."""
    try:
        # Never blocks on a FIFO, never reads a device, and reads one byte past the limit to tell
        # a file that grew since its stat.
        data = read_bounded(path, max_bytes)
    except TooLarge as error:
        return None, Notice(Path(path), "too-large", _too_large(str(path), error.size, max_bytes))
    except UnsafeFile:
        return None, Notice(Path(path), "unreadable", f"{path} is not a regular file")
    except OSError as error:
        return None, Notice(Path(path), "unreadable", f"cannot read {path}: {error.strerror or error}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, Notice(Path(path), "encoding", f"{path} is UTF-16; only UTF-8 is supported")
    if b"\0" in data[:_BINARY_SNIFF_BYTES]:
        return None, Notice(Path(path), "binary", f"{path} looks binary (contains a NUL byte); skipped")
    if not data.isascii():  # ASCII is UTF-8: most source files need no decoding to be checked
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            return None, Notice(
                Path(path), "encoding", f"{path} is not valid UTF-8 (byte offset {error.start}); skipped"
            )
    return data, None
