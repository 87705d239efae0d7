"""The on-disk cache (``nextguard.cache``) never changes what is reported.

Every test compares a cached run with a cold run without the cache on the same workspace, in the
same process (the same hash seed), after an edit of each kind the cache has to notice: a changed,
deleted and new source file, a changed tsconfig and nextguard.json, a new extractor (the cache
key), and a corrupt or foreign cache file. They also check that the cache was used where it
should be (facts decoded, not extracted; the report replayed), so they fail if it is bypassed.
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nextguard import cache as cache_module
from nextguard.cache import CACHE_DIR_NAME, FACTS_PACK, RESULTS_PACK, FactsCache, cache_dir_for, open_store
from nextguard.cli.main import main
from nextguard.engine import analyze, batch, load_file, loading
from nextguard.facts.codec import FactsCodec
from nextguard.model import Report
from nextguard.workspace.discovery import discover, read_source

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "examples" / "acme-notes"
FIXTURES = REPO / "tests" / "fixtures"
HOUR_AGO = time.time() - 3600


def _age(root: Path, when: float = HOUR_AGO) -> None:
    """Make every file old enough that its stat can be trusted (see ``cache._RACY_NS``)."""
    for directory, _, names in os.walk(root):
        for name in names:
            os.utime(os.path.join(directory, name), (when, when))
        os.utime(directory, (when, when))


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "acme-notes"
    shutil.copytree(ACME, root, ignore=shutil.ignore_patterns(CACHE_DIR_NAME))
    _age(root)
    return root


class Spy:
    """Counts extractions and whole analyses (a replayed report has neither)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.extracted: list[Path] = []
        self.analyses = 0
        real_extract, real_root = loading.extract, batch._analyze_root

        def extract(path: Path, data: bytes, tree):  # type: ignore[no-untyped-def]
            self.extracted.append(path)
            return real_extract(path, data, tree)

        def analyse(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.analyses += 1
            return real_root(*args, **kwargs)

        monkeypatch.setattr(loading, "extract", extract)
        monkeypatch.setattr(batch, "_analyze_root", analyse)

    def reset(self) -> None:
        self.extracted.clear()
        self.analyses = 0


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    yield Spy(monkeypatch)


def _same(cached: Report, cold: Report) -> None:
    assert cached.findings == cold.findings
    assert cached.notices == cold.notices
    assert cached.files_analysed == cold.files_analysed


def _warm(root: Path) -> None:
    """Two cached runs: the report is stored (by the first run already, the workspace being old
    and the cache outside it) and replayed."""
    _check(root)
    _age(root)
    _check(root)
    assert (cache_dir_for(root) / RESULTS_PACK).is_file()


def _check(root: Path, cache_dir: Path | None = None) -> Report:
    cached = analyze([root], cache=True, cache_dir=cache_dir)
    cold = analyze([root])
    _same(cached, cold)
    return cached


# --- the codec ---------------------------------------------------------------------------------


def _fixture_files() -> list[Path]:
    files = [*discover(ACME).files]
    for case in sorted(FIXTURES.glob("*/*")):
        if case.is_dir():
            files += discover(case).files
    return files


def test_codec_round_trip_gives_equal_facts_for_every_fixture_file() -> None:
    codec = FactsCodec()
    files = _fixture_files()
    assert len(files) > 50
    for path in files:
        data, _ = read_source(path)
        assert data is not None
        facts, _ = load_file(path, data)
        back = codec.decode(marshal.loads(marshal.dumps(codec.encode(facts))), path, data)
        assert back == facts, path
        assert back.path is path
        # Fields that compare=False are caches the index fills later: they come back empty.
        assert back.resolved == {} and back.names == {}


def test_codec_refuses_a_field_type_it_cannot_carry(monkeypatch: pytest.MonkeyPatch) -> None:
    from nextguard.facts import codec as codec_module

    class Opaque:
        pass

    real = codec_module.typing.get_type_hints

    def hints(cls: type) -> dict[str, object]:
        found = real(cls)
        if cls.__name__ == "Export":
            found = {**found, "span": Opaque}
        return found

    monkeypatch.setattr(codec_module.typing, "get_type_hints", hints)
    with pytest.raises(TypeError):
        FactsCodec()


# --- cold, warm, replay ------------------------------------------------------------------------


def test_warm_runs_report_what_a_cold_run_does_and_skip_the_work(app: Path, spy: Spy) -> None:
    first = _check(app)
    assert first.findings, "the example app has findings"
    # The cache lives in the user's cache directory, private, and nothing is written in the app.
    directory = cache_dir_for(app)
    assert (directory / FACTS_PACK).is_file()
    assert directory.stat().st_mode & 0o777 == 0o700
    assert (directory / FACTS_PACK).stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in app.iterdir()) == sorted(p.name for p in ACME.iterdir() if p.name != CACHE_DIR_NAME)
    # Every file of the app is an hour old and the cache is outside it: the first run stored
    # its report already.
    assert (directory / RESULTS_PACK).exists()
    spy.reset()

    # No change: the report is replayed, nothing is read or analysed.
    replayed = analyze([app], cache=True)
    _same(replayed, analyze([app]))
    assert spy.analyses == 1  # the cold comparison run only

    # Without the report, facts are decoded from the cache: nothing is extracted.
    (directory / RESULTS_PACK).unlink()
    spy.reset()
    cached = analyze([app], cache=True)
    assert spy.extracted == []
    _same(cached, first)


