"""The CLI's on-disk cache (``.nextguard_cache/`` in the workspace root, or ``--cache-dir``).

Two files, each written whole to a temporary name and renamed into place:

- ``facts.bin``: every file's facts (``facts.codec``), keyed by a hash of its content and grammar,
  plus each path's last ``(mtime_ns, size)`` and content hash. A re-run reads the files (the
  analysis needs their text anyway) but extracts facts only for content it has not seen. An
  unchanged stat skips the hash too.
- ``results.bin``: the last report, with everything it was computed from: the nextguard source,
  the config, the rule selection, the paths asked about, each source file's stat, and the stat of
  every other file the analysis opened (tsconfig, package.json, Prisma schemas, nextguard.json) and
  of every directory it listed or that holds a source file (a new ``tsconfig.json`` changes its
  directory's mtime). When all of it is unchanged, the report is replayed without reading any
  source file.

Both carry a key (a hash of the nextguard package's own source and of the Python, marshal and
tree-sitter versions), so a changed extractor, rule or dependency starts cold, and a checksum of
their content: a file that is truncated, corrupt, from another version or unreadable is ignored
(a cold run), never an error and never a source of stale results.

A file modified just before it was read is "racily clean" (git's term): its stat could match a
later edit's, so its stat is not trusted next time (its content is hashed again) and a report
that read it is not stored. "Just before" is 100 ms on file systems with fine timestamps, two
seconds where they are whole seconds (``_racy``). So is a directory: creating the cache directory
in the workspace root changes the root's mtime, so the first run stores no report.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import pickle
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

CACHE_DIR_NAME = ".nextguard_cache"
_MAGIC_FACTS = b"NGFACTS1"
_MAGIC_RESULTS = b"NGRSLTS1"
_DIGEST = 32
_RACY_NS = 2_000_000_000
_RACY_FINE_NS = 100_000_000
_PACKAGE_DIR = Path(__file__).resolve().parent

Stat = tuple[int, int]  # (mtime_ns, size)


def _package_hash() -> bytes:
    """What the cache's content depends on besides the workspace: nextguard's own source (every
    module, the query and the schemas) and the versions of what parses and serialises it."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (__version__, sys.version, str(marshal.version), str(pickle.HIGHEST_PROTOCOL)):
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


def _read_pack(path: Path, magic: bytes) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            blob = handle.read()
    except OSError:
        return None
    head = len(magic) + _DIGEST
    if len(blob) < head or blob[: len(magic)] != magic:
        return None
    payload = blob[head:]
    if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != blob[len(magic) : head]:
        return None
    return payload


def _write_pack(path: Path, magic: bytes, payload: bytes) -> None:
    """Write atomically: a reader sees the old pack or the new one, never half of one. A cache
    that cannot be written is simply not written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by nextguard: a cache, never committed.\n*\n", encoding="utf-8")
        handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(magic)
                out.write(hashlib.blake2b(payload, digest_size=_DIGEST).digest())
                out.write(payload)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass


def cache_dir_for(root: Path, cache_dir: Path | None) -> Path:
    """``.nextguard_cache`` in the root, or one directory per workspace under ``--cache-dir``."""
    if cache_dir is None:
        return root / CACHE_DIR_NAME
    tag = hashlib.blake2b(os.fsencode(root), digest_size=8).hexdigest()
    return cache_dir / f"{root.name}-{tag}"


@dataclass
class FactsCache:
    """Per-file facts of one workspace, loaded once, updated as files are read, saved once."""

    directory: Path
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
    def load(cls, directory: Path) -> FactsCache:
        cache = cls(directory, cache_key())
        payload = _read_pack(directory / "facts.bin", _MAGIC_FACTS)
        if payload is None:
            return cache
        try:
            key, entries, stats = marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            return cache
        if key != cache.key or not isinstance(entries, dict) or not isinstance(stats, dict):
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
        _write_pack(self.directory / "facts.bin", _MAGIC_FACTS, payload)


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


@dataclass
class ResultCache:
    directory: Path
    key: bytes

    @classmethod
    def open(cls, directory: Path) -> ResultCache:
        return cls(directory, cache_key())

    def replay(self, question: tuple[object, ...], files: list[Path], discovery_notices: list[Notice]) -> Report | None:
        """The stored report when nothing it was computed from has changed, else None."""
        payload = _read_pack(self.directory / "results.bin", _MAGIC_RESULTS)
        if payload is None:
            return None
        try:
            key, stored_question, sources, inputs, notices, report = pickle.loads(payload)
        except Exception:  # a pack from elsewhere that still had our checksum: start cold
            return None
        if key != self.key or stored_question != question or notices != discovery_notices:
            return None
        if not isinstance(sources, dict) or list(sources) != [os.fspath(p) for p in files]:
            return None
        if any(stat is None for stat in sources.values()) or _source_stats(files) != sources:
            return None
        # A file the analysis tried to open and did not find is stored with no stat: it must
        # still be missing.
        if {name: _stat(name[2:]) for name in inputs} != inputs:
            return None
        return report if isinstance(report, Report) else None

    def store(
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
            self._drop()
            return
        inputs = _inputs(recorder, sources, root, self.directory)
        if any(stat is not None and _racy(stat[0], started_ns) for stat in inputs.values()):
            self._drop()
            return
        try:
            payload = pickle.dumps((self.key, question, sources, inputs, discovery_notices, report), protocol=5)
        except Exception:
            return
        _write_pack(self.directory / "results.bin", _MAGIC_RESULTS, payload)

    def _drop(self) -> None:
        with suppress(OSError):
            (self.directory / "results.bin").unlink(missing_ok=True)


__all__ = ["CACHE_DIR_NAME", "FactsCache", "Recorder", "ResultCache", "cache_dir_for", "cache_key", "content_id"]
