"""From an import specifier to the workspace file it names.

This is deliberately a resolver for *workspace source*, not a faithful Node or TypeScript one:
the question the rules ask is "which of our files does this import run?", so whenever the
package-manager answer would be build output (``dist/index.js``) we look for the source it was
built from. Anything that is not a workspace file (npm packages, CSS, assets) resolves to None.

Existence checks go against the set of discovered files, never the disk: it is both much faster
and consistent with what the rest of the engine has parsed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from nextguard.workspace.discovery import SOURCE_SUFFIXES
from nextguard.workspace.packages import WorkspacePackage, find_workspace_packages
from nextguard.workspace.tsconfig import TsConfig, TsConfigLocator

# TypeScript's ESM convention: an import names the file it will be compiled to.
_EMITTED_FROM = {
    ".js": (".ts", ".tsx"),
    ".jsx": (".tsx",),
    ".mjs": (".mts",),
    ".cjs": (".cts",),
}
_EMITTED_AS = {".ts": ".js", ".tsx": ".js", ".mts": ".mjs", ".cts": ".cjs"}
_DECLARATION_SUFFIXES = (".d.ts", ".d.mts", ".d.cts")
# Conditions worth following, best first: "source" is the convention for pointing at the
# untranspiled file; the rest are the usual runtime and type conditions.
_PREFERRED_CONDITIONS = ("source", "import", "default", "types", "require", "node")
_ENTRY_FIELDS = ("source", "main", "module", "types", "typings")
_BUILD_DIRS = frozenset({"dist", "build"})
# Sub-folders bundlers put inside dist/ for each output format: dist/esm/x.js comes from src/x.ts.
_FORMAT_DIRS = frozenset({"esm", "cjs", "es", "mjs", "umd", "lib", "types"})


def _is_relative(specifier: str) -> bool:
    return specifier in (".", "..") or specifier.startswith(("./", "../"))


def _match_paths(config: TsConfig, specifier: str) -> tuple[bool, list[str]]:
    """The targets of the tsconfig ``paths`` pattern that matches, with ``*`` filled in.

    As in TypeScript, an exact pattern beats a wildcard, and among wildcards the longest prefix
    wins. The boolean says whether the matching pattern had a non-empty prefix, i.e. whether it
    was a real alias rather than a catch-all ``"*"``.
    """
    best: tuple[int, tuple[str, ...], str] | None = None
    for pattern, targets in config.paths:
        stars = pattern.count("*")
        if stars == 0:
            if pattern == specifier:
                return True, list(targets)
            continue
        if stars > 1:
            continue
        prefix, suffix = pattern.split("*")
        if (
            len(specifier) >= len(prefix) + len(suffix)
            and specifier.startswith(prefix)
            and specifier.endswith(suffix)
            and (best is None or len(prefix) > best[0])
        ):
            best = (len(prefix), targets, specifier[len(prefix) : len(specifier) - len(suffix)])
    if best is None:
        return False, []
    prefix_len, targets, middle = best
    return prefix_len > 0, [t.replace("*", middle, 1) for t in targets]


class ModuleResolver:
    def __init__(self, root: Path, files: Iterable[Path]) -> None:
        self._root = os.path.realpath(root)
        # Resolution hands back the very Path objects it was given, so the index's dicts keyed by
        # path hit on identity instead of comparing paths part by part.
        self._paths: dict[str, Path] = {os.fspath(f): f for f in files}
        self._files = set(self._paths)
        self._packages = find_workspace_packages(Path(self._root))
        self._tsconfigs = TsConfigLocator(Path(self._root), {name: p.dir for name, p in self._packages.items()})
        self._cache: dict[tuple[str, str], Path | None] = {}
        # A bare specifier means the same from every directory under one tsconfig: cache it per
        # config, not per directory (a large app imports `react` from hundreds of directories).
        self._bare_cache: dict[tuple[int, str], str | None] = {}
        self._real_dirs: dict[str, str] = {}
        self._importer_dirs: dict[str, str] = {}  # importer file -> its real directory
        self._all_configs: list[TsConfig] | None = None

    @property
    def packages(self) -> Mapping[str, WorkspacePackage]:
        return self._packages

    def update_files(self, added: Iterable[Path] = (), removed: Iterable[Path] = ()) -> None:
        """Files created or deleted since construction. Any of them can change what a cached
        specifier means (a new ``lib/auth.ts`` shadows ``lib/auth/index.ts``), so the cache goes."""
        for path in added:
            self._paths[os.fspath(path)] = path
            self._files.add(os.fspath(path))
        for path in removed:
            self._paths.pop(os.fspath(path), None)
            self._files.discard(os.fspath(path))
        self._cache.clear()
        self._bare_cache.clear()
        self._all_configs = None

    # -- public API ---------------------------------------------------------------------------

    def resolve(self, importer: Path, specifier: str) -> Path | None:
        """The workspace file an import specifier points to, or None when it is external (a package not in the
        workspace) or cannot be resolved. Order: relative → tsconfig ``paths`` → tsconfig ``baseUrl`` →
        workspace package name (+ subpath) → None."""
        return self._resolve_from(self._importer_dir(importer), specifier)

    def is_external(self, specifier: str, importer: Path | None = None) -> bool:
        """Not relative and not matched by paths/baseUrl/workspace package.

        With ``importer``, its own tsconfig decides; without, any tsconfig in the workspace does.
        A catch-all ``"*"`` paths pattern only counts when it actually leads to a workspace file.
        """
        if not specifier or _is_relative(specifier) or os.path.isabs(specifier):
            return False
        if self.package_name(specifier) in self._packages:
            return False
        if importer is not None:
            directory = self._importer_dir(importer)
            config = self._tsconfigs.for_dir(Path(directory))
            configs = [config] if config is not None else []
        else:
            configs = self._workspace_configs()
        for config in configs:
            is_alias, targets = _match_paths(config, specifier)
            if is_alias or any(self._probe(t) for t in targets):
                return False
            if config.base_url is not None and self._probe(os.path.join(config.base_url, specifier)):
                return False
        return True

    @staticmethod
    def package_name(specifier: str) -> str:
        parts = specifier.split("/")
        if specifier.startswith("@") and len(parts) > 1:
            return f"{parts[0]}/{parts[1]}"
        return parts[0]

    def specifier_for(self, importer: Path, target: Path, *, prefer_alias: bool) -> str:
        """How ``importer`` should write an import of ``target``.

        With prefer_alias, a tsconfig ``paths`` alias when one maps to target, else a relative
        specifier; both without extension and without a trailing ``/index``. A target in another
        workspace package is imported by package name when that resolves, since a relative path
        across package boundaries breaks as soon as the package is built or published. Every
        candidate is checked by resolving it back; when none round-trips (say, a file not yet
        created) the preferred form is returned unchecked.
        """
        directory = self._importer_dir(importer)
        target_path = os.path.realpath(target)
        forms = list(_target_forms(target_path))
        candidates: list[str] = []
        if prefer_alias:
            config = self._tsconfigs.for_dir(Path(directory))
            if config is not None:
                candidates.extend(_alias_candidates(config, forms))
        candidates.extend(self._package_candidates(directory, target_path))
        relative = [_relative_specifier(form, directory) for form in forms]
        candidates.extend(relative)
        for candidate in candidates:
            resolved = self._resolve_from(directory, candidate)
            if resolved is not None and os.fspath(resolved) == target_path:
                return candidate
        return candidates[0]

    # -- resolution ---------------------------------------------------------------------------

    def _importer_dir(self, importer: Path) -> str:
        # Per file too: every import of a file asks, and `abspath` alone is microseconds.
        key = os.fspath(importer)
        found = self._importer_dirs.get(key)
        if found is not None:
            return found
        # Cached per directory, not per file: realpath costs a system call per path component.
        directory = os.path.dirname(os.path.abspath(key))
        real = self._real_dirs.get(directory)
        if real is None:
            real = self._real_dirs[directory] = os.path.realpath(directory)
        if os.path.isabs(key):  # a relative one means another file after a `chdir`
            self._importer_dirs[key] = real
        return real

    def _resolve_from(self, directory: str, specifier: str) -> Path | None:
        key = (directory, specifier)
        if key in self._cache:
            return self._cache[key]
        found = self._resolve_uncached(directory, specifier)
        result: Path | None = None
        if found is not None:
            result = self._paths.get(found)
            if result is None:
                result = self._paths[found] = Path(found)
        self._cache[key] = result
        return result

    def _resolve_uncached(self, directory: str, specifier: str) -> str | None:
        if not specifier:
            return None
        if _is_relative(specifier) or os.path.isabs(specifier):
            return self._probe(os.path.normpath(os.path.join(directory, specifier)))
        config = self._tsconfigs.for_dir(directory)
        key = (id(config), specifier)
        if key in self._bare_cache:
            return self._bare_cache[key]
        found = self._resolve_bare(config, specifier)
        self._bare_cache[key] = found
        return found

    def _resolve_bare(self, config: TsConfig | None, specifier: str) -> str | None:
        if config is not None:
            _, targets = _match_paths(config, specifier)
            for target in targets:
                found = self._probe(target)
                if found is not None:
                    return found
            if config.base_url is not None:
                found = self._probe(os.path.normpath(os.path.join(config.base_url, specifier)))
                if found is not None:
                    return found
        return self._resolve_package(specifier)

    def _probe(self, base: str) -> str | None:
        """The file an extension-less or extension-ful path stands for, in TypeScript's order."""
        files = self._files
        stem, suffix = os.path.splitext(base)
        if suffix in SOURCE_SUFFIXES and base in files:
            return base
        for replacement in _EMITTED_FROM.get(suffix, ()):
            if stem + replacement in files:
                return stem + replacement
        for suffix in SOURCE_SUFFIXES:
            if base + suffix in files:
                return base + suffix
        index = os.path.join(base, "index")
        for suffix in SOURCE_SUFFIXES:
            if index + suffix in files:
                return index + suffix
        return None

    def _resolve_package(self, specifier: str) -> str | None:
        name = self.package_name(specifier)
        package = self._packages.get(name)
        if package is None:
            return None
        package_dir = os.fspath(package.dir)
        subpath = "." + specifier[len(name) :]
        exports = package.manifest.get("exports")
        if exports is not None:
            found = self._resolve_exports(package_dir, exports, subpath)
            if found is not None or subpath != ".":
                # `exports` seals the package: a subpath it does not list cannot be imported.
                return found
        elif subpath != ".":
            return self._probe_package_target(package_dir, subpath[2:])
        for field in _ENTRY_FIELDS:
            entry = package.manifest.get(field)
            if isinstance(entry, str):
                found = self._probe_package_target(package_dir, entry)
                if found is not None:
                    return found
        for base in ("src", ""):
            index = os.path.join(package_dir, base, "index")
            for suffix in SOURCE_SUFFIXES:
                if index + suffix in self._files:
                    return index + suffix
        return None

    def _resolve_exports(self, package_dir: str, exports: object, subpath: str) -> str | None:
        if not isinstance(exports, dict) or not any(isinstance(k, str) and k.startswith(".") for k in exports):
            # Sugar for {".": exports}: a string, an array or a bare conditions object.
            return self._exports_target(package_dir, exports, None) if subpath == "." else None
        if subpath in exports and "*" not in subpath:
            return self._exports_target(package_dir, exports[subpath], None)
        # Node's ordering: the pattern with the longest prefix before "*" wins, then the longer key.
        best: tuple[int, int, object, str] | None = None
        for key, value in exports.items():
            if not isinstance(key, str):
                continue
            if key.count("*") == 1:
                prefix, suffix = key.split("*")
                if (
                    subpath.startswith(prefix)
                    and subpath.endswith(suffix)
                    and len(subpath) >= len(prefix) + len(suffix)
                    and (best is None or (len(prefix), len(key)) > best[:2])
                ):
                    best = (len(prefix), len(key), value, subpath[len(prefix) : len(subpath) - len(suffix)])
            elif key.endswith("/") and subpath.startswith(key) and (best is None or (len(key), len(key)) > best[:2]):
                # Deprecated folder mapping ("./utils/": "./src/utils/"), still seen in older packages.
                best = (len(key), len(key), _append_to_targets(value, subpath[len(key) :]), "")
        if best is None:
            return None
        return self._exports_target(package_dir, best[2], best[3])

    def _exports_target(self, package_dir: str, value: object, star: str | None) -> str | None:
        if isinstance(value, str):
            if star is not None:
                value = value.replace("*", star)
            return self._probe_package_target(package_dir, value)
        if isinstance(value, list):
            for item in value:
                found = self._exports_target(package_dir, item, star)
                if found is not None:
                    return found
            return None
        if isinstance(value, dict):
            # Unlike Node we try every condition, best first: any branch that leads to workspace
            # source is the one we want to analyse.
            preferred = [c for c in _PREFERRED_CONDITIONS if c in value]
            others = [c for c in value if c not in _PREFERRED_CONDITIONS]
            for condition in preferred + others:
                found = self._exports_target(package_dir, value[condition], star)
                if found is not None:
                    return found
        return None

    def _probe_package_target(self, package_dir: str, target: str) -> str | None:
        """A file named by a package manifest, mapped back from build output or types to source."""
        for relative in _source_candidates(target):
            base = os.path.normpath(os.path.join(package_dir, relative))
            if base in self._files:
                return base
            if base.endswith(_DECLARATION_SUFFIXES):
                stem = base[: base.rindex(".d.")]
                for suffix in SOURCE_SUFFIXES:
                    if stem + suffix in self._files:
                        return stem + suffix
                continue
            found = self._probe(base)
            if found is not None:
                return found
            stem, suffix = os.path.splitext(base)
            if suffix in _EMITTED_FROM:
                # Bundlers rename freely (tsup emits index.cjs from index.ts).
                for source_suffix in SOURCE_SUFFIXES:
                    if stem + source_suffix in self._files:
                        return stem + source_suffix
        return None

    # -- helpers for specifier_for and is_external --------------------------------------------

    def _package_candidates(self, directory: str, target: str) -> Iterator[str]:
        home = self._package_of(target)
        # The root package contains everything; naming it would not be an import of a package.
        if home is None or os.fspath(home.dir) == self._root:
            return
        if home is self._package_of(os.path.join(directory, "_")):
            return
        yield home.name
        relative = os.path.relpath(target, home.dir).replace(os.sep, "/")
        stem = _strip_source_suffix(relative)
        yield f"{home.name}/{stem}"
        if stem.startswith("src/"):
            yield f"{home.name}/{stem[4:]}"

    def _package_of(self, path: str) -> WorkspacePackage | None:
        best: WorkspacePackage | None = None
        for package in self._packages.values():
            package_dir = os.fspath(package.dir)
            if path.startswith(package_dir + os.sep) and (best is None or len(package_dir) > len(os.fspath(best.dir))):
                best = package
        return best

    def _workspace_configs(self) -> list[TsConfig]:
        if self._all_configs is None:
            configs: dict[Path, TsConfig] = {}
            for directory in sorted({os.path.dirname(f) for f in self._files}):
                config = self._tsconfigs.for_dir(Path(directory))
                if config is not None:
                    configs.setdefault(config.path, config)
            self._all_configs = list(configs.values())
        return self._all_configs