def test_a_changed_file_is_extracted_again_and_only_it(app: Path, spy: Spy) -> None:
    _warm(app)
    actions = app / "src/app/actions/notes.ts"
    text = actions.read_text()
    # Take the auth check out of the file: its findings change.
    before = analyze([app]).findings
    actions.write_text(text.replace("verifySession()", "Promise.resolve({ userId: '1' })"))
    os.utime(actions, (HOUR_AGO + 60, HOUR_AGO + 60))
    spy.reset()
    after = analyze([app], cache=True)
    assert spy.extracted == [actions.resolve()]
    _same(after, analyze([app]))
    assert after.findings != before


def test_an_edit_that_keeps_size_and_is_fresh_is_still_seen(app: Path) -> None:
    _warm(app)
    actions = app / "src/app/actions/notes.ts"
    text = actions.read_text()
    swapped = text.replace("verifySession()", "verifySessiox()")
    assert len(swapped) == len(text)
    actions.write_text(swapped)  # a fresh mtime: the stat alone proves nothing
    _check(app)


def test_deleted_and_new_files(app: Path) -> None:
    _warm(app)
    (app / "src/lib/audit.ts").unlink()
    os.utime(app / "src/lib", (HOUR_AGO + 120, HOUR_AGO + 120))
    _check(app)
    new = app / "src/app/actions/extra.ts"
    new.write_text(
        "'use server'\nimport { db } from '@/lib/db'\nexport async function wipe(id: string) {\n"
        "  await db.note.delete({ where: { id } })\n}\n"
    )
    _age(app, HOUR_AGO + 180)
    report = _check(app)
    assert any(f.path == new.resolve() for f in report.findings)


def test_a_changed_tsconfig_changes_resolution(app: Path) -> None:
    _warm(app)
    before = analyze([app]).findings
    config = app / "tsconfig.json"
    config.write_text(config.read_text().replace('"./src/*"', '"./nowhere/*"'))
    os.utime(config, (HOUR_AGO + 60, HOUR_AGO + 60))
    after = _check(app)
    assert after.findings != before


def test_a_new_tsconfig_in_a_source_directory_is_seen(app: Path) -> None:
    _warm(app)
    before = analyze([app]).findings
    nested = app / "src/app/actions/tsconfig.json"
    nested.write_text(json.dumps({"compilerOptions": {"paths": {"@/*": ["./nowhere/*"]}}}))
    # Only what creating it touched: the file and its directory.
    for touched in (nested, nested.parent):
        os.utime(touched, (HOUR_AGO + 60, HOUR_AGO + 60))
    after = _check(app)
    assert after.findings != before


def test_a_changed_config_file(app: Path) -> None:
    _warm(app)
    before = analyze([app]).findings
    (app / "nextguard.json").write_text(json.dumps({"rules": {"NG101": "off"}}))
    for touched in (app / "nextguard.json", app):
        os.utime(touched, (HOUR_AGO + 60, HOUR_AGO + 60))
    after = _check(app)
    assert after.findings != before
    assert not any(f.code == "NG101" for f in after.findings)


def test_select_and_scope_are_part_of_the_question(app: Path) -> None:
    _warm(app)
    selected = analyze([app], select=["NG101"], cache=True)
    assert selected.findings == analyze([app], select=["NG101"]).findings
    assert {f.code for f in selected.findings} == {"NG101"}
    scoped = analyze([app / "src/app/actions"], cache=True)
    assert scoped.findings == analyze([app / "src/app/actions"]).findings


