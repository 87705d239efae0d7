"""`nextguard map --format html`: one self-contained page, loaded in headless Chromium. The page
renders itself with a small script, so the DOM Chromium dumps after load is what a person sees;
filters start from the address (`#status=unprotected`), which lets the test drive them. Screenshots
go to `test-artifacts/` (git-ignored) for a person to look at."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from nextguard.cli.main import main
from nextguard.engine import endpoints, load_analysis, summary_line

REPO = Path(__file__).parent.parent
ACME = REPO / "examples" / "acme-notes"
MONOREPO = REPO / "tests" / "fixtures" / "ng101" / "monorepo-workspace-package"
ARTIFACTS = REPO / "test-artifacts"
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "/usr/bin/chromium"):
        found = shutil.which(name)
        if found:
            return found
    reason = "headless Chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the HTML map test")
    pytest.skip(reason)


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="nextguard-chromium-") as profile:
        return subprocess.run(
            [_chromium(), *_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def dump_dom(page: Path, fragment: str = "") -> str:
    result = _run(["--dump-dom", page.resolve().as_uri() + fragment])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<html" in result.stdout, result.stderr[-2000:]
    return result.stdout


def screenshot(page: Path, target: Path, fragment: str = "") -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    result = _run([f"--screenshot={target}", "--window-size=1280,900", page.resolve().as_uri() + fragment])
    assert target.is_file(), result.stderr[-2000:]
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@dataclass
class Rendered(HTMLParser):
    """What the dumped DOM holds: the endpoint cards, the tree's segments, the filters."""

    endpoints: list[dict[str, str | None]] = field(default_factory=list)
    segments: list[dict[str, str | None]] = field(default_factory=list)
    checkboxes: dict[str, bool] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append(tag)
        classes = (values.get("class") or "").split()
        if tag == "li" and "endpoint" in classes:
            self.endpoints.append(values)
        elif tag == "details" and "segment" in classes:
            self.segments.append(values)
        elif tag == "input" and values.get("type") == "checkbox":
            self.checkboxes[f"{values.get('name')}={values.get('value')}"] = "checked" in values

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def visible(self) -> set[tuple[str | None, str | None]]:
        return {(e["data-file"], e["data-name"]) for e in self.endpoints if "hidden" not in e}

    def visible_segments(self) -> set[str | None]:
        return {s["data-path"] for s in self.segments if "hidden" not in s}


def render(page: Path, fragment: str = "") -> Rendered:
    parsed = Rendered()
    parsed.feed(dump_dom(page, fragment))
    return parsed


@pytest.fixture(scope="module")
def acme_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = tmp_path_factory.mktemp("map") / "acme-map.html"
    assert main(["map", str(ACME), "--format", "html", "--output", str(page)]) == 0
    return page


NOTES = "src/app/actions/notes.ts"
INFOS = endpoints(load_analysis(ACME)[0])
UNPROTECTED = {
    (NOTES, "archiveNote"),
    (NOTES, "exportNotes"),
    ("src/app/api/notes/route.ts", "GET"),
    ("src/app/api/webhooks/stripe/route.ts", "POST"),
}


def test_page_is_self_contained(acme_page: Path) -> None:
    html = acme_page.read_text(encoding="utf-8")
    assert html.count("<script") == 2  # the data and the inline script, nothing loaded
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", html)
    assert "<link" not in html
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html)
    assert "fetch(" not in html and "XMLHttpRequest" not in html
    assert summary_line(INFOS) in html


