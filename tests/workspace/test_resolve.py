from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from nextguard.workspace.discovery import discover
from nextguard.workspace.packages import find_workspace_packages
from nextguard.workspace.resolve import ModuleResolver
from nextguard.workspace.tsconfig import TsConfigLocator, load_tsconfig


def write_tree(root: Path, files: Mapping[str, str | Mapping[str, Any]]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return root


def resolver_for(root: Path) -> ModuleResolver:
    return ModuleResolver(root, discover(root).files)


def rel(root: Path, path: Path | None) -> str | None:
    return None if path is None else path.relative_to(root.resolve()).as_posix()


# --- tsconfig --------------------------------------------------------------------------------


def test_tsconfig_is_read_as_jsonc(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "tsconfig.json": """{
              // Next.js writes comments into this file
              "compilerOptions": {
                /* block comment */
                "paths": { "@/*": ["./src/*",], },
              },
            }""",
        },
    )
    config = load_tsconfig(tmp_path / "tsconfig.json")
    assert config.paths == (("@/*", (str(tmp_path / "src" / "*"),)),)
    assert config.base_url is None


def test_extends_chain_relative_array_and_missing_base(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "configs/base.json": {"compilerOptions": {"baseUrl": "..", "paths": {"~/*": ["lib/*"]}}},
            "configs/paths.json": {"compilerOptions": {"paths": {"@/*": ["src/*"]}}},
            # Extension-less relative entry, a missing base, then a later entry overriding `paths`.
            "app/tsconfig.json": {"extends": ["../configs/base", "./gone.json", "../configs/paths.json"]},
        },
    )
    config = load_tsconfig(tmp_path / "app" / "tsconfig.json")
    # baseUrl ".." is relative to configs/, the file that declared it.
    assert config.base_url == tmp_path
    # paths come from the last base; with a baseUrl in force they hang off it.
    assert config.paths == (("@/*", (str(tmp_path / "src" / "*"),)),)


def test_paths_without_base_url_are_relative_to_the_declaring_config(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "shared/tsconfig.base.json": {"compilerOptions": {"paths": {"@ui/*": ["./ui/*"]}}},
            "apps/web/tsconfig.json": {"extends": "../../shared/tsconfig.base.json"},
        },
    )
    config = load_tsconfig(tmp_path / "apps/web/tsconfig.json")
    assert config.paths == (("@ui/*", (str(tmp_path / "shared" / "ui" / "*"),)),)


def test_extends_a_package_through_node_modules(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "node_modules/@acme/tsconfig/package.json": {"name": "@acme/tsconfig"},
            "node_modules/@acme/tsconfig/nextjs.json": {"compilerOptions": {"baseUrl": "."}},
            "node_modules/@tsconfig/strictest/tsconfig.json": {"compilerOptions": {"paths": {"x": ["./x"]}}},
            "apps/web/tsconfig.json": {"extends": ["@tsconfig/strictest", "@acme/tsconfig/nextjs.json"]},
        },
    )
    config = load_tsconfig(tmp_path / "apps/web/tsconfig.json")
    assert config.base_url == tmp_path / "node_modules/@acme/tsconfig"
    assert config.paths == (("x", (str(tmp_path / "node_modules/@acme/tsconfig/x"),)),)


def test_extends_a_workspace_package_that_is_not_installed(tmp_path: Path) -> None:
    # A monorepo's shared config package, before `npm install`: found among the workspace's own
    # packages, and its `paths` stay relative to the config that declares them.
    write_tree(
        tmp_path,
        {
            "package.json": {"name": "root", "workspaces": ["apps/*", "packages/*"]},
            "packages/tsconfig/package.json": {"name": "@acme/tsconfig"},
            "packages/tsconfig/next.json": {"compilerOptions": {"paths": {"@/*": ["../../apps/web/src/*"]}}},
            "apps/web/tsconfig.json": {"extends": "@acme/tsconfig/next.json"},
            "apps/web/src/lib/auth.ts": "",
            "apps/web/src/app/page.tsx": "",
        },
    )
    assert load_tsconfig(tmp_path / "apps/web/tsconfig.json").paths == ()
    resolver = ModuleResolver(tmp_path, discover(tmp_path).files)
    page = tmp_path / "apps/web/src/app/page.tsx"
    assert resolver.resolve(page, "@/lib/auth") == tmp_path / "apps/web/src/lib/auth.ts"


def test_config_dir_template_names_the_leaf_config(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "base.json": {"compilerOptions": {"paths": {"@/*": ["${configDir}/src/*"]}}},
            "apps/web/tsconfig.json": {"extends": "../../base.json"},
        },
    )
    config = load_tsconfig(tmp_path / "apps/web/tsconfig.json")
    assert config.paths == (("@/*", (str(tmp_path / "apps/web/src/*"),)),)


