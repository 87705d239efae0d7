"""Running one benchmark child as a whole process, and describing the machine it ran on (shared by
``run.py``; ``lsp_latency.py`` drives its server itself)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_child(command: list[str], cwd: Path, ok_codes: tuple[int, ...] = (0,)) -> tuple[float, int, str, int, float]:
    """Run one whole process; returns (wall seconds, peak RSS KiB, stdout, exit status, CPU
    seconds). An exit status outside ``ok_codes`` raises ``SystemExit`` with the end of its stderr.

    ``os.wait4`` gives this child's own rusage, so ``ru_maxrss`` is its peak RSS (KiB on Linux);
    its user + system time includes the worker processes it forked and waited for, so CPU
    seconds above the wall time show how much ran in parallel."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=child_environment()
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        if process.returncode not in ok_codes:
            stderr = err.read().decode("utf-8", "replace")
            raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{stderr[-2000:]}")
    return seconds, int(usage.ru_maxrss), stdout, process.returncode, usage.ru_utime + usage.ru_stime


def child_environment() -> dict[str, str]:
    """The environment of a timed child: ours, except that Python may write bytecode.

    A user's installed package has its ``.pyc`` files (pip compiles them at install); under
    ``PYTHONDONTWRITEBYTECODE`` (set in some containers, this one included) an editable install
    would compile nextguard's modules again at every start, 0.1 s that no user pays. The warm-up
    round writes them."""
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def nextguard_command() -> list[str]:
    script = shutil.which("nextguard", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    return [script] if script else [sys.executable, "-m", "nextguard"]


def machine() -> dict[str, object]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        model = platform.processor()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            memory = handle.readline().split(":", 1)[1].strip()
    except (OSError, IndexError):
        pass
    # The package the children import (PYTHONPATH can point them at a snapshot of another commit).
    probe = subprocess.run(
        [sys.executable, "-c", "import nextguard; print(nextguard.__file__)"], capture_output=True, text=True
    )
    package_dir = Path(probe.stdout.strip()).parent if probe.returncode == 0 else Path("?")
    if package_dir.is_relative_to(REPO):
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "server"], cwd=REPO, capture_output=True, text=True)
        source = (commit.stdout.strip() or "?") + (" + uncommitted changes in server/" if dirty.stdout.strip() else "")
    else:
        # not the folder: reports are committed, and a path names one machine
        source = "an installed package, not this checkout"
    versions: dict[str, str] = {}
    for package in ("nextguard", "tree-sitter", "tree-sitter-typescript"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "?"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "nextguard_source": source,
    }
