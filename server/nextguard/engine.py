"""The engine's front door: paths in, findings out. The CLI and the language server both come
through here (the server keeps the ``Workspace`` and feeds it edits)."""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from tree_sitter import Tree

from .analysis import Analysis
from .cache import FactsCache, Recorder, ResultCache, open_store
from .config import DEFAULT_CONFIG, Config, load_config
from .facts.extract import MAX_DEPTH, extract
from .facts.model import FileFacts
from .facts.partial import Moves, reextract_moving
from .model import Finding, Notice, Report, Span
from .rules.base import Rule
from .rules.registry import RULES
from .suppressions import suppressions_of
from .syntax.parse import parse
from .workspace.discovery import discover, find_workspace_root, read_source
from .workspace.index import WorkspaceIndex
from .workspace.kept import Edit, Kept, edit_since, moved, split

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
    from .facts.codec import codec

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

    from .facts.codec import codec

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


def run_rules(
    analysis: Analysis,
    paths: Iterable[Path],
    rules: Sequence[type[Rule]] = RULES,
    notices: list[Notice] | None = None,
) -> list[Finding]:
    """Findings of every enabled rule for ``paths``, with config severities and suppressions
    applied. A rule that raises on one file is reported as a notice; the others still run."""
    config = analysis.index.config
    enabled = [(rule(), severity) for rule in rules if (severity := config.severity_for(rule.code, rule.severity))]
    findings: list[Finding] = []
    seen: set[tuple[str, Path, Span]] = set()
    for path in paths:
        facts = analysis.index.modules.get(path)
        if facts is None:
            continue
        suppressions = suppressions_of(facts)
        for rule, severity in enabled:
            try:
                produced = list(rule.check(analysis, path))
            except Exception as error:
                if notices is not None:
                    notices.append(Notice(path, "rule-error", f"{rule.code} failed: {error!r}"))
                continue
            for finding in produced:
                key = (finding.code, finding.path, finding.span)
                if key in seen:
                    continue
                seen.add(key)
                row = analysis.index.modules[finding.path].lines.row_of(finding.span.start)
                target = suppressions if finding.path == path else suppressions_of(analysis.index.modules[finding.path])
                if target.hides(finding, row):
                    continue
                if severity is not finding.severity:
                    finding = Finding(
                        finding.code,
                        finding.name,
                        severity,
                        finding.message,
                        finding.path,
                        finding.span,
                        finding.related,
                        finding.fixes,
                    )
                findings.append(finding)
    findings.sort(key=lambda f: (str(f.path), f.span.start, f.code))
    return findings


def analyze(
    paths: Sequence[Path],
    *,
    config: Config | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    progress: Progress | None = None,
    cache: bool = False,
    cache_dir: Path | None = None,
    jobs: int = 1,
) -> Report:
    """Analyse the workspace that holds each path and report the findings inside the paths.
    With ``cache``, reuse and update the on-disk cache (``nextguard.cache``): in the user's cache
    directory, or under ``cache_dir``. ``jobs`` > 1 parses and extracts large workspaces in that many
    processes (this one and forked workers). Raises ``ConfigError`` for an invalid config."""
    report = Report()
    roots: dict[Path, list[Path]] = {}
    for given in paths:
        path = Path(given).absolute()
        if not path.exists():
            report.notices.append(Notice(path, "not-found", "no such file or directory"))
            continue
        path = path.resolve()
        roots.setdefault(find_workspace_root(path), []).append(path)
    rules = [rule for rule in RULES if (not select or _matches(rule.code, select)) and not _matches(rule.code, ignore)]
    for root, scopes in roots.items():
        root_config = config if config is not None else load_config(root)
        discovery = discover(root, ignore_globs=root_config.ignore)
        report.notices.extend(discovery.notices)
        if cache:
            part = _analyze_cached(
                root, root_config, discovery.files, discovery.notices, scopes, rules, progress, cache_dir, jobs
            )
        else:
            part = _analyze_root(root, root_config, discovery.files, scopes, rules, progress, jobs=jobs)
        report.notices.extend(part.notices)
        report.findings.extend(part.findings)
        report.files_analysed += part.files_analysed
        report.analysed.update(part.analysed)
    return report


