"""The parts of tsconfig.json / jsconfig.json that decide where an import goes: ``baseUrl`` and ``paths``.

The semantics follow TypeScript's own: ``extends`` (a string, or since TS 5.0 an array whose later
entries win) is applied first and the file's own ``compilerOptions`` override it key by key;
``baseUrl`` is relative to the config that declares it; ``paths`` targets are relative to the
effective ``baseUrl`` or, when there is none (TS 4.1+), to the config that declared ``paths``;
``${configDir}`` (TS 5.5) stands for the directory of the config being loaded, not of the base.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nextguard.configfile import ConfigFileError, load_object
from nextguard.model import Notice

_CONFIG_DIR = "${configDir}"
_CONFIG_NAMES = ("tsconfig.json", "jsconfig.json")


@dataclass(frozen=True)
class TsConfig:
    path: Path
    base_url: Path | None = None
    paths: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # What could not be used along the extends chain: a config that is not valid JSON, cannot be
    # read, or names a base that does not exist. Resolution goes on without it, as tsc's does.
    problems: tuple[Notice, ...] = field(default=(), compare=False)


@dataclass
class _Options:
    """compilerOptions collected along an extends chain, before paths are made absolute."""

    base_url: str | None = None
    paths: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    paths_dir: str | None = None


def _read_jsonc(path: str, problems: list[Notice] | None = None) -> dict[str, Any] | None:
    """The object in a JSON-with-comments file; None when it is missing or cannot be used, which
    is added to ``problems`` (a FIFO is never opened, a deep or huge file never parsed)."""
    try:
        return load_object(path, "jsonc")
    except ConfigFileError as error:
        if problems is not None:
            problems.append(Notice(Path(path), "config", f"{error.reason}; {_CONSEQUENCE}"))
        return None


_CONSEQUENCE = "its paths and baseUrl are not used, so imports through them are not followed"


def _expand(value: str, declaring_dir: str, leaf_dir: str) -> str:
    if value.startswith(_CONFIG_DIR):
        return os.path.normpath(leaf_dir + value[len(_CONFIG_DIR) :])
    return os.path.normpath(os.path.join(declaring_dir, value))


def _parse_paths(value: object) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    if not isinstance(value, dict):
        return None
    parsed: list[tuple[str, tuple[str, ...]]] = []
    for pattern, targets in value.items():
        if isinstance(pattern, str) and isinstance(targets, list):
            parsed.append((pattern, tuple(t for t in targets if isinstance(t, str))))
    return tuple(parsed)


def _present(path: str) -> bool:
    return os.path.exists(path) and not os.path.isdir(path)


def _is_file_reference(spec: str) -> bool:
    return spec.startswith(_CONFIG_DIR) or spec.startswith(("./", "../")) or os.path.isabs(spec)


def _find_extended(spec: str, config_dir: str, packages: Mapping[str, Path] | None = None) -> str | None:
    """Where an ``extends`` entry points, or None when it cannot be found. ``packages`` (name ->
    directory) are the monorepo's own packages: a shared config package (`@acme/tsconfig/next.json`)
    is found there when nothing is installed."""
    if _is_file_reference(spec):
        candidate = _expand(spec, config_dir, config_dir)
        # A FIFO by that name is found, so that reading it is refused with a notice that says so.
        if _present(candidate):
            return candidate
        if not candidate.endswith(".json") and _present(candidate + ".json"):
            return candidate + ".json"
        return None
    # A package name (`@tsconfig/next`, `@acme/tsconfig/nextjs.json`), looked up in node_modules
    # directories from the config's own directory upwards, as Node would.
    directory = config_dir
    while True:
        candidate = os.path.join(directory, "node_modules", spec)
        if os.path.isfile(candidate):
            return candidate
        if os.path.isfile(candidate + ".json"):
            return candidate + ".json"
        if os.path.isdir(candidate):
            manifest = _read_jsonc(os.path.join(candidate, "package.json"))
            declared = manifest.get("tsconfig") if manifest else None
            if isinstance(declared, str) and os.path.isfile(os.path.join(candidate, declared)):
                return os.path.normpath(os.path.join(candidate, declared))
            if os.path.isfile(os.path.join(candidate, "tsconfig.json")):
                return os.path.join(candidate, "tsconfig.json")
        parent = os.path.dirname(directory)
        if parent == directory:
            return _find_in_packages(spec, packages) if packages else None
        directory = parent


def _find_in_packages(spec: str, packages: Mapping[str, Path]) -> str | None:
    """An ``extends`` package name resolved against the workspace's own packages."""
    parts = spec.split("/")
    name = "/".join(parts[:2]) if spec.startswith("@") else parts[0]
    package_dir = packages.get(name)
    if package_dir is None:
        return None
    subpath = spec[len(name) :].lstrip("/")
    if subpath:
        candidate = os.path.normpath(os.path.join(package_dir, subpath))
        if not candidate.startswith(os.fspath(package_dir) + os.sep):
            return None
        for option in (candidate, candidate + ".json"):
            if os.path.isfile(option):
                return option
        return None
    manifest = _read_jsonc(os.path.join(package_dir, "package.json"))
    declared = manifest.get("tsconfig") if manifest else None
    if isinstance(declared, str) and os.path.isfile(os.path.join(package_dir, declared)):
        return os.path.normpath(os.path.join(package_dir, declared))
    candidate = os.path.join(package_dir, "tsconfig.json")
    return candidate if os.path.isfile(candidate) else None


