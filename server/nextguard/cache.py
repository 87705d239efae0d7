"""The on-disk cache of ``nextguard check`` and the language server: where it lives, how a pack
is read and written, and what it holds.

nextguard runs on repositories nobody vouched for, so nothing a repository holds is ever taken as
cache: by default the cache lives in the user's cache directory (``platformdirs``'
``user_cache_dir("nextguard")``, or ``$NEXTGUARD_CACHE_HOME``), one directory per workspace named
by a hash of the workspace's real path. A ``.nextguard_cache/`` committed in a repository is never
read. ``--cache-dir DIR`` puts the per-workspace directories under ``DIR`` instead (inside a
workspace if the user wants it there).

Every pack is signed: HMAC-SHA256, with a random 32-byte key kept in the user's cache directory
(``key``, mode 0600, outside every repository), over the pack's magic, the workspace's real path
and its content. A pack that does not verify, is larger than ``_PACK_LIMIT``, is not a regular
file (a FIFO, ``/dev/zero``, a symlink) or does not decode is ignored: a cold run, never an error
and never a changed result; in a user-given ``--cache-dir`` with a notice. Directories are made
private (0700) and refused, with a notice and the cache off, when they are symlinks, belong to
someone else or are open to others. Every write goes to a temporary file renamed into place, and
never through a symlink (``safefs``). No serialiser that can run code is used: facts are
``marshal``-encoded tuples (``facts.codec``; ``marshal`` builds only plain values) and the report
is JSON (``report_codec``), both decoded only after the signature verified, and validated.

Two packs per workspace:

- ``facts.bin``: every file's facts (``facts.codec``), keyed by a hash of its content and grammar,
  plus each path's last ``(mtime_ns, size)`` and content hash. A re-run reads the files (the
  analysis needs their text anyway) but extracts facts only for content it has not seen. An
  unchanged stat skips the hash too.
- ``results.bin``: the last report (JSON), with everything it was computed from: the nextguard source,
  the config, the rule selection, the paths asked about, each source file's stat, and the stat of
  every other file the analysis opened (tsconfig, package.json, Prisma schemas, nextguard.json) and
  of every directory it listed or that holds a source file (a new ``tsconfig.json`` changes its
  directory's mtime). When all of it is unchanged, the report is replayed without reading any
  source file.

Both carry a key (a hash of the nextguard package's own source and of the Python, marshal and
tree-sitter versions), so a changed extractor, rule or dependency starts cold.

A file modified just before it was read is "racily clean" (git's term): its stat could match a
later edit's, so its stat is not trusted next time (its content is hashed again) and a report
that read it is not stored. "Just before" is 100 ms on file systems with fine timestamps, two
seconds where they are whole seconds (``_racy``). So is a directory: creating a ``--cache-dir``
inside the workspace changes its parent's mtime, so that first run stores no report.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import marshal
import os
import re
import stat as stat_module
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .facts.model import FileFacts
from .model import Notice, Report
from .report_codec import decode_report, encode_notice, encode_report
from .safefs import (
    TooLarge,
    UnsafeFile,
    is_symlink,
    open_bounded,
    private_directory,
    read_bounded,
    read_up_to,
    write_atomic,
)

CACHE_DIR_NAME = ".nextguard_cache"  # the conventional place for ``--cache-dir`` in a workspace
CACHE_HOME_ENV = "NEXTGUARD_CACHE_HOME"
FACTS_PACK = "facts.bin"
RESULTS_PACK = "results.bin"
_KEY_FILE = "key"
_KEY_BYTES = 32
_MAGIC_FACTS = b"NGFACTS2"
_MAGIC_RESULTS = b"NGRSLTS2"
_MAC = 32  # HMAC-SHA256
# Far above any real workspace's packs (a 5,000-file app's facts are tens of MB), far below what
# would hurt: a planted ``/dev/zero`` is refused before a byte is read, a huge file by its size.
_PACK_LIMIT = 256 << 20
_STREAM_ABOVE = 4 << 20  # a pack larger than this is verified before it is read into memory
_RACY_NS = 2_000_000_000
_RACY_FINE_NS = 100_000_000
_PACKAGE_DIR = Path(__file__).resolve().parent
_IGNORE_EVERYTHING = b"# Created by nextguard: a cache, never committed.\n*\n"

Stat = tuple[int, int]  # (mtime_ns, size)


def _package_hash() -> bytes:
    """What the cache's content depends on besides the workspace: nextguard's own source (every
    module, the query and the schemas) and the versions of what parses and serialises it."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (__version__, sys.version, str(marshal.version)):
        digest.update(part.encode() + b"\0")
    for package in ("tree-sitter", "tree-sitter-typescript"):
        try:
            digest.update(f"{package}={metadata.version(package)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package}=?\0".encode())
    for path in sorted(_PACKAGE_DIR.rglob("*")):
        if path.suffix in (".py", ".scm", ".json") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(_PACKAGE_DIR)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.digest()


