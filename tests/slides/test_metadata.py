"""Every lesson is its own slideshow: slide metadata on every cell, one idea per slide.

The metadata comes from ``python scripts/slides.py mark`` (see its docstring for the rules); these
tests check the committed lessons carry it, that a slide of several cells is short enough to read
from the back of a room, and that re-running the tool keeps what a teacher set by hand.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MARK = "run `python scripts/slides.py mark notebooks` and commit the notebooks"
# A cell longer than this is hard to follow even on its own scrolling slide.
LONGEST_CELL = 80


def _load_tool():
    spec = importlib.util.spec_from_file_location("_mlcourse_slides", ROOT / "scripts/slides.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


slides = _load_tool()


@pytest.fixture(params=LESSONS, ids=[p.stem for p in LESSONS])
def lesson(request):
    return nbformat.read(request.param, as_version=4)


def test_every_cell_has_a_slide_type(lesson):
    missing = [
        i
        for i, cell in enumerate(lesson.cells)
        if cell.metadata.get("slideshow", {}).get("slide_type") not in slides.SLIDE_TYPES
    ]
    assert not missing, f"cells {missing} have no valid slideshow.slide_type: {MARK}"


def test_the_metadata_is_what_the_tool_makes(lesson):
    """A lesson edited after marking (a new cell, a longer one) is re-marked before commit."""
    fresh = copy.deepcopy(lesson)
    slides.mark_cells(fresh.cells)
    changed = [i for i, (a, b) in enumerate(zip(lesson.cells, fresh.cells)) if a != b]
    assert not changed, f"cells {changed} would get other slide types: {MARK}"


def test_rise_uses_an_offline_theme_and_the_deck_size(lesson):
    rise = lesson.metadata.get("rise", {})
    assert rise.get("theme") == "white", f"RISE's theme is {rise.get('theme')!r}: {MARK}"
    assert (rise.get("width"), rise.get("height")) == slides.SLIDE_SIZE


def test_slides_are_short_and_start_with_the_title(lesson):
    deck = slides.slides(lesson.cells)
    assert len(deck) >= 5, "a lesson's slideshow has a handful of slides at least"
    first = lesson.cells[deck[0].cells[0]]
    assert first.metadata.slideshow.slide_type == "slide"
    assert first.source.startswith("# "), "the first slide is the lesson's title"
    crowded = [
        (s.cells, s.lines) for s in deck if len(s.cells) > 1 and s.lines > slides.MAX_SLIDE_LINES
    ]
    assert not crowded, (
        f"slides (cells, source lines) {crowded} hold more than {slides.MAX_SLIDE_LINES} lines: "
        "make a cell a sub-slide (one idea per slide)"
    )
    too_long = [(s.cells, s.lines) for s in deck if s.lines > LONGEST_CELL]
    assert not too_long, f"slides {too_long} are over {LONGEST_CELL} lines even alone"


def test_plumbing_is_skipped_and_answers_are_notes(lesson):
    for cell in lesson.cells:
        kind = cell.metadata.slideshow.slide_type
        if "parameters" in cell.metadata.get("tags", []):
            assert kind == "skip", "the parameters cell is not for the audience"
        if "save_results" in cell.source:
            assert kind == "skip", "the cell that saves results for the tests is not a slide"
        if cell.source.lstrip().startswith("<details"):
            assert kind == "notes", "an answer goes to the speaker notes, not on screen"


def _toy():
    return [
        new_markdown_cell("# Title\n\nWhat you will learn."),
        new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        new_markdown_cell("Fit it:"),
        new_code_cell("model.fit(X, y)"),
        new_markdown_cell("The score went up.\n" * 20),
        new_markdown_cell("### A detail\n\nshort"),
        new_markdown_cell("## Going further\n\nReading."),
        new_markdown_cell("More reading."),
        new_code_cell("print('extra')"),
        new_markdown_cell("## Summary"),
    ]


def test_the_rules_on_a_small_notebook():
    kinds = slides.mark_cells(_toy())
    assert kinds == [
        "slide",  # H1
        "skip",  # parameters
        "-",  # a short lead-in stays on the title's slide
        "fragment",  # its code, on the same slide
        "subslide",  # a long explanation: its own slide
        "subslide",  # H3
        "notes",  # "Going further": reference, in the speaker notes
        "notes",
        "skip",
        "slide",  # H2 ends the section
    ]


def test_rerunning_keeps_hand_curation_and_recomputes_its_own_choices():
    cells = _toy()
    slides.mark_cells(cells)
    once = copy.deepcopy(cells)
    assert slides.mark_cells(cells) and cells == once, "marking twice changes nothing"

    cells[3].metadata.slideshow.slide_type = "subslide"  # a teacher wants the code on its own
    cells[7].metadata["slideshow"] = {"slide_type": "slide"}  # as JupyterLab's inspector writes
    cells.insert(2, new_markdown_cell("A new explanation.\n" * 20))  # another author's edit
    kinds = slides.mark_cells(cells)
    assert kinds[4] == "subslide" and kinds[8] == "slide", "hand-set slide types are kept"
    assert kinds[2] == "subslide", "the new cell gets a slide type from the structure"
    assert kinds[3] == "subslide", "the tool's own choices are recomputed (was '-')"
