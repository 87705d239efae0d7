"""The analysis thread: one thread owns the engine's state, and the protocol loop hands it work.

Why a thread: pygls reads messages on its event loop. If analysis ran there, the loop would read
one keystroke, analyse it, read the next, analyse that — a burst of typing would pile up. With the
analysis off the loop, the loop keeps reading while a pass runs, and the next pass takes every
change that arrived meanwhile (text edits are applied in order, the tree is reparsed once).

Why one thread: the engine's ``LiveWorkspace`` is not thread-safe, and nothing needs it to be. Jobs run
in arrival order, so a request (a code action) sees exactly the edits the client sent before it.
Between jobs the thread runs ``settle`` — publish what changed, the edited document first — and
``settle`` stops early when new jobs arrive; what it did not reach stays marked and is picked up on
the next pass, so newer edits supersede older pending analysis without any fixed delay.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

Settle = Callable[[Callable[[], bool]], bool]
ErrorReport = Callable[[str, BaseException], None]


# Seconds without work after which the thread runs its idle job (a full garbage collection).
IDLE_AFTER_S = 3.0


class Worker:
    def __init__(self, settle: Settle, report: ErrorReport, idle: Callable[[], None] | None = None) -> None:
        self._settle = settle
        self._report = report
        self._idle = idle
        self._jobs: deque[tuple[Callable[[], Any], Future[Any] | None, str]] = deque()
        self._wake = threading.Condition()
        self._stopped = False
        self._resume = False  # settle was interrupted and has more to do
        self._thread = threading.Thread(target=self._run, name="nextguard-analysis", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def post(self, job: Callable[[], object], name: str = "job") -> None:
        """Run ``job`` on the analysis thread; errors are reported, never raised."""
        with self._wake:
            self._jobs.append((job, None, name))
            self._wake.notify()

    def submit(self, job: Callable[[], T], name: str = "request") -> Future[T]:
        """Run ``job`` on the analysis thread; the future holds its result or its exception."""
        future: Future[T] = Future()
        with self._wake:
            self._jobs.append((job, future, name))
            self._wake.notify()
        return future

    def busy(self) -> bool:
        """Whether jobs are waiting (read without the lock: a stale answer only delays a check)."""
        return bool(self._jobs) or self._stopped

    def stop(self, timeout: float = 2.0) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        # Profiling for the benchmark (`bench/lsp_latency.py --profile`): cProfile run on the main
        # thread would see nothing but the event loop waiting; the work happens here.
        target = os.environ.get("NEXTGUARD_LSP_PROFILE")
        if not target:
            self._loop()
            return
        import cProfile

        profile = cProfile.Profile()
        try:
            profile.runcall(self._loop)
        finally:
            profile.dump_stats(target)

    def _loop(self) -> None:
        worked = False  # since the last idle job
        while True:
            with self._wake:
                idle = False
                while not self._jobs and not self._resume and not self._stopped:
                    waiting = IDLE_AFTER_S if worked and self._idle is not None else None
                    if not self._wake.wait(waiting) and waiting is not None:
                        idle = True
                        break
                if idle:
                    batch = []
                elif self._stopped:
                    batch = list(self._jobs)
                    self._jobs.clear()
                    for _, future, _ in batch:
                        if future is not None:
                            future.cancel()
                    return
                else:
                    batch = list(self._jobs)
                    self._jobs.clear()
            if idle:
                worked = False
                try:
                    assert self._idle is not None
                    self._idle()
                except BaseException as error:
                    self._report("idle", error)
                continue
            worked = True
            for job, future, name in batch:
                if future is not None and not future.set_running_or_notify_cancel():
                    continue
                try:
                    result = job()
                except BaseException as error:  # a job must never take the thread down
                    if future is not None:
                        future.set_exception(error)
                    else:
                        self._report(name, error)
                else:
                    if future is not None:
                        future.set_result(result)
            try:
                self._resume = not self._settle(self.busy)
            except BaseException as error:
                self._resume = False
                self._report("analysis", error)


__all__ = ["Worker"]