_KEY: bytes | None = None


def cache_key() -> bytes:
    global _KEY
    if _KEY is None:
        _KEY = _package_hash()
    return _KEY


def content_id(path: Path, data: bytes) -> bytes:
    """The facts' key: the text and the grammar its name selects."""
    name = path.name
    grammar = b"ts" if name.endswith((".ts", ".mts", ".cts")) else b"tsx"
    return hashlib.blake2b(data, digest_size=16, salt=grammar).digest()


# -- where the cache lives ----------------------------------------------------------------------


def cache_home() -> Path:
    """The user's nextguard cache directory: ``$NEXTGUARD_CACHE_HOME``, else the platform's
    convention (``$XDG_CACHE_HOME/nextguard``, ``~/.cache/nextguard``, ``~/Library/Caches/nextguard``,
    ``%LOCALAPPDATA%\\nextguard\\Cache``)."""
    override = os.environ.get(CACHE_HOME_ENV)
    if override:
        return Path(os.path.abspath(override))
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("nextguard", appauthor=False))


def workspace_tag(root: Path) -> str:
    """The per-workspace directory's name: the workspace's real path, hashed (the same project
    reached through a symlink shares its cache), after a readable part of its name."""
    real = os.path.realpath(root)
    digest = hashlib.sha256(os.fsencode(real)).hexdigest()[:24]
    name = re.sub(r"[^A-Za-z0-9_-]", "_", os.path.basename(real))[:40]
    return f"{name}-{digest}"


def cache_dir_for(root: Path, cache_dir: Path | None = None) -> Path:
    """Where the packs of the workspace ``root`` are kept: under the user's cache directory, or
    under ``cache_dir`` when the user gave one. Nothing is created here."""
    base = cache_home() / "workspaces" if cache_dir is None else Path(os.path.abspath(cache_dir))
    return base / workspace_tag(root)


def _trusted_key_file(path: Path) -> bytes | None:
    """The key in ``path`` if it is one: a regular file (never followed through a symlink) of
    this user, closed to others, of the right length."""
    try:
        secret = read_bounded(path, _KEY_BYTES, follow_symlinks=False)
        info = os.lstat(path)
    except OSError:  # missing, a symlink, a FIFO, too long: replaced
        return None
    if len(secret) != _KEY_BYTES:
        return None
    # Where there are POSIX owners and modes (not on Windows, whose files report 0o666).
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or stat_module.S_IMODE(info.st_mode) & 0o077):
        return None
    return secret


def _signing_key(home: Path) -> bytes:
    """The user's signing key, made on first use: random, written to a private temporary file and
    linked into place only if no other run made one first (that run's key is then used)."""
    path = home / _KEY_FILE
    found = _trusted_key_file(path)
    if found is not None:
        return found
    secret = os.urandom(_KEY_BYTES)
    descriptor, temporary = tempfile.mkstemp(prefix=".key.", suffix=".tmp", dir=home)  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(secret)
        try:
            os.link(temporary, path)
        except FileExistsError:
            found = _trusted_key_file(path)
            if found is not None:
                return found
            os.replace(temporary, path)  # a bad key file: replaced, never written through
        except OSError:  # a file system without hard links
            os.replace(temporary, path)
    finally:
        with suppress(OSError):
            os.unlink(temporary)
    return secret


