"""A workspace kept current as files change, for the language server: the index updated per file,
per-statement findings kept across edits that do not reach them (``workspace/kept.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from tree_sitter import Tree

from ..analysis import Analysis
from ..cache import FactsCache, open_store
from ..config import DEFAULT_CONFIG, Config
from ..facts.extract import extract
from ..facts.model import FileFacts
from ..facts.partial import Moves, reextract_moving
from ..model import Finding, Notice
from ..rules.base import Rule
from ..rules.registry import RULES
from ..syntax.parse import parse
from ..workspace.discovery import discover
from ..workspace.index import WorkspaceIndex
from ..workspace.kept import Edit, Kept, edit_since, moved, split
from .batch import run_rules
from .loading import Progress, build_index


class LiveWorkspace:
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
            with analysis.focused(path, focus):
                found = run_rules(analysis, [path], scoped, errors)
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


class LoneFileWorkspace(LiveWorkspace):
    """The workspace of a file opened outside every workspace folder: that file alone.

    The server used to analyse such a file in the project it seemed to belong to, found by walking up
    from it; for `file:///x.ts`, or a file in the home directory, that project was `/` or `~`, indexed
    whole. Now nothing around the file is discovered or read: its directory is the root (so paths
    relative to it mean what they mean in the file), the index starts empty, and the session lays the
    editor's buffer over it. Imports of its neighbours stay unresolved, as for a file checked alone.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path.parent)
        self.path = path

    def index(self, progress: Progress | None = None) -> list[Notice]:
        """An empty index, not a walk of the directory: the one file is the buffer the session
        hands to ``update``."""
        self.analysis = Analysis(WorkspaceIndex(self.root, self.config, {}, {}))
        self.notices = []
        self.from_cache = 0
        self._kept.clear()  # findings kept for the index being replaced
        if progress is not None:
            progress(0, 0)
        return []