@pytest.mark.parametrize("text", ["{ not json", "[1, 2]", "", '{"extends": "./tsconfig.json"}'])
def test_broken_or_cyclic_tsconfig_gives_an_empty_config(tmp_path: Path, text: str) -> None:
    (tmp_path / "tsconfig.json").write_text(text)
    config = load_tsconfig(tmp_path / "tsconfig.json")
    assert (config.base_url, config.paths) == (None, ())


def test_locator_finds_nearest_config_and_prefers_tsconfig(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "tsconfig.json": {},
            "jsconfig.json": {},
            "legacy/jsconfig.json": {},
            "legacy/deep/a.js": "",
            "b.ts": "",
        },
    )
    locator = TsConfigLocator(tmp_path)
    nearest = locator.for_file(tmp_path / "legacy/deep/a.js")
    assert nearest is not None and nearest.path == tmp_path / "legacy/jsconfig.json"
    top = locator.for_file(tmp_path / "b.ts")
    assert top is not None and top.path == tmp_path / "tsconfig.json"
    assert locator.for_file(tmp_path.parent / "elsewhere.ts") is None


# --- relative imports ------------------------------------------------------------------------


def test_relative_imports_probe_extensions_and_index_files(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/page.tsx": "",
            "app/actions.ts": "",
            "app/button.tsx": "",
            "app/config.mjs": "",
            "app/ui/index.tsx": "",
            "lib/db.js": "",
            "lib/styles.css": "",
        },
    )
    resolver = resolver_for(tmp_path)
    page = tmp_path / "app/page.tsx"
    cases = {
        "./actions": "app/actions.ts",
        "./button": "app/button.tsx",
        "./actions.ts": "app/actions.ts",
        "./config.mjs": "app/config.mjs",
        "./ui": "app/ui/index.tsx",
        "./ui/": "app/ui/index.tsx",
        "../lib/db": "lib/db.js",
        "../lib/styles.css": None,
        "./missing": None,
    }
    assert {s: rel(tmp_path, resolver.resolve(page, s)) for s in cases} == cases


def test_esm_style_js_specifier_finds_the_ts_source(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "src/a.ts": "",
            "src/b.ts": "",
            "src/c.tsx": "",
            "src/d.mts": "",
            "src/e.cts": "",
            "src/real.js": "",
        },
    )
    resolver = resolver_for(tmp_path)
    a = tmp_path / "src/a.ts"
    cases = {
        "./b.js": "src/b.ts",
        "./c.js": "src/c.tsx",
        "./c.jsx": "src/c.tsx",
        "./d.mjs": "src/d.mts",
        "./e.cjs": "src/e.cts",
        "./real.js": "src/real.js",
    }
    assert {s: rel(tmp_path, resolver.resolve(a, s)) for s in cases} == cases


# --- tsconfig paths and baseUrl ---------------------------------------------------------------


def test_alias_and_multiple_path_targets(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "tsconfig.json": {
                "compilerOptions": {
                    "paths": {
                        "@/*": ["./src/*"],
                        "@/lib/*": ["./generated/*", "./src/shared/*"],
                        "env": ["./src/env/server.ts"],
                    }
                }
            },
            "src/app/page.tsx": "",
            "src/lib/dal.ts": "",
            "src/shared/dal.ts": "",
            "src/components/index.ts": "",
            "src/env/server.ts": "",
        },
    )
    resolver = resolver_for(tmp_path)
    page = tmp_path / "src/app/page.tsx"
    cases = {
        "@/components": "src/components/index.ts",
        # "@/lib/*" wins by its longer prefix; its first target is missing, the second exists.
        "@/lib/dal": "src/shared/dal.ts",
        "env": "src/env/server.ts",
        "@/nope": None,
        "react": None,
    }
    assert {s: rel(tmp_path, resolver.resolve(page, s)) for s in cases} == cases


def test_base_url_only_imports(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "jsconfig.json": {"compilerOptions": {"baseUrl": "src"}},
            "src/pages/index.jsx": "",
            "src/components/Button.jsx": "",
        },
    )
    resolver = resolver_for(tmp_path)
    page = tmp_path / "src/pages/index.jsx"
    assert rel(tmp_path, resolver.resolve(page, "components/Button")) == "src/components/Button.jsx"
    assert resolver.resolve(page, "lodash/debounce") is None


def test_each_app_uses_its_own_tsconfig(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "package.json": {"workspaces": ["apps/*"]},
            "apps/web/tsconfig.json": {"compilerOptions": {"paths": {"@/*": ["./*"]}}},
            "apps/web/lib/auth.ts": "",
            "apps/web/app/page.tsx": "",
            "apps/admin/tsconfig.json": {"compilerOptions": {"paths": {"@/*": ["./src/*"]}}},
            "apps/admin/src/lib/auth.ts": "",
            "apps/admin/src/app/page.tsx": "",
        },
    )
    resolver = resolver_for(tmp_path)
    web = resolver.resolve(tmp_path / "apps/web/app/page.tsx", "@/lib/auth")
    admin = resolver.resolve(tmp_path / "apps/admin/src/app/page.tsx", "@/lib/auth")
    assert rel(tmp_path, web) == "apps/web/lib/auth.ts"
    assert rel(tmp_path, admin) == "apps/admin/src/lib/auth.ts"


