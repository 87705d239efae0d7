"""``Report`` ↔ plain JSON-able lists, for the report the cache stores.

The cache used to store the report with Python's object serialiser, which calls whatever the
bytes name: a file planted where the cache is read was then code. Here the report is written as lists of strings and
integers that ``json`` can carry, and read back by a decoder that checks every value's type and
range and builds only the model's own classes: bytes that are not a report written by
``encode_report`` raise ``ValueError`` (the cache then starts cold), whatever they hold.

Paths are carried as their ``str``; a name that is not UTF-8 (a lone surrogate from
``surrogateescape``) survives ``json`` with its default ASCII escaping.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

from .model import Applicability, Finding, Fix, Notice, NoticeKind, Related, Report, Severity, Span, TextEdit

# Each stored string mapped to the model's value: a lookup is the check, and mypy sees the Literal.
_NOTICE_KINDS: dict[str, NoticeKind] = {kind: kind for kind in typing.get_args(NoticeKind)}
_APPLICABILITIES: dict[str, Applicability] = {value: value for value in typing.get_args(Applicability)}
_SEVERITIES: dict[str, Severity] = {severity.value: severity for severity in Severity}


# -- encoding -----------------------------------------------------------------------------------


def _span(span: Span) -> list[int]:
    return [span.start, span.end]


def encode_notice(notice: Notice) -> list[Any]:
    return [str(notice.path), notice.kind, notice.message]


def _encode_fix(fix: Fix) -> list[Any]:
    return [fix.title, fix.applicability, [[str(e.path), *_span(e.span), e.content] for e in fix.edits]]


def encode_finding(finding: Finding) -> list[Any]:
    return [
        finding.code,
        finding.name,
        finding.severity.value,
        finding.message,
        str(finding.path),
        *_span(finding.span),
        [[str(r.path), *_span(r.span), r.message] for r in finding.related],
        [_encode_fix(fix) for fix in finding.fixes],
    ]


def encode_report(report: Report) -> dict[str, Any]:
    # One key per field of Report (a test holds them equal, so a new field is not dropped).
    return {
        "findings": [encode_finding(finding) for finding in report.findings],
        "notices": [encode_notice(notice) for notice in report.notices],
        "files_analysed": report.files_analysed,
        "analysed": [[str(path), digest] for path, digest in report.analysed.items()],
    }


# -- decoding: every value checked, nothing but the model's classes built ----------------------


def _list(value: object, length: int | None = None) -> list[Any]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise ValueError("not a list of the expected length")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _int(value: object) -> int:
    # bool is an int subclass; a report never stores one where a number belongs.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("not a non-negative integer")
    return value


def _path(value: object) -> Path:
    text = _str(value)
    path = Path(text)
    # As ``str(path)`` wrote it: nothing else was stored.
    if "\0" in text or str(path) != text:
        raise ValueError("not a path")
    return path


def _decode_span(start: object, end: object) -> Span:
    span = Span(_int(start), _int(end))
    if span.start > span.end:
        raise ValueError("a span that ends before it starts")
    return span


def decode_notice(value: object) -> Notice:
    path, kind, message = _list(value, 3)
    if not isinstance(kind, str) or kind not in _NOTICE_KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    return Notice(_path(path), _NOTICE_KINDS[kind], _str(message))


def _decode_edit(value: object) -> TextEdit:
    path, start, end, content = _list(value, 4)
    return TextEdit(_path(path), _decode_span(start, end), _str(content))


def _decode_fix(value: object) -> Fix:
    title, applicability, edits = _list(value, 3)
    if not isinstance(applicability, str) or applicability not in _APPLICABILITIES:
        raise ValueError(f"unknown applicability {applicability!r}")
    return Fix(_str(title), tuple(_decode_edit(edit) for edit in _list(edits)), _APPLICABILITIES[applicability])


def _decode_related(value: object) -> Related:
    path, start, end, message = _list(value, 4)
    return Related(_path(path), _decode_span(start, end), _str(message))


def decode_finding(value: object) -> Finding:
    code, name, severity, message, path, start, end, related, fixes = _list(value, 9)
    if not isinstance(severity, str) or severity not in _SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    return Finding(
        _str(code),
        _str(name),
        _SEVERITIES[severity],
        _str(message),
        _path(path),
        _decode_span(start, end),
        tuple(_decode_related(item) for item in _list(related)),
        tuple(_decode_fix(item) for item in _list(fixes)),
    )


def _decode_analysed(value: object) -> dict[Path, str]:
    analysed: dict[Path, str] = {}
    for item in _list(value):
        path, digest = _list(item, 2)
        if not isinstance(digest, str) or len(digest) != 64 or digest.strip("0123456789abcdef"):
            raise ValueError("not a SHA-256 in hex")
        analysed[_path(path)] = digest
    return analysed


_REPORT_KEYS = frozenset({"findings", "notices", "files_analysed", "analysed"})


def decode_report(value: object) -> Report:
    """The report ``encode_report`` gave ``value`` for; ``ValueError`` for anything else."""
    if not isinstance(value, dict) or set(value) != _REPORT_KEYS:
        raise ValueError("not a report")
    return Report(
        [decode_finding(item) for item in _list(value["findings"])],
        [decode_notice(item) for item in _list(value["notices"])],
        _int(value["files_analysed"]),
        _decode_analysed(value["analysed"]),
    )


__all__ = ["decode_finding", "decode_notice", "decode_report", "encode_finding", "encode_notice", "encode_report"]