def _given_directory(path: Path) -> Path:
    """The user's ``--cache-dir``: made if missing; refused if it is a symlink (a committed
    ``.nextguard_cache -> elsewhere`` must not make nextguard write elsewhere). Its mode is the
    user's business (it may be shared, like ``/tmp``): the per-workspace directory in it is
    private."""
    base = Path(os.path.abspath(path))
    if is_symlink(base):
        raise UnsafeFile(base, "is a symbolic link; not used")
    try:
        os.makedirs(base, mode=0o700, exist_ok=True)
    except FileExistsError:
        raise UnsafeFile(base, "exists and is not a directory") from None
    if is_symlink(base):  # planted between the check and the mkdir
        raise UnsafeFile(base, "is a symbolic link; not used")
    return base


class _NotOurs(ValueError):
    """A pack this user's nextguard did not write for this workspace."""


_FORGED = "its signature does not verify (not written by your nextguard for this workspace)"


def _cache_off(error: OSError, fallback: Path) -> Notice:
    where = Path(error.filename) if isinstance(error.filename, str) else fallback
    reason = error.reason if isinstance(error, UnsafeFile) else (error.strerror or str(error))
    return Notice(where, "cache", f"cache off for this run: {reason}")


@dataclass
class Store:
    """One workspace's cache directory, opened: packs are read and written here, signed with the
    user's key and bound to the workspace's real path (a pack of one project is no pack of
    another). ``notices`` collects what the user should hear about it."""

    directory: Path
    binding: bytes
    secret: bytes
    given: bool  # under a user-given --cache-dir: a pack that is not ours is worth a notice
    notices: list[Notice] = field(default_factory=list)

    def _signer(self, magic: bytes) -> hmac.HMAC:
        signer = hmac.new(self.secret, digestmod=hashlib.sha256)
        signer.update(magic)
        signer.update(len(self.binding).to_bytes(4, "big") + self.binding)
        return signer

    def _mac(self, magic: bytes, payload: bytes) -> bytes:
        signer = self._signer(magic)
        signer.update(payload)
        return signer.digest()

    def _ignored(self, path: Path, why: str, always: bool = False) -> None:
        if self.given or always:
            self.notices.append(Notice(path, "cache", f"ignored {path.name} in the cache: {why}; starting cold"))

    def read(self, name: str, magic: bytes) -> bytes | None:
        """The payload of the pack ``name`` if this user's nextguard wrote it for this workspace,
        else None. Bounded, never blocking, never through a symlink."""
        path = self.directory / name
        try:
            return self._read_signed(path, magic)
        except FileNotFoundError:
            return None
        except _NotOurs as error:
            self._ignored(path, str(error))
        except UnsafeFile as error:  # not a regular file, too large: nextguard never made it
            self._ignored(path, error.reason, always=True)
        except OSError as error:
            self._ignored(path, error.strerror or str(error))
        return None

    def _read_signed(self, path: Path, magic: bytes) -> bytes:
        # safefs's rules (no symlink, no FIFO or device, a size limit), on a descriptor kept open:
        # a large pack's signature is checked while streaming it, before it is held in memory,
        # so a forged one costs no more memory than a small one.
        with open_bounded(path, _PACK_LIMIT, follow_symlinks=False) as (descriptor, info):
            head = read_up_to(descriptor, len(magic) + _MAC)
            if len(head) < len(magic) + _MAC or head[: len(magic)] != magic:
                raise _NotOurs("not a cache file of this nextguard version")
            signature = head[len(magic) :]
            if info.st_size > _STREAM_ABOVE:
                signer = self._signer(magic)
                while chunk := os.read(descriptor, 1 << 20):
                    signer.update(chunk)
                if not hmac.compare_digest(signer.digest(), signature):
                    raise _NotOurs(_FORGED)
                os.lseek(descriptor, len(head), os.SEEK_SET)
            payload = read_up_to(descriptor, _PACK_LIMIT + 1)
        if len(payload) > _PACK_LIMIT:
            raise TooLarge(path, len(payload), _PACK_LIMIT)
        # Checked (again) on what is kept: the bytes used are the bytes signed.
        if not hmac.compare_digest(self._mac(magic, payload), signature):
            raise _NotOurs(_FORGED)
        return payload

    def write(self, name: str, magic: bytes, payload: bytes) -> None:
        """Sign and write atomically: a reader sees the old pack or the new one, never half of
        one. A cache that cannot be written is simply not written."""
        path = self.directory / name
        try:
            write_atomic(path, magic + self._mac(magic, payload) + payload, mode=0o600)
        except UnsafeFile as error:
            self.notices.append(Notice(path, "cache", f"not writing the cache: {error.reason}"))
        except OSError:
            pass

    def drop(self, name: str) -> None:
        with suppress(OSError):
            os.unlink(self.directory / name)  # a symlink is removed, not followed


