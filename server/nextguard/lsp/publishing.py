"""Keeping the engine current and the client told: open documents' text handed to the folders'
workspaces, the findings cache (a file's findings are computed once per change), and diagnostics
delivered (pushed to the client, or answered when it pulls), each file only when what it shows
changed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path
from tree_sitter import Tree

from ..engine import SOURCE_SUFFIXES
from ..model import Finding, Notice
from ..syntax.document import TextLines
from .convert import ShownKey
from .folders import Folder, accepts, path_of
from .state import SessionState


class Publishing(SessionState):
    """The engine kept current with the open documents, findings computed once per change, and
    diagnostics delivered only when what the client shows changes."""

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
            if folder.indexed and accepts(folder, path):
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
        own = [finding for finding in found if finding.path == path]
        if folder.baseline is not None and own:
            # Fingerprinted from the text analysed (the editor's buffer), as the CLI does from disk.
            own = folder.baseline.filter(own, folder.workspace.source)[0]
        return own

    def _findings(self, folder: Folder, path: Path, exact: bool = False) -> list[Finding]:
        """The current findings of a file. Kept findings of statements an edit did not touch
        (``LiveWorkspace.rule_findings``) may carry fixes written for the workspace before the edit:
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
