"""Open documents: opened, changed and closed by the client, handed to every folder that analyses
them, and set aside while they are over the size limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types

from ..engine import SOURCE_SUFFIXES, read_source
from ..syntax.document import Document, TextChange
from .convert import SOURCE, shown_keys
from .folders import accepts, make_lone_folder, path_of
from .indexing import Indexing

# The size over which `nextguard check` skips a file (``discover``'s and ``read_source``'s
# ``max_bytes``): an open document over it is not analysed either. A 5 MB buffer took 11 s to open
# and 15-30 s for every keystroke after it, and every other request waited behind it.
MAX_DOCUMENT_BYTES = 1_000_000


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


class DocumentEvents(Indexing):
    """The client opening, editing and closing documents."""

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
            folder = make_lone_folder(path, self.init_settings)
            self.folders.append(folder)
            if self.started:
                self._index([folder], "indexing")
        document.tree  # noqa: B018 -- parse now, so the first keystroke is an incremental reparse
        for folder in self._folders_for(path):
            if not folder.indexed or not accepts(folder, path):
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
            if path.is_file() and accepts(folder, path):
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