def open_store(root: Path, cache_dir: Path | None = None) -> tuple[Store | None, list[Notice]]:
    """The cache of the workspace ``root`` (in the user's cache directory, or under the user-given
    ``cache_dir``), its directories made private; or None and a notice saying why the cache is
    off for this run. Never raises for anything on disk."""
    home = cache_home()
    target = cache_dir_for(root, cache_dir)
    try:
        home = private_directory(home)
        secret = _signing_key(home)
        if cache_dir is None:
            directory = private_directory(private_directory(home / "workspaces") / target.name)
        else:
            directory = private_directory(_given_directory(cache_dir) / target.name)
    except OSError as error:
        return None, [_cache_off(error, target)]
    store = Store(directory, os.fsencode(os.path.realpath(root)), secret, given=cache_dir is not None)
    if cache_dir is not None:
        # A cache the user put in a repository should not be committed.
        ignore = directory / ".gitignore"
        try:
            if not os.path.lexists(ignore):
                write_atomic(ignore, _IGNORE_EVERYTHING, mode=0o600)
        except UnsafeFile as error:
            store.notices.append(Notice(ignore, "cache", f"not writing {ignore.name}: {error.reason}"))
        except OSError:
            pass
    return store, []


def _stat(path: str) -> Stat | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


def _racy(mtime_ns: int, now_ns: int) -> bool:
    """Whether a later change could leave this mtime as it is: the file system's clock has not
    moved on since. Timestamps in whole seconds (FAT, HFS+, some network file systems) get two
    seconds; fine-grained ones get their clock tick with a wide margin."""
    window = _RACY_NS if mtime_ns % 1_000_000_000 == 0 else _RACY_FINE_NS
    return now_ns - mtime_ns < window


def _trusted(stat: Stat | None, now_ns: int) -> Stat | None:
    """A stat worth storing: not one a quick later edit could repeat."""
    if stat is None or _racy(stat[0], now_ns):
        return None
    return stat


def _valid_stat(value: object) -> bool:
    return value is None or (isinstance(value, tuple) and len(value) == 2 and all(type(part) is int for part in value))


def _valid_facts_pack(entries: object, stats: object) -> bool:
    """The shape ``save`` writes. The pack is signed, so this only guards against a bug of ours:
    a wrong entry would crash indexing, a cold run does not."""
    if not isinstance(entries, dict) or not isinstance(stats, dict):
        return False
    if not all(type(k) is bytes and type(v) is bytes for k, v in entries.items()):
        return False
    return all(
        type(k) is str and type(v) is tuple and len(v) == 2 and _valid_stat(v[0]) and type(v[1]) is bytes
        for k, v in stats.items()
    )


