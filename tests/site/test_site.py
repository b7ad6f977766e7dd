"""The course's website (``make site``): built offline from freshly executed lessons, then read in
the course's Chromium as a visitor would.

Every page must load with no console error and no failed request (so nothing comes from a CDN),
every internal link and image must resolve, every content image must have alt text, the
navigation must reach every lesson, and a lesson page must not render blank.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest

from tests.ui.conftest import _require_browser
from tests.ui.lab import serve_folder

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site, served by ``python -m http.server`` on a free 127.0.0.1 port."""
    _require_browser()
    out = tmp_path_factory.mktemp("site") / "html"
    start = time.perf_counter()
    build = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "site.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert build.returncode == 0, f"build failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
    print(f"site built in {time.perf_counter() - start:.0f} s\n{build.stdout}")
    with serve_folder(out) as base:
        yield base, out


@pytest.fixture(scope="module")
def browser(request):
    _require_browser()
    return request.getfixturevalue("chromium")  # tests/conftest.py: one per process


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def test_site_has_a_page_per_lesson_and_assignment(site):
    _, out = site
    for lesson in LESSONS:
        assert (out / "lessons" / f"{lesson}.html").is_file(), f"no page for {lesson}"
    for assignment in sorted((ROOT / "assignments").glob("a*/")):
        page = out / "assignments" / f"{assignment.name}.html"
        assert page.is_file(), f"no page for the student version of {assignment.name}"


def test_every_page_loads_cleanly_with_working_links_and_images(site, browser):
    base, out = site
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    pages = [p for p in pages if not p.startswith(("_", "genindex", "search"))]
    assert "index.html" in pages and len(pages) >= len(LESSONS) + 1, pages
    checked: dict[str, int] = {}
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status}: {r.url}"))
    try:
        for rel in pages:
            before = len(problems)
            page.goto(base + rel, wait_until="load")
            links = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
            for link in links:
                url = urldefrag(link).url
                if urlparse(url).netloc != urlparse(base).netloc or url in checked:
                    continue
                checked[url] = _status(url)
                if checked[url] >= 400:
                    problems.append(f"broken link {url} ({checked[url]})")
            images = page.eval_on_selector_all(
                "img",
                "is => is.map(i => [i.currentSrc || i.src, i.complete && i.naturalWidth > 0,"
                " (i.getAttribute('alt') || '').trim(), !!i.closest('article')])",
            )
            for src, loaded, alt, in_content in images:
                if not loaded:
                    problems.append(f"image does not load: {src[:120]}")
                if in_content and (not alt or alt.endswith((".png", ".svg", ".jpg"))):
                    problems.append(f"content image without alt text ({alt!r}): {src[-60:]}")
            problems[before:] = [f"{rel}: {p}" for p in problems[before:]]
    finally:
        context.close()
    assert checked, "no internal link was found to check"
    assert not problems, "site problems:\n" + "\n".join(problems)


def test_navigation_reaches_every_lesson_and_pages_offer_the_notebook(site, browser):
    base, _ = site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(base + "index.html")
        nav = page.eval_on_selector_all(
            "nav.bd-docs-nav a[href]", "as => as.map(a => a.getAttribute('href'))"
        )
        for lesson in LESSONS:
            assert any(lesson in href for href in nav), f"the navigation misses {lesson}: {nav}"
        page.goto(base + f"lessons/{LESSONS[1]}.html")
        download = page.locator("a.download[href$='.ipynb'], a[download][href$='.ipynb']")
        assert download.count(), "a lesson page has no 'download this notebook' link"
        href = download.first.evaluate("a => a.href")
        assert _status(href) == 200, f"the notebook download {href} does not resolve"
        # Outputs are on the page: a lesson page shows its executed plots.
        assert page.locator("article img").count() >= 1, "the lesson page shows no figure"
        shot = page.screenshot(full_page=False)
    finally:
        context.close()
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(shot)).convert("L")
    spread = ImageStat.Stat(image).stddev[0]
    assert spread > 10, f"the lesson page's screenshot looks blank (grey-level spread {spread:.1f})"