# --- monorepo packages -----------------------------------------------------------------------

MONOREPO: dict[str, str | Mapping[str, Any]] = {
    "apps/web/package.json": {"name": "web"},
    "apps/web/app/actions.ts": "",
    # main points at build output that is not there: the source under src/ is what runs.
    "packages/db/package.json": {"name": "@acme/db", "main": "./dist/index.js", "types": "./dist/index.d.ts"},
    "packages/db/src/index.ts": "",
    "packages/db/src/client.ts": "",
    "packages/ui/package.json": {
        "name": "@acme/ui",
        "exports": {
            ".": {"import": {"types": "./dist/index.d.mts", "default": "./dist/index.mjs"}},
            "./server": {"react-server": "./src/server.rsc.ts", "default": "./src/server.ts"},
            "./client": {"import": "./dist/client.mjs", "require": "./dist/client.cjs"},
            "./icons/*": "./src/icons/*.tsx",
            "./*": {"types": "./dist/*.d.ts", "import": "./dist/esm/*.js"},
            "./package.json": "./package.json",
        },
    },
    "packages/ui/src/index.ts": "",
    "packages/ui/src/server.ts": "",
    "packages/ui/src/client.ts": "",
    "packages/ui/src/button.tsx": "",
    "packages/ui/src/icons/lock.tsx": "",
    "packages/ui/src/internal/secret.ts": "",
    "packages/auth/package.json": {"name": "@acme/auth", "exports": "./index.ts"},
    "packages/auth/index.ts": "",
    "packages/bare/package.json": {"name": "@acme/bare"},
    "packages/bare/index.js": "",
    "packages/bare/lib/helpers.js": "",
    "packages/broken/package.json": "{ nope",
    "packages/broken/index.ts": "",
}


@pytest.fixture(params=["npm", "yarn", "pnpm"])
def monorepo(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    globs = ["apps/*", "packages/*", "!packages/excluded"]
    files = dict(MONOREPO)
    files["packages/excluded/package.json"] = {"name": "@acme/excluded"}
    files["packages/excluded/index.ts"] = ""
    if request.param == "npm":
        files["package.json"] = {"name": "acme", "private": True, "workspaces": globs}
    elif request.param == "yarn":
        files["package.json"] = {"name": "acme", "workspaces": {"packages": globs, "nohoist": []}}
    else:
        files["package.json"] = {"name": "acme"}
        files["pnpm-workspace.yaml"] = "packages:\n  - 'apps/*'\n  - packages/*\n  - '!packages/excluded'\n"
    return write_tree(tmp_path, files)


def test_workspace_packages_are_found(monorepo: Path) -> None:
    packages = find_workspace_packages(monorepo)
    assert set(packages) == {"acme", "web", "@acme/db", "@acme/ui", "@acme/auth", "@acme/bare"}
    assert packages["@acme/db"].dir == monorepo / "packages/db"
    assert packages["@acme/db"].manifest["main"] == "./dist/index.js"


def test_workspace_package_imports_resolve_to_source(monorepo: Path) -> None:
    resolver = resolver_for(monorepo)
    action = monorepo / "apps/web/app/actions.ts"
    cases = {
        "@acme/db": "packages/db/src/index.ts",  # main → dist → src
        "@acme/db/src/client": "packages/db/src/client.ts",  # no exports: plain subpath
        "@acme/ui": "packages/ui/src/index.ts",  # nested conditions, .d.mts/.mjs → src
        "@acme/ui/server": "packages/ui/src/server.ts",  # first condition with an existing file
        "@acme/ui/client": "packages/ui/src/client.ts",  # dist/client.mjs → src/client.ts
        "@acme/ui/icons/lock": "packages/ui/src/icons/lock.tsx",  # longest pattern prefix wins
        "@acme/ui/button": "packages/ui/src/button.tsx",  # "./*" → dist/esm/*.js → src/*.tsx
        "@acme/auth": "packages/auth/index.ts",  # exports as a bare string
        "@acme/bare": "packages/bare/index.js",  # no manifest entry: index fallback
        "@acme/bare/lib/helpers": "packages/bare/lib/helpers.js",
        "@acme/ui/internal/nope": None,
        "@acme/broken": None,  # unreadable package.json: not a workspace package
        "@acme/other": None,
        "next/headers": None,
        "react": None,
    }
    assert {s: rel(monorepo, resolver.resolve(action, s)) for s in cases} == cases


def test_is_external(monorepo: Path) -> None:
    (monorepo / "apps/web/tsconfig.json").write_text(json.dumps({"compilerOptions": {"paths": {"@/*": ["./*"]}}}))
    resolver = resolver_for(monorepo)
    action = monorepo / "apps/web/app/actions.ts"
    assert resolver.is_external("next/headers")
    assert resolver.is_external("@clerk/nextjs/server", action)
    assert not resolver.is_external("./x")
    assert not resolver.is_external("@acme/db")
    assert not resolver.is_external("@acme/ui/button")
    assert not resolver.is_external("@/styles/site.css", action)  # an alias, even to a non-source file
    assert not resolver.is_external("@/app/actions")  # any workspace tsconfig counts without an importer


@pytest.mark.parametrize(
    ("specifier", "name"),
    [
        ("@clerk/nextjs/server", "@clerk/nextjs"),
        ("@clerk/nextjs", "@clerk/nextjs"),
        ("next/headers", "next"),
        ("react", "react"),
        ("lodash/fp/map", "lodash"),
    ],
)
def test_package_name(specifier: str, name: str) -> None:
    assert ModuleResolver.package_name(specifier) == name


# --- specifier_for ---------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write_tree(
        tmp_path,
        {
            "tsconfig.json": {"compilerOptions": {"paths": {"@/*": ["./src/*"]}}},
            "src/lib/dal.ts": "",
            "src/lib/session/index.ts": "",
            "src/app/admin/actions.ts": "",
            "src/app/admin/schema.ts": "",
            "src/app/admin/index.ts": "",
            "scripts/seed.ts": "",
        },
    )


