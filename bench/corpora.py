"""Materialize the public Next.js apps the benchmark scans, at pinned commits, outside the repo.

    python bench/corpora.py                 # all of them, into ~/.cache/nextguard-bench/corpora/
    python bench/corpora.py --out DIR dubinc/dub

For each app: ``git clone`` from GitHub and check out the pinned commit; when GitHub cannot be
reached, ``git archive`` the commit from a local bare mirror (``$NEXTGUARD_MIRRORS``, default
``/work/.mirror``, laid out as ``<owner>+<name>/repo``). A mirror without some blobs (Git LFS
assets, such as midday's GIFs) is archived again with only source and config files, which is
all any of the tools reads. An app already materialized at its commit (``.nextguard-bench-commit``
holds it) is left as it is. The apps' code never enters this repository.

Prints ``NAME=PATH`` per app, the form ``run.py --corpus`` takes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

TOOLS = Path(os.environ.get("NEXTGUARD_BENCH_HOME", Path.home() / ".cache" / "nextguard-bench"))
DEFAULT_OUT = TOOLS / "corpora"
MIRRORS = Path(os.environ.get("NEXTGUARD_MIRRORS", "/work/.mirror"))
MARKER = ".nextguard-bench-commit"
# What a restricted extraction keeps: every file any of the tools reads.
SOURCE_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".prisma")
CONFIG_NAMES = ("package.json", "pnpm-workspace.yaml", ".gitignore", "nextguard.json")


def _wanted(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (
        name.endswith(SOURCE_SUFFIXES)
        or name in CONFIG_NAMES
        or (name.startswith(("tsconfig", "jsconfig")) and name.endswith(".json"))
    )


@dataclass(frozen=True)
class App:
    repo: str  # owner/name
    commit: str
    note: str

    @property
    def slug(self) -> str:
        return self.repo.replace("/", "+")


APPS = (
    # The mirror's HEAD when the benchmark was written (`git --git-dir=/work/.mirror/dubinc+dub/repo log -1`).
    App("dubinc/dub", "1de955f782a72e1eff7b201ae54a909d5ceb5722", "pnpm monorepo, ~4,100 source files"),
    App("formbricks/formbricks", "b66c1dd978af618a0e402bd3343b456bed68594c", "pnpm monorepo, ~3,300 source files"),
    App("midday-ai/midday", "47d252aab7e3ab28a0027376cfdd6ee83d2e5ccf", "bun monorepo, ~2,000 source files"),
)


def _git(*args: str, cwd: Path | None = None, timeout: float = 900) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_LFS_SKIP_SMUDGE": "1"}
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=timeout, env=env)


def _clone(app: App, into: Path) -> bool:
    try:
        clone = _git(
            "clone",
            "--quiet",
            "--filter=blob:none",
            "--no-checkout",
            f"https://github.com/{app.repo}",
            str(into),
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        return False
    if clone.returncode != 0:
        return False
    return _git("checkout", "--quiet", app.commit, cwd=into).returncode == 0


def _archive(app: App, into: Path) -> str:
    mirror = MIRRORS / app.slug / "repo"
    if not mirror.is_dir():
        raise SystemExit(f"{app.repo}: GitHub unreachable and no mirror at {mirror}")
    with tempfile.TemporaryDirectory() as scratch:
        tarball = Path(scratch) / "app.tar"
        how = "whole tree"
        result = _git(f"--git-dir={mirror}", "archive", "--format=tar", f"--output={tarball}", app.commit)
        if result.returncode == 0:
            into.mkdir(parents=True)
            with tarfile.open(tarball) as archive:
                archive.extractall(into, filter="data")
        else:
            # Blobs the mirror lacks (LFS assets): write the source and config files one by one.
            how = "source and config files only"
            _extract_sources(mirror, app.commit, into)
    # Discovery stops at a `.git` boundary and honours .gitignore files inside it; a checkout has one.
    (into / ".git").mkdir(exist_ok=True)
    return f"archived from {mirror} ({how})"


def _extract_sources(mirror: Path, commit: str, into: Path) -> None:
    listing = _git(f"--git-dir={mirror}", "ls-tree", "-r", "-z", commit)
    if listing.returncode != 0:
        raise SystemExit(f"cannot list {commit} in {mirror}: {listing.stderr.decode(errors='replace')}")
    blobs: list[tuple[str, str]] = []
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        path = name.decode("utf-8", "surrogateescape")
        if kind == "blob" and mode in ("100644", "100755") and _wanted(path):
            blobs.append((sha, path))
    batch = subprocess.run(
        ["git", f"--git-dir={mirror}", "cat-file", "--batch"],
        input="".join(f"{sha}\n" for sha, _ in blobs).encode(),
        capture_output=True,
        check=True,
    )
    out, at = batch.stdout, 0
    into.mkdir(parents=True)
    for _sha, path in blobs:
        header_end = out.index(b"\n", at)
        header = out[at:header_end].split()
        at = header_end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        target = into / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(out[at : at + size])
        at += size + 1


def materialize(app: App, out: Path) -> Path:
    target = out / app.slug
    marker = target / MARKER
    if marker.is_file() and marker.read_text().strip() == app.commit:
        return target
    if target.exists():
        shutil.rmtree(target)
    out.mkdir(parents=True, exist_ok=True)
    partial = out / f".{app.slug}.part"
    if partial.exists():
        shutil.rmtree(partial)
    if _clone(app, partial):
        how = "cloned from GitHub"
    else:
        if partial.exists():
            shutil.rmtree(partial)
        how = _archive(app, partial)
    (partial / MARKER).write_text(app.commit + "\n")
    partial.rename(target)
    print(f"{app.repo} @ {app.commit[:12]}: {how} -> {target}", file=sys.stderr)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("apps", nargs="*", help="owner/name of the apps to materialize (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    chosen = [a for a in APPS if not args.apps or a.repo in args.apps]
    unknown = set(args.apps) - {a.repo for a in APPS}
    if unknown:
        parser.error(f"unknown app(s): {', '.join(sorted(unknown))}; known: {', '.join(a.repo for a in APPS)}")
    for app in chosen:
        print(f"{app.repo}={materialize(app, args.out.expanduser())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
