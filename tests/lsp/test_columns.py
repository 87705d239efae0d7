"""One line index: on a file with a byte-order mark, CRLF line ends and characters outside the
BMP, the CLI (code points), SARIF and the server (UTF-16) put a finding at the same place — the
place an editor shows, where the BOM is no character."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsp_support import copy_case, initialize, uri, wait_for
from pytest_lsp import LanguageClient

from nextguard.cli.main import main

LINE_1 = (
    "'use server'; import { db } from '@/lib/db'; /* 😀 é */ "
    "export async function wipe(id: string) { await db.post.delete({ where: { id } }); }"
)
LINE_3 = "/* 𝄞 */ export async function wipeToo(id: string) { await db.post.delete({ where: { id } }); }"


def _write(root: Path) -> Path:
    target = root / "app" / "posts" / "wipe.ts"
    target.write_bytes(b"\xef\xbb\xbf" + f"{LINE_1}\r\n\r\n{LINE_3}\r\n".encode())
    return target


def _expected(line: str, name: str) -> tuple[int, int]:
    """(code points, UTF-16 units) before ``name`` on its line."""
    before = line[: line.index(f"function {name}(") + len("function ")]
    return len(before), len(before.encode("utf-16-le")) // 2


@pytest.mark.asyncio
async def test_cli_sarif_and_server_agree(
    client: LanguageClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_case("ng101/prisma-basic", tmp_path)
    target = _write(root)
    wanted = {1: _expected(LINE_1, "wipe"), 3: _expected(LINE_3, "wipeToo")}
    assert wanted[1][0] != wanted[1][1] and wanted[3][0] != wanted[3][1]

    main(["check", str(target), "--no-cache", "--select", "NG101", "--format", "json"])
    rows = json.loads(capsys.readouterr().out)
    assert {(r["location"]["row"], r["location"]["column"] - 1) for r in rows} == {(k, v[0]) for k, v in wanted.items()}

    main(["check", str(target), "--no-cache", "--select", "NG101", "--format", "sarif"])
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    regions = {
        (
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"] - 1,
        )
        for r in results
    }
    assert regions == {(k, v[1]) for k, v in wanted.items()}

    await initialize(client, [root])
    published = await wait_for(
        lambda: [d for d in client.diagnostics.get(uri(target), []) if d.code == "NG101"] or None,
        what="NG101 on the BOM file",
    )
    starts = {(d.range.start.line + 1, d.range.start.character) for d in published}
    assert starts == {(k, v[1]) for k, v in wanted.items()}
