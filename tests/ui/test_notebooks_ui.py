"""Every lesson opens in a real JupyterLab, runs all its cells and shows no error output."""

from __future__ import annotations

from pathlib import Path

import pytest

from .lab import error_outputs, open_notebook, run_all_cells, run_notebook
from .test_lesson2_widget import NOTEBOOK as LESSON2
from .test_lesson3_widget import NOTEBOOK as LESSON3

# These lessons are run in full (with run_notebook) by their widget tests before the widgets are
# driven; running them here too would only repeat a minute of browser time.
RUN_BY_WIDGET_TESTS = {LESSON2, LESSON3}
NOTEBOOKS = sorted(
    p.name
    for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb")
    if f"notebooks/{p.name}" not in RUN_BY_WIDGET_TESTS
)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(page, lab, name):
    run_notebook(page, lab, f"notebooks/{name}")


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
