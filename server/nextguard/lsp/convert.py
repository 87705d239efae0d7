"""Engine values → protocol values: findings become diagnostics, text edits with byte spans
become LSP text edits with (line, character) ranges in the negotiated encoding."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from lsprotocol import types

from ..model import Finding, Severity, Span, TextEdit
from ..rules.registry import BY_CODE
from ..syntax.document import TextLines
from ..syntax.positions import Encoding

SOURCE = "nextguard"

SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}

ENCODINGS: dict[str, Encoding] = {"utf-8": "utf-8", "utf-16": "utf-16", "utf-32": "utf-32"}


def encoding_of(kind: object) -> Encoding:
    """Our name for a negotiated ``PositionEncodingKind`` (UTF-16 when in doubt, as LSP says)."""
    value = kind.value if isinstance(kind, types.PositionEncodingKind) else str(kind)
    return ENCODINGS.get(value, "utf-16")


def to_range(lines: TextLines, span: Span, encoding: Encoding) -> types.Range:
    start = lines.position(span.start, encoding)
    end = lines.position(span.end, encoding)
    return types.Range(types.Position(*start), types.Position(*end))


def diagnostic(
    finding: Finding,
    lines_of: Callable[[Path], TextLines | None],
    uri_of: Callable[[Path], str],
    encoding: Encoding,
    version: int | None,
    related: bool,
) -> types.Diagnostic:
    """The diagnostic for a finding. ``data`` carries what a code action needs to find the finding
    again and to tell a stale request from a current one: the code, the byte span and the version
    of the text it was computed on."""
    lines = lines_of(finding.path)
    assert lines is not None, finding.path
    rule = BY_CODE.get(finding.code)
    information: list[types.DiagnosticRelatedInformation] | None = None
    if related and finding.related:
        information = []
        for item in finding.related:
            other = lines_of(item.path)
            if other is None:
                continue
            location = types.Location(uri_of(item.path), to_range(other, item.span, encoding))
            information.append(types.DiagnosticRelatedInformation(location, item.message))
    return types.Diagnostic(
        range=to_range(lines, finding.span, encoding),
        message=finding.message,
        severity=SEVERITY[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=rule.url()) if rule is not None else None,
        source=SOURCE,
        related_information=information or None,
        data={"code": finding.code, "span": [finding.span.start, finding.span.end], "version": version},
    )


def comparable(diagnostics: Iterable[types.Diagnostic]) -> list[types.Diagnostic]:
    """Diagnostics without the version stamp in ``data``: what decides whether the client's copy
    is still right (a new version with the same diagnostics needs no new publish)."""
    result = []
    for item in diagnostics:
        data = item.data if isinstance(item.data, dict) else {}
        result.append(
            types.Diagnostic(
                range=item.range,
                message=item.message,
                severity=item.severity,
                code=item.code,
                source=item.source,
                related_information=item.related_information,
                data={key: value for key, value in data.items() if key != "version"},
            )
        )
    return result


def text_edits(lines: TextLines, edits: Iterable[TextEdit], encoding: Encoding) -> list[types.TextEdit]:
    return [types.TextEdit(to_range(lines, edit.span, encoding), edit.content) for edit in edits]


def workspace_edit(
    files: Mapping[str, tuple[int | None, list[types.TextEdit]]], document_changes: bool
) -> types.WorkspaceEdit:
    """One edit over several files (uri -> (version, edits)). With ``documentChanges`` each file's
    edits carry the version they were computed for, so a client whose buffer has moved on rejects
    them instead of applying them to the wrong text."""
    if document_changes:
        changes: list[Any] = [
            types.TextDocumentEdit(types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), list(edits))
            for uri, (version, edits) in files.items()
            if edits
        ]
        return types.WorkspaceEdit(document_changes=changes)
    return types.WorkspaceEdit(changes={uri: list(edits) for uri, (_, edits) in files.items() if edits})


def hover_markdown(code: str) -> str | None:
    rule = BY_CODE.get(code)
    if rule is None:
        return None
    return rule.doc().markdown(rule.code, rule.name) + f"\n[{rule.code} documentation]({rule.url()})\n"


__all__ = [
    "SEVERITY",
    "SOURCE",
    "comparable",
    "diagnostic",
    "encoding_of",
    "hover_markdown",
    "text_edits",
    "to_range",
    "workspace_edit",
]
