"""Reading and writing files of a workspace nobody vouched for.

nextguard runs on code it does not trust (a pull request in CI, a fresh clone), so every file it
opens may be a FIFO that blocks, a device that never ends, or a symlink planted to make a write
land somewhere else. Everything here is bounded and never follows a link on write:

- ``read_bounded`` opens without blocking, refuses anything but a regular file and reads at most
  ``limit`` bytes (one more tells a file that grew past the limit since its stat);
- ``write_atomic`` writes a temporary file beside the target and renames it into place: a reader
  sees the old content or the new, never half of it, and ``rename`` replaces a symlink planted at
  the target instead of writing through it. A target that is a symlink is refused outright, so
  the user's link is never silently replaced by a file;
- ``private_directory`` makes (or accepts) a directory only its owner can enter, and refuses one
  that is a symlink, belongs to someone else or is open to others.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


class UnsafeFile(OSError):
    """A path that is not what it must be (a symlink, a FIFO, a device, too large, not ours)."""

    def __init__(self, path: os.PathLike[str] | str, reason: str, code: int = errno.EINVAL) -> None:
        super().__init__(code, reason, os.fspath(path))
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.filename}: {self.reason}"


class TooLarge(UnsafeFile):
    def __init__(self, path: os.PathLike[str] | str, size: int, limit: int) -> None:
        super().__init__(path, f"{size:,} bytes, over the {limit:,}-byte limit", errno.EFBIG)
        self.size = size
        self.limit = limit


@contextmanager
def open_bounded(
    path: os.PathLike[str] | str, limit: int, *, follow_symlinks: bool = True
) -> Iterator[tuple[int, os.stat_result]]:
    """A read-only descriptor of the regular file at ``path``, with its stat, closed on leaving.

    Raises ``TooLarge`` when the file is already over ``limit`` bytes, ``UnsafeFile`` for anything
    that is not a regular file (a FIFO is opened without blocking and never read) and, without
    ``follow_symlinks``, for a symlink; ``OSError`` as ``open`` does."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP and not follow_symlinks:
            raise UnsafeFile(path, "is a symbolic link; not followed", errno.ELOOP) from None
        raise
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(path, "is not a regular file")
        if info.st_size > limit:
            raise TooLarge(path, info.st_size, limit)
        yield descriptor, info
    finally:
        os.close(descriptor)


def read_up_to(descriptor: int, count: int) -> bytes:
    """At most ``count`` bytes from ``descriptor`` (fewer only at the end of the file): a file can
    grow after its stat, so what is read is bounded by the reader, not by the size seen."""
    chunks: list[bytes] = []
    remaining = count
    while remaining > 0:
        chunk = os.read(descriptor, min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_bounded(path: os.PathLike[str] | str, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises ``TooLarge`` past the limit, ``UnsafeFile`` for anything that is not a regular file (a
    FIFO is opened without blocking and never read), and ``OSError`` as ``open`` does."""
    with open_bounded(path, limit, follow_symlinks=follow_symlinks) as (descriptor, _):
        data = read_up_to(descriptor, limit + 1)
    if len(data) > limit:
        raise TooLarge(path, len(data), limit)
    return data


def read_text_bounded(path: os.PathLike[str] | str, limit: int, *, follow_symlinks: bool = True) -> str:
    """``read_bounded`` decoded as UTF-8 (a byte-order mark dropped); ``ValueError`` if it is not."""
    return read_bounded(path, limit, follow_symlinks=follow_symlinks).decode("utf-8-sig")


def write_atomic(path: os.PathLike[str] | str, data: bytes, *, mode: int | None = None) -> None:
    """Replace the file at ``path`` by ``data`` atomically, never through a symlink.

    The file keeps its permission bits (or gets ``mode``, or 0o644 when new).
    Raises ``UnsafeFile`` when ``path`` is a symlink or not a regular file, ``OSError`` on any
    write error; the target is then unchanged and no temporary file is left behind."""
    target = os.fspath(path)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise UnsafeFile(target, "is a symbolic link; not written through", errno.ELOOP)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(target, "is not a regular file; not written")
    if mode is None:
        # Not the umask: reading it means setting it, for every thread of the process at once.
        mode = stat.S_IMODE(info.st_mode) if info is not None else 0o644
    directory = os.path.dirname(target) or "."
    # A name near the 255-byte limit must still leave room for the temporary file's.
    prefix = f".{os.path.basename(target)[:32]}."
    descriptor, temporary = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fchmod(out.fileno(), mode)
            if info is not None and hasattr(os, "fchown") and (info.st_uid, info.st_gid) != _owner(out.fileno()):
                # Root fixing a user's checkout must not hand the user's file to root; anyone
                # else cannot give a file away, and the file becomes theirs, as an editor's save does.
                with suppress(OSError):
                    os.fchown(out.fileno(), info.st_uid, info.st_gid)
        os.replace(temporary, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def _owner(descriptor: int) -> tuple[int, int]:
    info = os.fstat(descriptor)
    return info.st_uid, info.st_gid


def private_directory(path: os.PathLike[str] | str) -> Path:
    """``path`` as a directory that only this user can enter: made with mode 0o700 (parents
    too) when missing; refused when it is a symlink, when the directory it is in is another
    user's symlink, when it belongs to another user, or when it is open to others and cannot be
    closed."""
    target = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(target)
    if is_symlink(parent) and hasattr(os, "getuid") and os.lstat(parent).st_uid != os.getuid():
        # Before anything is made: ``makedirs`` would follow another user's link and create the
        # directory wherever it points. (A link of the user's own, ~/.cache moved to another
        # disk, is theirs to make.)
        raise UnsafeFile(parent, "is another user's symbolic link; not used", errno.ELOOP)
    try:
        os.makedirs(target, mode=0o700, exist_ok=True)
    except FileExistsError:
        raise UnsafeFile(target, "exists and is not a directory") from None
    info = os.lstat(target)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFile(target, "is a symbolic link; not used", errno.ELOOP)
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFile(target, "is not a directory")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise UnsafeFile(target, "belongs to another user; not used", errno.EPERM)
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(target, 0o700)
    return Path(target)


def is_symlink(path: os.PathLike[str] | str) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


__all__ = [
    "TooLarge",
    "UnsafeFile",
    "is_symlink",
    "open_bounded",
    "private_directory",
    "read_bounded",
    "read_text_bounded",
    "read_up_to",
    "write_atomic",
]
