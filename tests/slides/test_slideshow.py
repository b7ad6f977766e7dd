"""A lesson's static slideshow (``make slides``), rendered offline and stepped through in Chromium.

The fixture renders lesson 1 (a run the claims tests or ``make site`` cached is reused; otherwise
the lesson executes once, about a minute) with ``scripts/slides.py build``, serves it from
``python -m http.server`` on 127.0.0.1 and opens it in the course's Chromium: a teacher's
keyboard must reach every slide, with no console error, no failed request and nothing fetched
from another host. Screenshots of a few slides land in ``build/slides-test/`` to look at.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import matplotlib
import pytest

from tests.slides.test_metadata import slides
from tests.ui.conftest import _require_browser
from tests.ui.lab import serve_folder

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "notebooks" / "01_iterative_loop.ipynb"
REVEAL = ROOT / "slides" / "node_modules" / "reveal.js" / "dist" / "reveal.js"
SHOTS = ROOT / "build" / "slides-test"
STYLE = ROOT / "mlcourse" / "course.mplstyle"
WIDTH, HEIGHT = 1280, 800  # scripts/slides.py SLIDE_SIZE


def _require_reveal() -> None:
    if REVEAL.is_file():
        return
    reason = "reveal.js is not in slides/node_modules (`npm ci --prefix slides`; make test does)"
    if os.environ.get("MLCOURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + ", and MLCOURSE_REQUIRE_BROWSER=1 forbids skipping")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    """Lesson 1's slides, built into a scratch folder and served on a free 127.0.0.1 port."""
    _require_browser()
    _require_reveal()
    out = tmp_path_factory.mktemp("slides")
    start = time.perf_counter()
    build = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "slides.py"), "build", str(LESSON), "--out", out],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, f"build failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
    print(f"slides built in {time.perf_counter() - start:.0f} s\n{build.stdout}")
    with serve_folder(out) as base:
        yield base, out / f"{LESSON.stem}.slides.html"


