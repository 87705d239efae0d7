"""`nextguard lsp`: the pygls server. Each handler translates a message and hands it to the
session on the analysis thread (``session.py`` and the layers it puts together, ``worker.py``);
nothing here analyses anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Generator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from lsprotocol import types
from pygls.exceptions import (
    FeatureRequestError,
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from .. import __version__
from ..engine import RULES, Rule
from ..syntax.document import TextChange
from .actions import FIX_ALL_KIND
from .convert import encoding_of
from .framing import FrameDecoder, Problem
from .session import SHOW_MAP, Session, collect_when_idle, faulty
from .settings import settings_from
from .transport import CHUNK, ThreadReader, read_function, serve_stream
from .worker import Worker

if TYPE_CHECKING:
    from pygls.server import ServerErrors

T = TypeVar("T")

FIX_ALL_WORKSPACE = "nextguard.fixAllWorkspace"
REINDEX = "nextguard.reindex"
# Test-only: `NEXTGUARD_TEST_FAULT=NG101` makes that rule raise on every file (tests/lsp use it to
# show that a broken rule is logged and everything else keeps working). Never set in production.
FAULT_ENV = "NEXTGUARD_TEST_FAULT"
# How long a code action waits for the analysis of the newest text the client sent.
VERSION_WAIT_S = 2.0

log = logging.getLogger(__name__)


class NextguardProtocol(LanguageServerProtocol):
    """pygls' protocol without its own copy of every open document (the session keeps the
    documents, with their trees), with an error answer for a request whose params do not
    deserialize (pygls would log it and leave the client waiting forever), and with the lifecycle
    LSP asks for (``receive``), which pygls does not enforce."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_received = False

    def receive(self, value: Any) -> None:
        """One message as the transport decoded it. The lifecycle is checked before the message
        is even structured: before `initialize` a request gets ServerNotInitialized (−32002) and a
        notification is dropped; a second `initialize`, and any request after `shutdown`, gets
        InvalidRequest (−32600); `exit` is always obeyed."""
        if not isinstance(value, dict) or value.get("jsonrpc") != "2.0":
            self._refuse(None, "not a JSON-RPC 2.0 message")
            return
        method = value.get("method")
        if "id" in value and isinstance(method, str):
            msg_id = value["id"]
            if isinstance(msg_id, bool) or not isinstance(msg_id, int | str):
                self._refuse(None, f"a request id must be a number or a string ({method})")
                return
            if method == types.INITIALIZE and self.initialize_received:
                self._refuse(msg_id, "the server is already initialized")
                return
            if method != types.INITIALIZE and not self.initialize_received:
                error = JsonRpcServerNotInitialized(f"{method} before initialize")
                self._send_response(msg_id, error=error.to_response_error())
                return
            if self._shutdown:
                self._refuse(msg_id, f"{method} after shutdown")
                return
        elif isinstance(method, str) and method != types.EXIT and (not self.initialize_received or self._shutdown):
            log.debug("dropped the notification %s (not initialized, or shut down)", method)
            return
        try:
            message = self.structure_message(value)
        except JsonRpcException as error:
            self._server._report_server_error(error, JsonRpcException)
            return
        if method == types.INITIALIZE:
            self.initialize_received = True
        self.handle_message(message)

    def _refuse(self, msg_id: int | str | None, why: str) -> None:
        log.warning("nextguard: invalid request: %s", why)
        error = JsonRpcInvalidRequest(f"Invalid Request: {why}")
        self._send_response(msg_id, error=error.to_response_error())  # type: ignore[arg-type]

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, types.InitializeResult]:
        result: types.InitializeResult = yield from super().lsp_initialize(params)
        # Pull diagnostics only for clients that pull: one that also shows pushed diagnostics
        # would list every problem twice.
        if params.capabilities.text_document is None or params.capabilities.text_document.diagnostic is None:
            result.capabilities.diagnostic_provider = None
        return result

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "id" in data and "method" in data:
                self._send_response(data["id"], error=error.to_response_error())
            raise


