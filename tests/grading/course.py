"""Helpers for grading tests: temporary nbgrader courses, commands, gradebook reads.

``tiny_course`` builds a course with the repository's ``nbgrader_config.py`` and a small
assignment ``s1`` (one answer cell, a visible test and a test with a hidden part), quick to
execute, for the hostile-student and crash tests. The real assignments are used where scores
must match a serial nbgrader run (``test_parallel.py``) and in ``test_pipeline.py``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "nbgrader_config.py"
COMMAND_TIMEOUT = 900
TINY = "s1"
HIDDEN_CANARY = "SECRET_HIDDEN_CANARY_7f3a"
SOLUTION_CANARY = "SOLUTION_CANARY_91bd"
ANSWER = f"""def add(a, b):
    ### BEGIN SOLUTION
    # {SOLUTION_CANARY}
    return a + b
    ### END SOLUTION"""
HONEST = "def add(a, b):\n    return a + b"
STUB = "def add(a, b):\n    raise NotImplementedError()"


def _meta(grade_id, *, solution=False, grade=False, points=0, locked=False):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def tiny_source() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("Write `add(a, b)`.", metadata=_meta("intro", locked=True)),
        new_code_cell(ANSWER, metadata=_meta("answer", solution=True)),
        new_code_cell(
            'assert add(1, 2) == 3, "add(1, 2) should be 3"',
            metadata=_meta("test_visible", grade=True, points=1, locked=True),
        ),
        new_code_cell(
            "assert add(2, 2) == 4\n### BEGIN HIDDEN TESTS\n"
            f"assert add(-1, 1) == 0, '{HIDDEN_CANARY}'\n### END HIDDEN TESTS",
            metadata=_meta("test_hidden", grade=True, points=2, locked=True),
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def sandbox_problem() -> str:
    """Why no sandbox can be made here ("" if one can)."""
    from mlcourse.grading.sandbox import Sandbox, SandboxUnavailable

    try:
        Sandbox().check()
    except SandboxUnavailable as exc:
        return str(exc)
    return ""


def require_sandbox() -> None:
    """Skip without a sandbox, or fail when CI demands one (MLCOURSE_REQUIRE_SANDBOX=1)."""
    problem = sandbox_problem()
    if problem:
        if os.environ.get("MLCOURSE_REQUIRE_SANDBOX") == "1":
            pytest.fail(f"MLCOURSE_REQUIRE_SANDBOX=1 but no sandbox can be made: {problem}")
        pytest.skip(f"no sandbox here: {problem}")


def unsafe_args() -> list[str]:
    """nbgrader arguments for pipeline tests that must run even without a sandbox."""
    if sandbox_problem() and os.environ.get("MLCOURSE_REQUIRE_SANDBOX") != "1":
        return ["--Sandbox.unsafe=True"]
    return []


def make_course(path: Path, extra_config: str = "") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "nbgrader_config.py").write_text(CONFIG.read_text() + "\n" + extra_config)
    (path / "grading").mkdir(exist_ok=True)
    return path


def add_tiny_assignment(course: Path) -> None:
    src = course / "solutions" / TINY
    src.mkdir(parents=True)
    nbformat.write(tiny_source(), src / f"{TINY}.ipynb")
    proc = nbgrader(course, "generate_assignment", TINY)
    assert proc.returncode == 0, proc.stderr[-3000:]


def submit(course: Path, student: str, assignment: str, notebooks: dict, files=None) -> Path:
    folder = course / "grading" / "submitted" / student / assignment
    folder.mkdir(parents=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / name)
    for name, text in (files or {}).items():
        (folder / name).write_text(text)
    return folder


def tiny_submission(extra: str = "", answer: str = HONEST) -> dict:
    nb = tiny_source()
    nb.cells[1].source = answer + ("\n\n" + extra if extra else "")
    return {f"{TINY}.ipynb": nb}


def _env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(extra or {})
    return env


def nbgrader(course: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
        cwd=course,
        env=_env(env),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )


def mlcourse_autograde(course: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mlcourse", "autograde", *args],
        cwd=course,
        env=_env(env),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )


def start_autograde(course: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mlcourse", "autograde", *args],
        cwd=course,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def gradebook_state(course: Path, assignment: str) -> dict:
    """Everything autograding writes, per student: grades, comments, penalties, timestamp."""
    from nbgrader.api import Gradebook, MissingEntry

    url = f"sqlite:///{course / 'grading' / 'gradebook.db'}"
    state = {}
    with Gradebook(url) as gb:
        for student in gb.students:
            try:
                sub = gb.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            cells = {}
            for nb in sub.notebooks:
                for g in nb.grades:
                    cells[f"{nb.name}/{g.name}"] = (
                        g.auto_score,
                        g.manual_score,
                        g.max_score,
                        g.needs_manual_grade,
                    )
                for c in nb.comments:
                    cells[f"{nb.name}/{c.name}:comment"] = c.auto_comment
                cells[f"{nb.name}:late_penalty"] = nb.late_submission_penalty
            state[student.id] = {"timestamp": sub.timestamp, "cells": cells}
    return state


def scores(course: Path, assignment: str) -> dict[str, float]:
    """student -> autograded points."""
    return {
        student: sum(v[0] or 0 for k, v in s["cells"].items() if isinstance(v, tuple))
        for student, s in gradebook_state(course, assignment).items()
    }


def integrity_ok(course: Path) -> bool:
    with sqlite3.connect(course / "grading" / "gradebook.db") as con:
        return con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
