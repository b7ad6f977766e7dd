"""Every lesson opens in a real JupyterLab, runs all its cells and shows no error output."""

from __future__ import annotations

from pathlib import Path

import pytest

from .lab import error_outputs, open_notebook, run_all_cells

NOTEBOOKS = sorted(
    p.name for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb")
)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(page, lab, name):
    open_notebook(page, lab, f"notebooks/{name}")
    run_all_cells(page)
    errors = error_outputs(page)
    assert not errors, f"{name} shows error output in JupyterLab:\n" + "\n---\n".join(errors)
    # Widgets render as live views, not as their text fallback.
    fallback = page.locator(".jp-OutputArea-output:has-text('HBox(children=')")
    assert fallback.count() == 0, f"{name}: a widget rendered as text (widget manager missing)"


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