class _Resources(HTMLParser):
    """Every URL the page loads by itself (src of any element, href of <link>), and <img>s."""

    def __init__(self):
        super().__init__()
        self.loaded, self.images = [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.images += tag == "img"
        if attrs.get("src"):
            self.loaded.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.loaded.append(attrs["href"])


def test_the_html_loads_nothing_from_another_host(deck):
    _, html_file = deck
    html = html_file.read_text()
    page = _Resources()
    page.feed(html)
    loaded = [u for u in page.loaded if not u.startswith("data:")]  # the figures, inline
    external = [u for u in loaded if urlparse(u).scheme or u.startswith("//")]
    assert loaded, "the slides load reveal.js and its theme"
    assert not external, f"loaded from elsewhere: {external} (use a local copy)"
    cdns = sorted(set(re.findall(r"cdnjs\.cloudflare\.com|unpkg\.com|jsdelivr\.net", html)))
    assert not cdns, f"CDN URLs left in the slides: {cdns}"
    assert page.images >= 3, "lesson 1's slides show its figures (executed outputs)"
    assert "jp-OutputArea-output" in html, "the slides carry the lesson's outputs"
    assert "check yourself** (4 questions)" not in html and "check yourself</strong> (4" in html, (
        "the quiz's questions are a slide (its Markdown fallback)"
    )
    assert "import Quiz" not in html, "the quiz's code stays out of the slides"


def test_the_fonts_are_big_enough_for_a_room(deck):
    _, html_file = deck
    html = html_file.read_text()
    for var, least in (("--jp-content-font-size1", 28), ("--jp-code-font-size", 20)):
        sizes = [int(s) for s in re.findall(rf"{var}:\s*(\d+)px", html)]
        assert sizes and sizes[-1] >= least, f"{var} is {sizes[-1:]} px; at least {least} px"


SHOWS_A_FIGURE = """[...Reveal.getCurrentSlide().querySelectorAll('img')].some(
    i => !i.closest('.fragment:not(.visible)'))"""


# Each figure shown on the current slide: its size on the slide, its own width, its PNG.
FIGURES = """[...Reveal.getCurrentSlide().querySelectorAll('img')].filter(
    i => !i.closest('.fragment:not(.visible)')).map(
    i => [i.offsetWidth, i.offsetHeight, i.naturalWidth, i.src,
          i.getBoundingClientRect().top, i.getBoundingClientRect().bottom, innerHeight])"""


def _state(page) -> tuple[int, int, int]:
    i = page.evaluate("Reveal.getIndices()")
    return i["h"], i.get("v") or 0, -1 if i.get("f") is None else i["f"]


def test_the_keyboard_steps_through_every_slide(deck, chromium):
    base, html_file = deck
    context = chromium.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    errors, failed, hosts = [], [], set()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname))
    try:
        page.goto(base + html_file.name)
        page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=30_000)
        total = page.evaluate("Reveal.getTotalSlides()")
        assert total >= 10, f"lesson 1 has {total} slides"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "slide-first.png")

        fonts = page.evaluate(
            """() => [".jp-RenderedMarkdown p", ".jp-CodeCell .jp-InputArea pre"].map(
                 s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize))"""
        )
        assert fonts[0] >= 28 and fonts[1] >= 20, f"prose {fonts[0]} px, code {fonts[1]} px"
        seen, states, shots, images = set(), [_state(page)], 0, []
        for step in range(total * 4):
            seen.add(states[-1][:2])
            if page.evaluate("Reveal.isLastSlide() && !Reveal.availableFragments().next"):
                break
            page.keyboard.press("Space" if step % 2 else "ArrowRight")
            page.wait_for_timeout(30)
            states.append(_state(page))
            assert states[-1] != states[-2], f"key press {step + 1} did not advance: {states[-1]}"
            if page.evaluate(SHOWS_A_FIGURE):
                images += page.evaluate(FIGURES)
                if shots < 3:
                    shots += 1
                    page.screenshot(path=SHOTS / f"slide-figure-{shots}.png")
        page.screenshot(path=SHOTS / "slide-last.png")
        assert page.evaluate("Reveal.isLastSlide()"), f"stopped at {states[-1]} of {total}"
        assert len(seen) == total, f"the keyboard reached {len(seen)} of {total} slides"
        assert page.evaluate("Reveal.getProgress()") == 1
        assert images, "the keyboard reached no slide with a figure"
        too_big = [(w, h) for w, h, *_ in images if w > WIDTH or h > HEIGHT * 0.85]
        assert not too_big, f"figures (w, h) {too_big} do not fit a {WIDTH}x{HEIGHT} slide"
        assert all(n > 0 for _, _, n, *_ in images), "a figure did not load"
        # On screen whole, without scrolling: the room sees the figure, not half of it.
        cut = [(round(t), round(b)) for *_, t, b, room in images if t < 0 or b > room + 1]
        assert not cut, f"figures (top, bottom) {cut} run off a {HEIGHT} px high screen"
        # The figures' text (the course's style: matplotlib's font size, in points) on the slide.
        points = matplotlib.rc_params_from_file(STYLE, use_default_template=True)["font.size"]
        text_px = [
            points * slides.png_size(src.split(",", 1)[1])[2] / 72 * w / n
            for w, _, n, src, *_ in images
        ]
        assert min(text_px) >= 18, f"figure text is {min(text_px):.0f} px on the slide (>= 18)"
        print(f"{len(images)} figures, text {min(text_px):.1f}-{max(text_px):.1f} px on the slide")
        assert not errors, f"console errors: {errors} (failed requests: {failed})"
        assert not failed, f"failed requests: {failed}"
        assert hosts == {"127.0.0.1"}, f"requests to other hosts: {hosts - {'127.0.0.1'}}"
    finally:
        context.close()