def _append_to_targets(value: object, rest: str) -> object:
    if isinstance(value, str):
        return value + rest
    if isinstance(value, list):
        return [_append_to_targets(v, rest) for v in value]
    if isinstance(value, dict):
        return {k: _append_to_targets(v, rest) for k, v in value.items()}
    return value


def _source_candidates(target: str) -> list[str]:
    """``target`` itself, then where its source would live if it is build output or a .d.ts."""
    target = target.replace("\\", "/")
    while target.startswith("./"):
        target = target[2:]
    parts = target.split("/")
    candidates = [target]
    is_declaration = target.endswith(_DECLARATION_SUFFIXES)
    if len(parts) > 1 and (parts[0] in _BUILD_DIRS or (is_declaration and parts[0] != "src")):
        rest = parts[1:]
        candidates.append("/".join(["src", *rest]))
        if len(rest) > 1 and rest[0] in _FORMAT_DIRS:
            candidates.append("/".join(["src", *rest[1:]]))
    if is_declaration and parts[0] != "src" and parts[0] not in _BUILD_DIRS:
        candidates.append("src/" + target)
    return candidates


def _strip_source_suffix(path: str) -> str:
    stem, suffix = os.path.splitext(path)
    return stem if suffix in SOURCE_SUFFIXES else path


