"""Engine values → protocol values: findings become diagnostics, text edits with byte spans
become LSP text edits with (line, character) ranges in the negotiated encoding."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import attrs
from lsprotocol import types

from ..engine import BY_CODE, common_ends
from ..model import Finding, Severity, Span, TextEdit
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
            attrs.evolve(
                item, code_description=None, data={key: value for key, value in data.items() if key != "version"}
            )
        )
    return result


# What a client shows of a diagnostic, minus the version stamp: ``comparable`` as a tuple, cheap to
# compare (a publish is skipped when the new list equals the shown one).
ShownKey = tuple[object, ...]
_Key = tuple[object, ...]


class _Converted:
    """One file's diagnostics as last converted: the text they were computed on and, for each, the
    diagnostic without its ``data`` (a template) by what decides it (code, severity, message, spans
    in that text, related locations in other files with those files' lines)."""

    __slots__ = ("data", "line_count", "templates", "uri")

    def __init__(
        self, data: bytes, line_count: int, uri: str, templates: dict[_Key, tuple[types.Diagnostic, ShownKey]]
    ) -> None:
        self.data, self.line_count, self.uri, self.templates = data, line_count, uri, templates


class DiagnosticMemo:
    """Findings → diagnostics for one session, converting again only the findings an edit changed.

    A keystroke in a file with hundreds of findings leaves most of them where they were: those
    before the edit keep their bytes and positions, those on lines after it move by the same number
    of bytes and (for an edit that adds or removes no line) keep their positions. Their diagnostics
    are the ones converted for the previous text; only ``data`` (the span and the version) is new.
    The result is always what ``diagnostic`` gives (tests/lsp/test_convert_memo.py)."""

    def __init__(
        self,
        lines_of: Callable[[Path], TextLines | None],
        uri_of: Callable[[Path], str],
        encoding: Encoding,
        related: bool,
    ) -> None:
        self.lines_of, self.uri_of, self.encoding, self.related = lines_of, uri_of, encoding, related
        self._files: dict[Path, _Converted] = {}
        self.last_reused = 0  # diagnostics the last ``convert`` took from the previous text's

    def forget(self, path: Path | None = None) -> None:
        if path is None:
            self._files.clear()
        else:
            self._files.pop(path, None)

    def convert(
        self, path: Path, findings: Sequence[Finding], version: int | None
    ) -> tuple[list[types.Diagnostic], list[ShownKey]]:
        """The diagnostics of ``findings`` (all located in ``path``) and what the client shows of each."""
        lines = self.lines_of(path)
        if lines is None or any(finding.path != path for finding in findings):
            converted = [
                diagnostic(f, self.lines_of, self.uri_of, self.encoding, version, self.related) for f in findings
            ]
            return converted, shown_keys(converted)
        data = lines.data
        uri = self.uri_of(path)  # in a related location of the file itself
        before = self._files.get(path)
        if before is not None and before.uri != uri:
            before = None
        old_templates = before.templates if before is not None else {}
        # Where the old text's templates still hold: offsets below ``prefix`` unchanged; offsets from
        # ``after`` on moved by ``delta`` bytes on the same lines (``same_lines``).
        prefix, after, delta, same_lines = 0, len(data) + 1, 0, False
        if before is not None and len(data) >= 3:
            prefix, suffix = common_ends(before.data, data)
            delta = len(data) - len(before.data)
            tail = len(data) - suffix  # the first byte of the unchanged end
            # The first line starting inside that end: its positions are the old ones.
            line = lines.line_of(tail) + 1
            after = lines.line_start(line) if line < lines.line_count else len(data) + 1
            same_lines = lines.line_count == before.line_count
        templates: dict[_Key, tuple[types.Diagnostic, ShownKey]] = {}
        reused = 0
        items: list[types.Diagnostic] = []
        shown: list[ShownKey] = []
        for finding in findings:
            low, high = finding.span.start, finding.span.end
            others: list[tuple[object, ...]] = []
            for item in finding.related:
                if item.path == path:
                    low, high = min(low, item.span.start), max(high, item.span.end)
                    others.append((item.span.start, item.span.end, item.message))
                else:
                    other = (item.path, self.uri_of(item.path), self.lines_of(item.path), item.span, item.message)
                    others.append(other)
            key = (finding.code, finding.severity, finding.message, finding.span.start, finding.span.end, *others)
            found = None
            if high < prefix:
                found = old_templates.get(key)
            elif low >= after and same_lines:
                found = old_templates.get(_shifted(finding, others, -delta))
            if found is not None:
                reused += 1
            else:
                fresh = diagnostic(finding, self.lines_of, self.uri_of, self.encoding, None, self.related)
                fresh.data = None
                found = (fresh, _shown(fresh))
            templates[key] = found
            template, view = found
            stamp = {"code": finding.code, "span": [finding.span.start, finding.span.end], "version": version}
            items.append(attrs.evolve(template, data=stamp))
            shown.append((*view, finding.span.start, finding.span.end))
        self._files[path] = _Converted(data, lines.line_count, uri, templates)
        self.last_reused = reused
        return items, shown


def _shifted(finding: Finding, others: list[tuple[object, ...]], by: int) -> _Key:
    """The key ``finding`` had in a text where what is at its spans stood ``by`` bytes further on."""
    moved = [
        (cast(int, other[0]) + by, cast(int, other[1]) + by, other[2]) if len(other) == 3 else other for other in others
    ]
    return (finding.code, finding.severity, finding.message, finding.span.start + by, finding.span.end + by, *moved)


def _shown(item: types.Diagnostic) -> ShownKey:
    """What ``comparable`` keeps of a diagnostic, minus ``data`` (added by the caller)."""
    related = tuple(
        (info.location.uri, _range_tuple(info.location.range), info.message) for info in item.related_information or ()
    )
    return (_range_tuple(item.range), item.message, item.severity, item.code, item.source, related)


def _range_tuple(item: types.Range) -> tuple[int, int, int, int]:
    return (item.start.line, item.start.character, item.end.line, item.end.character)


def shown_keys(diagnostics: Iterable[types.Diagnostic]) -> list[ShownKey]:
    """``_shown`` of diagnostics made by ``diagnostic``, with their span: what ``convert`` returns."""
    keys = []
    for item in diagnostics:
        span = item.data.get("span", (None, None)) if isinstance(item.data, dict) else (None, None)
        keys.append((*_shown(item), span[0], span[1]))
    return keys


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
    "DiagnosticMemo",
    "ShownKey",
    "comparable",
    "diagnostic",
    "encoding_of",
    "hover_markdown",
    "shown_keys",
    "text_edits",
    "to_range",
    "workspace_edit",
]