@dataclass
class FactsCache:
    """Per-file facts of one workspace, loaded once, updated as files are read, saved once."""

    store: Store
    key: bytes
    # content id -> the file's encoded facts, marshalled: bytes are a tenth of the size of the
    # encoded tuples, and a cold run holds one entry per file until it saves.
    entries: dict[bytes, bytes] = field(default_factory=dict)
    stats: dict[str, tuple[Stat | None, bytes]] = field(default_factory=dict)  # path -> (stat, content id)
    used: dict[bytes, bytes] = field(default_factory=dict)
    seen: dict[str, tuple[Stat | None, bytes]] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0

    @classmethod
    def load(cls, store: Store) -> FactsCache:
        cache = cls(store, cache_key())
        payload = store.read(FACTS_PACK, _MAGIC_FACTS)
        if payload is None:
            return cache
        try:
            key, entries, stats = marshal.loads(payload)
        except Exception:  # signed, so ours; from a version whose marshal differs: start cold
            return cache
        if key != cache.key or not _valid_facts_pack(entries, stats):
            return cache
        cache.entries, cache.stats = entries, stats
        return cache

    def identify(self, path: Path, data: bytes, stat: Stat | None) -> bytes:
        """The content id of ``data``, read from ``path`` when it had ``stat``; the stored one
        when the stat is unchanged and was trusted."""
        key = os.fspath(path)
        known = self.stats.get(key)
        ident = known[1] if stat is not None and known is not None and known[0] == stat else content_id(path, data)
        self.seen[key] = (_trusted(stat, time.time_ns()), ident)
        return ident

    def get(self, ident: bytes, path: Path, data: bytes) -> FileFacts | None:
        from .facts.codec import codec

        encoded = self.entries.get(ident)
        if encoded is None:
            self.misses += 1
            return None
        try:
            facts = codec().decode(marshal.loads(encoded), path, data)
        except Exception:  # an entry that does not fit the model: extract again
            self.misses += 1
            return None
        self.used[ident] = encoded
        self.hits += 1
        return facts

    def put(self, ident: bytes, facts: FileFacts) -> None:
        from .facts.codec import codec

        self.used[ident] = marshal.dumps(codec().encode(facts))

    def put_encoded(self, ident: bytes, encoded: bytes) -> None:
        """Facts a worker process extracted, encoded and marshalled already."""
        self.used[ident] = encoded

    def save(self) -> None:
        """Keep what this run used, for the files it saw: the pack does not grow with history."""
        if self.misses == 0 and self.seen == self.stats and len(self.used) == len(self.entries):
            return
        try:
            payload = marshal.dumps((self.key, self.used, self.seen))
        except ValueError:
            return
        self.store.write(FACTS_PACK, _MAGIC_FACTS, payload)


# -- the report ---------------------------------------------------------------------------------


class Recorder:
    """The files and directories an analysis reads besides the source files, seen through the
    interpreter's audit events (``open``, ``os.scandir``, ``os.listdir``)."""

    _active: Recorder | None = None
    _installed = False

    def __init__(self) -> None:
        self.files: set[str] = set()
        self.directories: set[str] = set()

    @classmethod
    def _hook(cls, event: str, args: tuple[Any, ...]) -> None:
        recorder = cls._active
        if recorder is None:
            return
        if event == "open":
            target = args[0]
            if isinstance(target, str | bytes | os.PathLike) and (len(args) < 2 or not args[1] or "r" in args[1]):
                recorder.files.add(os.fsdecode(target))
        elif event in ("os.scandir", "os.listdir"):
            target = args[0] if args else "."
            if isinstance(target, str | bytes | os.PathLike):
                recorder.directories.add(os.fsdecode(target))

    @contextmanager
    def recording(self) -> Iterator[Recorder]:
        cls = type(self)
        if not cls._installed:
            sys.addaudithook(cls._hook)
            cls._installed = True
        previous, cls._active = cls._active, self
        try:
            yield self
        finally:
            cls._active = previous


# Not inputs of a report: nextguard's own files and the interpreter's, and the kernel's views of
# the machine (/proc, /sys, /dev), which describe this moment, not the project.
_IGNORED_PREFIXES = (
    *sorted({os.fspath(_PACKAGE_DIR), sys.prefix, sys.base_prefix, sys.exec_prefix}),
    "/proc/",
    "/sys/",
    "/dev/",
)


def _inputs(recorder: Recorder, sources: Iterable[str], root: Path, own: Path) -> dict[str, Stat | None]:
    """Everything besides the source files' content that the report depends on, with its stat;
    not the cache directory ``own`` (a glob may list it), which every run writes to."""
    source_set = set(sources)
    own_text = os.fspath(own)
    ignored = (*_IGNORED_PREFIXES, own_text + os.sep)
    found: dict[str, Stat | None] = {}
    for name in recorder.files:
        absolute = os.path.abspath(name)
        if absolute in source_set or absolute.startswith(ignored) or absolute.endswith(".pyc"):
            continue
        found["f:" + absolute] = _stat(absolute)
    directories = {os.path.abspath(d) for d in recorder.directories}
    root_text = os.fspath(root)
    for source in source_set:
        directory = os.path.dirname(source)
        while directory not in directories and directory.startswith(root_text):
            directories.add(directory)
            directory = os.path.dirname(directory)
    for directory in directories:
        if directory != own_text and not directory.startswith(ignored):
            found["d:" + directory] = _stat(directory)
    return found


