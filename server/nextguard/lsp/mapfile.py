"""Where the server writes the endpoint map it asks the editor to open (`nextguard.showMap`).

It used to be ``/tmp/nextguard/endpoint-map-<folder>-<hash>.md``: a name anyone on the machine can
compute, in a directory anyone can create first, so another user could plant a symlink there and
have the map overwrite any file the editor's user can write. Now the map goes into a directory
only this user can enter, made (or checked) by ``safefs.private_directory``, and is written with
``safefs.write_atomic``, which never writes through a symlink. The directory is the first of:

- ``$XDG_RUNTIME_DIR/nextguard/maps``: the per-user runtime directory (0700, and emptied at
  logout: a map is rebuilt on every request, nothing to keep), when it is one;
- ``maps`` in the user's nextguard cache directory (``$NEXTGUARD_CACHE_HOME``, else the platform's);
- a private temporary directory made once per server process with ``tempfile.mkdtemp``.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from ..safefs import UnsafeFile, private_directory, write_atomic

CACHE_HOME_ENV = "NEXTGUARD_CACHE_HOME"

_fallback: Path | None = None
_fallback_lock = threading.Lock()


def _runtime_dir() -> Path | None:
    """``$XDG_RUNTIME_DIR`` if it is what the XDG spec says it is: an absolute path to a directory
    of this user that nobody else can enter."""
    value = os.environ.get("XDG_RUNTIME_DIR")
    if not value or not os.path.isabs(value):
        return None
    try:
        info = os.lstat(value)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or stat.S_IMODE(info.st_mode) & 0o077:
        return None
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return None
    return Path(value)


def _cache_home() -> Path | None:
    override = os.environ.get(CACHE_HOME_ENV)
    if override:
        return Path(os.path.abspath(override))
    try:
        from platformdirs import user_cache_dir
    except ImportError:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
        return base / "nextguard"
    return Path(user_cache_dir("nextguard", appauthor=False))


def _candidates() -> Iterator[Path]:
    runtime = _runtime_dir()
    if runtime is not None:
        yield runtime / "nextguard" / "maps"
    try:
        cache = _cache_home()
    except (OSError, RuntimeError):  # no home directory to find
        cache = None
    if cache is not None:
        yield cache / "maps"


def _temporary_directory() -> Path:
    """A directory of this process's own, made private by ``mkdtemp`` (a random name, 0700)."""
    global _fallback
    with _fallback_lock:
        if _fallback is None or not _fallback.is_dir():
            _fallback = Path(tempfile.mkdtemp(prefix="nextguard-maps-"))
        return _fallback


def map_directory() -> Path:
    """The private directory maps are written to (see the module's docstring for which)."""
    for candidate in _candidates():
        try:
            return private_directory(candidate)
        except OSError:  # a symlink, another user's, not a directory, read-only …
            continue
    return _temporary_directory()


def map_file_name(folder_name: str, key: str) -> str:
    """A file name for a folder's map: readable, and safe whatever the folder is called."""
    readable = re.sub(r"[^A-Za-z0-9_.-]", "_", folder_name)[:40].lstrip(".") or "workspace"
    return f"endpoint-map-{readable}-{key}.md"


def write_map(folder_name: str, key: str, text: str) -> Path:
    """Write a map and return its path. Raises ``UnsafeFile`` when the file there is a symlink
    (never written through, never replaced) and ``OSError`` when it cannot be written."""
    target = map_directory() / map_file_name(folder_name, key)
    write_atomic(target, text.encode("utf-8"), mode=0o600)
    return target


__all__ = ["UnsafeFile", "map_directory", "map_file_name", "write_map"]
