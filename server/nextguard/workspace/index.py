"""The workspace index: every module's facts, how their names resolve across files, and what kind
of file each one is to Next.js. Summaries (``summaries.py``) and rules read it; nothing here knows
about rules."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

from ..config import Config
from ..facts.model import Binding, FileFacts, Import
from .resolve import ModuleResolver

# App Router files that Next.js renders or routes itself.
SPECIAL_APP_FILES = frozenset(
    {
        "page",
        "layout",
        "template",
        "default",
        "loading",
        "error",
        "global-error",
        "not-found",
        "forbidden",
        "unauthorized",
        "route",
        # metadata files, which Next.js serves as routes
        "robots",
        "sitemap",
        "manifest",
        "icon",
        "apple-icon",
        "opengraph-image",
        "twitter-image",
    }
)
ROUTE_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_NON_APP_DIRS = frozenset(
    {"scripts", "prisma", "drizzle", "migrations", "seed", "seeds", "e2e", "cypress", "playwright"}
)


@dataclass(frozen=True, slots=True)
class Target:
    """What a callee chain names. ``kind`` is ``binding`` (a module-level name of a workspace file),
    ``member`` (a function in an object-of-functions binding), ``external`` (an export of a package
    or of a module that did not resolve) or ``local`` (a parameter, local variable or global)."""

    kind: str
    path: Path | None  # the workspace file for binding/member
    name: str  # binding name, export name, or the root identifier
    rest: tuple[str, ...]  # what the chain does with it after naming it
    specifier: str = ""  # for external: the import specifier


class WorkspaceIndex:
    def __init__(self, root: Path, config: Config, modules: dict[Path, FileFacts], sources: dict[Path, bytes]) -> None:
        self.root = root
        self.config = config
        self.modules = modules
        self.sources = sources
        self.resolver = ModuleResolver(root, modules.keys())
        self._rel: dict[Path, str] = {}
        root_text = str(root)
        self._root_prefix = root_text if root_text.endswith("/") else root_text + "/"
        self._rel_parts: dict[Path, tuple[str, ...]] = {}
        # Workspace-wide answers rules compute once per analysis (cleared whenever a file changes).
        self.memo: dict[object, object] = {}
        self._export_cache: dict[tuple[Path, str], tuple[Path, Binding] | tuple[str, str] | None] = {}
        # A module's imports (all, and those for values), kept with the facts they were read from:
        # the import graph's properties and several rules ask for every module's.
        self._imports: dict[Path, tuple[FileFacts, tuple[Path, ...]]] = {}
        self._value_imports: dict[Path, tuple[FileFacts, tuple[Path, ...]]] = {}

    # -- files ------------------------------------------------------------------------------------

    def rel(self, path: Path) -> str:
        cached = self._rel.get(path)
        if cached is None:
            text = str(path)
            if os.sep == "/" and text.startswith(self._root_prefix):
                # What `relative_to(root).as_posix()` gives (both paths are normalised), without
                # building path objects: every file asks once per analysis.
                cached = text[len(self._root_prefix) :]
            else:
                try:
                    cached = path.relative_to(self.root).as_posix()
                except ValueError:
                    cached = path.as_posix()
            self._rel[path] = cached
        return cached

    def rel_parts(self, path: Path) -> tuple[str, ...]:
        """``PurePosixPath(rel(path)).parts``, kept: rules ask for every endpoint on every keystroke
        and building the path object was a tenth of a keystroke's rule time."""
        cached = self._rel_parts.get(path)
        if cached is None:
            rel = self.rel(path)
            if rel and rel[0] != "/" and "//" not in rel and "." not in rel.split("/"):
                cached = tuple(rel.split("/"))  # what the path object would split it into
            else:
                cached = PurePosixPath(rel).parts
            self._rel_parts[path] = cached
        return cached

    def app_kind(self, path: Path) -> str | None:
        """``page``, ``layout``, ``route`` … for App Router special files, else None."""
        parts = self.rel_parts(path)
        if "app" not in parts[:-1]:
            return None
        stem = parts[-1].split(".")[0]
        return stem if stem in SPECIAL_APP_FILES else None

    def in_app_dir(self, path: Path) -> bool:
        parts = self.rel_parts(path)
        return "app" in parts[:-1] or "pages" in parts[:-1]

    def is_outside_bundle(self, path: Path) -> bool:
        """Scripts, seeds, migrations and config files run under plain Node, never in the Next.js
        bundle, where `import 'server-only'` would throw."""
        rel = PurePosixPath(self.rel(path))
        name = rel.name
        if ".config." in name or name.startswith(("middleware.", "proxy.", "instrumentation")):
            return True
        if name.startswith(("seed.", "seed-", "migrate")):
            return True
        return any(part in _NON_APP_DIRS for part in rel.parts[:-1])

    # -- imports and exports ----------------------------------------------------------------------

    def resolve_import(self, importer: Path, specifier: str) -> Path | None:
        facts = self.modules.get(importer)
        if facts is None:
            return self.resolver.resolve(importer, specifier)
        resolved = facts.resolved
        if specifier in resolved:
            return resolved[specifier]
        found = resolved[specifier] = self.resolver.resolve(importer, specifier)
        return found

    def resolve_export(self, path: Path, name: str) -> tuple[Path, Binding] | tuple[str, str] | None:
        """Follow `export … from` and `export *` to the binding that ``name`` exported from ``path``
        is. Returns (path, binding), or (specifier, name) when it leaves the workspace."""
        key = (path, name)
        if key in self._export_cache:
            return self._export_cache[key]
        self._export_cache[key] = None  # a cycle resolves to nothing
        result = self._resolve_export(path, name)
        self._export_cache[key] = result
        return result

    def _resolve_export(self, path: Path, name: str) -> tuple[Path, Binding] | tuple[str, str] | None:
        facts = self.modules.get(path)
        if facts is None:
            return None
        for export in facts.exports:
            if export.exported != name:
                continue
            if export.local is not None:
                binding = facts.bindings.get(export.local)
                if binding is not None:
                    return (path, binding)
                imported = self.import_of(facts, export.local)
                if imported is not None:
                    return self._follow_import(path, imported.source, imported.imported)
                return None
            if export.source is not None and export.imported is not None:
                return self._follow_import(path, export.source, export.imported)
        for source in facts.star_exports:
            target = self.resolve_import(path, source)
            if target is not None:
                found = self.resolve_export(target, name)
                if found is not None:
                    return found
        return None

    def _follow_import(self, importer: Path, source: str, name: str) -> tuple[Path, Binding] | tuple[str, str] | None:
        target = self.resolve_import(importer, source)
        if target is None:
            return (source, name)
        if name == "*":
            return None
        return self.resolve_export(target, name)

    @staticmethod
    def import_of(facts: FileFacts, local: str) -> Import | None:
        return facts.import_by_local.get(local)

    def target(self, path: Path, chain: tuple[str, ...]) -> Target:
        """What the callee chain of a call in ``path`` names."""
        facts = self.modules[path]
        if not chain:
            return Target("local", None, "", ())
        if chain[0] == "new":
            chain = chain[1:]
            if not chain:
                return Target("local", None, "", ())
        root, rest = chain[0], chain[1:]
        imported = facts.import_by_local.get(root)
        if imported is not None and imported.imported == "*":
            if not rest:
                return Target("external", None, "*", rest, imported.source)
            name, rest = rest[0], rest[1:]
            found = self._follow_import(path, imported.source, name)
            return self._target_from(found, rest, name, imported.source)
        base = facts.names.get(root)
        if base is None:
            if imported is not None:
                found = self._follow_import(path, imported.source, imported.imported)
                base = self._target_from(found, (), imported.imported, imported.source)
            elif root in facts.bindings:
                base = self._target_from((path, facts.bindings[root]), (), root, "")
            else:
                base = Target("local", None, root, ())
            facts.names[root] = base
        assert isinstance(base, Target)
        if not rest:
            return base
        if base.kind == "binding" and base.path is not None:
            binding = self.modules[base.path].bindings.get(base.name)
            if binding is not None and rest[0] in binding.members:
                return Target("member", base.path, f"{binding.name}.{rest[0]}", rest[1:])
        return Target(base.kind, base.path, base.name, rest, base.specifier)

    @staticmethod
    def _target_from(
        found: tuple[Path, Binding] | tuple[str, str] | None, rest: tuple[str, ...], name: str, specifier: str
    ) -> Target:
        if found is None:
            return Target("external", None, name, rest, specifier)
        first, second = found
        if isinstance(first, Path) and isinstance(second, Binding):
            if rest and rest[0] in second.members:
                return Target("member", first, f"{second.name}.{rest[0]}", rest[1:])
            return Target("binding", first, second.name, rest)
        return Target("external", None, str(second), rest, str(first))

    def forget_resolution(self) -> None:
        """Drop every cached resolution, after files appeared, vanished or changed their exports."""
        for facts in self.modules.values():
            facts.resolved.clear()
            facts.names.clear()
        self._export_cache.clear()
        self.forget_graph()

    def forget_graph(self) -> None:
        self._imports.clear()
        self._value_imports.clear()
        for name in ("reachable_from_app", "client_reachable", "reexported_actions", "value_importers"):
            self.__dict__.pop(name, None)

    def importers_of(self, path: Path) -> set[Path]:
        """Files that import ``path``, directly or through modules that re-export it."""
        reverse: dict[Path, set[Path]] = {}
        for other in self.modules:
            for target in self.imports_of(other):
                reverse.setdefault(target, set()).add(other)
        found: set[Path] = set()
        frontier = [path]
        while frontier:
            current = frontier.pop()
            for importer in reverse.get(current, ()):
                if importer in found or importer == path:
                    continue
                found.add(importer)
                facts = self.modules[importer]
                if facts.star_exports or any(export.source is not None for export in facts.exports):
                    frontier.append(importer)
        return found

    # -- the import graph -------------------------------------------------------------------------

    def imports_of(self, path: Path) -> Iterable[Path]:
        facts = self.modules[path]
        kept = self._imports.get(path)
        if kept is not None and kept[0] is facts:
            return kept[1]
        sources = {imported.source for imported in facts.imports if not imported.type_only}
        sources.update(export.source for export in facts.exports if export.source is not None)
        sources.update(facts.star_exports)
        # Sorted: which importer a finding names must not depend on string hashing.
        found: list[Path] = []
        for source in sorted(sources):
            target = self.resolve_import(path, source)
            if target is not None and target in self.modules:
                found.append(target)
        result = tuple(found)
        self._imports[path] = (facts, result)
        return result

    def value_imports_of(self, path: Path) -> tuple[Path, ...]:
        """The workspace modules ``path`` imports for their values. TypeScript drops an import whose
        names are all types (`import { ActionState } from './middleware'` of an `export type`) even
        without `import type`, so such an import bundles nothing."""
        facts = self.modules[path]
        kept = self._value_imports.get(path)
        if kept is not None and kept[0] is facts:
            return kept[1]
        found: dict[Path, None] = {}
        for imported in facts.imports:
            if imported.type_only:
                continue
            target = self.resolve_import(path, imported.source)
            if target is None or target not in self.modules or target in found:
                continue
            if imported.imported in ("", "*", "default") or self.resolve_export(target, imported.imported) is not None:
                found[target] = None
        for export in facts.exports:
            if export.source is None or export.imported is None:
                continue
            target = self.resolve_import(path, export.source)
            if target is None or target not in self.modules or target in found:
                continue
            if export.imported == "*" or self.resolve_export(target, export.imported) is not None:
                found[target] = None
        for specifier in facts.star_exports:
            target = self.resolve_import(path, specifier)
            if target is not None and target in self.modules:
                found.setdefault(target, None)
        result = tuple(found)
        self._value_imports[path] = (facts, result)
        return result

    @cached_property
    def reachable_from_app(self) -> frozenset[Path]:
        """Modules the Next.js app bundles: everything imported, transitively, from files under an
        `app/` or `pages/` directory, and those files themselves."""
        seen: set[Path] = set()
        stack = [path for path in self.modules if self.in_app_dir(path)]
        while stack:
            path = stack.pop()
            if path in seen:
                continue
            seen.add(path)
            stack.extend(target for target in self.imports_of(path) if target not in seen)
        return frozenset(seen)

    @cached_property
    def reexported_actions(self) -> dict[Path, set[str]]:
        """Bindings that a `'use server'` module re-exports from another file: they are Server
        Actions where they are defined, whatever that file's own directives say."""
        result: dict[Path, set[str]] = {}

        def add(found: tuple[Path, Binding] | tuple[str, str] | None, origin: Path) -> None:
            if found is None:
                return
            first, second = found
            if isinstance(first, Path) and isinstance(second, Binding) and first != origin:
                result.setdefault(first, set()).add(second.name)

        for path, facts in self.modules.items():
            if facts.use_server is None or facts.use_client:
                continue
            for export in facts.exports:
                if export.source is not None and export.imported not in (None, "*"):
                    add(self._follow_import(path, export.source, str(export.imported)), path)
                elif export.local is not None and export.local not in facts.bindings:
                    imported = facts.import_by_local.get(export.local)
                    if imported is not None and imported.imported not in ("*", ""):
                        add(self._follow_import(path, imported.source, imported.imported), path)
            for source in facts.star_exports:
                target = self.resolve_import(path, source)
                if target is None or target not in self.modules:
                    continue
                for export in self.modules[target].exports:
                    add(self.resolve_export(target, export.exported), path)
        return result

    @cached_property
    def client_reachable(self) -> dict[Path, Path]:
        """Modules bundled for the browser: those imported, transitively, from a `'use client'`
        module, mapped to the module that imports them. A `'use server'` module is a boundary:
        the client gets references to its actions, not its imports."""
        parent: dict[Path, Path] = {}
        seen: set[Path] = set()
        stack = [path for path, facts in self.modules.items() if facts.use_client]
        while stack:
            path = stack.pop()
            if path in seen:
                continue
            seen.add(path)
            for target in self.value_imports_of(path):
                if target not in seen and self.modules[target].use_server is None:
                    parent.setdefault(target, path)
                    stack.append(target)
        return parent

    @cached_property
    def value_importers(self) -> dict[Path, list[Path]]:
        """The reverse of ``value_imports_of``: who imports each module for its values."""
        result: dict[Path, list[Path]] = {}
        for path in self.modules:
            for target in self.value_imports_of(path):
                result.setdefault(target, []).append(path)
        return result

    def client_importers_of(self, path: Path) -> set[Path]:
        """The `'use client'` modules that bundle ``path``: those that import it directly or through
        modules that are neither client nor `'use server'` modules (whose imports stay server-side)."""
        found: set[Path] = set()
        seen = {path}
        frontier = [path]
        while frontier:
            current = frontier.pop()
            for importer in self.value_importers.get(current, ()):
                if importer in seen:
                    continue
                seen.add(importer)
                facts = self.modules[importer]
                if facts.use_client:
                    found.add(importer)
                elif facts.use_server is None:
                    frontier.append(importer)
        return found

    def binding_in(self, path: Path, name: str) -> Binding | None:
        facts = self.modules.get(path)
        return facts.bindings.get(name) if facts is not None else None
