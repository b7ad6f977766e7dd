"""Notebooks in a real JupyterLab: they run all their cells, show no error output, and their
widgets render.

Every lesson (01-06) already runs headless, in a fresh kernel, in ``tests/claims`` (seed 0, as
committed), which fails on any cell error or stderr output: the same outputs JupyterLab shows in
red. What only a browser can check is that widgets render and respond, so the browser runs the
lessons that display widgets (1, 2, 3 and 7, by their widget tests) and the start page; a guard
below fails if a notebook that shows widgets has no browser run.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from .lab import error_outputs, open_notebook, run_all_cells, run_notebook
from .test_lesson1_quiz import NOTEBOOK as LESSON1
from .test_lesson2_widget import NOTEBOOK as LESSON2
from .test_lesson3_widget import NOTEBOOK as LESSON3
from .test_lesson7_widget import NOTEBOOK as LESSON7

ROOT = Path(__file__).resolve().parents[2]
# These lessons are run in full (with run_notebook) by their widget tests before the widgets are
# driven; running them here too would only repeat a minute of browser time.
RUN_BY_WIDGET_TESTS = {LESSON1, LESSON2, LESSON3, LESSON7}
# Notebooks that tests/claims does not run (no parameters cell, no claims): the start page.
NOTEBOOKS = sorted(
    p.name
    for p in (ROOT / "notebooks").glob("*.ipynb")
    if not re.match(r"0[1-9]_", p.name) and f"notebooks/{p.name}" not in RUN_BY_WIDGET_TESTS
)
WIDGETS = re.compile(r"^\s*(?:from|import) (?:ipywidgets|mlcourse\.widgets)(.*)$", re.M)
# The self-check quiz at the end of each lesson is one widget, driven in a real Lab by
# test_keyboard.py (keyboard only) and test_lesson1_quiz.py: a lesson whose only widget is the
# quiz needs no browser run of its own.
QUIZ_ONLY = re.compile(r"^\s+import\s+(?:Question,\s*)?Quiz(?:,\s*Question)?\s*(?:#.*)?$")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(page, lab, name):
    run_notebook(page, lab, f"notebooks/{name}")


def test_every_notebook_with_widgets_runs_in_the_browser():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        imports = [m.group(1) for c in nb.cells if c.cell_type == "code"
                   for m in WIDGETS.finditer(c.source)]  # fmt: skip
        if any(not QUIZ_ONLY.match(rest) for rest in imports):
            rel = f"notebooks/{path.name}"
            assert rel in RUN_BY_WIDGET_TESTS or path.name in NOTEBOOKS, (
                f"{rel} shows widgets but no browser test runs it: add a widget test "
                "(see test_lesson2_widget.py) to RUN_BY_WIDGET_TESTS"
            )


def test_harness_sees_errors(page, lab):
    """The check above can fail: a notebook that raises shows up as error output."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("1 + 1"), new_code_cell("raise ValueError('boom')")])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, lab.root / "notebooks" / "_broken.ipynb")
    open_notebook(page, lab, "notebooks/_broken.ipynb")
    run_all_cells(page)
    errors = error_outputs(page)
    assert any("boom" in e for e in errors), errors