class Connection:
    """The session's view of the connection. The session calls it from the analysis thread; every
    message goes through the event loop, the only thread that writes to the transport."""

    def __init__(self, server: NextguardServer, loop: asyncio.AbstractEventLoop) -> None:
        self.server = server
        self.loop = loop

    def _on_loop(self, call: Callable[..., object], *args: object) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(call, *args)

    def publish(self, params: types.PublishDiagnosticsParams) -> None:
        self._on_loop(self.server.text_document_publish_diagnostics, params)

    def log(self, kind: types.MessageType, message: str) -> None:
        self._on_loop(self.server.window_log_message, types.LogMessageParams(type=kind, message=message))

    def show(self, kind: types.MessageType, message: str) -> None:
        self._on_loop(self.server.window_show_message, types.ShowMessageParams(type=kind, message=message))

    def progress(self, token: str, value: object) -> None:
        self._on_loop(self.server.progress, types.ProgressParams(token=token, value=value))

    def request(self, method: str, params: object, timeout: float) -> Any:
        """Send a request to the client and wait for its answer (never from the loop itself).
        With ``timeout`` 0, send it and do not wait."""

        async def send() -> Any:
            return await self.server.protocol.send_request_async(method, params)

        future = asyncio.run_coroutine_threadsafe(send(), self.loop)
        if timeout == 0:
            return None
        return future.result(timeout)


class NextguardServer(LanguageServer):
    protocol: NextguardProtocol

    def __init__(self) -> None:
        super().__init__("nextguard", __version__, protocol_cls=NextguardProtocol, max_workers=2)
        self.session: Session | None = None
        self.worker: Worker | None = None
        self.shutdown_requested = False
        self._reporting = False
        # The newest version of each document the client sent (didOpen/didChange), recorded on the
        # loop as the message is read, before the analysis thread has applied it.
        self.received: dict[str, int] = {}

    # -- reading the client (``transport.py``; pygls' own reader trusts the framing) --------------

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        read = read_function(stdin or sys.stdin.buffer)

        async def main() -> None:
            reader = ThreadReader(read, asyncio.get_running_loop())
            await serve_stream(reader.read, self, FrameDecoder())

        try:
            asyncio.run(main())
        except BrokenPipeError:
            log.error("nextguard: the connection to the client is lost")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

    def start_tcp(self, host: str, port: int) -> None:
        self._stop_event = threading.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.protocol.set_writer(writer)
            # `exit` raises SystemExit in its handler; the `exit` feature has closed the listening
            # socket, so ``serve_forever`` ends and ``serve`` returns the exit code.
            with contextlib.suppress(SystemExit):
                await serve_stream(lambda: reader.read(CHUNK), self, FrameDecoder())
            self.shutdown()  # type: ignore[no-untyped-call]

        async def main() -> None:
            self._server = server = await asyncio.start_server(connection, host, port)
            async with server:
                await server.serve_forever()

        with contextlib.suppress(asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            asyncio.run(main())

    def receive(self, value: Any) -> None:
        try:
            self.protocol.receive(value)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:
            log.exception("nextguard: unable to handle a message")
            self._report_server_error(error, JsonRpcException)

    def framing_problem(self, problem: Problem) -> None:
        """Logged on stderr always, and to the client once it may be told (after `initialize`)."""
        level = logging.ERROR if problem.severity == "error" else logging.WARNING
        log.log(level, "nextguard: %s", problem.text)
        if self.protocol.initialize_received and not self.shutdown_requested:
            kind = types.MessageType.Error if problem.severity == "error" else types.MessageType.Warning
            self.window_log_message(types.LogMessageParams(type=kind, message=f"nextguard: {problem.text}"))

    def stopping(self) -> bool:
        return self._stop_event is not None and self._stop_event.is_set()

    def report_server_error(self, error: Exception, source: ServerErrors) -> None:
        """pygls reports errors outside requests (a message that does not parse, a notification
        handler that raised) with a popup; a log line is enough, and after `exit` the transport is
        closed, so nothing is sent (sending would fail and report again)."""
        if self.shutdown_requested or self._reporting or source is FeatureRequestError:
            return
        self._reporting = True
        try:
            message = f"nextguard: {type(error).__name__}: {error}"
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=message))
        except Exception:
            log.exception("could not report an error to the client")
        finally:
            self._reporting = False

    # -- handing work to the session -----------------------------------------------------------

    def post(self, job: Callable[[Session], object], name: str) -> None:
        session, worker = self.session, self.worker
        if session is None or worker is None:
            return
        worker.post(lambda: job(session), name)

    async def call(self, job: Callable[[Session], T], name: str) -> T:
        session, worker = self.session, self.worker
        if session is None or worker is None:
            raise JsonRpcInvalidParams("the server is not initialized")
        future: Future[T] = worker.submit(lambda: job(session), name)
        return await asyncio.wrap_future(future)

    async def call_current(self, uri: str, job: Callable[[Session], T], name: str, limit: float = VERSION_WAIT_S) -> T:
        """``call`` for a request whose answer carries the document's version (code actions, fix
        all): asked again, for up to ``limit`` seconds, until it was computed on the newest text
        the client sent. A client drops an edit made for an older version: VS Code's save right
        after a quick fix asks for fix-all while the quick fix's change is still on its way."""
        wanted = self.received.get(uri)
        deadline = asyncio.get_running_loop().time() + limit
        while True:
            answer, version = await self.call(lambda s: (job(s), s.document_version(uri)), name)
            latest = self.received.get(uri, wanted)
            if latest is None or version is None or version >= latest:
                return answer
            if asyncio.get_running_loop().time() >= deadline:
                log.warning("%s for %s answered for version %s; the client sent %s", name, uri, version, latest)
                return answer
            await asyncio.sleep(0.01)