def _analyze_root(
    root: Path,
    config: Config,
    files: list[Path],
    scopes: list[Path],
    rules: Sequence[type[Rule]],
    progress: Progress | None,
    facts_cache: FactsCache | None = None,
    jobs: int = 1,
) -> Report:
    part = Report()
    index = build_index(root, config, files, part.notices, progress, facts_cache, jobs)
    analysis = Analysis(index)
    in_scope = [p for p in index.modules if any(p == s or s in p.parents for s in scopes)]
    part.files_analysed = len(in_scope)
    part.findings = run_rules(analysis, in_scope, rules, part.notices)
    part.analysed = analysed_digests(part.findings, index.sources)
    return part


def analysed_digests(findings: Iterable[Finding], sources: dict[Path, bytes]) -> dict[Path, str]:
    """The SHA-256 of what each file a fix edits was analysed from (``Report.analysed``)."""
    edited = {edit.path for finding in findings for fix in finding.fixes for edit in fix.edits}
    return {path: hashlib.sha256(sources[path]).hexdigest() for path in sorted(edited) if path in sources}


def _analyze_cached(
    root: Path,
    config: Config,
    files: list[Path],
    discovery_notices: list[Notice],
    scopes: list[Path],
    rules: Sequence[type[Rule]],
    progress: Progress | None,
    cache_dir: Path | None,
    jobs: int = 1,
) -> Report:
    """``_analyze_root`` through the cache: the stored report when nothing it depends on changed,
    else an analysis that decodes the facts of unchanged content instead of extracting them. A
    cache that cannot be used is a notice and an uncached run."""
    store, cache_notices = open_store(root, cache_dir)
    if store is None:
        part = _analyze_root(root, config, files, scopes, rules, progress, jobs=jobs)
        part.notices.extend(cache_notices)
        return part
    results = ResultCache.open(store)
    question = (repr(config), tuple(rule.code for rule in rules), tuple(sorted(os.fspath(s) for s in scopes)))
    replayed = results.replay(question, files, discovery_notices)
    if replayed is not None:
        replayed.notices.extend(store.notices)
        return replayed
    facts_cache = FactsCache.load(store)
    started = time.time_ns()
    recorder = Recorder()
    with recorder.recording():
        part = _analyze_root(root, config, files, scopes, rules, progress, facts_cache, jobs)
    facts_cache.save()
    results.store_report(question, files, discovery_notices, recorder, root, part, started)
    # After storing: what the cache said this time is no part of the report it replays.
    part.notices.extend(store.notices)
    return part


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


