"""The course's widgets work with the keyboard alone, in a real JupyterLab.

One click puts the focus into the notebook's output (as a learner's first Tab would); from there
on only keys: Tab to a tag toggle and Space, Tab to Next and Enter, then the quiz: Tab to an
answer and Space, Tab to Check and Enter. (Arrow keys would move between notebook cells: JupyterLab
takes them, which is why the quiz's options are buttons, not a radio group.)
"""

from __future__ import annotations

import re

import nbformat

from .lab import error_outputs, run_notebook

ACTIVE = re.compile(r"\bmod-active\b")
SETUP = """\
import pandas as pd
from mlcourse.widgets import ErrorTagger, Quiz

sample = pd.DataFrame({"subject": ["Cheap med1cine", "Lunch?"], "body": ["Buy now", "At noon"],
                       "true": [1, 0], "pred": [0, 1], "score": [0.3, 0.8]})
tagger = ErrorTagger(sample, tags=["pharma", "misspelled"])
tagger"""
QUIZ = """\
Quiz([{"question": "Which errors do we tag?", "options": ["Training rows", "CV errors"],
       "answer": 1, "explanation": "Errors on data the model did not train on."}])"""


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(limit):
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)",
                         selector):  # fmt: skip
            return
        page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML")
    raise AssertionError(f"{limit} Tabs never reached {selector}; focus is on {focused[:200]}")


def test_tagger_and_quiz_work_with_the_keyboard_alone(page, lab):
    from playwright.sync_api import expect

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(QUIZ)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, lab.root / "notebooks" / "keyboard_check.ipynb")
    run_notebook(page, lab, "notebooks/keyboard_check.ipynb")

    progress = page.locator(".mlc-progress")
    expect(progress).to_contain_text("0 / 2")
    page.locator(".mlc-example").click()  # the one click: focus into the output

    _tab_to(page, "button.mlc-tag-pharma")
    page.keyboard.press("Space")
    expect(page.locator("button.mlc-tag-pharma")).to_have_class(ACTIVE)
    expect(progress).to_contain_text("1 / 2")
    _tab_to(page, "button.mlc-next")
    page.keyboard.press("Enter")
    expect(progress).to_contain_text("showing example 2")

    _tab_to(page, ".mlc-quiz-choice button[title='Option B']")  # "CV errors"
    page.keyboard.press("Space")
    check = page.locator("button.mlc-quiz-check")
    expect(check).to_be_enabled(timeout=30_000)  # once the kernel has the choice
    _tab_to(page, "button.mlc-quiz-check")
    page.keyboard.press("Enter")
    expect(page.locator(".mlc-quiz-feedback")).to_contain_text("Right")
    expect(page.locator(".mlc-quiz-score")).to_contain_text("1 / 1")
    assert not error_outputs(page)
