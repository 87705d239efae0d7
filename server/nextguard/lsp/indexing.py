"""Loading folders into the engine and loading them again: startup (settings, file watchers, the
first index, with work-done progress), configuration changes, folders added and removed, files
changed outside the editor, and the garbage-collection policy an index needs.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from lsprotocol import types

from ..engine import SKIPPED_DIRS, read_source
from .client import Client
from .folders import (
    CONFIG_FILES,
    WATCHED_GLOBS,
    Folder,
    accepts,
    baseline_for,
    config_for,
    make_folder,
    path_of,
    rediscover_files,
)
from .publishing import Publishing
from .settings import SECTION, same_analysis, settings_from
from .state import log_level_of

_CLIENT_TIMEOUT = 10.0
_PROGRESS_INTERVAL = 0.1  # seconds between progress reports while indexing


class Indexing(Publishing):
    """Folders read from disk (again): at startup, when settings or folders change, when files
    change outside the editor."""

    # -- startup, indexing, configuration -----------------------------------------------------------

    def startup(self) -> None:
        self._fetch_settings()
        self._register_watchers()
        self._index(self.folders, "indexing")
        self.started = True

    def _fetch_settings(self) -> None:
        if not self.caps.configuration or not self.folders:
            return
        items = [types.ConfigurationItem(scope_uri=folder.uri, section=SECTION) for folder in self.folders]
        try:
            result = self.client.request(
                types.WORKSPACE_CONFIGURATION, types.ConfigurationParams(items=items), _CLIENT_TIMEOUT
            )
        except Exception as error:
            self.log(types.MessageType.Warning, f"nextguard: workspace/configuration failed: {error}")
            return
        if not isinstance(result, list | tuple):
            return
        for folder, value in zip(self.folders, result, strict=False):
            if isinstance(value, Mapping):
                folder.settings = settings_from({SECTION: value})
            else:
                folder.settings = dict(self.init_settings)
        first = self.folders[0].settings if self.folders else self.init_settings
        self.log_level = log_level_of(first.get("logLevel", "info"))

    def _register_watchers(self) -> None:
        if not self.caps.watch_registration:
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED_GLOBS]
        )
        registration = types.Registration(
            id=f"nextguard-watch-{uuid.uuid4()}",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=options,
        )
        try:
            params = types.RegistrationParams(registrations=[registration])
            self.client.request(types.CLIENT_REGISTER_CAPABILITY, params, _CLIENT_TIMEOUT)
        except Exception as error:
            self.log(types.MessageType.Warning, f"nextguard: could not register file watchers: {error}")

    def _begin_progress(self, title: str) -> str | None:
        if not self.caps.progress:
            return None
        token = f"nextguard/{title}/{uuid.uuid4()}"
        try:
            self.client.request(
                types.WINDOW_WORK_DONE_PROGRESS_CREATE, types.WorkDoneProgressCreateParams(token=token), _CLIENT_TIMEOUT
            )
        except Exception as error:
            self.log(types.MessageType.Warning, f"nextguard: no progress reporting: {error}")
            return None
        self.client.progress(token, types.WorkDoneProgressBegin(title=f"nextguard: {title}", percentage=0))
        return token

    def _index(self, folders: Sequence[Folder], title: str) -> None:
        """Read each folder from disk again (with work-done progress), then lay the open buffers
        over it and mark every file to be delivered."""
        if not folders:
            return
        token = self._begin_progress(title)
        total_files = 0
        gc.unfreeze()  # the index being replaced may be garbage now: let the collector see it
        for position, folder in enumerate(folders):
            reporter = _IndexProgress(self.client, token, folder.real_root.name, position, len(folders))
            self._reindex(folder, reporter if token is not None else None)
            total_files += len(folder.workspace.analysis.index.modules)
        # An index is hundreds of thousands of long-lived objects. Every full (generation 2)
        # collection walks them all — about 100 ms for 1,000 files, and a keystroke allocates
        # enough to trigger one every other time (measured: p99 243 ms -> 173 ms). Frozen, they
        # are skipped; what they own is still freed by reference counting when replaced.
        gc.collect()
        gc.freeze()
        # What a keystroke allocates (the edited file's facts, summaries, flows) lives until the
        # next keystroke, so it reaches the oldest generation, and Python's automatic full
        # collections then came every few keystrokes at 40-150 ms each: the p99. A keystroke makes
        # no cyclic garbage (measured: 0 unreachable after 30), so full collections wait for the
        # worker to be idle (``Worker`` runs ``collect_when_idle``); the young generations keep
        # their default thresholds.
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_COLLECTIONS_BY_THRESHOLD)
        if token is not None:
            cached = sum(folder.workspace.from_cache for folder in folders)
            detail = f" ({cached} read from the cache)" if cached else ""
            self.client.progress(token, types.WorkDoneProgressEnd(message=f"{total_files} files{detail}"))

    def _reindex(self, folder: Folder, progress: Callable[[int, int], None] | None) -> None:
        config = config_for(folder, self.client)
        folder.config = config
        folder.baseline = baseline_for(folder, self.client)
        workspace = folder.workspace
        try:
            notices = workspace.set_config(config, progress)
        except Exception as error:
            self.report_error(f"indexing {folder.real_root}", error)
            notices = []
        self._log_notices(notices)
        folder.discovered = set(workspace.files)
        folder.excluded.clear()
        for path, document in self.documents.items():
            if not folder.contains(path):
                continue
            if path in self.oversized:
                if workspace.source(path) is not None:
                    self._update(folder, path, None)  # what discovery read of it is not what is open
                continue
            if accepts(folder, path) and workspace.source(path) != document.data:
                self._update(folder, path, document.data, document.tree)
        self.unsynced.difference_update(p for p in self.documents if folder.contains(p))
        folder.indexed = True
        folder.findings.clear()
        folder.rule_errors.clear()
        folder.dirty = set(workspace.analysis.index.modules)
        # Files shown before that the folder no longer analyses (now ignored, gone): clear them.
        folder.dirty.update(path for path, _ in self.published.values() if folder.contains(path))
        self.log_level = log_level_of(config.log_level)

    def settings_changed(self, payload: object) -> None:
        if self.caps.configuration:
            self._fetch_settings()
        else:
            settings = settings_from(payload)
            for folder in self.folders:
                folder.settings = dict(settings)
        for folder in self.folders:
            self._apply_config(folder)

    def _apply_config(self, folder: Folder) -> None:
        if not folder.indexed:
            return
        config = config_for(folder, self.client)
        if same_analysis(config, folder.workspace.config):
            scope_changed = config.diagnostics_scope != folder.config.diagnostics_scope
            folder.config = config
            self.log_level = log_level_of(config.log_level)
            if scope_changed:
                folder.dirty.update(folder.workspace.analysis.index.modules)
            return
        self._index([folder], "configuration changed")

    def reindex(self) -> None:
        self._sync_all()
        self._index(list(self.folders), "re-indexing")

    def folders_changed(self, added: Sequence[str], removed: Sequence[str]) -> None:
        for uri in removed:
            for gone in [f for f in self.folders if f.uri == uri]:
                self.folders.remove(gone)
                self._forget(gone)
        new = []
        for uri in added:
            folder = make_folder(uri, self.init_settings, self.client)
            if folder is not None:
                self.folders.append(folder)
                new.append(folder)
        if new and self.started:
            self._fetch_settings()
            self._index(new, "indexing")

    def _forget(self, folder: Folder) -> None:
        """Clear what a removed folder published (unless another folder now owns the file)."""
        for uri, (path, _) in list(self.published.items()):
            if folder.contains(path) and self._owner(path) is None:
                self._push(uri, path, [], [], None)

    # -- files changed outside the editor --------------------------------------------------------

    def saved(self, uri: str) -> None:
        path = path_of(uri)
        if path is not None and path.name in CONFIG_FILES:
            # For clients that do not watch files: saving nextguard.json in the editor is enough.
            self._index([f for f in self._folders_for(path) if f.indexed], "configuration changed")

    def watched(self, changes: Sequence[tuple[str, types.FileChangeType]]) -> None:
        """Files changed outside the editor. An open document keeps its buffer; config files make
        the folder be read again."""
        reindex: list[Folder] = []
        created = [path for uri, kind in changes if kind == types.FileChangeType.Created and (path := path_of(uri))]
        for folder in self.folders:
            if folder.indexed and any(folder.contains(path) for path in created):
                rediscover_files(folder)
        for uri, _kind in changes:
            path = path_of(uri)
            if path is None:
                continue
            # Build output and dependencies (a package.json deep in node_modules) are not ours.
            folders = [
                folder
                for folder in self._folders_for(path)
                if folder.indexed and not SKIPPED_DIRS.intersection(path.relative_to(folder.real_root).parts)
            ]
            if path.name in CONFIG_FILES:
                reindex.extend(folder for folder in folders if folder not in reindex)
                continue
            if path in self.documents:
                continue
            for folder in folders:
                self._file_changed(folder, path)
        if reindex:
            self._index(reindex, "configuration changed")

    def _file_changed(self, folder: Folder, path: Path) -> None:
        workspace = folder.workspace
        modules = workspace.analysis.index.modules
        if not path.exists():
            # Events can be late (a file deleted and written again): the disk decides. A deleted
            # directory comes as one event for the directory.
            for gone in [p for p in modules if p == path or path in p.parents]:
                if gone not in self.documents:
                    self._update(folder, gone, None)
            return
        if path.is_dir():
            for new in sorted(folder.discovered - set(modules)):
                if path in new.parents and new not in self.documents:
                    self._file_changed(folder, new)
            return
        if not accepts(folder, path, rediscover=False):
            return
        data, notice = read_source(path)
        if notice is not None:
            self._log_notices([notice])
        if data is None:
            if path in modules:
                self._update(folder, path, None)
        elif data != workspace.source(path):
            self._update(folder, path, data)


# Young-generation collections before Python starts a full one by itself: effectively never (see
# ``_index``); the worker collects fully when it has been idle.
FULL_COLLECTIONS_BY_THRESHOLD = 1_000_000


def collect_when_idle() -> None:
    """A full collection while nobody types (garbage from re-indexing, an exception's cycle), then
    the survivors frozen so the next full collection does not walk them again."""
    gc.collect()
    gc.freeze()


class _IndexProgress:
    """Work-done reports while one folder of several is indexed, at most every 100 ms."""

    def __init__(self, client: Client, token: str | None, name: str, position: int, count: int) -> None:
        self.client, self.token, self.name = client, token, name
        self.position, self.count = position, count
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.token is None or (now - self.last < _PROGRESS_INTERVAL and done != total):
            return
        self.last = now
        share = (self.position + done / max(total, 1)) / self.count
        report = types.WorkDoneProgressReport(message=f"{self.name}: {done}/{total} files", percentage=int(share * 100))
        self.client.progress(self.token, report)
