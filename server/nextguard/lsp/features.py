"""What the client asks about one file or folder, answered from current findings: pulled
diagnostics, hover, code lenses, code actions (quick fixes, suppressions, fix-all), fix-all over
the workspace, and the endpoint map a code lens opens.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types
from tree_sitter import Tree

from ..engine import endpoints, file_endpoints
from ..model import Finding, TextEdit
from ..render.map import render_markdown
from ..syntax.document import TextLines
from ..syntax.parse import parse
from . import actions as code_actions
from .actions import FIX_ALL_KIND, FileView, kind_wanted
from .convert import SOURCE, hover_markdown, text_edits, to_range, workspace_edit
from .documents import DocumentEvents, too_large_diagnostic
from .folders import Folder, path_of
from .mapfile import write_map

# The command a code lens runs (workspace/executeCommand): the server writes `nextguard map` of the
# folder as Markdown and asks the client to open it (window/showDocument), so every editor shows
# the map without client code of its own.
SHOW_MAP = "nextguard.showMap"


class Features(DocumentEvents):
    """Requests about one file or folder, each answered about the text the client has now."""

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


def _range_key(item: types.Range) -> tuple[int, int, int, int]:
    return (item.start.line, item.start.character, item.end.line, item.end.character)


def _intersects(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return (a[0], a[1]) <= (b[2], b[3]) and (b[0], b[1]) <= (a[2], a[3])
