"""What every layer of the session shares: the state they read and write (``SessionState``), and
messages to the client.

The session is built in layers, each in its own module and each using only the layers below it:

- ``client``, ``folders``: the connection's side, and which folder analyses a file;
- ``state``: this module;
- ``publishing``: the engine kept current with the documents, the findings cache, diagnostics pushed
  or pulled;
- ``indexing``: folders loaded and reloaded (startup, settings, folders added, watched files);
- ``documents``: open documents (open, change, close) and the size limit;
- ``features``: what the client asks about one file (hover, code lens, code actions, fix-all, the map);
- ``session``: the coordinator the server talks to.

Every method runs on the analysis thread (see ``worker.py``); the protocol handlers in ``server.py``
only translate and hand over.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lsprotocol import types

from ..engine import Rule
from ..model import Notice
from ..syntax.document import Document, TextLines
from ..syntax.positions import Encoding
from .client import Capabilities, Client
from .convert import DiagnosticMemo, ShownKey
from .folders import Folder, folders_for, owner

_LOG_LEVELS = {"error": 1, "warning": 2, "info": 3, "debug": 4}


def log_level_of(name: object) -> int:
    """The numeric level of a ``logLevel`` setting (``info`` for a value we do not know)."""
    return _LOG_LEVELS.get(str(name), 3)


class SessionState:
    """The state of one session. Invariants the layers rely on:

    - An open document's text is what the workspaces analyse (unsaved buffers win over disk); when
      it closes, the workspace goes back to the file on disk.
    - ``Folder.findings`` holds findings only while they are current: an engine update drops the
      entry of every file it reports as possibly changed, and that file is marked dirty to be
      delivered.
    - ``published`` is what the client currently shows for each URI (pushed), so a file is
      published again only when its diagnostics actually changed.
    """

    converted: DiagnosticMemo  # set by ``Session``: it converts with the publishing layer's lookups

    def __init__(
        self,
        client: Client,
        capabilities: types.ClientCapabilities,
        encoding: Encoding,
        init_settings: dict[str, Any],
        rules: tuple[type[Rule], ...],
    ) -> None:
        self.client = client
        self.caps = Capabilities.of(capabilities)
        self.encoding: Encoding = encoding
        self.rules = rules
        self.init_settings = init_settings
        self.folders: list[Folder] = []
        self.documents: dict[Path, Document] = {}
        self.document_uris: dict[Path, str] = {}
        self.unsynced: set[Path] = set()
        self.oversized: set[Path] = set()  # open documents over MAX_DOCUMENT_BYTES: not analysed
        self.editing: Path | None = None  # the document edited last: analysed first
        self.published: dict[str, tuple[Path, list[types.Diagnostic]]] = {}
        self.shown: dict[str, list[ShownKey]] = {}  # of each published list: what decides a new publish
        self.pulled: dict[str, tuple[int | None, list[ShownKey]]] = {}
        self.refresh_wanted = False
        self.log_level = log_level_of(init_settings.get("logLevel", "info"))
        self._lines_cache: dict[Path, tuple[bytes, TextLines]] = {}
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

    def _folders_for(self, path: Path) -> list[Folder]:
        """Folders whose workspace holds ``path``, deepest first (``folders.folders_for``)."""
        return folders_for(self.folders, path)

    def _owner(self, path: Path) -> Folder | None:
        return owner(self.folders, path)