def _target_forms(target: str) -> Iterator[str]:
    """Ways to name ``target`` in an import, best first: no ``/index``, no extension, ESM-style."""
    stem, suffix = os.path.splitext(target)
    if suffix not in SOURCE_SUFFIXES:
        yield target
        return
    if os.path.basename(stem) == "index":
        yield os.path.dirname(stem)
    yield stem
    yield stem + _EMITTED_AS.get(suffix, suffix)


def _alias_candidates(config: TsConfig, forms: list[str]) -> list[str]:
    ranked: list[tuple[int, int, str]] = []
    for pattern, targets in config.paths:
        if pattern.count("*") > 1:
            continue
        for target in targets:
            for rank, form in enumerate(forms):
                alias = _apply_alias(pattern, target, form)
                if alias is not None:
                    ranked.append((rank, len(alias), alias))
    return [alias for _, _, alias in sorted(ranked)]


def _apply_alias(pattern: str, target: str, form: str) -> str | None:
    if "*" not in pattern:
        return pattern if "*" not in target and os.path.normpath(target) == form else None
    if target.count("*") != 1:
        return None
    prefix, suffix = target.split("*")
    if not (form.startswith(prefix) and form.endswith(suffix) and len(form) >= len(prefix) + len(suffix)):
        return None
    middle = form[len(prefix) : len(form) - len(suffix)].replace(os.sep, "/")
    if not middle or middle.startswith("/"):
        return None
    return pattern.replace("*", middle, 1)


def _relative_specifier(form: str, directory: str) -> str:
    relative = os.path.relpath(form, directory).replace(os.sep, "/")
    if relative == "." or relative == ".." or relative.startswith("../"):
        return relative
    return "./" + relative
