"""The nbgrader pipeline end to end, with a real SQLite gradebook and hostile submissions.

In a temporary course folder (``nbgrader_config.py`` + one assignment's source): generate the
release, submit as three students (the solution, the blank release, the solution with one answer
put back to its stub), ``autograde --create``; then, in the SAME gradebook, four hostile students
(an infinite loop, a kernel crash, tampered test cells, a flood of output); then
``generate_feedback``. The tests check the scores in the gradebook, that hostile work neither
stalls the run nor changes anyone else's grade, that a submission whose kernel dies is still
graded (zero for what did not run), that the gradebook stays a valid SQLite file and that no
feedback page shows a hidden test. Student code runs in the grading sandbox, as the course's
``nbgrader_config.py`` says; where none can be made the run is unsafe, unless
``MLCOURSE_REQUIRE_SANDBOX=1`` (CI), and ``tests/grading/test_sandbox.py`` covers the
sandbox itself.

The assignment is ``a1_iterative_loop`` when it exists (override with the environment variable
``MLCOURSE_GRADING_ASSIGNMENT``), else the first one in ``solutions/``.
"""

from __future__ import annotations

import copy
import html
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from tests.grading.course import unsafe_args

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "nbgrader_config.py"
PREFERRED = "a1_iterative_loop"
GOOD = {"alice": "solution", "bob": "blank release", "carol": "one answer left as its stub"}
HOSTILE = ("zz_loop", "zz_crash", "zz_tamper", "zz_loud")
HOSTILE_CELL_TIMEOUT = 15  # seconds per cell for the hostile run (the course default is 60)
COMMAND_TIMEOUT = 600  # a hung nbgrader command fails the test instead of hanging the suite
MAX_NOTEBOOK_BYTES = 5_000_000
LOOP = "while True:\n    pass"
CRASH = "import os\n\nos._exit(1)"
FLOOD = '\nprint("x" * 50_000_000)\nfor i in range(200_000):\n    print(i)'


# --------------------------------------------------------------------------- helpers


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_answer(cell) -> bool:
    """An autograded answer cell (code, solution, not itself graded)."""
    return cell.cell_type == "code" and _nbg(cell).get("solution") and not _nbg(cell).get("grade")


def _is_test(cell) -> bool:
    """An autograded test cell (code, graded, not a solution, worth points)."""
    meta = _nbg(cell)
    return (
        cell.cell_type == "code"
        and meta.get("grade")
        and not meta.get("solution")
        and float(meta.get("points") or 0) > 0
    )


def _split_hidden(source: str) -> tuple[list[str], list[str]]:
    """(visible lines, lines between BEGIN HIDDEN TESTS and END HIDDEN TESTS) of a cell."""
    visible, hidden, inside = [], [], False
    for line in source.splitlines():
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        else:
            (hidden if inside else visible).append(line)
    return visible, hidden


def _hidden_lines(source: str) -> list[str]:
    return _split_hidden(source)[1]


def _leak_candidates(notebooks) -> list[str]:
    """Hidden-test lines worth looking for in feedback: not trivial, and not also visible."""
    visible, hidden = [], set()
    for nb in notebooks:
        for cell in nb.cells:
            shown, lines = _split_hidden(cell.source)
            hidden |= {ln.strip() for ln in lines if len(ln.strip()) >= 12}
            visible += shown
    text = "\n".join(visible)
    return sorted(line for line in hidden if line not in text)