def _load_options(
    path: str,
    leaf_dir: str,
    seen: frozenset[str],
    problems: list[Notice],
    packages: Mapping[str, Path] | None = None,
) -> _Options:
    data = _read_jsonc(path, problems)
    if data is None:
        return _Options()
    config_dir = os.path.dirname(path)
    options = _Options()
    extends = data.get("extends")
    bases = [extends] if isinstance(extends, str) else extends if isinstance(extends, list) else []
    for base in bases:
        if not isinstance(base, str):
            continue
        base_path = _find_extended(base, config_dir, packages)
        # A cycle or a missing base is ignored, as tsc reports it but still uses the rest. A
        # missing package is left unsaid: in CI node_modules is often not installed.
        if base_path is None and _is_file_reference(base):
            problems.append(Notice(Path(path), "config", f"extends {base!r}, which does not exist; {_CONSEQUENCE}"))
        if base_path is None or base_path in seen:
            continue
        inherited = _load_options(base_path, leaf_dir, seen | {base_path}, problems, packages)
        if inherited.base_url is not None:
            options.base_url = inherited.base_url
        if inherited.paths is not None:
            options.paths, options.paths_dir = inherited.paths, inherited.paths_dir
    compiler = data.get("compilerOptions")
    if isinstance(compiler, dict):
        base_url = compiler.get("baseUrl")
        if isinstance(base_url, str):
            options.base_url = _expand(base_url, config_dir, leaf_dir)
        paths = _parse_paths(compiler.get("paths"))
        if paths is not None:
            options.paths, options.paths_dir = paths, config_dir
    return options


def load_tsconfig(path: Path, packages: Mapping[str, Path] | None = None) -> TsConfig:
    """A tsconfig/jsconfig with its ``extends`` chain applied. Never raises: a broken file gives an
    empty config, and a notice in ``problems``. ``packages``: the workspace's own packages, for an
    ``extends`` that names one."""
    absolute = os.path.abspath(path)
    leaf_dir = os.path.dirname(absolute)
    problems: list[Notice] = []
    options = _load_options(absolute, leaf_dir, frozenset({absolute}), problems, packages)
    paths: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if options.paths:
        anchor = options.base_url or options.paths_dir or leaf_dir
        paths = tuple(
            (pattern, tuple(_expand(target, anchor, leaf_dir) for target in targets))
            for pattern, targets in options.paths
        )
    base_url = Path(options.base_url) if options.base_url is not None else None
    return TsConfig(Path(absolute), base_url, paths, tuple(problems))


class TsConfigLocator:
    """The tsconfig (else jsconfig) that governs each file: the nearest one between it and the root."""

    def __init__(self, root: Path, packages: Mapping[str, Path] | None = None) -> None:
        self._root = os.path.realpath(root)
        self._packages = packages
        self._by_dir: dict[str, TsConfig | None] = {}
        self._by_config: dict[str, TsConfig] = {}

    def for_file(self, path: Path) -> TsConfig | None:
        return self.for_dir(Path(os.path.dirname(os.path.abspath(path))))

    def for_dir(self, directory: Path | str) -> TsConfig | None:
        key = os.fspath(directory)
        if key in self._by_dir:
            return self._by_dir[key]
        current = os.path.realpath(key)
        walked = [key]
        found: TsConfig | None = None
        while current == self._root or current.startswith(self._root + os.sep):
            if current in self._by_dir:
                found = self._by_dir[current]
                break
            walked.append(current)
            # Anything by that name but a directory: a FIFO or an unreadable tsconfig.json is
            # still the project's config, and is named in a notice rather than skipped quietly.
            config_path = next((p for p in (os.path.join(current, n) for n in _CONFIG_NAMES) if _present(p)), None)
            if config_path is not None:
                found = self._load(config_path)
                break
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        for seen in walked:
            self._by_dir[seen] = found
        return found

    def _load(self, config_path: str) -> TsConfig:
        config = self._by_config.get(config_path)
        if config is None:
            config = self._by_config[config_path] = load_tsconfig(Path(config_path), self._packages)
        return config

    def notices(self) -> list[Notice]:
        """The problems of every config loaded so far, each once (a broken base shared by
        several configs is named once)."""
        found: dict[tuple[Path, str], Notice] = {}
        for config in self._by_config.values():
            for notice in config.problems:
                found.setdefault((notice.path, notice.message), notice)
        return list(found.values())

    def invalidate(self) -> None:
        """Forget every cached config, e.g. after a tsconfig.json changed on disk."""
        self._by_dir.clear()
        self._by_config.clear()


def tsconfig_notices(root: Path, files: Iterable[Path]) -> list[Notice]:
    """What is wrong with the tsconfig/jsconfig files that govern ``files`` (and the bases they
    extend): a config that cannot be read or parsed would otherwise just make imports through its
    aliases unresolved, and the findings change without a word."""
    locator = TsConfigLocator(root)
    for directory in {os.path.dirname(os.fspath(path)) for path in files}:
        locator.for_dir(directory)
    return locator.notices()