def test_a_new_extractor_starts_cold(app: Path, spy: Spy, monkeypatch: pytest.MonkeyPatch) -> None:
    _warm(app)
    monkeypatch.setattr(cache_module, "_KEY", b"another nextguard")
    spy.reset()
    cached = analyze([app], cache=True)
    assert len(spy.extracted) == len(discover(app).files)
    _same(cached, analyze([app]))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip", "empty", "directory", "foreign"])
def test_a_damaged_cache_is_ignored(app: Path, damage: str) -> None:
    _warm(app)
    for name in (FACTS_PACK, RESULTS_PACK):
        pack = cache_dir_for(app) / name
        blob = pack.read_bytes()
        if damage == "truncate":
            pack.write_bytes(blob[: len(blob) // 2])
        elif damage == "garbage":
            pack.write_bytes(os.urandom(len(blob)))
        elif damage == "flip":
            pack.write_bytes(blob[:-10] + bytes([blob[-10] ^ 0xFF]) + blob[-9:])
        elif damage == "empty":
            pack.write_bytes(b"")
        elif damage == "directory":
            pack.unlink()
            pack.mkdir()
        else:
            # A pack with the right magic and a signature made without the user's key.
            import hashlib
            import hmac

            payload = marshal.dumps(("not", "ours"))
            magic = blob[:8]
            pack.write_bytes(magic + hmac.new(b"guessed", magic + payload, hashlib.sha256).digest() + payload)
    if damage != "directory":
        _check(app)
        _check(app)
        return
    # Something nextguard never makes, in its private directory: said, and the cache goes around it.
    cold = analyze([app])
    for _ in range(2):
        cached = analyze([app], cache=True)
        assert cached.findings == cold.findings
        extra = [notice for notice in cached.notices if notice not in cold.notices]
        assert extra and all(notice.kind == "cache" and "not a regular file" in notice.message for notice in extra)


def test_an_unwritable_cache_directory_is_not_an_error(app: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    cached = analyze([app], cache=True, cache_dir=blocker / "cache")
    cold = analyze([app])
    assert cached.findings == cold.findings
    [notice] = [notice for notice in cached.notices if notice not in cold.notices]
    assert notice.kind == "cache" and notice.message.startswith("cache off")


def test_cache_dir_keeps_the_workspace_clean(app: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    _check(app, cache_dir=elsewhere)
    assert not (app / CACHE_DIR_NAME).exists()
    assert (cache_dir_for(app, elsewhere) / FACTS_PACK).is_file()
    # A cache the user puts somewhere is kept out of version control there.
    assert (cache_dir_for(app, elsewhere) / ".gitignore").read_text().strip().endswith("*")


def test_facts_pack_keeps_only_what_the_last_run_saw(app: Path) -> None:
    _warm(app)
    (app / "src/lib/audit.ts").unlink()
    _age(app, HOUR_AGO + 60)
    _check(app)
    store, notices = open_store(app)
    assert store is not None and notices == []
    loaded = FactsCache.load(store)
    assert len(loaded.stats) == len(discover(app).files)
    assert not any(name.endswith("audit.ts") for name in loaded.stats)


# --- the command line --------------------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> list[dict[str, object]]:
    code = main(["check", "--format", "json", "--exit-zero", "--no-progress", *map(str, args)])
    assert code == 0
    return json.loads(capsys.readouterr().out)


def test_cli_cache_flags(app: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(app)
    uncached = _cli(capsys, "--no-cache", app)
    assert not cache_dir_for(app).exists()
    assert _cli(capsys, app) == uncached
    assert (cache_dir_for(app) / FACTS_PACK).is_file()
    assert _cli(capsys, app) == uncached  # replayed
    assert not (app / CACHE_DIR_NAME).exists()
    # In the workspace only when asked; a relative --cache-dir is relative to the current directory.
    assert _cli(capsys, "--cache-dir", CACHE_DIR_NAME, app) == uncached
    assert (cache_dir_for(app, app / CACHE_DIR_NAME) / FACTS_PACK).is_file()
    assert _cli(capsys, "--cache-dir", CACHE_DIR_NAME, app) == uncached
    # The cache directory is never analysed, even with a source-looking file in it.
    (app / CACHE_DIR_NAME / "stray.ts").write_text("'use server'\nexport async function x() {}\n")
    assert _cli(capsys, "--no-cache", app) == uncached