def _html_text(text: str) -> str:
    """What a reader of an HTML page sees: tags (syntax highlighting) removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _pick_assignment() -> str | None:
    names = []
    solutions = ROOT / "solutions"
    if solutions.is_dir():
        names = sorted(
            p.name
            for p in solutions.iterdir()
            if p.is_dir() and not p.name.startswith((".", "_")) and any(p.glob("*.ipynb"))
        )
    wanted = os.environ.get("MLCOURSE_GRADING_ASSIGNMENT", PREFERRED)
    if wanted in names:
        return wanted
    return names[0] if names else None


@dataclass
class Run:
    """Everything the pipeline produced, for the tests below to inspect."""

    course: Path
    assignment: str
    target: str  # the notebook whose answer cell the partial and hostile students change
    answer_id: str  # grade_id of that answer cell
    tests_before: list[str]  # autograded test cells before the answer cell
    tests_after: list[str]  # autograded test cells after it
    test_ids: set[str] = field(default_factory=set)  # "notebook/grade_id" of autograded tests
    tampered: dict[str, str] = field(default_factory=dict)  # grade_id -> "edited"/"deleted"
    hidden: list[str] = field(default_factory=list)  # non-trivial hidden-test lines
    procs: dict[str, subprocess.CompletedProcess] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    good_before: dict[str, dict] = field(default_factory=dict)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.course / 'grading' / 'gradebook.db'}"

    def grades(self, student: str) -> dict[str, tuple]:
        """(notebook/grade_id) -> (auto_score, manual_score, max_score) from the gradebook."""
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url) as gb:
            sub = gb.find_submission(self.assignment, student)
            return {
                f"{nb.name}/{g.name}": (g.auto_score, g.manual_score, g.max_score)
                for nb in sub.notebooks
                for g in nb.grades
            }

    def autograded(self, student: str) -> Path:
        return self.course / "grading" / "autograded" / student / self.assignment

    def feedback(self, student: str) -> Path:
        return self.course / "grading" / "feedback" / student / self.assignment


def _nbgrader(run: Run, step: str, *args: str) -> subprocess.CompletedProcess:
    # nbgrader runs the `alembic` executable when it creates a gradebook: put the venv's bin
    # folder on PATH (pytest may be started as .venv/bin/python -m pytest without activation).
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    if args[0] == "autograde":
        args = (*args, *unsafe_args())
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
        cwd=run.course,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    run.seconds[step] = time.perf_counter() - start
    run.procs[step] = proc
    return proc


def _fail_message(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}; stderr tail:\n{proc.stderr[-3000:]}"


# --------------------------------------------------------------------------- the pipeline


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    name = _pick_assignment()
    if name is None:
        pytest.fail("no assignment with a notebook in solutions/")
    course = tmp_path_factory.mktemp("course")
    shutil.copy(CONFIG, course / "nbgrader_config.py")
    shutil.copytree(
        ROOT / "solutions" / name,
        course / "solutions" / name,
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
    )
    (course / "grading").mkdir()

    sources = {
        p.name: nbformat.read(p, as_version=4)
        for p in sorted((course / "solutions" / name).glob("*.ipynb"))
    }
    target = next((n for n, nb in sources.items() if any(_is_answer(c) for c in nb.cells)), None)
    if target is None:
        pytest.fail(f"solutions/{name} has no autograded answer cell")
    cells = sources[target].cells
    answer_idx = max(i for i, c in enumerate(cells) if _is_answer(c))
    run = Run(
        course=course,
        assignment=name,
        target=target,
        answer_id=_nbg(cells[answer_idx])["grade_id"],
        tests_before=[_nbg(c)["grade_id"] for c in cells[:answer_idx] if _is_test(c)],
        tests_after=[_nbg(c)["grade_id"] for c in cells[answer_idx:] if _is_test(c)],
    )

    run.test_ids = {
        f"{Path(n).stem}/{_nbg(c)['grade_id']}"
        for n, nb in sources.items()
        for c in nb.cells
        if _is_test(c)
    }
    run.hidden = _leak_candidates(sources.values())

    proc = _nbgrader(run, "generate_assignment", "generate_assignment", name)
    if proc.returncode:
        pytest.fail(f"nbgrader generate_assignment {name} failed: {_fail_message(proc)}")
    release = {n: nbformat.read(course / "assignments" / name / n, as_version=4) for n in sources}

    def solved(nb_name: str) -> nbformat.NotebookNode:
        """The release with every autograded answer taken from the solution."""
        nb = copy.deepcopy(release[nb_name])
        answers = {_nbg(c)["grade_id"]: c.source for c in sources[nb_name].cells if _is_answer(c)}
        for c in nb.cells:
            if _is_answer(c):
                c.source = answers[_nbg(c)["grade_id"]]
        return nb

    def with_answer(source: str | None = None, append: str = "") -> dict:
        nbs = {n: solved(n) for n in sources}
        for c in nbs[target].cells:
            if _nbg(c).get("grade_id") == run.answer_id:
                c.source = (c.source if source is None else source) + append
        return nbs

    def submit(student: str, nbs: dict) -> None:
        folder = course / "grading" / "submitted" / student / name
        folder.mkdir(parents=True)
        for nb_name, nb in nbs.items():
            nbformat.write(nb, folder / nb_name)

    stub = next(c.source for c in release[target].cells if _nbg(c).get("grade_id") == run.answer_id)
    submit("alice", {n: solved(n) for n in sources})
    submit("bob", copy.deepcopy(release))
    submit("carol", with_answer(stub))
    run.procs["autograde"] = _nbgrader(run, "autograde", "autograde", name, "--create")
    if run.procs["autograde"].returncode == 0:
        run.good_before = {s: run.grades(s) for s in GOOD}

    # Hostile students, graded by one command in the same gradebook.
    submit("zz_loop", with_answer(LOOP))
    submit("zz_crash", with_answer(CRASH))
    submit("zz_loud", with_answer(append=FLOOD))
    tampered = copy.deepcopy(release)  # blank answers: any test that runs must fail
    tests = [c for c in tampered[target].cells if _is_test(c)]
    tests[0].source = "pass"
    run.tampered[_nbg(tests[0])["grade_id"]] = "edited"
    if len(tests) > 1:
        tampered[target].cells.remove(tests[1])
        run.tampered[_nbg(tests[1])["grade_id"]] = "deleted"
    submit("zz_tamper", tampered)
    _nbgrader(
        run,
        "autograde_hostile",
        "autograde",
        name,
        "--create",
        "--student=zz_*",
        f"--Execute.timeout={HOSTILE_CELL_TIMEOUT}",
    )
    _nbgrader(run, "generate_feedback", "generate_feedback", name)
    print("nbgrader timings (s):", {k: round(v, 1) for k, v in run.seconds.items()})
    return run


def _autograded_total(run: Run, grades: dict[str, tuple]) -> tuple[float, float]:
    """(score, max) over the autograded test cells (an ungraded cell counts 0)."""
    auto = [v for k, v in grades.items() if k in run.test_ids]
    return sum(v[0] or 0 for v in auto), sum(v[2] for v in auto)


# --------------------------------------------------------------------------- three students


def test_autograde_succeeds(run: Run):
    proc = run.procs["autograde"]
    assert proc.returncode == 0, f"nbgrader autograde failed: {_fail_message(proc)}"
    for student in GOOD:
        assert (run.autograded(student) / run.target).exists(), (
            f"no autograded notebook for {student}"
        )


def test_scores_solution_full_blank_zero_partial_between(run: Run):
    assert run.good_before, "autograde failed, see test_autograde_succeeds"
    alice, top = _autograded_total(run, run.good_before["alice"])
    bob, bob_max = _autograded_total(run, run.good_before["bob"])
    carol, _ = _autograded_total(run, run.good_before["carol"])
    assert top > 0, "the assignment has no autograded points"
    assert alice == top, f"the solution scored {alice}/{top}: {run.good_before['alice']}"
    assert bob == 0, f"the blank release scored {bob}: {run.good_before['bob']}"
    assert bob_max == top, "the blank submission's autograded cells should all be graded"
    assert 0 < carol < top, (
        f"with answer {run.answer_id!r} left as its stub the score should be strictly between 0 "
        f"and {top}, got {carol}: {run.good_before['carol']}"
    )
    assert set(run.good_before["alice"]) > run.test_ids, (
        "expected at least one manually graded (written) answer in the gradebook"
    )


# --------------------------------------------------------------------------- hostile students


def test_hostile_autograde_grades_every_student(run: Run):
    proc = run.procs["autograde_hostile"]
    # nbgrader alone drops a submission whose kernel died; SandboxedExecute grades it.
    failed = set(re.findall(r"for student '([^']+)'", proc.stderr))
    assert not failed, f"hostile students were not graded: {failed}"
    assert proc.returncode == 0, _fail_message(proc)
    for student in ("zz_loop", "zz_crash", "zz_tamper", "zz_loud"):
        assert (run.autograded(student) / run.target).exists(), (
            f"{student} was not autograded: {_fail_message(proc)}"
        )


def test_infinite_loop_is_interrupted_and_scores_zero(run: Run):
    grades = run.grades("zz_loop")
    good = run.good_before["alice"]
    nb = nbformat.read(run.autograded("zz_loop") / run.target, as_version=4)
    cell = next(c for c in nb.cells if _nbg(c).get("grade_id") == run.answer_id)
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert errors, "the looping cell carries no error: it was not interrupted"
    assert run.tests_after, f"no test cell follows the answer {run.answer_id!r}"
    first_after = f"{Path(run.target).stem}/{run.tests_after[0]}"
    assert grades[first_after][0] == 0, f"the looping answer was not scored 0: {grades}"
    for gid in run.tests_after:
        test_cell = next(c for c in nb.cells if _nbg(c).get("grade_id") == gid)
        assert test_cell.execution_count, f"test cell {gid} did not run after the interrupted loop"
    for gid in run.tests_before:
        key = f"{Path(run.target).stem}/{gid}"
        assert grades[key][0] == good[key][0], f"{gid} lost marks because of a later loop"


def test_kernel_crash_keeps_what_ran_and_zeroes_the_rest(run: Run):
    grades = run.grades("zz_crash")
    good = run.good_before["alice"]
    stem = Path(run.target).stem
    for gid in run.tests_before:
        key = f"{stem}/{gid}"
        assert grades[key][0] == good[key][0], f"{gid} ran before the crash and lost marks"
    for gid in run.tests_after:
        assert grades[f"{stem}/{gid}"][0] == 0, f"{gid} did not run but scored {grades}"
    nb = nbformat.read(run.autograded("zz_crash") / run.target, as_version=4)
    cell = next(c for c in nb.cells if _nbg(c).get("grade_id") == run.answer_id)
    died = [o.evalue for o in cell.outputs if o.output_type == "error" and o.ename == "KernelDied"]
    assert died and "exited with status 1" in died[0], cell.outputs
    page = "".join(p.read_text() for p in run.feedback("zz_crash").glob("*.html"))
    assert "did not run" in page, "the feedback does not say why the tests scored zero"


def test_tampered_test_cells_are_restored(run: Run):
    grades = run.grades("zz_tamper")
    stem = Path(run.target).stem
    for gid, how in run.tampered.items():
        score = grades[f"{stem}/{gid}"][0]
        assert not score, f"test cell {gid} was {how} by the student and still scored {score}"
    nb = nbformat.read(run.autograded("zz_tamper") / run.target, as_version=4)
    edited = next(g for g, how in run.tampered.items() if how == "edited")
    cell = next(c for c in nb.cells if _nbg(c).get("grade_id") == edited)
    assert cell.source.strip() != "pass", "nbgrader did not restore the edited test cell"
    assert any(o.output_type == "error" for o in cell.outputs), "the restored test did not fail"


def test_flood_of_output_is_truncated(run: Run):
    path = run.autograded("zz_loud") / run.target
    size = path.stat().st_size
    assert size < MAX_NOTEBOOK_BYTES, f"autograded notebook is {size:,} bytes: output not limited"
    for page in run.feedback("zz_loud").glob("*.html"):
        assert page.stat().st_size < MAX_NOTEBOOK_BYTES, f"{page.name} feedback is too large"
    loud, top = _autograded_total(run, run.grades("zz_loud"))
    assert loud == top, "printing a lot (with correct answers) should not cost marks"


def test_gradebook_intact_and_good_grades_untouched(run: Run):
    db = run.course / "grading" / "gradebook.db"
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert run.good_before, "autograde failed, see test_autograde_succeeds"
    for student in GOOD:
        assert run.grades(student) == run.good_before[student], (
            f"{student}'s grades changed after hostile submissions were graded"
        )


# --------------------------------------------------------------------------- feedback


def test_feedback_generated(run: Run):
    proc = run.procs["generate_feedback"]
    assert proc.returncode == 0, f"nbgrader generate_feedback failed: {_fail_message(proc)}"
    for student in (*GOOD, "zz_loop", "zz_crash", "zz_tamper", "zz_loud"):
        pages = list(run.feedback(student).glob("*.html"))
        assert pages, f"no feedback for {student}"


def test_feedback_never_shows_hidden_tests(run: Run):
    assert run.hidden, f"{run.assignment} has no hidden tests to look for"
    # Positive control: the same search finds the hidden tests in an HTML rendering of the
    # autograded notebook (nbgrader restores them there), so a leak could not slip past it.
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(str(run.autograded("alice") / run.target))
    assert any(line in _html_text(body) for line in run.hidden), "the leak detector is blind"

    pages = sorted((run.course / "grading" / "feedback").rglob("*.html"))
    assert pages, "no feedback generated"
    for page in pages:
        text = _html_text(page.read_text(encoding="utf-8"))
        who = page.relative_to(run.course / "grading" / "feedback")
        assert "BEGIN HIDDEN TESTS" not in text, f"{who} shows a hidden-tests marker"
        leaked = [line for line in run.hidden if line in text]
        assert not leaked, f"{who} shows hidden test lines: {leaked[:5]}"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(p, id=p.relative_to(ROOT).as_posix())
        for p in sorted((ROOT / "solutions").glob("*/*.ipynb"))
        if ".ipynb_checkpoints" not in p.parts
    ],
)
def test_hide_hidden_tests_scrubs_outputs(source: Path):
    """A failing hidden test quotes itself in its traceback and may print or display values:
    ``mlcourse.grading.HideHiddenTests`` (the feedback preprocessor) must drop all of it."""
    from nbconvert import HTMLExporter
    from nbformat.v4 import new_output

    from mlcourse.grading import HideHiddenTests

    nb = nbformat.read(source, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and _hidden_lines(c.source)]
    if not cells:
        pytest.skip(f"{source.name} has no hidden tests")
    hidden = _leak_candidates([nb])
    for cell in cells:
        quoted = "\n".join(ln.strip() for ln in _hidden_lines(cell.source))
        cell.outputs = [
            new_output("stream", name="stdout", text=quoted),
            new_output("display_data", data={"text/plain": quoted}),
            new_output("execute_result", data={"text/plain": quoted}, execution_count=1),
            new_output(
                "error", ename="AssertionError", evalue=quoted, traceback=quoted.split("\n")
            ),
        ]
    nb, _ = HideHiddenTests().preprocess(nb, {})
    body, _ = HTMLExporter().from_notebook_node(nb)
    text = _html_text(body)
    assert "BEGIN HIDDEN TESTS" not in text
    leaked = sorted(line for line in hidden if line in text)
    assert not leaked, f"HideHiddenTests lets hidden test lines through: {leaked[:5]}"
    assert "AssertionError" in text, "the learner should still see which error a hidden test raised"
