"""The server's state between messages: open documents, one engine ``Workspace`` per workspace
folder, and what the client has been told. Every method here runs on the analysis thread (see
``worker.py``); the protocol handlers in ``server.py`` only translate and hand over.

Invariants the rest relies on:

- An open document's text is what the workspaces analyse (unsaved buffers win over disk); when it
  closes, the workspace goes back to the file on disk.
- ``Folder.findings`` holds findings only while they are current: an engine update drops the entry
  of every file it reports as possibly changed, and that file is marked dirty to be delivered.
- ``_published`` is what the client currently shows for each URI (pushed), so a file is published
  again only when its diagnostics actually changed.
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pathspec
from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from tree_sitter import Tree

from ..config import DEFAULT_CONFIG, Config, ConfigError, load_config
from ..engine import Workspace, default_jobs
from ..inventory import endpoints, file_endpoints
from ..model import Finding, Notice, TextEdit
from ..render.map import render_markdown
from ..rules.base import Rule
from ..syntax.document import Document, TextChange, TextLines
from ..syntax.parse import parse
from ..syntax.positions import Encoding
from ..workspace.discovery import (
    SKIPPED_DIRS,
    SOURCE_SUFFIXES,
    discover,
    is_declaration_file,
    is_test_file,
    read_source,
)
from . import actions as code_actions
from .actions import FIX_ALL_KIND, FileView, kind_wanted
from .convert import (
    SOURCE,
    DiagnosticMemo,
    ShownKey,
    hover_markdown,
    shown_keys,
    text_edits,
    to_range,
    workspace_edit,
)
from .lone import LoneFileWorkspace
from .mapfile import write_map
from .settings import SECTION, effective_config, same_analysis, settings_from

# Files whose change can change the configuration or how imports resolve: the folder is read again.
CONFIG_FILES = frozenset({"nextguard.json", "package.json", "tsconfig.json", "jsconfig.json"})
WATCHED_GLOBS = (
    "**/*.{ts,tsx,js,jsx,mjs,cjs,mts,cts}",
    "**/nextguard.json",
    "**/package.json",
    "**/tsconfig.json",
    "**/jsconfig.json",
)
_TEST_DIRS = frozenset({"__tests__", "__mocks__"})
_LOG_LEVELS = {"error": 1, "warning": 2, "info": 3, "debug": 4}
_CLIENT_TIMEOUT = 10.0
# The size over which `nextguard check` skips a file (``discover``'s and ``read_source``'s
# ``max_bytes``): an open document over it is not analysed either. A 5 MB buffer took 11 s to open
# and 15-30 s for every keystroke after it, and every other request waited behind it.
MAX_DOCUMENT_BYTES = 1_000_000
_PROGRESS_INTERVAL = 0.1  # seconds between progress reports while indexing


class Client(Protocol):
    """What the session needs from the connection. Implemented by the server, which forwards each
    call to its event loop: the session never writes to the transport from its own thread."""

    def publish(self, params: types.PublishDiagnosticsParams) -> None: ...
    def log(self, kind: types.MessageType, message: str) -> None: ...
    def show(self, kind: types.MessageType, message: str) -> None: ...
    def progress(self, token: str, value: object) -> None: ...
    def request(self, method: str, params: object, timeout: float) -> Any: ...


@dataclass(frozen=True, slots=True)
class Capabilities:
    """The client capabilities the session acts on, read once at `initialize`."""

    document_changes: bool = False
    pull: bool = False  # textDocument/diagnostic
    refresh: bool = False  # workspace/diagnostic/refresh
    related: bool = False
    progress: bool = False
    configuration: bool = False
    watch_registration: bool = False
    show_document: bool = False  # window/showDocument

    @classmethod
    def of(cls, caps: types.ClientCapabilities) -> Capabilities:
        def get(*path: str) -> Any:
            value: Any = caps
            for name in path:
                value = getattr(value, name, None)
                if value is None:
                    return None
            return value

        return cls(
            document_changes=bool(get("workspace", "workspace_edit", "document_changes")),
            pull=get("text_document", "diagnostic") is not None,
            refresh=bool(get("workspace", "diagnostics", "refresh_support")),
            related=bool(
                get("text_document", "publish_diagnostics", "related_information")
                or get("text_document", "diagnostic", "related_information")
            ),
            progress=bool(get("window", "work_done_progress")),
            configuration=bool(get("workspace", "configuration")),
            watch_registration=bool(get("workspace", "did_change_watched_files", "dynamic_registration")),
            show_document=bool(get("window", "show_document", "support")),
        )


# The command a code lens runs (workspace/executeCommand): the server writes `nextguard map` of the
# folder as Markdown and asks the client to open it (window/showDocument), so every editor shows
# the map without client code of its own.
SHOW_MAP = "nextguard.showMap"


@dataclass(eq=False)
class Folder:
    """One workspace folder and the engine workspace analysing it."""

    uri: str
    root: Path  # as the client names it
    real_root: Path  # symlinks resolved, as the engine names files
    workspace: Workspace
    implicit: bool = False  # made for a file opened outside every folder
    lone: Path | None = None  # that file: the folder's only one (``lone.py``)
    settings: dict[str, Any] = field(default_factory=dict)
    good_settings: dict[str, Any] = field(default_factory=dict)
    file_config: Config = DEFAULT_CONFIG
    config: Config = DEFAULT_CONFIG
    indexed: bool = False
    dirty: set[Path] = field(default_factory=set)  # to deliver again
    findings: dict[Path, list[Finding]] = field(default_factory=dict)  # current findings only
    inexact: set[Path] = field(default_factory=set)  # findings whose fixes may be out of date
    rule_errors: dict[Path, tuple[str, ...]] = field(default_factory=dict)
    discovered: set[Path] = field(default_factory=set)
    excluded: set[Path] = field(default_factory=set)

    def contains(self, path: Path) -> bool:
        if self.lone is not None:
            return path == self.lone
        return path == self.real_root or self.real_root in path.parents

    def uri_for(self, path: Path) -> str:
        try:
            shown = self.root / path.relative_to(self.real_root)
        except ValueError:
            shown = path
        return str(from_fs_path(str(shown)))


def path_of(uri: str) -> Path | None:
    """The real path of a `file:` URI (None for other schemes: `untitled:`, `git:` …)."""
    fs_path = to_fs_path(uri)
    if fs_path is None:
        return None
    return Path(os.path.realpath(fs_path))


class Session:
    def __init__(
        self,
        client: Client,
        capabilities: types.ClientCapabilities,
        encoding: Encoding,
        folders: Sequence[tuple[str, str]],
        init_settings: dict[str, Any],
        rules: tuple[type[Rule], ...],
    ) -> None:
        self.client = client
        self.caps = Capabilities.of(capabilities)
        self.encoding: Encoding = encoding
        self.rules = rules
        self.init_settings = init_settings
        self.folders: list[Folder] = []
        for uri, _name in folders:
            folder = self._make_folder(uri)
            if folder is not None:
                self.folders.append(folder)
        self.documents: dict[Path, Document] = {}
        self.document_uris: dict[Path, str] = {}
        self.unsynced: set[Path] = set()
        self.oversized: set[Path] = set()  # open documents over MAX_DOCUMENT_BYTES: not analysed
        self.editing: Path | None = None  # the document edited last: analysed first
        self.published: dict[str, tuple[Path, list[types.Diagnostic]]] = {}
        self.shown: dict[str, list[ShownKey]] = {}  # of each published list: what decides a new publish
        self.pulled: dict[str, tuple[int | None, list[ShownKey]]] = {}
        self.refresh_wanted = False
        self.log_level = _LOG_LEVELS.get(str(init_settings.get("logLevel", "info")), 3)
        self._lines_cache: dict[Path, tuple[bytes, TextLines]] = {}
        self.converted = DiagnosticMemo(self._lines_of, self._owner_uri, self.encoding, self.caps.related)
        self.started = False

    # -- messages to the client ----------------------------------------------------------------------

    def log(self, kind: types.MessageType, message: str) -> None:
        if kind.value <= self.log_level:
            self.client.log(kind, message)

    def report_error(self, what: str, error: BaseException) -> None:
        """An unexpected exception: logged with its traceback, and the server keeps serving."""
        text = "".join(traceback.format_exception(error)).rstrip()
        self.client.log(types.MessageType.Error, f"nextguard: {what} failed: {error!r}\n{text}")

    def _log_notices(self, notices: Iterable[Notice]) -> None:
        for notice in notices:
            kind = types.MessageType.Warning if notice.kind not in ("syntax",) else types.MessageType.Log
            self.log(kind, f"{notice.path}: {notice.message}")

    # -- folders ---------------------------------------------------------------------------------------

    def _make_folder(self, uri: str, implicit: bool = False) -> Folder | None:
        fs_path = to_fs_path(uri)
        if fs_path is None or not os.path.isdir(fs_path):
            self.client.log(types.MessageType.Warning, f"nextguard: workspace folder {uri} is not a local directory")
            return None
        root = Path(fs_path)
        real_root = Path(os.path.realpath(fs_path))
        folder = Folder(uri, root, real_root, Workspace(real_root, cache=True, jobs=default_jobs()), implicit=implicit)
        folder.settings = dict(self.init_settings)
        return folder

    def _make_lone_folder(self, path: Path) -> Folder:
        """The folder of a file opened outside every folder: the file alone (``lone.py``)."""
        root = path.parent
        uri = str(from_fs_path(str(root)))
        folder = Folder(uri, root, root, LoneFileWorkspace(path), implicit=True, lone=path)
        folder.settings = dict(self.init_settings)
        return folder

    def _folders_for(self, path: Path) -> list[Folder]:
        """Folders whose workspace holds ``path``, deepest first: with nested folders every one
        analyses the file (imports cross the boundary), the deepest one publishes it."""
        found = [folder for folder in self.folders if folder.contains(path)]
        found.sort(key=lambda folder: len(folder.real_root.parts), reverse=True)
        return found

    def _owner(self, path: Path) -> Folder | None:
        found = self._folders_for(path)
        return found[0] if found else None

    def _accepts(self, folder: Folder, path: Path, rediscover: bool = True) -> bool:
        """Whether ``path`` is one of the folder's source files as discovery defines them
        (suffix, not a test or declaration, not in build output, not ignored)."""
        if path in folder.workspace.analysis.index.modules or path in folder.discovered:
            return True
        if path in folder.excluded:
            return False
        name = path.name
        if not name.endswith(SOURCE_SUFFIXES) or is_declaration_file(name) or is_test_file(name):
            return False
        if folder.lone is not None:
            return path == folder.lone  # and nothing around it is discovered to say otherwise
        try:
            rel = path.relative_to(folder.real_root)
        except ValueError:
            return False
        if any(part in SKIPPED_DIRS or part in _TEST_DIRS for part in rel.parts[:-1]):
            folder.excluded.add(path)
            return False
        ignore = folder.workspace.config.ignore
        if ignore and pathspec.GitIgnoreSpec.from_lines(list(ignore)).match_file(rel.as_posix()):
            folder.excluded.add(path)
            return False
        if not path.exists():
            return True  # a new buffer not saved yet: nothing on disk can exclude it
        if rediscover:
            # Only discovery knows the .gitignore files in force; a file it has not seen is new
            # or excluded, and asking again settles which.
            self._rediscover(folder)
            if path in folder.discovered:
                return True
        folder.excluded.add(path)
        return False

    def _rediscover(self, folder: Folder) -> None:
        if folder.lone is not None:
            folder.discovered = {folder.lone}  # never a walk of the directory it happens to be in
        else:
            found = discover(folder.real_root, ignore_globs=folder.workspace.config.ignore)
            folder.discovered = set(found.files)
        folder.excluded.clear()

    def _config_for(self, folder: Folder) -> Config:
        """The folder's file config with its settings laid over it. A broken file or broken settings
        is a warning; the last good one stays in force. A lone file has no config file: the
        directory it is in is not a project nextguard was asked to read."""
        try:
            if folder.lone is None:
                folder.file_config = load_config(folder.real_root)
        except ConfigError as error:
            kept = "the defaults" if folder.file_config is DEFAULT_CONFIG else "the previous configuration"
            self.client.show(types.MessageType.Warning, f"nextguard: {error} (using {kept})")
        try:
            config = effective_config(folder.file_config, folder.settings)
            folder.good_settings = dict(folder.settings)
            return config
        except ConfigError as error:
            self.client.show(types.MessageType.Warning, f"nextguard: {error} (using the previous settings)")
            folder.settings = dict(folder.good_settings)
            try:
                return effective_config(folder.file_config, folder.good_settings)
            except ConfigError:
                return folder.file_config

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
        self.log_level = _LOG_LEVELS.get(str(first.get("logLevel", "info")), 3)

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
        config = self._config_for(folder)
        folder.config = config
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
            if self._accepts(folder, path) and workspace.source(path) != document.data:
                self._update(folder, path, document.data, document.tree)
        self.unsynced.difference_update(p for p in self.documents if folder.contains(p))
        folder.indexed = True
        folder.findings.clear()
        folder.rule_errors.clear()
        folder.dirty = set(workspace.analysis.index.modules)
        # Files shown before that the folder no longer analyses (now ignored, gone): clear them.
        folder.dirty.update(path for path, _ in self.published.values() if folder.contains(path))
        self.log_level = _LOG_LEVELS.get(config.log_level, 3)

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
        config = self._config_for(folder)
        if same_analysis(config, folder.workspace.config):
            scope_changed = config.diagnostics_scope != folder.config.diagnostics_scope
            folder.config = config
            self.log_level = _LOG_LEVELS.get(config.log_level, 3)
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
            folder = self._make_folder(uri)
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

    # -- documents -------------------------------------------------------------------------------------

    def open(self, uri: str, text: str, version: int) -> None:
        path = path_of(uri)
        if path is None:
            return
        document = Document(path, text, version, self.encoding)
        self.documents[path] = document
        self.document_uris[path] = uri
        self.editing = path
        if not path.name.endswith(SOURCE_SUFFIXES):
            return
        if len(document.data) > MAX_DOCUMENT_BYTES:
            self._set_aside(path, uri)
            return
        self._attach(path, uri, document)

    def _attach(self, path: Path, uri: str, document: Document) -> None:
        """Hand an open document to every folder that analyses it."""
        if not self._folders_for(path):
            # A file outside every folder is analysed alone: indexing the directories around it
            # meant indexing `/` for `file:///x.ts`.
            folder = self._make_lone_folder(path)
            self.folders.append(folder)
            if self.started:
                self._index([folder], "indexing")
        document.tree  # noqa: B018 -- parse now, so the first keystroke is an incremental reparse
        for folder in self._folders_for(path):
            if not folder.indexed or not self._accepts(folder, path):
                continue
            if folder.workspace.source(path) != document.data:
                self._update(folder, path, document.data, document.tree)
            folder.dirty.add(path)  # a closed file's findings may not have been shown (openFiles scope)
        if self.caps.pull and uri in self.published:
            self._push(uri, path, [], [], None)  # pull takes over: don't show it twice

    def change(self, uri: str, version: int, changes: Sequence[TextChange]) -> None:
        path = path_of(uri)
        document = self.documents.get(path) if path is not None else None
        if path is None or document is None:
            self.log(types.MessageType.Warning, f"nextguard: change to {uri}, which is not open; ignored")
            return
        document.apply(changes, version)
        self.editing = path
        if not path.name.endswith(SOURCE_SUFFIXES):
            return
        too_large = len(document.data) > MAX_DOCUMENT_BYTES
        if path in self.oversized:
            if not too_large:
                self._take_back(path, uri, document)
            return
        if too_large:
            self._set_aside(path, uri)
            return
        self.unsynced.add(path)

    def _set_aside(self, path: Path, uri: str) -> None:
        """An open document over the size limit: taken out of the analysis (findings computed on
        another text would sit in the wrong places) and shown one notice instead of findings."""
        self.oversized.add(path)
        self.unsynced.discard(path)
        for folder in self._folders_for(path):
            folder.findings.pop(path, None)
            if folder.indexed and folder.workspace.source(path) is not None:
                self._update(folder, path, None)
        if not self.caps.pull:  # a client that pulls gets the notice from ``pull``
            notice = [too_large_diagnostic()]
            self._push(uri, path, notice, shown_keys(notice), self._version(path))

    def _take_back(self, path: Path, uri: str, document: Document) -> None:
        """A document edited back under the size limit: analysed again."""
        self.oversized.discard(path)
        if uri in self.published:
            self._push(uri, path, [], [], None)
        self._attach(path, uri, document)

    def close(self, uri: str) -> None:
        path = path_of(uri)
        if path is None or self.documents.pop(path, None) is None:
            return
        if path in self.oversized:
            self.oversized.discard(path)
            if uri in self.published:
                self._push(uri, path, [], [], None)
        self.document_uris.pop(path, None)
        self.unsynced.discard(path)
        self.pulled.pop(uri, None)
        for folder in self._folders_for(path):
            if not folder.indexed:
                continue
            # Unsaved changes are gone with the buffer: the workspace goes back to the disk.
            data: bytes | None = None
            if path.is_file() and self._accepts(folder, path):
                data, notice = read_source(path)
                if notice is not None:
                    self._log_notices([notice])
            if data is None:
                if folder.workspace.source(path) is not None:
                    self._update(folder, path, None)
            elif data != folder.workspace.source(path):
                self._update(folder, path, data)
            folder.dirty.add(path)
        shown = self.published.get(uri)
        if shown is not None and self._owner(path) is not None and self._owner_uri(path) != uri:
            self._push(uri, path, [], [], None)  # it will be shown under the folder's spelling of its URI
        for folder in [f for f in self.folders if f.implicit and f.contains(path)]:
            if not any(folder.contains(p) for p in self.documents):
                self.folders.remove(folder)
                self._forget(folder)

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
                self._rediscover(folder)
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
        if not self._accepts(folder, path, rediscover=False):
            return
        data, notice = read_source(path)
        if notice is not None:
            self._log_notices([notice])
        if data is None:
            if path in modules:
                self._update(folder, path, None)
        elif data != workspace.source(path):
            self._update(folder, path, data)

    # -- keeping the engine current ------------------------------------------------------------------

    def _update(self, folder: Folder, path: Path, data: bytes | None, tree: Tree | None = None) -> None:
        try:
            dirty = folder.workspace.update(path, data, tree)
        except Exception as error:
            self.report_error(f"analysing {path}", error)
            return
        for changed in dirty:
            folder.findings.pop(changed, None)
        folder.dirty.update(dirty)
        folder.dirty.add(path)

    def _sync(self, path: Path) -> None:
        """Hand a document's current text and tree to every folder that analyses it."""
        self.unsynced.discard(path)
        document = self.documents.get(path)
        if document is None or not path.name.endswith(SOURCE_SUFFIXES) or path in self.oversized:
            return
        for folder in self._folders_for(path):
            if folder.indexed and self._accepts(folder, path):
                self._update(folder, path, document.data, document.tree)

    def _sync_all(self) -> None:
        for path in list(self.unsynced):
            self._sync(path)

    def _run_rules(self, folder: Folder, path: Path, reuse: bool = False) -> list[Finding]:
        notices: list[Notice] = []
        try:
            found = folder.workspace.rule_findings(path, self.rules, notices, reuse)
        except Exception as error:
            self.report_error(f"checking {path}", error)
            return []
        # A rule that raised is a notice from the engine; say so once per file, not per keystroke.
        errors = tuple(notice.message for notice in notices if notice.kind == "rule-error")
        if errors != folder.rule_errors.get(path, ()):
            for message in errors:
                self.client.log(types.MessageType.Error, f"nextguard: {path}: {message}")
            folder.rule_errors[path] = errors
        return [finding for finding in found if finding.path == path]

    def _findings(self, folder: Folder, path: Path, exact: bool = False) -> list[Finding]:
        """The current findings of a file. Kept findings of statements an edit did not touch
        (``Workspace.rule_findings``) may carry fixes written for the workspace before the edit:
        what applies fixes asks for ``exact`` ones, computed again if need be."""
        found = folder.findings.get(path)
        if found is None or (exact and path in folder.inexact):
            found = folder.findings[path] = self._run_rules(folder, path, reuse=not exact)
            if exact:
                folder.inexact.discard(path)
            else:
                folder.inexact.add(path)
        return found

    def settle(self, interrupted: Callable[[], bool]) -> bool:
        """Bring the client up to date: sync edited documents, then recompute and deliver every
        dirty file, the document being edited first and open documents next. Returns False when it
        stopped because new work arrived (the rest stays dirty)."""
        self._sync_all()
        work = [(folder, path) for folder in self.folders if folder.indexed for path in folder.dirty]
        if not work:
            self._flush_refresh()
            return True
        if len(work) > 1:
            work.sort(key=lambda item: (item[1] != self.editing, item[1] not in self.documents, str(item[1])))
        for done, (folder, path) in enumerate(work):
            if done and interrupted():
                return False
            folder.dirty.discard(path)
            try:
                self._refresh(folder, path)
            except Exception as error:
                self.report_error(f"checking {path}", error)
        self._flush_refresh()
        return True

    def _in_scope(self, folder: Folder, path: Path) -> bool:
        return path in self.documents or folder.config.diagnostics_scope != "openFiles"

    def _refresh(self, folder: Folder, path: Path) -> None:
        if self._owner(path) is not folder or path in self.oversized:
            return  # (an oversized document shows its notice, set by ``_set_aside``)
        if path not in folder.workspace.analysis.index.modules:
            folder.findings.pop(path, None)
            self._deliver(folder, path, [])
            self.converted.forget(path)  # its diagnostics as last converted: gone with it
        elif self._in_scope(folder, path):
            self._deliver(folder, path, self._findings(folder, path))
        else:
            self._deliver(folder, path, [])

    # -- delivering diagnostics ------------------------------------------------------------------------

    def _lines_of(self, path: Path) -> TextLines | None:
        document = self.documents.get(path)
        if document is not None:
            return document.lines
        folder = self._owner(path)
        data = folder.workspace.source(path) if folder is not None else None
        if data is None:
            return None
        cached = self._lines_cache.get(path)
        if cached is not None and cached[0] is data:
            return cached[1]
        lines = TextLines(data)
        self._lines_cache[path] = (data, lines)
        return lines

    def _owner_uri(self, path: Path) -> str:
        uri = self.document_uris.get(path)
        if uri is not None:
            return uri
        folder = self._owner(path)
        return folder.uri_for(path) if folder is not None else str(from_fs_path(str(path)))

    def document_version(self, uri: str) -> int | None:
        """The version of an open document this session has applied (None: not open)."""
        path = path_of(uri)
        document = self.documents.get(path) if path is not None else None
        return document.version if document is not None else None

    def _version(self, path: Path) -> int | None:
        document = self.documents.get(path)
        return document.version if document is not None else None

    def _diagnostics(
        self, path: Path, findings: list[Finding], version: int | None
    ) -> tuple[list[types.Diagnostic], list[ShownKey]]:
        """The diagnostics of one file's findings, and what the client shows of each (to compare)."""
        return self.converted.convert(path, findings, version)

    def _deliver(self, folder: Folder, path: Path, findings: list[Finding]) -> None:
        uri = self._owner_uri(path)
        version = self._version(path)
        if self.caps.pull and path in self.documents:
            # The client pulls open documents itself after its own edits; when their diagnostics
            # change for another reason (an edit in an imported file), ask it to pull again.
            seen = self.pulled.get(uri)
            if seen is not None and seen[0] == version and seen[1] != self._diagnostics(path, findings, version)[1]:
                self.refresh_wanted = True
            return
        if not findings and uri not in self.published:
            return
        self._push(uri, path, *self._diagnostics(path, findings, version), version)

    def _push(
        self,
        uri: str,
        path: Path,
        diagnostics: list[types.Diagnostic],
        keys: list[ShownKey],
        version: int | None,
    ) -> None:
        if uri in self.published and self.shown.get(uri) == keys:
            return
        if diagnostics:
            self.published[uri] = (path, diagnostics)
            self.shown[uri] = keys
        else:
            self.published.pop(uri, None)
            self.shown.pop(uri, None)
        self.client.publish(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))

    def _flush_refresh(self) -> None:
        if self.refresh_wanted and self.caps.refresh:
            self.refresh_wanted = False
            try:
                self.client.request(types.WORKSPACE_DIAGNOSTIC_REFRESH, None, 0)
            except Exception as error:
                self.log(types.MessageType.Log, f"nextguard: diagnostic refresh: {error}")
        self.refresh_wanted = False

    # -- requests --------------------------------------------------------------------------------------

    def _view(self, uri: str, exact: bool = False) -> tuple[Folder, FileView, list[Finding]] | None:
        """The current state of one file for a request: every buffer synced first, so the answer
        is about the text the client has now."""
        path = path_of(uri)
        if path is None:
            return None
        self._sync_all()
        folder = self._owner(path)
        if folder is None or not folder.indexed or path not in folder.workspace.analysis.index.modules:
            return None
        findings = self._findings(folder, path, exact)
        document = self.documents.get(path)
        data = document.data if document is not None else folder.workspace.source(path) or b""
        lines = self._lines_of(path) or TextLines(data)
        if document is not None:
            doc = document

            def tree() -> Tree:
                return doc.tree

        else:
            parsed: list[Tree] = []

            def tree() -> Tree:
                if not parsed:
                    parsed.append(parse(path, data))
                return parsed[0]

        view = FileView(
            path,
            self._owner_uri(path),
            self._version(path),
            data,
            lines,
            self.encoding,
            folder.workspace.facts(path),
            tree,
        )
        return folder, view, findings

    def pull(self, uri: str) -> types.RelatedFullDocumentDiagnosticReport:
        if path_of(uri) in self.oversized:
            return types.RelatedFullDocumentDiagnosticReport(items=[too_large_diagnostic()])
        found = self._view(uri)
        if found is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        folder, view, findings = found
        items, keys = self._diagnostics(view.path, findings if self._in_scope(folder, view.path) else [], view.version)
        self.pulled[uri] = (view.version, keys)
        return types.RelatedFullDocumentDiagnosticReport(items=items)

    def hover(self, uri: str, line: int, character: int) -> types.Hover | None:
        found = self._view(uri)
        if found is None:
            return None
        _, view, findings = found
        offset = view.lines.offset(line, character, self.encoding)
        hits = [finding for finding in findings if finding.span.start <= offset <= finding.span.end]
        if not hits:
            return None
        parts = [text for code in dict.fromkeys(f.code for f in hits) if (text := hover_markdown(code)) is not None]
        if not parts:
            return None
        content = types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n---\n\n".join(parts))
        return types.Hover(contents=content, range=to_range(view.lines, hits[0].span, self.encoding))

    def code_lenses(self, uri: str) -> list[types.CodeLens]:
        """Above each Server Action and route handler: how it is protected, from the same
        inventory `nextguard map` prints; the lens opens the map."""
        found = self._view(uri)
        if found is None:
            return []
        folder, view, findings = found
        lenses: list[types.CodeLens] = []
        for info in file_endpoints(folder.workspace.analysis, view.path, findings=findings):
            row = max(info.statement_line - 1, 0)
            where = types.Range(types.Position(row, 0), types.Position(row, 0))
            title = info.protection.summary()
            if info.kind == "route":
                title = f"{info.method}: {title}"
            command = types.Command(title=title, command=SHOW_MAP, arguments=[folder.uri])
            lenses.append(types.CodeLens(range=where, command=command))
        return lenses

    def endpoint_map(self, folder_uri: object) -> Path | None:
        """Write the endpoint map of the folder named by ``folder_uri`` (the first folder when it
        names none) as Markdown to a file of its own, and return that file (None while the folder
        is indexing). Raises ``OSError`` when the file cannot be written safely."""
        self._sync_all()
        folder = next((f for f in self.folders if f.uri == folder_uri), None)
        if folder is None:
            folder = next((f for f in self.folders if not f.implicit), None)
        if folder is None or not folder.indexed:
            return None
        text = render_markdown(endpoints(folder.workspace.analysis))
        digest = hashlib.sha256(folder.uri.encode()).hexdigest()[:12]
        # In a private directory, never through a symlink (``mapfile.py``); an error is the caller's.
        return write_map(folder.root.name, digest, f"<!-- nextguard map of {folder.root} -->\n{text}")

    def code_actions(
        self, uri: str, where: types.Range, sent: Sequence[types.Diagnostic], only: Sequence[str] | None
    ) -> list[types.CodeAction]:
        found = self._view(uri, exact=True)
        if found is None:
            return []
        folder, view, findings = found
        current = {}
        for finding, item in zip(findings, self._diagnostics(view.path, findings, view.version)[0], strict=True):
            current[(finding.code, _range_key(item.range))] = (finding, item)
        ours = [item for item in sent if item.source == SOURCE]
        targets: list[tuple[Finding, types.Diagnostic]] = []
        if ours:
            for item in ours:
                hit = current.get((str(item.code), _range_key(item.range)))
                if hit is None:
                    # The client's diagnostic is not one of the current text's: it was computed
                    # for an older version. An edit built for it could land anywhere, so none is.
                    self.log(types.MessageType.Log, f"nextguard: stale diagnostic {item.code} in {uri}; no action")
                    continue
                targets.append(hit)
        else:
            wanted = _range_key(where)
            targets = [(f, d) for f, d in current.values() if _intersects(_range_key(d.range), wanted)]
        result: list[types.CodeAction] = []
        changes = self.caps.document_changes
        if kind_wanted(types.CodeActionKind.QuickFix.value, only):
            for finding, item in targets:
                result.extend(code_actions.quick_fixes(finding, item, view, changes))
            for finding, item in targets:
                line_action = code_actions.suppress_line(finding, item, view, changes)
                if line_action is not None:
                    result.append(line_action)
                file_action = code_actions.suppress_file(finding, item, view, changes)
                if file_action is not None:
                    result.append(file_action)
        if kind_wanted(FIX_ALL_KIND, only) and any(f.fixes for f in findings):
            edits = self._fix_all_edits(folder, view, findings)
            if edits:
                result.append(
                    types.CodeAction(
                        title="nextguard: fix all safe problems",
                        kind=FIX_ALL_KIND,
                        edit=workspace_edit(
                            {view.uri: (view.version, text_edits(view.lines, edits, self.encoding))}, changes
                        ),
                    )
                )
        return result

    def _fix_all_edits(self, folder: Folder, view: FileView, findings: list[Finding]) -> list[TextEdit]:
        """Edits applying every safe fix of one file. Later passes need the findings of the fixed
        text, so the workspace is shown that text and then given the real one back."""
        workspace = folder.workspace
        path, original = view.path, view.data
        touched = False

        def findings_for(data: bytes) -> list[Finding]:
            nonlocal touched
            if data == original:
                return findings
            touched = True
            workspace.update(path, data)
            return self._run_rules(folder, path)

        try:
            final = code_actions.fix_all(path, original, findings_for)
        finally:
            if touched:
                document = self.documents.get(path)
                workspace.update(path, original, document.tree if document is not None else None)
        return code_actions.diff_edits(path, original, final) if final != original else []

    def fix_all_workspace(self) -> types.WorkspaceEdit | None:
        self._sync_all()
        files: dict[str, tuple[int | None, list[types.TextEdit]]] = {}
        for folder in self.folders:
            if not folder.indexed:
                continue
            for path in sorted(folder.workspace.analysis.index.modules):
                if self._owner(path) is not folder:
                    continue
                findings = self._findings(folder, path, exact=True)
                if not any(fix.applicability == "safe" for f in findings for fix in f.fixes):
                    continue
                found = self._view(self._owner_uri(path), exact=True)
                if found is None:
                    continue
                _, view, findings = found
                edits = self._fix_all_edits(folder, view, findings)
                if edits:
                    files[view.uri] = (view.version, text_edits(view.lines, edits, self.encoding))
        if not files:
            return None
        return workspace_edit(files, self.caps.document_changes)


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


