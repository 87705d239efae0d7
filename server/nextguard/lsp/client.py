"""The session's side of the connection: what it needs from the client (``Client``, implemented by
the server) and what the client said it can do (``Capabilities``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from lsprotocol import types


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