def rules_from_env() -> tuple[type[Rule], ...]:
    fault = os.environ.get(FAULT_ENV, "").strip().upper()
    if not fault:
        return RULES
    return tuple(faulty(rule) if rule.code == fault else rule for rule in RULES)


def _changes(params: types.DidChangeTextDocumentParams) -> list[TextChange]:
    changes = []
    for change in params.content_changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            start, end = change.range.start, change.range.end
            changes.append(TextChange(change.text, (start.line, start.character), (end.line, end.character)))
        else:
            changes.append(TextChange(change.text))
    return changes


def build_server() -> NextguardServer:
    server = NextguardServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: NextguardServer, params: types.InitializeParams) -> None:
        folders = [(folder.uri, folder.name) for folder in params.workspace_folders or []]
        if not folders and params.root_uri:
            folders = [(params.root_uri, "root")]
        encoding = encoding_of(ls.workspace.position_encoding or types.PositionEncodingKind.Utf16)
        connection = Connection(ls, asyncio.get_running_loop())
        ls.session = Session(
            connection,
            params.capabilities,
            encoding,
            folders,
            settings_from(params.initialization_options),
            rules_from_env(),
        )
        ls.worker = Worker(ls.session.settle, ls.session.report_error, collect_when_idle)
        ls.worker.start()

    @server.feature(types.INITIALIZED)
    def initialized(ls: NextguardServer, params: types.InitializedParams) -> None:
        ls.post(lambda session: session.startup(), "startup")

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: NextguardServer, params: None) -> None:
        ls.shutdown_requested = True
        if ls.worker is not None:
            ls.worker.stop()

    @server.feature(types.EXIT)
    def exit_(ls: NextguardServer, params: None) -> None:
        # Over TCP pygls would exit only the connection and keep listening; `exit` ends the server.
        if ls._server is not None:
            ls._server.close()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: NextguardServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        ls.received[item.uri] = item.version
        ls.post(lambda session: session.open(item.uri, item.text, item.version), "didOpen")

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: NextguardServer, params: types.DidChangeTextDocumentParams) -> None:
        uri, version, changes = params.text_document.uri, params.text_document.version, _changes(params)
        if version is not None:
            ls.received[uri] = version
        ls.post(lambda session: session.change(uri, version, changes), "didChange")

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: NextguardServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.received.pop(uri, None)
        ls.post(lambda session: session.close(uri), "didClose")

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: NextguardServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.post(lambda session: session.saved(uri), "didSave")

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: NextguardServer, params: types.DidChangeWatchedFilesParams) -> None:
        changes = [(event.uri, event.type) for event in params.changes]
        ls.post(lambda session: session.watched(changes), "didChangeWatchedFiles")

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: NextguardServer, params: types.DidChangeConfigurationParams) -> None:
        payload = params.settings
        ls.post(lambda session: session.settings_changed(payload), "didChangeConfiguration")

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls: NextguardServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        added = [folder.uri for folder in params.event.added]
        removed = [folder.uri for folder in params.event.removed]
        ls.post(lambda session: session.folders_changed(added, removed), "didChangeWorkspaceFolders")

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]),
    )
    async def code_action(ls: NextguardServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri, where, context = params.text_document.uri, params.range, params.context
        only = [str(kind) for kind in context.only] if context.only else None
        return await ls.call_current(uri, lambda s: s.code_actions(uri, where, context.diagnostics, only), "codeAction")

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def code_lens(ls: NextguardServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        uri = params.text_document.uri
        return await ls.call(lambda s: s.code_lenses(uri), "codeLens")

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: NextguardServer, params: types.HoverParams) -> types.Hover | None:
        uri, position = params.text_document.uri, params.position
        return await ls.call(lambda s: s.hover(uri, position.line, position.character), "hover")

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="nextguard", inter_file_dependencies=True, workspace_diagnostics=False),
    )
    async def diagnostic(
        ls: NextguardServer, params: types.DocumentDiagnosticParams
    ) -> types.RelatedFullDocumentDiagnosticReport:
        uri = params.text_document.uri
        return await ls.call(lambda s: s.pull(uri), "diagnostic")

    @server.command(FIX_ALL_WORKSPACE)
    async def fix_all_workspace(ls: NextguardServer, *args: Any) -> types.ApplyWorkspaceEditResult | None:
        edit = await ls.call(lambda s: s.fix_all_workspace(), FIX_ALL_WORKSPACE)
        if edit is None:
            return None
        params = types.ApplyWorkspaceEditParams(edit=edit, label="nextguard: fix all safe problems")
        result: types.ApplyWorkspaceEditResult = await ls.workspace_apply_edit_async(params)
        return result

    @server.command(SHOW_MAP)
    async def show_map(ls: NextguardServer, *args: Any) -> str | None:
        folder_uri = args[0] if args else None
        try:
            path = await ls.call(lambda s: s.endpoint_map(folder_uri), SHOW_MAP)
        except OSError as error:
            message = f"nextguard: could not write the endpoint map: {error}"
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))
            return None
        if path is None:
            ls.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Info, message="nextguard: the folder is still indexing")
            )
            return None
        uri = path.as_uri()
        session = ls.session
        if session is not None and session.caps.show_document:
            await ls.window_show_document_async(types.ShowDocumentParams(uri=uri, take_focus=True))
        else:
            message = f"nextguard: the endpoint map is in {path}"
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=message))
        return uri

    @server.command(REINDEX)
    async def reindex(ls: NextguardServer, *args: Any) -> None:
        await ls.call(lambda s: s.reindex(), REINDEX)

    return server


def serve(tcp: str | None = None) -> int:
    """Run the server until the client says `exit` (or goes away). Exit code 0 after `shutdown`,
    1 otherwise, as LSP asks."""
    server = build_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0 if server.shutdown_requested else 1


__all__ = ["FIX_ALL_WORKSPACE", "REINDEX", "build_server", "serve"]
