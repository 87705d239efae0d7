"""The workspace of a file opened outside every workspace folder: that file alone.

The server used to analyse such a file in the project it seemed to belong to, found by walking up
from it; for `file:///x.ts`, or a file in the home directory, that project was `/` or `~`, indexed
whole. Now nothing around the file is discovered or read: its directory is the root (so paths
relative to it mean what they mean in the file), the index starts empty, and the session lays the
editor's buffer over it. Imports of its neighbours stay unresolved, as for a file checked alone.
"""

from __future__ import annotations

from pathlib import Path

from ..analysis import Analysis
from ..engine import Progress, Workspace
from ..model import Notice
from ..workspace.index import WorkspaceIndex


class LoneFileWorkspace(Workspace):
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


__all__ = ["LoneFileWorkspace"]
