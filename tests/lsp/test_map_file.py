"""`nextguard.showMap` writes the endpoint map where only its user can reach it: a symlink planted
at the shared temporary path the server used to write (or at the new one) is never followed."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsp_support import copy_case
from raw_lsp import Message, RawServer, initialized

from nextguard.lsp import mapfile
from nextguard.safefs import UnsafeFile, private_directory

VICTIM_TEXT = "another user's file\n"


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    shared = tmp_path / "shared-tmp"  # what /tmp is to every user of the machine
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    runtime.chmod(0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text(VICTIM_TEXT)
    return {"shared": shared, "runtime": runtime, "cache": tmp_path / "cache", "victim": victim}


def _server(places: dict[str, Path], runtime: bool = True) -> RawServer:
    return RawServer(
        env={
            "TMPDIR": str(places["shared"]),
            "XDG_RUNTIME_DIR": str(places["runtime"]) if runtime else "",
            mapfile.CACHE_HOME_ENV: str(places["cache"]),
        }
    )


def _show_map(server: RawServer, root: Path) -> Message:
    initialized(server, root)
    server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics", 30, "the first diagnostics")
    params = {"command": "nextguard.showMap", "arguments": [root.as_uri()]}
    return server.call("map", "workspace/executeCommand", params, timeout=30)


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    yield copy_case("ng101/prisma-basic", tmp_path)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.parametrize("runtime", [True, False], ids=["runtime-dir", "cache-dir"])
def test_a_symlink_at_the_old_shared_path_is_not_followed(places: dict[str, Path], root: Path, runtime: bool) -> None:
    digest = hashlib.sha256(root.as_uri().encode()).hexdigest()[:12]
    planted = places["shared"] / "nextguard" / f"endpoint-map-{root.name}-{digest}.md"
    planted.parent.mkdir(parents=True)
    planted.symlink_to(places["victim"])
    server = _server(places, runtime)
    try:
        answer = _show_map(server, root)
    finally:
        server.close()
    assert places["victim"].read_text() == VICTIM_TEXT
    written = Path(str(answer["result"]).removeprefix("file://"))
    home = places["runtime"] / "nextguard" / "maps" if runtime else places["cache"] / "maps"
    assert written.parent == home
    assert "deletePostAction" in written.read_text(encoding="utf-8")
    assert _mode(written.parent) == 0o700 and _mode(written) == 0o600


def test_a_symlink_at_the_new_path_is_refused_with_an_error(places: dict[str, Path], root: Path) -> None:
    maps = places["runtime"] / "nextguard" / "maps"
    maps.mkdir(parents=True, mode=0o700)
    digest = hashlib.sha256(root.as_uri().encode()).hexdigest()[:12]
    (maps / f"endpoint-map-{root.name}-{digest}.md").symlink_to(places["victim"])
    server = _server(places)
    try:
        answer = _show_map(server, root)
        shown = server.wait_for(lambda m: m.get("method") == "window/showMessage", 10, "the error message")
    finally:
        server.close()
    assert answer.get("result") is None and "error" not in answer
    assert "could not write the endpoint map" in shown["params"]["message"]
    assert "symbolic link" in shown["params"]["message"]
    assert places["victim"].read_text() == VICTIM_TEXT


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to plant another user's link")
def test_another_users_link_at_the_map_directory_is_not_followed(
    places: dict[str, Path], root: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = places["runtime"] / "nextguard"
    link.symlink_to(elsewhere)
    os.lchown(link, 65534, 65534)  # nobody's
    server = _server(places)
    try:
        answer = _show_map(server, root)
    finally:
        server.close()
    assert list(elsewhere.iterdir()) == []
    assert Path(str(answer["result"]).removeprefix("file://")).parent == places["cache"] / "maps"


# -- in-process: which directory, and the file's name --------------------------------------------


def test_the_runtime_dir_is_used_only_when_private(
    places: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(places["runtime"]))
    monkeypatch.setenv(mapfile.CACHE_HOME_ENV, str(places["cache"]))
    assert mapfile.map_directory() == places["runtime"] / "nextguard" / "maps"
    places["runtime"].chmod(0o755)  # open to others: not what the XDG spec promises
    assert mapfile.map_directory() == places["cache"] / "maps"
    monkeypatch.setenv("XDG_RUNTIME_DIR", "relative/path")
    assert mapfile.map_directory() == places["cache"] / "maps"


def test_with_no_usable_directory_a_private_temporary_one_is_made(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv(mapfile.CACHE_HOME_ENV, str(blocked))  # maps/ cannot be made under a file
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(mapfile.tempfile, "tempdir", None)
    monkeypatch.setattr(mapfile, "_fallback", None)
    first = mapfile.map_directory()
    assert first.parent == tmp_path and first.name.startswith("nextguard-maps-")
    assert _mode(first) == 0o700
    assert mapfile.map_directory() == first  # one per process


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("my-app", "endpoint-map-my-app-k.md"),
        ("..", "endpoint-map-workspace-k.md"),
        ("a b\x1b[31m", "endpoint-map-a_b__31m-k.md"),
        ("x" * 100, f"endpoint-map-{'x' * 40}-k.md"),
    ],
)
def test_map_file_names_are_tame(name: str, expected: str) -> None:
    assert mapfile.map_file_name(name, "k") == expected


def test_a_private_directory_is_not_made_through_another_users_link(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "nextguard"
    link.symlink_to(elsewhere)
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 1)  # the link (ours) now looks like another user's
    with pytest.raises(UnsafeFile, match="another user's symbolic link"):
        private_directory(link / "maps")
    assert list(elsewhere.iterdir()) == []
    monkeypatch.setattr(os, "getuid", lambda: real_uid)
    # The user's own link (a cache directory moved to another disk) is theirs to make.
    assert private_directory(link / "maps") == link / "maps"
    assert (elsewhere / "maps").is_dir()