def _source_stats(files: Iterable[Path]) -> dict[str, Stat | None]:
    return {os.fspath(path): _stat(os.fspath(path)) for path in files}


def _decode_stats(value: object) -> dict[str, Stat | None]:
    """A ``{path: [mtime_ns, size] | null}`` object from JSON, as the stats ``_stat`` gives."""
    if not isinstance(value, dict):
        raise ValueError("not a table of stats")
    found: dict[str, Stat | None] = {}
    for name, item in value.items():
        if item is None:
            found[name] = None
        elif isinstance(item, list) and len(item) == 2 and all(type(part) is int for part in item):
            found[name] = (item[0], item[1])
        else:
            raise ValueError("not a stat")
    return found


@dataclass
class ResultCache:
    store: Store
    key: bytes

    @classmethod
    def open(cls, store: Store) -> ResultCache:
        return cls(store, cache_key())

    def replay(self, question: tuple[object, ...], files: list[Path], discovery_notices: list[Notice]) -> Report | None:
        """The stored report when nothing it was computed from has changed, else None."""
        payload = self.store.read(RESULTS_PACK, _MAGIC_RESULTS)
        if payload is None:
            return None
        try:
            key, stored_question, stored_sources, stored_inputs, notices, stored_report = json.loads(payload)
            if key != self.key.hex() or stored_question != _question_text(question):
                return None
            if notices != [encode_notice(notice) for notice in discovery_notices]:
                return None
            sources = _decode_stats(stored_sources)
            if list(sources) != [os.fspath(p) for p in files]:
                return None
            if any(stat is None for stat in sources.values()) or _source_stats(files) != sources:
                return None
            # A file the analysis tried to open and did not find is stored with no stat: it must
            # still be missing.
            inputs = _decode_stats(stored_inputs)
            if {name: _stat(name[2:]) for name in inputs} != inputs:
                return None
            return decode_report(stored_report)
        except (ValueError, TypeError, RecursionError):  # signed, so ours: from a version that wrote otherwise
            return None

    def store_report(
        self,
        question: tuple[object, ...],
        files: list[Path],
        discovery_notices: list[Notice],
        recorder: Recorder,
        root: Path,
        report: Report,
        started_ns: int,
    ) -> None:
        sources = _source_stats(files)
        # A source changed while (or just before) it was analysed could match a later edit's stat.
        if any(stat is None or _racy(stat[0], started_ns) for stat in sources.values()):
            self.store.drop(RESULTS_PACK)
            return
        inputs = _inputs(recorder, sources, root, self.store.directory)
        if any(stat is not None and _racy(stat[0], started_ns) for stat in inputs.values()):
            self.store.drop(RESULTS_PACK)
            return
        record = [
            self.key.hex(),
            _question_text(question),
            sources,
            inputs,
            [encode_notice(notice) for notice in discovery_notices],
            encode_report(report),
        ]
        try:
            payload = json.dumps(record, separators=(",", ":")).encode("ascii")
        except (TypeError, ValueError):
            return
        self.store.write(RESULTS_PACK, _MAGIC_RESULTS, payload)


def _question_text(question: tuple[object, ...]) -> str:
    """The question as one string, compared whole (JSON would turn its tuples into lists)."""
    return json.dumps(question, default=repr)


__all__ = [
    "CACHE_DIR_NAME",
    "CACHE_HOME_ENV",
    "FACTS_PACK",
    "RESULTS_PACK",
    "FactsCache",
    "Recorder",
    "ResultCache",
    "Store",
    "cache_dir_for",
    "cache_home",
    "cache_key",
    "content_id",
    "open_store",
    "workspace_tag",
]
