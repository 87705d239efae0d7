"""Diagnostics converted again only for the findings an edit changed (``DiagnosticMemo``) must be
exactly what converting every finding gives, after any edit: typed or deleted characters and line
breaks, multi-byte characters, CRLF line ends, findings before, inside and after the edit, with
related locations in the same file and in another one."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from nextguard.lsp.convert import DiagnosticMemo, diagnostic, shown_keys
from nextguard.model import Finding, Related, Severity, Span
from nextguard.syntax.document import TextLines
from nextguard.syntax.positions import Encoding

FILE = Path("/ws/app/actions.ts")
OTHER = Path("/ws/lib/dal.ts")

ACTION = """export async function act{k}(id: string) {{\r
  const session = await verifySession(); // é
  await db.note{k}.delete({{ where: {{ id }} }});
}}

"""


def _findings(data: bytes, other: bytes) -> list[Finding]:
    """One finding per `await`, the odd ones with a related location at the next `db` and one in
    the other file; the message says where it is, as a real one names the function."""
    found = []
    dbs = [m.start() for m in re.finditer(rb"db", data)]
    for n, match in enumerate(re.finditer(rb"await \w+", data)):
        related: tuple[Related, ...] = ()
        if n % 2:
            at = next((d for d in dbs if d > match.start()), None)
            if at is not None:
                related = (Related(FILE, Span(at, at + 2), "the query"), Related(OTHER, Span(0, len(other)), "here"))
        name = "NG101" if n % 3 else "NG104"
        message = f"call {data[match.start() : match.end()].decode(errors='replace')}"
        found.append(Finding(name, "x", Severity.ERROR, message, FILE, Span(match.start(), match.end()), related))
    return found


def _edit(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    roll = rng.random()
    if roll < 0.35 and at < len(data):
        return data[:at] + data[at + 1 :]
    if roll < 0.45:
        return data[:at] + rng.choice([b"\n", b"\r\n", b"\r"]) + data[at:]
    return data[:at] + rng.choice([b"X", b"await q", "é".encode(), "😀".encode(), b" "]) + data[at:]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
def test_memo_converts_like_converting_everything(encoding: Encoding) -> None:
    rng = random.Random(encoding)
    data = "".join(ACTION.format(k=k) for k in range(12)).encode()
    other = b"export const verifySession = async () => {}\n"
    lines: dict[Path, TextLines] = {}

    def lines_of(path: Path) -> TextLines | None:
        return lines.get(path)

    def uri_of(path: Path) -> str:
        return path.as_uri()

    memo = DiagnosticMemo(lines_of, uri_of, encoding, related=True)
    reused = total = 0
    for step in range(400):
        if step % 50 == 0:
            other = other + b"// more\n"  # the other file changes: its related ranges are new
            lines[OTHER] = TextLines(other)
        lines[FILE] = TextLines(data)
        findings = _findings(data, other)
        items, keys = memo.convert(FILE, findings, step)
        fresh = [diagnostic(f, lines_of, uri_of, encoding, step, True) for f in findings]
        assert items == fresh, f"step {step}"
        assert keys == shown_keys(fresh)
        reused += memo.last_reused
        total += len(findings)
        data = _edit(data, rng)
    assert reused > total * 0.6, (reused, total)  # most findings are kept: the edit is elsewhere


def test_a_finding_in_another_file_is_converted_as_ever() -> None:
    data = b"await x\n"
    lines = {FILE: TextLines(data), OTHER: TextLines(b"await y\n")}
    memo = DiagnosticMemo(lines.get, lambda path: path.as_uri(), "utf-16", related=False)
    elsewhere = Finding("NG101", "x", Severity.ERROR, "m", OTHER, Span(0, 5))
    items, keys = memo.convert(FILE, [elsewhere], 1)
    assert items == [diagnostic(elsewhere, lines.get, lambda path: path.as_uri(), "utf-16", 1, False)]
    assert keys == shown_keys(items)
