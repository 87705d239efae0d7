from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from nextguard.workspace.discovery import SOURCE_SUFFIXES, discover, find_workspace_root, read_source


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def found(root: Path, **kwargs: object) -> set[str]:
    result = discover(root, **kwargs)  # type: ignore[arg-type]
    return {p.relative_to(result.root).as_posix() for p in result.files}


# --- ignoring --------------------------------------------------------------------------------


def test_root_and_nested_gitignore_with_negation(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".gitignore": "generated/\n*.gen.ts\n!keep.gen.ts\n",
            "app/.gitignore": "local.ts\n/only-here.ts\n!special.gen.ts\n",
            "page.ts": "",
            "local.ts": "",
            "only-here.ts": "",
            "generated/client.ts": "",
            "app/generated/client.ts": "",
            "schema.gen.ts": "",
            "keep.gen.ts": "",
            "app/local.ts": "",
            "app/only-here.ts": "",
            "app/sub/only-here.ts": "",
            "app/sub/local.ts": "",
            "app/special.gen.ts": "",
            "app/other.gen.ts": "",
        },
    )
    assert found(tmp_path) == {
        "page.ts",
        "local.ts",  # app/.gitignore applies only below app/
        "only-here.ts",
        "keep.gen.ts",
        "app/sub/only-here.ts",  # "/only-here.ts" is anchored to app/
        "app/special.gen.ts",  # the nested negation beats the root pattern
    }


def test_gitignore_above_root_inside_the_checkout_applies(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".git/HEAD": "",
            ".gitignore": "apps/web/secret/\n",
            "apps/web/page.ts": "",
            "apps/web/secret/key.ts": "",
        },
    )
    assert found(tmp_path / "apps" / "web") == {"page.ts"}


def test_ignore_globs_are_gitignore_patterns_relative_to_root(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "legacy/old.ts": "",
            "src/legacy/kept.ts": "",
            "src/button.stories.tsx": "",
            "src/button.tsx": "",
        },
    )
    assert found(tmp_path, ignore_globs=["/legacy/", "*.stories.tsx"]) == {
        "src/legacy/kept.ts",
        "src/button.tsx",
    }


def test_skipped_dirs_at_any_depth(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "node_modules/react/index.js": "",
            "apps/web/node_modules/next/index.js": "",
            "packages/ui/dist/index.js": "",
            "apps/web/.next/server/page.js": "",
            "apps/web/.turbo/x.js": "",
            "builder/make.ts": "",
            "apps/web/app/page.tsx": "",
        },
    )
    assert found(tmp_path) == {"builder/make.ts", "apps/web/app/page.tsx"}


def test_test_files_and_declarations_are_skipped(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "lib/auth.test.ts": "",
            "lib/auth.spec.tsx": "",
            "lib/__tests__/auth.ts": "",
            "__mocks__/db.ts": "",
            "lib/contest.ts": "",
            "env.d.ts": "",
            "types/global.d.mts": "",
            "types/legacy.d.cts": "",
            "styles.css": "",
            "data.json": "{}",
            "README": "",
        },
    )
    assert found(tmp_path) == {"lib/contest.ts"}


def test_every_source_suffix_is_found_sorted_and_real(tmp_path: Path) -> None:
    write_tree(tmp_path, {f"m{suffix}": "" for suffix in SOURCE_SUFFIXES})
    result = discover(tmp_path)
    assert [p.name for p in result.files] == sorted(f"m{suffix}" for suffix in SOURCE_SUFFIXES)
    assert all(p.is_absolute() and p == p.resolve() for p in result.files)
    assert result.notices == []


# --- symlinks, size, missing root ------------------------------------------------------------


