"""The engine's front door: paths in, findings out. The CLI and the language server both come
through here (the server keeps the ``Workspace`` and feeds it edits)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from tree_sitter import Tree

from .analysis import Analysis
from .cache import FactsCache, Recorder, ResultCache, cache_dir_for
from .config import DEFAULT_CONFIG, Config, load_config
from .facts.extract import extract
from .facts.model import FileFacts
from .model import Finding, Notice, Report, Span
from .rules.base import Rule
from .rules.registry import RULES
from .suppressions import suppressions_of
from .syntax.parse import parse
from .workspace.discovery import discover, find_workspace_root, read_source
from .workspace.index import WorkspaceIndex

Progress = Callable[[int, int], None]


def load_file(path: Path, data: bytes) -> tuple[FileFacts, Notice | None]:
    tree = parse(path, data)
    facts = extract(path, data, tree)
    return facts, _syntax_notice(facts)


def _syntax_notice(facts: FileFacts) -> Notice | None:
    if facts.syntax_error is None:
        return None
    row, col = facts.lines.position(facts.syntax_error.start, "utf-32")
    return Notice(facts.path, "syntax", f"syntax error at {row + 1}:{col + 1}; analysed what parses")


def build_index(
    root: Path,
    config: Config,
    files: Iterable[Path],
    notices: list[Notice],
    progress: Progress | None = None,
    cache: FactsCache | None = None,
) -> WorkspaceIndex:
    """Read, parse and extract every file. With ``cache``, facts of content seen before are
    decoded from it instead of extracted, and new facts are added to it."""
    modules: dict[Path, FileFacts] = {}
    sources: dict[Path, bytes] = {}
    files = list(files)
    for done, path in enumerate(files, 1):
        # The stat comes before the read: an edit after it changes the stat the cache stores.
        stat = _stat(path) if cache is not None else None
        data, notice = read_source(path)
        if notice is not None:
            notices.append(notice)
        if data is None:
            continue
        try:
            if cache is None:
                facts, syntax = load_file(path, data)
            else:
                ident = cache.identify(path, data, stat)
                cached = cache.get(ident, path, data)
                if cached is None:
                    facts, syntax = load_file(path, data)
                    cache.put(ident, facts)
                else:
                    facts, syntax = cached, _syntax_notice(cached)
        except (ValueError, RecursionError) as error:  # a file tree-sitter cannot take
            notices.append(Notice(path, "unreadable", f"could not be parsed: {error}"))
            continue
        if syntax is not None:
            notices.append(syntax)
        modules[path] = facts
        sources[path] = data
        if progress is not None:
            progress(done, len(files))
    return WorkspaceIndex(root, config, modules, sources)


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
) -> Report:
    """Analyse the workspace that holds each path and report the findings inside the paths.
    With ``cache``, reuse and update the on-disk cache (``nextguard.cache``): in the workspace
    root, or under ``cache_dir``. Raises ``ConfigError`` for an invalid config."""
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
                root, root_config, discovery.files, discovery.notices, scopes, rules, progress, cache_dir
            )
        else:
            part = _analyze_root(root, root_config, discovery.files, scopes, rules, progress)
        report.notices.extend(part.notices)
        report.findings.extend(part.findings)
        report.files_analysed += part.files_analysed
    return report


def _analyze_root(
    root: Path,
    config: Config,
    files: list[Path],
    scopes: list[Path],
    rules: Sequence[type[Rule]],
    progress: Progress | None,
    facts_cache: FactsCache | None = None,
) -> Report:
    part = Report()
    index = build_index(root, config, files, part.notices, progress, facts_cache)
    analysis = Analysis(index)
    in_scope = [p for p in index.modules if any(p == s or s in p.parents for s in scopes)]
    part.files_analysed = len(in_scope)
    part.findings = run_rules(analysis, in_scope, rules, part.notices)
    return part


def _analyze_cached(
    root: Path,
    config: Config,
    files: list[Path],
    discovery_notices: list[Notice],
    scopes: list[Path],
    rules: Sequence[type[Rule]],
    progress: Progress | None,
    cache_dir: Path | None,
) -> Report:
    """``_analyze_root`` through the cache: the stored report when nothing it depends on changed,
    else an analysis that decodes the facts of unchanged content instead of extracting them."""
    directory = cache_dir_for(root, cache_dir)
    results = ResultCache.open(directory)
    question = (repr(config), tuple(rule.code for rule in rules), tuple(sorted(os.fspath(s) for s in scopes)))
    replayed = results.replay(question, files, discovery_notices)
    if replayed is not None:
        return replayed
    facts_cache = FactsCache.load(directory)
    started = time.time_ns()
    recorder = Recorder()
    with recorder.recording():
        part = _analyze_root(root, config, files, scopes, rules, progress, facts_cache)
    facts_cache.save()
    results.store(question, files, discovery_notices, recorder, root, part, started)
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

    def __init__(self, root: Path, config: Config | None = None) -> None:
        self.root = root.resolve()
        self.config = config if config is not None else DEFAULT_CONFIG
        self.notices: list[Notice] = []
        self.analysis = Analysis(WorkspaceIndex(self.root, self.config, {}, {}))

    def index(self, progress: Progress | None = None) -> list[Notice]:
        """Discover and read every file (again). Returns the notices about skipped files."""
        notices: list[Notice] = []
        discovery = discover(self.root, ignore_globs=self.config.ignore)
        notices.extend(discovery.notices)
        index = build_index(self.root, self.config, discovery.files, notices, progress)
        self.analysis = Analysis(index)
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
        if data is None:
            return self.analysis.update(path, None)
        facts = extract(path, data, tree if tree is not None else parse(path, data))
        return self.analysis.update(path, facts, data)

    def findings(self, path: Path, notices: list[Notice] | None = None) -> list[Finding]:
        """The findings located in ``path`` (rules run on it, suppressions applied)."""
        return [f for f in run_rules(self.analysis, [path], notices=notices) if f.path == path]


def _matches(code: str, patterns: Sequence[str]) -> bool:
    return any(code.startswith(pattern.strip().upper()) for pattern in patterns if pattern.strip())


__all__ = ["DEFAULT_CONFIG", "Workspace", "analyze", "build_index", "load_file", "run_rules"]