class Workspace:
    """One workspace kept up to date as files change: the language server's engine. It holds
    facts for every file and summaries for the whole workspace; trees are the caller's business
    (the server keeps them for open documents only)."""

    def __init__(self, root: Path, config: Config | None = None, *, cache: bool = False, jobs: int = 1) -> None:
        self.root = root.resolve()
        self.config = config if config is not None else DEFAULT_CONFIG
        self.notices: list[Notice] = []
        self.analysis = Analysis(WorkspaceIndex(self.root, self.config, {}, {}))
        self.cache = cache
        self.jobs = jobs
        self.from_cache = 0  # files whose facts the last ``index`` decoded from the cache
        self._kept: dict[Path, Kept] = {}  # per file: findings of per-endpoint rules by statement

    def index(self, progress: Progress | None = None) -> list[Notice]:
        """Discover and read every file (again). Returns the notices about skipped files.

        With ``cache``, through the on-disk facts cache ``nextguard check`` keeps for this
        workspace (in the user's cache directory, see ``nextguard.cache``): reopening a project, or
        opening one the CLI has checked, decodes the facts of unchanged files instead of
        extracting them; with ``jobs`` > 1 the rest is parsed in that many processes."""
        notices: list[Notice] = []
        discovery = discover(self.root, ignore_globs=self.config.ignore)
        notices.extend(discovery.notices)
        store = None
        if self.cache:
            store, cache_notices = open_store(self.root)
            notices.extend(cache_notices)
        facts_cache = FactsCache.load(store) if store is not None else None
        index = build_index(self.root, self.config, discovery.files, notices, progress, facts_cache, self.jobs)
        self.from_cache = 0
        if store is not None and facts_cache is not None:
            facts_cache.save()
            self.from_cache = facts_cache.hits
            notices.extend(store.notices)
        self.analysis = Analysis(index)
        self._kept.clear()
        self.notices = notices
        return notices

    def set_config(self, config: Config, progress: Progress | None = None) -> list[Notice]:
        self.config = config
        return self.index(progress)

    @property
    def files(self) -> list[Path]:
        return list(self.analysis.index.modules)

    def source(self, path: Path) -> bytes | None:
        return self.analysis.index.sources.get(path)

    def facts(self, path: Path) -> FileFacts | None:
        return self.analysis.index.modules.get(path)

    def update(self, path: Path, data: bytes | None, tree: Tree | None = None) -> set[Path]:
        """A file's new text (None: deleted), with its tree when the caller parsed it
        incrementally. Returns the files whose findings may have changed."""
        # Kept findings (``rule_findings``) hold only while nothing but their own file changed.
        kept = self._kept.pop(path, None)
        self._kept.clear()
        if data is None:
            return self.analysis.update(path, None)
        found: tuple[FileFacts, Moves] | None = None
        old, old_source = self.analysis.index.modules.get(path), self.analysis.index.sources.get(path)
        if tree is not None and old is not None and old_source is not None:
            # An edit in one function of a large file: extract that statement again, keep the rest.
            found = reextract_moving(path, old, old_source, data, tree)
        if found is not None:
            dirty = self.analysis.update(path, found[0], data, found[1])
        else:
            facts = extract(path, data, tree if tree is not None else parse(path, data))
            dirty = self.analysis.update(path, facts, data)
        if kept is not None:
            kept.dirtied |= dirty
            self._kept[path] = kept
        return dirty

    def findings(self, path: Path, notices: list[Notice] | None = None, reuse: bool = False) -> list[Finding]:
        """The findings located in ``path`` (rules run on it, suppressions applied)."""
        return [f for f in self.rule_findings(path, RULES, notices, reuse) if f.path == path]

    def rule_findings(
        self,
        path: Path,
        rules: Sequence[type[Rule]] = RULES,
        notices: list[Notice] | None = None,
        reuse: bool = True,
    ) -> list[Finding]:
        """``run_rules(analysis, [path], rules, notices)``. With ``reuse``, the ``per_function``
        rules run only on the statements the edits since the last call touched (and those linked
        to them), keeping the findings of the others (``workspace/kept.py``); their fixes may then
        be out of date (a workspace-wide choice the edit changed): pass ``reuse=False`` for fixes
        to apply."""
        analysis = self.analysis
        facts, source = analysis.index.modules.get(path), analysis.index.sources.get(path)
        scoped = [rule for rule in rules if rule.per_function]
        if facts is None or source is None or not scoped:
            self._kept.pop(path, None)
            return run_rules(analysis, [path], rules, notices)
        others = [rule for rule in rules if not rule.per_function]
        codes = tuple(rule.code for rule in rules)
        kept = self._kept.pop(path, None)
        edit: Edit | None = None
        if (
            reuse
            and kept is not None
            and kept.codes == codes
            and kept.proxy == analysis.proxy_with_auth
            and not _reaches(kept.dirtied - {path}, analysis.index.imports_of(path))
        ):
            edit = edit_since(kept, facts, source)
        errors: list[Notice] = []
        statements = facts.units[0].statements
        if kept is None or edit is None:
            found = run_rules(analysis, [path], scoped, errors)
        else:
            focus = [statements[at] for at in sorted(edit.statements)]
            analysis.focus = (path, focus)
            try:
                found = run_rules(analysis, [path], scoped, errors)
            finally:
                analysis.focus = None
            # The module level is read whole (``Analysis.units``): outside the focus, the kept
            # findings stand.
            found = [f for f in found if any(s.start <= f.span.start < s.end for s in focus)]
            for at, old in enumerate(kept.by_statement):
                if at in edit.statements:
                    continue
                for finding in old:
                    moved_finding = moved(finding, path, edit)
                    if moved_finding is None:  # it reaches into the edit: check everything again
                        errors.clear()
                        found = run_rules(analysis, [path], scoped, errors)
                        break
                    found.append(moved_finding)
                else:
                    continue
                break
        by_statement = split(found, path, facts)
        if by_statement is not None and not errors:
            self._kept[path] = Kept(facts, source, codes, by_statement, analysis.proxy_with_auth)
        if notices is not None:
            notices.extend(errors)
        found += run_rules(analysis, [path], others, notices)
        found.sort(key=lambda f: (str(f.path), f.span.start, f.code))
        return found


def _reaches(dirtied: set[Path], imported: Iterable[Path]) -> bool:
    """Whether a file the edited one imports was dirtied (a call cycle could carry the edit back)."""
    return bool(dirtied) and any(path in dirtied for path in imported)


def _matches(code: str, patterns: Sequence[str]) -> bool:
    return any(code.startswith(pattern.strip().upper()) for pattern in patterns if pattern.strip())


__all__ = ["DEFAULT_CONFIG", "Workspace", "analyze", "build_index", "load_file", "run_rules"]
