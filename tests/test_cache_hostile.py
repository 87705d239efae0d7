"""A repository cannot use the cache against whoever checks it (issue 15).

Each test builds a hostile copy of the example app: packs planted where the cache is read (a
committed ``.nextguard_cache/``, or the per-workspace directory of a ``--cache-dir`` inside the
workspace, whose name anyone who knows the clone's path can compute), symlinks where the cache is
written, files that never end or never answer. Whatever is planted, nothing runs, nothing is
written outside the cache's own private directories, nothing hangs, and the findings are those of
a ``--no-cache`` run. The last part checks that the report the cache stores is plain data that
comes back equal, fixes and notices included.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import marshal
import os
import pickle
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nextguard.cache import (
    _MAGIC_FACTS,
    _MAGIC_RESULTS,
    CACHE_DIR_NAME,
    FACTS_PACK,
    RESULTS_PACK,
    cache_dir_for,
    cache_home,
    cache_key,
    content_id,
    open_store,
)
from nextguard.cli.main import main
from nextguard.engine import analyze, batch, load_file
from nextguard.facts.codec import codec
from nextguard.model import Finding, Fix, Notice, NoticeKind, Related, Report, Severity, Span, TextEdit
from nextguard.report_codec import decode_finding, decode_report, encode_finding, encode_notice, encode_report
from nextguard.workspace.discovery import discover

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "examples" / "acme-notes"
HOUR_AGO = time.time() - 3600
PACKS = (FACTS_PACK, RESULTS_PACK)


def _age(root: Path) -> None:
    """Old enough that the cache trusts every stat and stores the report (``cache._racy``)."""
    for directory, _, names in os.walk(root):
        for name in names:
            os.utime(os.path.join(directory, name), (HOUR_AGO, HOUR_AGO), follow_symlinks=False)
        os.utime(directory, (HOUR_AGO, HOUR_AGO))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "acme-notes"
    shutil.copytree(ACME, root, ignore=shutil.ignore_patterns(CACHE_DIR_NAME))
    _age(root)
    return root.resolve()


def _argv(ws: Path, *extra: str | Path) -> list[str]:
    return ["check", "--format", "json", "--exit-zero", "--no-progress", *map(str, extra), str(ws)]


def _cli(capsys: pytest.CaptureFixture[str], ws: Path, *extra: str | Path) -> tuple[list[Any], str]:
    """The findings (JSON) and the notices (stderr) of ``nextguard check`` in this process."""
    assert main(_argv(ws, *extra)) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def _listing(directory: Path) -> dict[str, bytes | str]:
    """What a directory holds, recursively, without following symlinks: to show nothing changed."""
    found: dict[str, bytes | str] = {}
    for path in sorted(directory.rglob("*")):
        key = str(path.relative_to(directory))
        if path.is_symlink():
            found[key] = "-> " + os.readlink(path)
        elif path.is_file():
            found[key] = path.read_bytes()
        else:
            found[key] = "dir"
    return found


def _given_cache(ws: Path) -> tuple[Path, Path]:
    """``--cache-dir .nextguard_cache`` in the workspace, and the per-workspace directory in it
    that nextguard reads: the one a repository that knows where it is cloned would plant."""
    given = ws / CACHE_DIR_NAME
    return given, cache_dir_for(ws, given)


# --- (1) a pickle payload never runs ---------------------------------------------------------


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def test_a_committed_pickle_payload_never_runs(ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "payload-ran"
    payload = pickle.dumps(_Payload(marker))
    # The shape the old cache read (magic, an unkeyed hash, the pickle) and the new magic with a
    # made-up signature, both in the committed directory and where --cache-dir would look.
    old = b"NGRSLTS1" + hashlib.blake2b(payload, digest_size=32).digest() + payload
    new = _MAGIC_RESULTS + hmac.new(b"guess", payload, hashlib.sha256).digest() + payload
    given, own = _given_cache(ws)
    own.mkdir(parents=True)
    for directory, blob in ((given, old), (own, new)):
        (directory / "results.bin").write_bytes(blob)
        (directory / FACTS_PACK).write_bytes(blob)
    _age(ws)
    expected, _ = _cli(capsys, ws, "--no-cache")
    assert expected, "the example app has findings"

    # The CLI in its own process, as a CI job runs it.
    command = [sys.executable, "-m", "nextguard", *_argv(ws)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(run.stdout) == expected
    assert _cli(capsys, ws)[0] == expected
    findings, notices = _cli(capsys, ws, "--cache-dir", given)
    assert findings == expected
    assert "signature does not verify" in notices
    assert not marker.exists(), "the cache ran code from the repository"


# --- (2) planted facts change nothing --------------------------------------------------------


def _facts_of_empty_files(ws: Path) -> bytes:
    """A facts pack that would hide every finding: each file's content id mapped to the facts of
    an empty file."""
    entries: dict[bytes, bytes] = {}
    stats: dict[str, tuple[None, bytes]] = {}
    for path in discover(ws).files:
        ident = content_id(path, path.read_bytes())
        facts, _ = load_file(path, b"")
        entries[ident] = marshal.dumps(codec().encode(facts))
        stats[os.fspath(path)] = (None, ident)
    return marshal.dumps((cache_key(), entries, stats))


def test_planted_facts_hide_nothing(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected, _ = _cli(capsys, ws, "--no-cache")
    payload = _facts_of_empty_files(ws)
    given, own = _given_cache(ws)

    # Control: signed with the user's key, this pack does hide findings. Only the signature
    # keeps a repository from planting it.
    store, _ = open_store(ws, given)
    assert store is not None
    store.write(FACTS_PACK, _MAGIC_FACTS, payload)
    hidden, _ = _cli(capsys, ws, "--cache-dir", given)
    assert len(hidden) < len(expected)
    shutil.rmtree(given)

    forged = _MAGIC_FACTS + hmac.new(os.urandom(32), payload, hashlib.sha256).digest() + payload
    old_format = b"NGFACTS1" + hashlib.blake2b(payload, digest_size=32).digest() + payload
    variants = {
        "forged signature": forged,
        "old format": old_format,
        "random bytes": os.urandom(5000),
        "deep marshal": _MAGIC_FACTS + bytes(32) + b"(" * 100_000,
        "empty": b"",
    }
    for name, blob in variants.items():
        for directory in (ws / CACHE_DIR_NAME, own):
            directory.mkdir(parents=True, exist_ok=True)
            (directory / FACTS_PACK).write_bytes(blob)
        _age(ws)
        assert _cli(capsys, ws)[0] == expected, name
        findings, notices = _cli(capsys, ws, "--cache-dir", given)
        assert findings == expected, name
        assert f"ignored {FACTS_PACK}" in notices, name
        # The run replaced the planted pack by its own; the next one starts from that.
        (own / RESULTS_PACK).unlink(missing_ok=True)


# --- (3) symlinks never carry a write elsewhere -----------------------------------------------


def test_a_committed_cache_symlink_is_never_written_through(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / FACTS_PACK).write_text("the user's own file")
    (victim / ".gitignore").write_text("keep\n")
    before = _listing(victim)
    (ws / CACHE_DIR_NAME).symlink_to(victim)
    expected, _ = _cli(capsys, ws, "--no-cache")

    assert _cli(capsys, ws)[0] == expected  # the default location: the symlink is not even read
    findings, notices = _cli(capsys, ws, "--cache-dir", ws / CACHE_DIR_NAME)
    assert findings == expected
    assert "cache off for this run" in notices and "symbolic link" in notices
    link = tmp_path / "link"
    link.symlink_to(victim)
    findings, notices = _cli(capsys, ws, "--cache-dir", link)
    assert findings == expected and "symbolic link" in notices
    assert _listing(victim) == before


def test_symlinks_inside_a_given_cache_directory_are_never_written_through(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious").write_text("the user's own file")
    given, own = _given_cache(ws)
    own.mkdir(parents=True)
    (own / ".gitignore").symlink_to(tmp_path / "created-anywhere")  # dangling
    (own / FACTS_PACK).symlink_to(victim / "precious")
    (own / RESULTS_PACK).symlink_to(victim / "new-file")
    (given / ".gitignore").symlink_to(tmp_path / "created-here")
    before = _listing(victim)
    expected, _ = _cli(capsys, ws, "--no-cache")

    for _ in range(2):
        findings, notices = _cli(capsys, ws, "--cache-dir", given)
        assert findings == expected
        assert "symbolic link" in notices
    assert _listing(victim) == before
    assert not (tmp_path / "created-anywhere").exists() and not (tmp_path / "created-here").exists()

    # A per-workspace directory that is itself a symlink turns the cache off.
    shutil.rmtree(own)
    own.symlink_to(victim)
    findings, notices = _cli(capsys, ws, "--cache-dir", given)
    assert findings == expected and "cache off for this run" in notices
    assert _listing(victim) == before


# --- (4) packs that never end or never answer -------------------------------------------------


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/stdin", "fifo"])
def test_special_files_as_packs_end_in_a_cold_run(ws: Path, tmp_path: Path, special: str) -> None:
    if not os.path.exists("/dev/zero") or not hasattr(os, "mkfifo"):
        pytest.skip("needs /dev and FIFOs")
    given, own = _given_cache(ws)
    own.mkdir(parents=True)
    for directory in (ws / CACHE_DIR_NAME, own):
        directory.mkdir(exist_ok=True)
        for name in PACKS:
            if special == "fifo":
                os.mkfifo(directory / name)
            else:
                (directory / name).symlink_to(special)
    command = [sys.executable, "-m", "nextguard", *_argv(ws, "--no-cache")]
    expected = json.loads(subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout)
    # stdin is a pipe nobody writes to or closes: reading /dev/stdin would wait forever. The
    # timeout is the hang guard (the old cache never came back), not a speed test.
    for extra in ([], ["--cache-dir", str(given)]):
        feeder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], stdout=subprocess.PIPE)
        try:
            command = [sys.executable, "-m", "nextguard", *_argv(ws, *extra)]
            run = subprocess.run(command, stdin=feeder.stdout, capture_output=True, text=True, timeout=120)
        finally:
            feeder.kill()
            feeder.wait()
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout) == expected
        if extra:
            assert "ignored" in run.stderr
    for name in PACKS:
        assert not stat.S_ISREG(os.lstat(own / name).st_mode)  # left as they were, not written through


# --- (5) a tampered pack is ignored -----------------------------------------------------------


def _warm(capsys: pytest.CaptureFixture[str], ws: Path, given: Path) -> list[Any]:
    findings, notices = _cli(capsys, ws, "--cache-dir", given)
    assert _cli(capsys, ws, "--cache-dir", given) == (findings, notices)
    return findings


@pytest.mark.parametrize("tamper", ["flip", "resign", "truncate", "other-workspace"])
def test_a_tampered_pack_is_ignored_with_a_notice(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], tamper: str
) -> None:
    given = tmp_path / "cache"
    expected = _warm(capsys, ws, given)
    own = cache_dir_for(ws, given)
    report = own / RESULTS_PACK
    blob = report.read_bytes()
    magic, signature, payload = blob[:8], blob[8:40], blob[40:]
    record = json.loads(payload)
    # What a forger wants: the stored report with no findings.
    record[-1]["findings"] = []
    hollow = json.dumps(record).encode()
    if tamper == "flip":
        report.write_bytes(magic + signature + payload.replace(b'"NG', b'"XG', 1))
    elif tamper == "resign":
        report.write_bytes(magic + hmac.new(os.urandom(32), hollow, hashlib.sha256).digest() + hollow)
    elif tamper == "truncate":
        report.write_bytes(blob[: len(blob) // 2])
    else:
        # A pack this user's nextguard signed, for another workspace: bound to its path.
        other = tmp_path / "other"
        shutil.copytree(ws, other)
        _age(other)
        _warm(capsys, other, given)
        report.write_bytes((cache_dir_for(other, given) / RESULTS_PACK).read_bytes())
    findings, notices = _cli(capsys, ws, "--cache-dir", given)
    assert findings == expected
    assert f"ignored {RESULTS_PACK}" in notices
    # The cache rewrote it: the next run replays, and says nothing.
    assert _cli(capsys, ws, "--cache-dir", given) == (expected, "")


def test_large_packs_are_verified_before_they_are_held(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every pack takes the streaming path: a genuine one still replays, a forged one is refused.
    from nextguard import cache as cache_module

    monkeypatch.setattr(cache_module, "_STREAM_ABOVE", 0)
    given = tmp_path / "cache"
    expected = _warm(capsys, ws, given)
    report = cache_dir_for(ws, given) / RESULTS_PACK
    blob = report.read_bytes()
    report.write_bytes(blob[:-2] + b" ]")  # JSON still, signature no longer
    findings, notices = _cli(capsys, ws, "--cache-dir", given)
    assert findings == expected and "signature does not verify" in notices


def test_the_signing_key_is_private_and_kept(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _cli(capsys, ws)
    key = cache_home() / "key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    assert stat.S_IMODE(cache_home().stat().st_mode) == 0o700
    first = key.read_bytes()
    _cli(capsys, ws)
    assert key.read_bytes() == first


# --- (6) the stored report is plain data that comes back equal --------------------------------


def test_a_warm_run_replays_the_report_fixes_and_notices_included(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (ws / "src/app/actions/broken.ts").write_text("'use server'\nexport async function broken( {\n")
    _age(ws)
    cold = analyze([ws])
    assert any(f.fixes for f in cold.findings) and any(f.related for f in cold.findings)
    assert any(n.kind == "syntax" for n in cold.notices)
    assert analyze([ws], cache=True) == cold
    analyses: list[object] = []
    real = batch._analyze_root
    monkeypatch.setattr(batch, "_analyze_root", lambda *a, **k: analyses.append(a) or real(*a, **k))
    replayed = analyze([ws], cache=True)
    assert analyses == [], "the report was replayed, not computed"
    assert replayed == cold


_text = st.text(max_size=20)
_paths = st.sampled_from([Path("/w/a.ts"), Path("/w/src/b c.tsx"), Path("/w/caf\udce9.ts"), Path("/w/é/ü.ts")])


@st.composite
def _spans(draw: st.DrawFn) -> Span:
    start = draw(st.integers(0, 1 << 40))
    return Span(start, start + draw(st.integers(0, 1 << 20)))


_edits = st.builds(TextEdit, _paths, _spans(), _text)
_fixes = st.builds(Fix, _text, st.lists(_edits, max_size=3).map(tuple), st.sampled_from(["safe", "unsafe"]))
_findings = st.builds(
    Finding,
    _text,
    _text,
    st.sampled_from(list(Severity)),
    _text,
    _paths,
    _spans(),
    st.lists(st.builds(Related, _paths, _spans(), _text), max_size=2).map(tuple),
    st.lists(_fixes, max_size=2).map(tuple),
)
_notice_kinds: list[NoticeKind] = ["unreadable", "syntax", "too-large", "cache"]
_notices = st.builds(Notice, _paths, st.sampled_from(_notice_kinds), _text)
_digests = st.text("0123456789abcdef", min_size=64, max_size=64)
_reports = st.builds(
    Report,
    st.lists(_findings, max_size=4),
    st.lists(_notices, max_size=3),
    st.integers(0, 10_000),
    st.dictionaries(_paths, _digests, max_size=3),
)


def test_the_report_codec_carries_every_field_of_the_model() -> None:
    # The report is encoded by name, its parts by position: a field added to the model must be
    # added to the codec, else a replayed report would silently lack it (the round trip below
    # only covers the fields its strategies know).
    assert set(encode_report(Report())) == {f.name for f in dataclasses.fields(Report)}
    finding = Finding("NG101", "name", Severity.ERROR, "message", Path("/a.ts"), Span(0, 1))
    assert len(encode_finding(finding)) == len(dataclasses.fields(Finding)) + 1  # a span is two numbers
    assert decode_finding(encode_finding(finding)) == finding
    assert len(encode_notice(Notice(Path("/a.ts"), "cache", "m"))) == len(dataclasses.fields(Notice))
    assert [len(dataclasses.fields(c)) for c in (Fix, TextEdit, Related, Span)] == [3, 3, 3, 2]


@given(_reports)
@settings(max_examples=200, deadline=None)
def test_the_report_codec_round_trips_through_json(report: Report) -> None:
    text = json.dumps(encode_report(report))
    assert decode_report(json.loads(text)) == report


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 1 << 41) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=9) | st.dictionaries(st.text(max_size=15), inner, max_size=3),
    max_leaves=40,
)


@given(_json)
@settings(max_examples=300, deadline=None)
def test_the_report_decoder_refuses_anything_else_with_value_error(value: object) -> None:
    try:
        decoded = decode_report(value)
    except ValueError:
        return
    assert json.loads(json.dumps(encode_report(decoded))) == value


@given(_reports, st.data())
@settings(max_examples=100, deadline=None)
def test_a_stored_report_with_one_value_changed_is_refused_or_still_well_typed(
    report: Report, data: st.DataObject
) -> None:
    encoded = json.loads(json.dumps(encode_report(report)))
    leaves: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            leaves.append((node, key))
            walk(child)

    walk(encoded)
    node, key = data.draw(st.sampled_from(leaves))
    node[key] = data.draw(st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=3) | st.just([]))
    try:
        decoded = decode_report(encoded)
    except ValueError:
        return
    assert all(isinstance(f, Finding) and isinstance(f.severity, Severity) for f in decoded.findings)
    assert all(f.span.start <= f.span.end for f in decoded.findings)
