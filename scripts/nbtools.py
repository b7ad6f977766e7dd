"""Small helpers for maintainers who build or check course notebooks.

- ``strip(path)``: remove outputs and execution counts (committed notebooks carry none).
- ``md``/``code``/``solution``/``tests``/``written``: nbformat cells with the nbgrader metadata
  for lesson notebooks and for nbgrader source notebooks in ``solutions/``.

Run ``python scripts/nbtools.py strip notebooks solutions`` to clean every notebook in place.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool, points=None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def md(text: str, **meta) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip("\n"), metadata=meta)


def code(src: str, *, tags: list[str] | None = None) -> nbformat.NotebookNode:
    meta = {"tags": tags} if tags else {}
    return new_code_cell(src.strip("\n"), metadata=meta)


def solution(src: str, grade_id: str) -> nbformat.NotebookNode:
    """An autograded answer cell: wrap the answer in ### BEGIN SOLUTION / ### END SOLUTION."""
    return new_code_cell(
        src.strip("\n"), metadata=_nbgrader(grade_id, grade=False, solution=True, locked=False)
    )


def tests(src: str, grade_id: str, points: float) -> nbformat.NotebookNode:
    """A locked test cell; hidden tests go between ### BEGIN HIDDEN TESTS / ### END HIDDEN TESTS."""
    return new_code_cell(
        src.strip("\n"),
        metadata=_nbgrader(grade_id, grade=True, solution=False, locked=True, points=points),
    )


def written(text: str, grade_id: str, points: float) -> nbformat.NotebookNode:
    """A manually graded Markdown answer; put the rubric between BEGIN/END SOLUTION."""
    return new_markdown_cell(
        text.strip("\n"),
        metadata=_nbgrader(grade_id, grade=True, solution=True, locked=False, points=points),
    )


def readonly(text: str, grade_id: str) -> nbformat.NotebookNode:
    """A locked Markdown cell (instructions students must not edit)."""
    return new_markdown_cell(
        text.strip("\n"), metadata=_nbgrader(grade_id, grade=False, solution=False, locked=True)
    )


def notebook(cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write(nb: nbformat.NotebookNode, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    nbformat.write(_stripped(nb), path)


def _stripped(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    for cell in nb.cells:
        cell.pop("id", None)  # ids are regenerated deterministically below
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def strip(path: str | Path) -> bool:
    """Strip outputs in place; return True if the file changed."""
    path = Path(path)
    before = path.read_text()
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, path)
    return path.read_text() != before


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "strip":
        sys.exit("usage: python scripts/nbtools.py strip DIR_OR_NOTEBOOK ...")
    for arg in sys.argv[2:]:
        p = Path(arg)
        for nb_path in [p] if p.suffix == ".ipynb" else sorted(p.rglob("*.ipynb")):
            if ".ipynb_checkpoints" not in nb_path.parts and strip(nb_path):
                print(f"stripped {nb_path}")