def test_symlink_loops_are_reported_once_and_walk_completes(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a/x.ts": "", "b/y.ts": ""})
    os.symlink("..", tmp_path / "a" / "up")  # a/up -> root
    os.symlink(".", tmp_path / "b" / "self")  # b/self -> b
    os.symlink("a", tmp_path / "alias")  # not a loop: a second name for a/

    result = discover(tmp_path)

    names = [p.relative_to(result.root).as_posix() for p in result.files]
    assert names == ["a/x.ts", "b/y.ts"]
    loops = sorted(Path(n.path).name for n in result.notices if n.kind == "symlink-loop")
    assert loops == ["self", "up"]


def test_broken_symlink_is_skipped_with_notice(tmp_path: Path) -> None:
    write_tree(tmp_path, {"ok.ts": ""})
    os.symlink("missing.ts", tmp_path / "dangling.ts")

    result = discover(tmp_path)

    assert [p.name for p in result.files] == ["ok.ts"]
    assert [(n.kind, Path(n.path).name) for n in result.notices] == [("unreadable", "dangling.ts")]


def test_symlinked_file_is_returned_once_by_its_real_path(tmp_path: Path) -> None:
    write_tree(tmp_path, {"real.ts": ""})
    os.symlink("real.ts", tmp_path / "link.ts")
    assert found(tmp_path) == {"real.ts"}


def test_too_large_files_are_left_out_with_notice(tmp_path: Path) -> None:
    write_tree(tmp_path, {"big.ts": "x" * 101, "edge.ts": "x" * 100})

    result = discover(tmp_path, max_bytes=100)

    assert [p.name for p in result.files] == ["edge.ts"]
    [notice] = result.notices
    assert notice.kind == "too-large" and Path(notice.path).name == "big.ts"
    assert "101" in notice.message and "100" in notice.message


def test_missing_root(tmp_path: Path) -> None:
    result = discover(tmp_path / "nope")
    assert result.files == []
    assert [n.kind for n in result.notices] == ["not-found"]


def test_five_thousand_files_all_found_and_nested_node_modules_pruned(tmp_path: Path) -> None:
    for d in range(100):
        directory = tmp_path / "app" / f"route{d}"
        directory.mkdir(parents=True)
        for f in range(50):
            (directory / f"c{f}.tsx").write_text("")
        (directory / "node_modules").mkdir()
    (tmp_path / ".gitignore").write_text("*.log\n/tmp/\n")
    (tmp_path / "app" / "route0" / "node_modules" / "x.ts").write_text("")
    result = discover(tmp_path)
    # Speed is measured by bench/, not here.
    assert len(result.files) == 5000
    assert not any("node_modules" in p.parts for p in result.files)


# --- read_source -----------------------------------------------------------------------------


def test_read_source_returns_bytes_and_keeps_bom(tmp_path: Path) -> None:
    plain = tmp_path / "a.ts"
    plain.write_bytes("const é = 1\n".encode())
    bom = tmp_path / "b.ts"
    bom.write_bytes(b"\xef\xbb\xbfexport {}\n")

    assert read_source(plain) == ("const é = 1\n".encode(), None)
    assert read_source(bom) == (b"\xef\xbb\xbfexport {}\n", None)


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"export const a = 1\x00\x01\x02", "binary"),
        (b"const s = '\xe9t\xe9'\n", "encoding"),  # Latin-1
        ("export {}".encode("utf-16"), "encoding"),
        (b"x" * 65, "too-large"),
    ],
)
def test_read_source_refuses_what_it_cannot_parse(tmp_path: Path, content: bytes, kind: str) -> None:
    path = tmp_path / "f.ts"
    path.write_bytes(content)

    data, notice = read_source(path, max_bytes=64)

    assert data is None
    assert notice is not None and notice.kind == kind and notice.path == path


def test_read_source_unreadable_paths_do_not_raise(tmp_path: Path) -> None:
    # A directory stands in for an unreadable file: chmod 000 does not stop root.
    for path in (tmp_path, tmp_path / "vanished.ts"):
        data, notice = read_source(path)
        assert data is None
        assert notice is not None and notice.kind == "unreadable"


def test_read_source_does_not_block_on_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.ts"
    os.mkfifo(fifo)
    data, notice = read_source(fifo)
    assert data is None and notice is not None and notice.kind == "unreadable"


# --- find_workspace_root ---------------------------------------------------------------------


def test_root_of_a_file_in_an_npm_monorepo_package(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "package.json": '{"name": "acme", "workspaces": ["apps/*"]}',
            "apps/web/package.json": '{"name": "web"}',
            "apps/web/tsconfig.json": "{}",
            "apps/web/app/actions.ts": "",
        },
    )
    assert find_workspace_root(tmp_path / "apps/web/app/actions.ts") == tmp_path


def test_root_of_a_pnpm_monorepo(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pnpm-workspace.yaml": "packages:\n  - apps/*\n",
            "package.json": '{"name": "acme"}',
            "apps/web/package.json": '{"name": "web"}',
        },
    )
    assert find_workspace_root(tmp_path / "apps/web") == tmp_path


def test_root_of_a_plain_app_is_its_nearest_project_dir(tmp_path: Path) -> None:
    write_tree(tmp_path, {"site/package.json": '{"name": "site"}', "site/app/page.tsx": ""})
    assert find_workspace_root(tmp_path / "site/app/page.tsx") == tmp_path / "site"


def test_root_of_a_jsconfig_only_app(tmp_path: Path) -> None:
    write_tree(tmp_path, {"site/jsconfig.json": "{}", "site/app/page.jsx": ""})
    assert find_workspace_root(tmp_path / "site/app") == tmp_path / "site"


def test_root_of_a_bare_directory_or_file_is_itself_or_its_parent(tmp_path: Path) -> None:
    write_tree(tmp_path, {"loose/a.ts": "", "loose/.git/HEAD": ""})
    assert find_workspace_root(tmp_path / "loose") == tmp_path / "loose"
    assert find_workspace_root(tmp_path / "loose" / "a.ts") == tmp_path / "loose"


def test_root_search_stops_at_git_boundary(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "package.json": '{"workspaces": ["vendor/*"]}',
            "vendor/lib/.git/HEAD": "",
            "vendor/lib/src/a.ts": "",
        },
    )
    # Without the boundary the outer monorepo would win.
    assert find_workspace_root(tmp_path / "vendor/lib/src/a.ts") == tmp_path / "vendor/lib"


def test_broken_package_json_is_not_a_monorepo_root(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"package.json": '{"workspaces": [', "app/package.json": '{"name": "app"}', "app/a.ts": ""},
    )
    assert find_workspace_root(tmp_path / "app/a.ts") == tmp_path / "app"
