"""RISE in JupyterLab: a lesson becomes a live slideshow from its toolbar button.

The same slide metadata as ``make slides`` (``scripts/slides.py mark``); RISE renders it with a
live kernel. The test opens the start page in the course's JupyterLab (tests/ui's ``lab``
fixture: a scratch copy of ``notebooks/``), clicks RISE's toolbar button, waits for the reveal.js
slides in RISE's preview panel, and steps through a few with the keyboard.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlparse

import nbformat

from tests.ui.conftest import browser, lab  # noqa: F401 (fixtures)
from tests.ui.lab import open_notebook

ROOT = Path(__file__).resolve().parents[2]
LESSON = "notebooks/00_start_here.ipynb"


def _deck_size() -> int:
    """Slides and sub-slides in the lesson, as RISE builds them (a <section> per sub-slide, plus
    one per slide around its sub-slides)."""
    nb = nbformat.read(ROOT / LESSON, as_version=4)
    kinds = [c.metadata.slideshow.slide_type for c in nb.cells]
    slides, subslides = kinds.count("slide"), kinds.count("subslide")
    return 2 * slides + subslides


def test_rise_shows_the_lesson_as_slides(browser, lab):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    hosts = set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname))
    try:
        open_notebook(page, lab, LESSON)
        button = page.locator(".jp-NotebookPanel-toolbar [data-command='RISE:preview']")
        assert button.count() == 1, (
            "RISE's toolbar button is missing: is jupyterlab-rise installed?"
        )
        button.first.click()
        frame = page.frame_locator(".jp-MainAreaWidget iframe").first
        frame.locator(".reveal .slides section.present").first.wait_for(timeout=120_000)
        rise = next(f for f in page.frames if "/rise/" in f.url)
        assert rise.evaluate("document.querySelectorAll('.reveal .slides section').length") == (
            _deck_size()
        ), "RISE's deck does not follow the lesson's slide metadata"
        rise.locator(".reveal .slides section.present").first.click(force=True)
        seen = [rise.evaluate("location.hash")]
        for _ in range(4):
            page.keyboard.press("Space")
            time.sleep(0.5)
            seen.append(rise.evaluate("location.hash"))
        assert len(set(seen)) == len(seen), f"the keyboard did not step through RISE: {seen}"
        assert seen[0] == "#/slide-0-0" and seen[1] == "#/slide-1-0", seen
        page.screenshot(path=ROOT / "build" / "slides-test" / "rise.png")
        assert hosts <= {"127.0.0.1"}, f"RISE fetched from other hosts: {hosts - {'127.0.0.1'}}"
    finally:
        context.close()
