"""Accessibility rules that the lessons' Markdown must keep (figures: tests/install).

- One H1 (the title, first), and headings that never skip a level on the way down, so a screen
  reader's outline of a lesson makes sense.
- Every image in Markdown has alt text.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)
MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]+)\)")
HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.I)
CODE_SPAN = re.compile(r"`[^`\n]+`")


def _markdown(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def heading_problems(cells: list[str]) -> list[str]:
    """Headings out of order: not one H1 first, or a level skipped on the way down."""
    texts = [FENCE.sub("", text) for text in cells]  # a "#" in a code block is no heading
    levels = [(len(m.group(1)), m.group(2)) for text in texts for m in HEADING.finditer(text)]
    if not levels:
        return ["no headings at all"]
    found = []
    if levels[0][0] != 1:
        found.append(f"the first heading {levels[0][1]!r} is not an H1")
    h1 = [title for level, title in levels if level == 1]
    if len(h1) != 1:
        found.append(f"{len(h1)} H1 headings {h1}: a lesson has one title")
    for (before, _), (level, title) in zip(levels, levels[1:]):
        if level > before + 1:
            found.append(f"H{level} {title!r} follows an H{before}: a level is skipped")
    return found


def image_problems(cells: list[str]) -> list[str]:
    cells = [CODE_SPAN.sub("", FENCE.sub("", text)) for text in cells]  # `<img>` is no image
    images = [m.groups() for text in cells for m in MD_IMAGE.finditer(text)]
    found = [f"image {src!r} has no alt text" for alt, src in images if not alt.strip()]
    for text in cells:
        for tag in HTML_IMAGE.findall(text):
            alt = re.search(r"""\balt\s*=\s*["']([^"']*)["']""", tag)
            if not alt or not alt.group(1).strip():
                found.append(f"{tag[:60]} has no alt text")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_headings_descend_in_order(path):
    problems = heading_problems(_markdown(path))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_markdown_images_have_alt_text(path):
    problems = image_problems(_markdown(path))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_the_checks_catch_what_they_should():
    skipped = ["H3 'skipped' follows an H1: a level is skipped"]
    assert heading_problems(["# T\n### skipped"]) == skipped
    assert heading_problems(["## no title"])[0].startswith("the first heading")
    assert heading_problems(["# T\n## a\n### b\n## c\n```\n# code comment\n```"]) == []
    assert image_problems(["an `<img>` tag in prose", "```\n<img src='a.png'>\n```"]) == []
    assert image_problems(["![](plot.png)", '<img src="x.png">', "![A bar chart](y.png)"]) == [
        "image 'plot.png' has no alt text",
        '<img src="x.png"> has no alt text',
    ]
