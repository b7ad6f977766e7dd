"""Release checks for the nbgrader assignments (and clean committed notebooks).

- every committed notebook has no outputs and no execution counts;
- ``assignments/`` is what ``scripts/release.py`` generates from ``solutions/`` today;
- every autograded test cell FAILS on the blank release (nbgrader's ``Validator``);
- every solution passes the ``Validator``;
- every assignment has a hand-graded written answer, and hidden tests sit in grade cells.

Everything is parametrised over the folders in ``solutions/``, so a new assignment is covered
without touching this file. Collection never reads a notebook, so a half-written assignment
fails its own tests instead of crashing the whole run.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
RELEASE = ROOT / "assignments"
SKIP_PARTS = {".ipynb_checkpoints", "__pycache__"}
REGENERATE = "run `make assignments` (python scripts/release.py) and commit assignments/"


def _load_release_module():
    spec = importlib.util.spec_from_file_location("_mlcourse_release", ROOT / "scripts/release.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _assignments() -> list[str]:
    try:
        return _load_release_module().all_assignments(ROOT)
    except Exception:  # collection must not crash; test_release_script_loads reports it
        return []


def _files(folder: Path, pattern: str = "*") -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob(pattern) if p.is_file() and not SKIP_PARTS & set(p.parts))


def _rel(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


ASSIGNMENTS = _assignments()
SOLUTION_NOTEBOOKS = [
    nb for name in ASSIGNMENTS for nb in sorted((SOLUTIONS / name).glob("*.ipynb"))
]
ALL_NOTEBOOKS = [
    nb for d in ("notebooks", "solutions", "assignments") for nb in _files(ROOT / d, "*.ipynb")
]


def _nb_param(path: Path):
    return pytest.param(path, id=_rel(path))


def _read(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except Exception as exc:  # half-written or invalid JSON
        pytest.fail(f"{_rel(path)} is not a readable notebook: {exc}")


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _autograded_tests(nb) -> dict[str, str]:
    """grade_id -> stripped source of every autograded test cell worth points."""
    return {
        _nbg(c)["grade_id"]: c.source.strip()
        for c in nb.cells
        if c.cell_type == "code"
        and _nbg(c).get("grade")
        and not _nbg(c).get("solution")
        and float(_nbg(c).get("points") or 0) > 0
    }


def _hidden_lines(source: str) -> list[str]:
    """The lines between ``BEGIN HIDDEN TESTS`` and ``END HIDDEN TESTS`` markers."""
    lines, inside = [], False
    for line in source.splitlines():
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def _validate(notebook: Path, tmp_path: Path) -> dict:
    """Run nbgrader's Validator on a copy of the notebook's folder (cells may write files)."""
    from nbgrader.validator import Validator

    work = tmp_path / notebook.parent.name
    shutil.copytree(notebook.parent, work, ignore=shutil.ignore_patterns(*SKIP_PARTS))
    return Validator().validate(str(work / notebook.name))


def test_release_script_loads():
    module = _load_release_module()
    assert callable(module.generate) and callable(module.all_assignments)
    assert SOLUTIONS.is_dir(), "solutions/ (the nbgrader source) is missing"


# --------------------------------------------------------------------------- clean notebooks


@pytest.mark.parametrize("path", [_nb_param(p) for p in ALL_NOTEBOOKS])
def test_notebook_has_no_outputs(path: Path):
    nb = _read(path)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    fix = (
        REGENERATE
        if _rel(path).startswith("assignments/")
        else ("run `python scripts/nbtools.py strip notebooks solutions`")
    )
    assert not dirty, f"{_rel(path)}: cells {dirty} carry outputs or execution counts; {fix}"
    assert "widgets" not in nb.metadata, f"{_rel(path)} stores widget state in its metadata; {fix}"


# --------------------------------------------------------------------------- release in sync


@pytest.fixture(scope="module")
def regenerate(tmp_path_factory):
    """Generate the release of one assignment into a scratch folder (once per assignment)."""
    out = tmp_path_factory.mktemp("release")
    done: dict[str, Path | str] = {}

    def _generate(name: str) -> Path:
        if name not in done:
            try:
                _load_release_module().generate([name], ROOT, out)
                done[name] = out / name
            except subprocess.CalledProcessError as exc:
                done[name] = f"`nbgrader generate_assignment {name}` failed ({exc}); see stderr"
        if isinstance(done[name], str):
            pytest.fail(done[name])
        return done[name]

    return _generate


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_in_sync(name: str, regenerate):
    committed = RELEASE / name
    assert committed.is_dir(), f"assignments/{name} is missing: {REGENERATE}"
    fresh = regenerate(name)
    fresh_files = {p.relative_to(fresh).as_posix() for p in _files(fresh)}
    committed_files = {p.relative_to(committed).as_posix() for p in _files(committed)}
    assert committed_files == fresh_files, (
        f"assignments/{name} has a different file set than its regenerated release "
        f"(missing: {sorted(fresh_files - committed_files)}, "
        f"extra: {sorted(committed_files - fresh_files)}): {REGENERATE}"
    )
    # generate_assignment is deterministic (same source -> byte-identical notebook, checksums
    # included), so the JSON is compared as is, without normalising anything.
    for rel in sorted(fresh_files):
        a, b = fresh / rel, committed / rel
        if rel.endswith(".ipynb"):
            new, old = json.loads(a.read_text()), json.loads(b.read_text())
            if new != old:
                cells = [
                    i
                    for i, (x, y) in enumerate(zip(new.get("cells", []), old.get("cells", [])))
                    if x != y
                ]
                pytest.fail(
                    f"assignments/{name}/{rel} is out of date with solutions/{name} "
                    f"(cells differing: {cells or 'count/metadata'}): {REGENERATE}"
                )
        else:
            assert a.read_bytes() == b.read_bytes(), (
                f"assignments/{name}/{rel} differs from solutions/{name}/{rel}: {REGENERATE}"
            )


# --------------------------------------------------------------------------- Validator


@pytest.mark.parametrize("solution", [_nb_param(p) for p in SOLUTION_NOTEBOOKS])
def test_blank_release_fails_every_test_cell(solution: Path, tmp_path: Path):
    release = RELEASE / solution.parent.name / solution.name
    assert release.exists(), f"{_rel(release)} is missing: {REGENERATE}"
    nb = _read(release)
    expected = _autograded_tests(nb)
    assert expected, f"{_rel(release)} has no autograded test cell (grade cell with points)"
    result = _validate(release, tmp_path)
    assert not result.get("type_changed") and not result.get("changed"), (
        f"the Validator reports changed cells in {_rel(release)}: {REGENERATE}"
    )
    failed_sources = {cell["source"] for cell in result.get("failed", [])}
    passing = sorted(gid for gid, src in expected.items() if src not in failed_sources)
    assert not passing, (
        f"{_rel(release)}: test cell(s) {passing} PASS on the blank release, so a learner scores "
        "points without writing anything. Make their visible tests exercise the answer "
        "(a stub raising NotImplementedError, or a trivially wrong default, must fail them)."
    )


@pytest.mark.parametrize("solution", [_nb_param(p) for p in SOLUTION_NOTEBOOKS])
def test_solution_passes_validator(solution: Path, tmp_path: Path):
    _read(solution)
    result = _validate(solution, tmp_path)
    failed = [
        f"--- cell:\n{cell['source'][:300]}\n--- error:\n{cell.get('raw_error', '')[-1500:]}"
        for cell in result.get("failed", [])
    ]
    assert not failed, f"{_rel(solution)} fails its own tests:\n" + "\n".join(failed)
    assert not result, f"the Validator reports a problem with {_rel(solution)}: {result}"


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_assignment_has_written_answer(name: str):
    notebooks = sorted((SOLUTIONS / name).glob("*.ipynb"))
    assert notebooks, f"solutions/{name} holds no notebook"
    written = [
        f"{nb_path.name}:{_nbg(cell)['grade_id']}"
        for nb_path in notebooks
        for cell in _read(nb_path).cells
        if cell.cell_type == "markdown" and _nbg(cell).get("grade") and _nbg(cell).get("solution")
    ]
    assert written, (
        f"solutions/{name} has no manually graded written answer: add a Markdown cell made with "
        "scripts/nbtools.py `written(...)` (nbgrader grade + solution)"
    )


@pytest.mark.parametrize("solution", [_nb_param(p) for p in SOLUTION_NOTEBOOKS])
def test_solution_cell_structure(solution: Path):
    nb = _read(solution)
    problems = []
    for i, cell in enumerate(nb.cells):
        meta, src = _nbg(cell), cell.source
        where = f"cell {i} ({meta.get('grade_id', 'no grade_id')})"
        if cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution"):
            if "BEGIN SOLUTION" not in src or "END SOLUTION" not in src:
                problems.append(
                    f"{where}: written answer without a rubric between BEGIN/END SOLUTION"
                )
        if "BEGIN HIDDEN TESTS" not in src:
            continue
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            problems.append(f"{where}: hidden tests outside an autograded test cell (tests(...))")
        elif not float(meta.get("points") or 0) > 0:
            problems.append(f"{where}: test cell with hidden tests is worth no points")
        if src.count("BEGIN HIDDEN TESTS") != src.count("END HIDDEN TESTS"):
            problems.append(f"{where}: unbalanced BEGIN/END HIDDEN TESTS markers")
        hidden = "\n".join(_hidden_lines(src))
        if "print(" in hidden or "display(" in hidden:
            problems.append(f"{where}: hidden tests must never print what they check")
    assert not problems, f"{_rel(solution)}:\n" + "\n".join(problems)
