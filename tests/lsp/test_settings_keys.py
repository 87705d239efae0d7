"""Every settings key, sent in initializationOptions the way an editor does, reaches the engine:
the folder is indexed and published (a key the server did not know used to stop indexing)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from lsp_support import codes, copy_case, initialize, open_document, wait_for
from pytest_lsp import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_settings_table import ALL_KEYS, SAMPLES


@pytest.mark.asyncio
@pytest.mark.parametrize("key", ALL_KEYS)
async def test_each_key_in_initialization_options_is_accepted(client: LanguageClient, tmp_path: Path, key: str) -> None:
    root = copy_case("ng101/prisma-basic", tmp_path)
    await initialize(client, [root], options={"nextguard": {key: SAMPLES[key]}})
    action = root / "app/posts/[id]/actions.ts"
    open_document(client, action)
    await wait_for(lambda: codes(client, action, "NG101") == ["NG101"], what=f"NG101 with {key} set")
    assert not [m.message for m in client.messages if "error" in m.message.lower() and key in m.message]
