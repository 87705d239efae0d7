"""Loading a workspace: every file read (bounded, see ``discovery.read_source``), parsed and its facts
extracted into a ``WorkspaceIndex`` — through the facts cache when there is one, and in forked
worker processes when there are many files."""

from __future__ import annotations

import contextlib
import marshal
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..cache import FactsCache
from ..config import Config
from ..facts.extract import MAX_DEPTH, extract
from ..facts.model import FileFacts
from ..model import Notice
from ..syntax.parse import parse
from ..workspace.discovery import read_source
from ..workspace.index import WorkspaceIndex

Progress = Callable[[int, int], None]


def load_file(path: Path, data: bytes) -> tuple[FileFacts, Notice | None]:
    tree = parse(path, data)
    facts = extract(path, data, tree)
    return facts, next(iter(_facts_notices(facts)), None)


def _facts_notices(facts: FileFacts) -> list[Notice]:
    notices: list[Notice] = []
    if facts.syntax_error is not None:
        row, col = facts.lines.position(facts.syntax_error.start, "utf-32")
        notices.append(Notice(facts.path, "syntax", f"syntax error at {row + 1}:{col + 1}; analysed what parses"))
    if facts.too_deep is not None:
        row, col = facts.lines.position(facts.too_deep.start, "utf-32")
        notices.append(
            Notice(
                facts.path,
                "too-deep",
                f"code nested more than {MAX_DEPTH:,} syntax levels deep at {row + 1}:{col + 1}; "
                "what lies deeper was not analysed",
            )
        )
    return notices


def build_index(
    root: Path,
    config: Config,
    files: Iterable[Path],
    notices: list[Notice],
    progress: Progress | None = None,
    cache: FactsCache | None = None,
    jobs: int = 1,
) -> WorkspaceIndex:
    """Read, parse and extract every file. With ``cache``, facts of content seen before are
    decoded from it instead of extracted, and new facts are added to it. With ``jobs`` > 1 and
    enough files to extract, the parsing and extraction run in that many processes (this one
    and ``jobs - 1`` forked workers)."""
    files = list(files)
    total = len(files)
    found: list[tuple[Path, bytes, FileFacts | None, bytes]] = []  # path, text, facts if cached, content id
    per_file: dict[Path, list[Notice]] = {}
    for done, path in enumerate(files, 1):
        # The stat comes before the read: an edit after it changes the stat the cache stores.
        stat = _stat(path) if cache is not None else None
        data, notice = read_source(path)
        if notice is not None:
            per_file.setdefault(path, []).append(notice)
        if data is None:
            continue
        facts: FileFacts | None = None
        ident = b""
        if cache is not None:
            ident = cache.identify(path, data, stat)
            facts = cache.get(ident, path, data)
        found.append((path, data, facts, ident))
        if progress is not None and facts is not None:
            progress(done, total)

    missing = [i for i, item in enumerate(found) if item[2] is None]
    extracted: dict[int, FileFacts | str] = {}
    if jobs > 1 and len(missing) >= PARALLEL_MIN_FILES:
        extracted = _extract_parallel([(found[i][0], found[i][1]) for i in missing], jobs, cache, found, missing)
    done_count = total - len(missing)
    for position in missing:
        path, data, _, ident = found[position]
        result = extracted.get(position)
        if result is None:
            try:
                result = extract(path, data, parse(path, data))
            except (ValueError, RecursionError) as error:  # a file tree-sitter cannot take
                result = str(error)
            if cache is not None and not isinstance(result, str):
                cache.put(ident, result)
        if isinstance(result, str):
            per_file.setdefault(path, []).append(Notice(path, "unreadable", f"could not be parsed: {result}"))
            found[position] = (path, data, None, ident)
            continue
        found[position] = (path, data, result, ident)
        done_count += 1
        if progress is not None:
            progress(done_count, total)

    modules: dict[Path, FileFacts] = {}
    sources: dict[Path, bytes] = {}
    by_path = {item[0]: item for item in found}
    for path in files:
        # Notices in file order, as a serial run gives them: the read's, then the parse's.
        notices.extend(per_file.get(path, ()))
        item = by_path.get(path)
        if item is None or item[2] is None:
            continue
        facts = item[2]
        notices.extend(_facts_notices(facts))
        modules[path] = facts
        sources[path] = item[1]
    return WorkspaceIndex(root, config, modules, sources)


# Below this many files to extract, starting workers costs more than it saves.
PARALLEL_MIN_FILES = 300
_CHUNK = 48
_WORK: list[tuple[Path, bytes]] = []  # what forked workers read (inherited, never serialised)


