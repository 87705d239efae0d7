"""The server's state between messages, and the one object the protocol handlers in ``server.py``
talk to. ``Session`` only puts the layers together; each job lives in a module of its own (see
``state.py`` for the layers and the invariants they share):

- ``folders.py``: which folder analyses a file, its sources, its configuration;
- ``publishing.py``: the engine kept current, the findings cache, diagnostics pushed or pulled;
- ``indexing.py``: loading folders (startup, settings, folders added, files changed on disk);
- ``documents.py``: open documents and the size limit;
- ``features.py``: hover, code lens, code actions, fix-all, the endpoint map.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types

from ..engine import Rule
from ..model import Finding
from ..syntax.positions import Encoding
from .client import Capabilities, Client
from .convert import DiagnosticMemo
from .documents import MAX_DOCUMENT_BYTES
from .features import SHOW_MAP, Features
from .folders import CONFIG_FILES, WATCHED_GLOBS, Folder, make_folder, path_of
from .indexing import FULL_COLLECTIONS_BY_THRESHOLD, collect_when_idle


class Session(Features):
    """One client's session: its workspace folders, open documents, and what it has been shown."""

    def __init__(
        self,
        client: Client,
        capabilities: types.ClientCapabilities,
        encoding: Encoding,
        folders: Sequence[tuple[str, str]],
        init_settings: dict[str, Any],
        rules: tuple[type[Rule], ...],
    ) -> None:
        super().__init__(client, capabilities, encoding, init_settings, rules)
        for uri, _name in folders:
            folder = make_folder(uri, init_settings, client)
            if folder is not None:
                self.folders.append(folder)
        self.converted = DiagnosticMemo(self._lines_of, self._owner_uri, self.encoding, self.caps.related)


def faulty(rule: type[Rule]) -> type[Rule]:
    """Test-only (``NEXTGUARD_TEST_FAULT=NG101``): a rule that raises on every file, to show that a
    broken rule is logged and the server keeps serving."""

    def check(self: Rule, analysis: object, path: Path) -> Iterable[Finding]:
        raise RuntimeError(f"{rule.code}: injected fault (NEXTGUARD_TEST_FAULT)")

    made: type[Rule] = type(rule.__name__, (rule,), {"check": check})
    return made


__all__ = [
    "CONFIG_FILES",
    "FULL_COLLECTIONS_BY_THRESHOLD",
    "MAX_DOCUMENT_BYTES",
    "SHOW_MAP",
    "WATCHED_GLOBS",
    "Capabilities",
    "Client",
    "Folder",
    "Session",
    "collect_when_idle",
    "faulty",
    "path_of",
]
