"""The analysis thread's idle job (a full garbage collection in the server) runs once after work,
when no job has come for a while, and never while jobs keep coming."""

from __future__ import annotations

import threading
import time

import pytest

from nextguard.lsp import worker as worker_module
from nextguard.lsp.worker import Worker


def _worker(idles: list[float]) -> Worker:
    return Worker(lambda interrupted: True, lambda name, error: None, lambda: idles.append(time.monotonic()))


def test_idle_job_runs_once_after_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "IDLE_AFTER_S", 0.05)
    idles: list[float] = []
    worker = _worker(idles)
    worker.start()
    try:
        time.sleep(0.2)
        assert idles == []  # nothing done yet: nothing to collect
        done = threading.Event()
        worker.post(done.set)
        assert done.wait(2)
        deadline = time.monotonic() + 2
        while not idles and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(idles) == 1
        time.sleep(0.2)
        assert len(idles) == 1  # once per spell of work, not every timeout
    finally:
        worker.stop()


def test_idle_job_waits_while_jobs_keep_coming(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "IDLE_AFTER_S", 0.2)
    idles: list[float] = []
    worker = _worker(idles)
    worker.start()
    try:
        last = 0.0
        for _ in range(10):
            worker.post(lambda: None)
            last = time.monotonic()
            time.sleep(0.05)
        deadline = time.monotonic() + 2
        while not idles and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(idles) == 1 and idles[0] - last >= 0.15
    finally:
        worker.stop()