def _extract_chunk(bounds: tuple[int, int]) -> bytes:
    """In a worker: parse, extract and encode ``_WORK[start:end]``; marshal is the cheap way back
    (each file's facts marshalled on their own, as the cache keeps them)."""
    from ..facts.codec import codec

    encode = codec().encode
    out: list[tuple[int, bytes | str]] = []
    for position in range(*bounds):
        path, data = _WORK[position]
        try:
            out.append((position, marshal.dumps(encode(extract(path, data, parse(path, data))))))
        except (ValueError, RecursionError) as error:
            out.append((position, str(error)))
    return marshal.dumps(out)


def _claim(counter: Any, limit: int) -> int | None:
    """The next chunk nobody has taken, shared by the workers and the parent."""
    with counter.get_lock():
        index = int(counter.value)
        if index >= limit:
            return None
        counter.value = index + 1
    return index


# A worker that has sent nothing for this long is stuck (it should send a chunk every second or
# two): it is killed and what it had not delivered is extracted in this process.
_STALL_SECONDS = 120.0


def _fork_worker(chunks: list[tuple[int, int]], counter: Any) -> tuple[int, Connection]:
    """Fork a worker that extracts the chunks it claims and sends them down a pipe; returns its
    pid and the pipe's reading end.

    A bare ``os.fork``, not ``multiprocessing.Process``: a Process starts by closing stdin, which
    waits for the lock of stdin's buffer, and in the language server another thread holds that
    lock for as long as it waits for the client's next message (the server hung indexing). The
    worker also ends with ``os._exit``: a normal exit would flush the stdout it inherited, which
    in the language server is the protocol stream."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            writer = Connection(write_end, readable=False)
            while (index := _claim(counter, len(chunks))) is not None:
                writer.send_bytes(_extract_chunk(chunks[index]))
            writer.close()
        finally:
            os._exit(0)
    os.close(write_end)
    return pid, Connection(read_end, writable=False)


def _extract_parallel(
    work: list[tuple[Path, bytes]],
    jobs: int,
    cache: FactsCache | None,
    found: list[tuple[Path, bytes, FileFacts | None, bytes]],
    missing: list[int],
) -> dict[int, FileFacts | str]:
    """Facts (or a parse error's text) by position in ``found``; whatever a worker did not
    deliver is left out, for the caller to extract itself.

    ``jobs - 1`` forked workers and this process take chunks from one shared counter. The parent
    works too rather than only waiting: facts a worker sends must be decoded here (a quarter of
    what extracting them cost), so the parent's share is the part of the work that pays no
    transport at all. Between its own files it reads what the workers sent, so none of them
    waits long on a full pipe."""
    from multiprocessing.connection import wait

    from ..facts.codec import codec

    if "fork" not in multiprocessing.get_all_start_methods():
        return {}
    global _WORK
    _WORK = work
    decode = codec().decode
    results: dict[int, FileFacts | str] = {}
    chunks = [(start, min(start + _CHUNK, len(work))) for start in range(0, len(work), _CHUNK)]
    workers: dict[Connection, int] = {}  # reading end -> pid

    def receive(block: bool) -> None:
        ready = wait(list(workers), timeout=_STALL_SECONDS if block else 0)
        if block and not ready:
            raise TimeoutError("no worker sent anything")
        for reader in ready:
            assert isinstance(reader, Connection)
            try:
                blob = reader.recv_bytes()
            except (EOFError, OSError):  # that worker is done, or died: the caller redoes its chunk
                os.waitpid(workers.pop(reader), 0)
                reader.close()
                continue
            for position, value in marshal.loads(blob):
                target = missing[position]
                path, data, _, ident = found[target]
                if isinstance(value, str):
                    results[target] = value
                    continue
                results[target] = decode(marshal.loads(value), path, data)
                if cache is not None:
                    cache.put_encoded(ident, value)

    try:
        counter = multiprocessing.get_context("fork").Value("l", 0)
        for _ in range(min(jobs, len(chunks)) - 1):
            pid, reader = _fork_worker(chunks, counter)
            workers[reader] = pid
        while (index := _claim(counter, len(chunks))) is not None:
            for position in range(*chunks[index]):
                path, data = work[position]
                target = missing[position]
                try:
                    facts = extract(path, data, parse(path, data))
                except (ValueError, RecursionError) as error:
                    results[target] = str(error)
                else:
                    results[target] = facts
                    if cache is not None:
                        cache.put(found[target][3], facts)
                if workers:
                    receive(block=False)
        while workers:
            receive(block=True)
    except (OSError, ValueError, EOFError, RuntimeError, multiprocessing.ProcessError):  # TimeoutError is an OSError
        pass  # no workers here (a sandbox, no /dev/shm), or one is stuck: the rest is extracted here
    finally:
        _WORK = []
        for reader, pid in workers.items():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            reader.close()
    return results


def default_jobs() -> int:
    """Processes for a CLI scan (``jobs``): the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)