def too_large_diagnostic() -> types.Diagnostic:
    """The one notice an open document over the size limit gets instead of findings: a diagnostic,
    not a popup, so it stays on the file for as long as it is the reason nothing is shown, without
    interrupting whoever opened a large generated file by accident."""
    start = types.Position(0, 0)
    return types.Diagnostic(
        range=types.Range(start, start),
        message=(
            f"Not analysed: the file is over nextguard's {MAX_DOCUMENT_BYTES:,}-byte limit "
            "(`nextguard check` skips files this large too)."
        ),
        severity=types.DiagnosticSeverity.Information,
        source=SOURCE,
    )


def _range_key(item: types.Range) -> tuple[int, int, int, int]:
    return (item.start.line, item.start.character, item.end.line, item.end.character)


def _intersects(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return (a[0], a[1]) <= (b[2], b[3]) and (b[0], b[1]) <= (a[2], a[3])


def faulty(rule: type[Rule]) -> type[Rule]:
    """Test-only (``NEXTGUARD_TEST_FAULT=NG101``): a rule that raises on every file, to show that a
    broken rule is logged and the server keeps serving."""

    def check(self: Rule, analysis: object, path: Path) -> Iterable[Finding]:
        raise RuntimeError(f"{rule.code}: injected fault (NEXTGUARD_TEST_FAULT)")

    made: type[Rule] = type(rule.__name__, (rule,), {"check": check})
    return made


__all__ = ["CONFIG_FILES", "WATCHED_GLOBS", "Capabilities", "Client", "Folder", "Session", "faulty", "path_of"]
