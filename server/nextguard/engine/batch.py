"""Analysing a workspace in one go, as ``nextguard check`` does: rules run over the loaded index,
severities and suppressions applied, the whole report replayed from the cache when nothing it
depends on changed."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..analysis import Analysis
from ..cache import FactsCache, Recorder, ResultCache, open_store
from ..config import Config, load_config
from ..model import Finding, Notice, Report, Span
from ..rules.base import Rule
from ..rules.registry import RULES
from ..suppressions import suppressions_of
from ..workspace.discovery import discover, find_workspace_root
from .loading import Progress, build_index


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


def _matches(code: str, patterns: Sequence[str]) -> bool:
    return any(code.startswith(pattern.strip().upper()) for pattern in patterns if pattern.strip())
