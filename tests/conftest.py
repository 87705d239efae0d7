"""Settings for the whole test suite.

The cache lives in the user's cache directory (``nextguard.cache``): the tests must never write
into the real one, so every test, and every CLI and language server a test starts (they inherit
the environment), uses a private directory made for this run. It is set when this module is
imported, not in a fixture: ``tests/lsp/conftest.py`` copies ``os.environ`` into a server's
environment when it is imported, which can be before any fixture or ``pytest_configure`` runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

CACHE_HOME_ENV = "NEXTGUARD_CACHE_HOME"  # nextguard.cache.CACHE_HOME_ENV (tested in test_cache_hostile)

_CACHE_HOME = tempfile.mkdtemp(prefix="nextguard-test-cache-")
os.environ[CACHE_HOME_ENV] = _CACHE_HOME


@pytest.fixture(scope="session", autouse=True)
def _private_cache_home() -> Iterator[str]:
    # A test that changed it (monkeypatch restores it) does not leak; the directory goes at the end.
    assert os.environ[CACHE_HOME_ENV] == _CACHE_HOME
    yield _CACHE_HOME
    shutil.rmtree(_CACHE_HOME, ignore_errors=True)