def test_specifier_for_prefers_alias(app: Path) -> None:
    resolver = resolver_for(app)
    importer = app / "src/app/admin/actions.ts"
    assert resolver.specifier_for(importer, app / "src/lib/dal.ts", prefer_alias=True) == "@/lib/dal"
    assert resolver.specifier_for(importer, app / "src/lib/session/index.ts", prefer_alias=True) == "@/lib/session"


def test_specifier_for_relative(app: Path) -> None:
    resolver = resolver_for(app)
    importer = app / "src/app/admin/actions.ts"
    assert resolver.specifier_for(importer, app / "src/lib/dal.ts", prefer_alias=False) == "../../lib/dal"
    assert resolver.specifier_for(importer, app / "src/app/admin/schema.ts", prefer_alias=False) == "./schema"
    assert resolver.specifier_for(importer, app / "src/app/admin/index.ts", prefer_alias=False) == "."
    assert resolver.specifier_for(importer, app / "src/lib/session/index.ts", prefer_alias=False) == "../../lib/session"
    # No alias covers scripts/, so even with prefer_alias the import is relative.
    assert resolver.specifier_for(importer, app / "scripts/seed.ts", prefer_alias=True) == "../../../scripts/seed"


def test_specifier_for_avoids_ambiguous_short_forms(tmp_path: Path) -> None:
    # lib/auth.ts shadows lib/auth/index.ts for "./lib/auth", so the index must be named.
    write_tree(tmp_path, {"a.ts": "", "lib/auth.ts": "", "lib/auth/index.ts": ""})
    resolver = resolver_for(tmp_path)
    target = tmp_path / "lib/auth/index.ts"
    specifier = resolver.specifier_for(tmp_path / "a.ts", target, prefer_alias=False)
    assert specifier == "./lib/auth/index"
    assert resolver.resolve(tmp_path / "a.ts", specifier) == target.resolve()


def test_specifier_for_another_workspace_package_uses_its_name(monorepo: Path) -> None:
    resolver = resolver_for(monorepo)
    importer = monorepo / "apps/web/app/actions.ts"
    assert resolver.specifier_for(importer, monorepo / "packages/db/src/index.ts", prefer_alias=True) == "@acme/db"
    assert (
        resolver.specifier_for(importer, monorepo / "packages/ui/src/button.tsx", prefer_alias=False)
        == "@acme/ui/button"
    )


def test_update_files_changes_what_a_specifier_means(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.ts": "", "lib/auth/index.ts": ""})
    resolver = resolver_for(tmp_path)
    a = tmp_path / "a.ts"
    assert rel(tmp_path, resolver.resolve(a, "./lib/auth")) == "lib/auth/index.ts"

    shadow = write_tree(tmp_path, {"lib/auth.ts": ""}) / "lib/auth.ts"
    resolver.update_files(added=[shadow.resolve()])
    assert rel(tmp_path, resolver.resolve(a, "./lib/auth")) == "lib/auth.ts"

    resolver.update_files(removed=[shadow.resolve()])
    assert rel(tmp_path, resolver.resolve(a, "./lib/auth")) == "lib/auth/index.ts"