def test_everything_is_shown_by_default(acme_page: Path) -> None:
    page = render(acme_page)
    assert len(page.endpoints) == len(INFOS)
    assert page.visible() == {(info.file, info.name) for info in INFOS}
    assert {(NOTES, "createNote"), (NOTES, "deleteNote"), ("src/app/actions/auth.ts", "login")} <= page.visible()
    assert {"/", "/dashboard", "/login", "/api/notes", "/api/webhooks/stripe"} <= page.visible_segments()
    assert all(page.checkboxes.values()) and len(page.checkboxes) == 6
    text = " ".join(page.text)
    assert f"Showing {len(INFOS)} of {len(INFOS)} endpoints" in text
    assert "protected by verifySession via deleteNoteForUser (src/lib/dal.ts)" in text
    assert "public by design: anyone may subscribe" in text
    assert "curl -X POST 'https://<host>/dashboard' -H 'Next-Action: <id of archiveNote from the build>'" in text
    assert "server-reference-manifest.json" in text
    # An unprotected endpoint that reaches no data is drawn apart from the alarming ones; every
    # card says what NG104/NG105 found on its data instead of "not analysed".
    idle = {(e["data-file"], e["data-name"]) for e in page.endpoints if e.get("data-idle") == "true"}
    reaching = {(i.file, i.name) for i in INFOS if i.data.reads or i.data.mutates or i.findings}
    assert idle and not idle & reaching
    assert "not analysed" not in text and "unscoped: keyed by client input alone" in text
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot(acme_page, ARTIFACTS / "map-acme.png")


def test_status_filter(acme_page: Path) -> None:
    page = render(acme_page, "#status=unprotected")
    unprotected = {(info.file, info.name) for info in INFOS if info.protection.status == "unprotected"}
    assert page.visible() == unprotected
    assert unprotected >= UNPROTECTED
    assert page.checkboxes["status=unprotected"] and not page.checkboxes["status=protected"]
    assert not page.checkboxes["status=public"]
    # Segments with nothing left to show are hidden too.
    assert "/login" not in page.visible_segments()
    assert "/dashboard" in page.visible_segments()
    assert f"Showing {len(unprotected)} of {len(INFOS)} endpoints" in " ".join(page.text)
    screenshot(acme_page, ARTIFACTS / "map-acme-unprotected.png", "#status=unprotected")


def test_kind_filter_and_search(acme_page: Path) -> None:
    routes = render(acme_page, "#kind=route")
    assert routes.visible() == {(info.file, info.name) for info in INFOS if info.kind == "route"}
    assert ("src/app/api/notes/route.ts", "GET") in routes.visible()
    # The search reads the protection too: the DAL function that guards deleteNote.
    search = render(acme_page, "#q=deleteNoteForUser")
    assert search.visible() == {(NOTES, "deleteNote")}
    combined = render(acme_page, "#status=unprotected,public&kind=action&q=note")
    assert {(NOTES, "archiveNote"), (NOTES, "exportNotes")} <= combined.visible()
    by_key = {(info.file, info.name): info for info in INFOS}
    assert all(
        by_key[key].kind == "action" and by_key[key].protection.status != "protected" for key in combined.visible()
    )
    assert (NOTES, "createNote") not in combined.visible() and (
        "src/app/actions/auth.ts",
        "login",
    ) not in combined.visible()


def test_monorepo_is_grouped_by_app(tmp_path: Path) -> None:
    page_file = tmp_path / "monorepo.html"
    assert main(["map", str(MONOREPO), "--format", "html", "-o", str(page_file)]) == 0
    page = render(page_file)
    assert page.visible() == {
        ("apps/web/app/notes/actions.ts", "deleteNote"),
        ("apps/web/app/notes/actions.ts", "wipeNote"),
        ("apps/web/app/notes/actions.ts", "pinNote"),
    }
    assert "apps/web" in page.visible_segments()


def test_data_cannot_inject_markup(tmp_path: Path) -> None:
    root = tmp_path / "hostile"
    (root / "app").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "t"}', encoding="utf-8")
    reason = "</script><img src=x onerror=alert(1)> & {{data}}"
    (root / "app" / "actions.ts").write_text(
        f"'use server';\n// nextguard-public: {reason}\nexport async function hello() {{}}\n", encoding="utf-8"
    )
    page_file = tmp_path / "hostile.html"
    assert main(["map", str(root), "--format", "html", "-o", str(page_file)]) == 0
    assert "</script><img" not in page_file.read_text(encoding="utf-8")
    page = render(page_file)
    assert "img" not in page.tags
    assert f"public by design: {reason}" in "".join(page.text)
