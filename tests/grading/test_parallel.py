"""``python -m mlcourse autograde``: same scores as serial nbgrader, crash- and Ctrl-C-safe.

- The same class of a1 (solution, blank, one answer left as its stub, a kernel crash, each with
  a submission time) is graded by serial ``nbgrader autograde`` in one course and by the
  parallel command with two workers in another: the gradebooks must hold the same grades,
  comments, penalties and timestamps.
- On the small assignment: a worker is killed and the command is interrupted with Ctrl-C
  mid-run; the gradebook stays consistent, nobody else's grade is lost, and a rerun grades
  exactly the rest. A save cut short (its mark left behind) is redone.
- Where no sandbox can be made, both the command and ``nbgrader autograde`` refuse and say how
  to override; ``--unsafe`` grades and the feedback says so.
"""

from __future__ import annotations

import copy
import os
import shutil
import signal
import time

import nbformat
import psutil
import pytest

from tests.grading.course import (
    ROOT,
    STUB,
    TINY,
    add_tiny_assignment,
    gradebook_state,
    integrity_ok,
    make_course,
    mlcourse_autograde,
    nbgrader,
    require_sandbox,
    scores,
    start_autograde,
    submit,
    tiny_submission,
)

pytestmark = pytest.mark.grading

A1 = "a1_iterative_loop"
STAMP = "2026-01-{day:02d} 10:00:00.000000 UTC"


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _answers(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and _nbg(c).get("solution")]


def _a1_class() -> dict[str, dict[str, nbformat.NotebookNode]]:
    """student -> {notebook name: notebook} for a small class of a1."""
    sources = {
        p.name: nbformat.read(p, 4) for p in sorted((ROOT / "solutions" / A1).glob("*.ipynb"))
    }
    release = {n: nbformat.read(ROOT / "assignments" / A1 / n, 4) for n in sources}

    def solved(change=None):
        out = {}
        for name, nb in release.items():
            nb = copy.deepcopy(nb)
            answers = {_nbg(c)["grade_id"]: c.source for c in _answers(sources[name])}
            cells = _answers(nb)
            for c in cells:
                c.source = answers[_nbg(c)["grade_id"]]
            if change and cells:
                change(cells[-1])
            out[name] = nb
        return out

    stub = {n: {_nbg(c)["grade_id"]: c.source for c in _answers(nb)} for n, nb in release.items()}

    def to_stub(cell):
        cell.source = next(
            v[_nbg(cell)["grade_id"]] for v in stub.values() if _nbg(cell)["grade_id"] in v
        )

    def crash(cell):
        cell.source = "import os\n\nos._exit(1)"

    return {
        "alice": solved(),
        "bob": copy.deepcopy(release),
        "carol": solved(to_stub),
        "zz_crash": solved(crash),
    }


@pytest.fixture(scope="module")
def two_courses(tmp_path_factory):
    require_sandbox()
    base = tmp_path_factory.mktemp("parallel")
    courses = []
    for name in ("serial", "parallel"):
        course = make_course(base / name)
        shutil.copytree(ROOT / "solutions" / A1, course / "solutions" / A1)
        proc = nbgrader(course, "generate_assignment", A1)
        assert proc.returncode == 0, proc.stderr[-3000:]
        for day, (student, nbs) in enumerate(sorted(_a1_class().items()), start=1):
            submit(course, student, A1, nbs, {"timestamp.txt": STAMP.format(day=day)})
        courses.append(course)
    serial = nbgrader(courses[0], "autograde", A1, "--create")
    parallel = mlcourse_autograde(courses[1], A1, "--jobs", "2")
    return courses, serial, parallel


def test_parallel_scores_equal_serial_nbgrader(two_courses):
    (serial_course, parallel_course), serial, parallel = two_courses
    assert serial.returncode == 0, serial.stderr[-3000:]
    assert parallel.returncode == 0, parallel.stdout[-3000:] + parallel.stderr[-3000:]
    expected = gradebook_state(serial_course, A1)
    got = gradebook_state(parallel_course, A1)
    assert set(expected) == {"alice", "bob", "carol", "zz_crash"}
    assert got == expected
    points = scores(parallel_course, A1)
    assert points["alice"] > points["carol"] > points["bob"] == 0, points
    assert integrity_ok(parallel_course)


def test_summary_table_lists_every_student(two_courses):
    _, _, parallel = two_courses
    lines = parallel.stdout.splitlines()
    assert lines[0].split()[:5] == ["student", "status", "score", "max", "time"]
    for student in ("alice", "bob", "carol", "zz_crash"):
        row = next(line for line in lines if line.startswith(student + " "))
        assert " graded " in row, row
    crash = next(line for line in lines if line.startswith("zz_crash "))
    assert "exited with status 1" in crash, "the summary should say what went wrong"
    assert "4/4 done" in parallel.stderr, "no progress bar"


# --------------------------------------------------------------------------- crash safety

SLEEP = "import time\ntime.sleep(12)"


def _worker(command: psutil.Process, student: str) -> psutil.Process | None:
    """The worker grading ``student``: the parent of the sandbox started in their folder."""
    for child in command.children(recursive=True):
        try:
            if (
                any(f"/work/{student}/" in arg for arg in child.cmdline())
                and child.name() == "bwrap"
            ):
                return child.parent()
        except psutil.Error:
            continue
    return None


def _wait_for(what, timeout: float = 120, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(step)
    pytest.fail(f"timed out waiting for {what}")


def test_kill_and_ctrl_c_lose_nothing_and_a_rerun_continues(tmp_path):
    require_sandbox()
    course = make_course(tmp_path / "course")
    add_tiny_assignment(course)
    submit(course, "a_kill", TINY, tiny_submission(SLEEP))
    submit(course, "b_slow", TINY, tiny_submission(SLEEP))
    for student in ("c_ok", "d_ok", "e_ok"):
        submit(course, student, TINY, tiny_submission())
    proc = start_autograde(course, TINY, "--jobs", "2")
    command = psutil.Process(proc.pid)
    try:
        _wait_for(lambda: _worker(command, "a_kill")).kill()  # a worker dies mid-notebook
        graded = course / "grading" / "autograded" / "c_ok" / TINY
        _wait_for(lambda: graded.exists() and "c_ok" in gradebook_state(course, TINY))
        assert _worker(command, "b_slow"), "b_slow should still be running"
        proc.send_signal(signal.SIGINT)  # Ctrl-C while b_slow (and maybe d_ok) still run
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert "run the same command again" in out
    assert "the worker was killed (SIGKILL)" in next(
        line for line in out.splitlines() if line.startswith("a_kill ")
    )
    assert integrity_ok(course)
    state = gradebook_state(course, TINY)
    assert "c_ok" in state and "a_kill" not in state and "b_slow" not in state
    assert scores(course, TINY)["c_ok"] == 3
    for worker in command.children(recursive=True) if command.is_running() else []:
        pytest.fail(f"left running: {worker.cmdline()}")
    before = gradebook_state(course, TINY)

    rerun = mlcourse_autograde(course, TINY, "--jobs", "2")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    rows = {line.split()[0]: line for line in rerun.stdout.splitlines()[2:] if line.strip()}
    for student in ("a_kill", "b_slow", "c_ok", "d_ok", "e_ok"):
        expected = " skipped " if student in before else " graded "
        assert expected in rows[student], rows[student]
    final = gradebook_state(course, TINY)
    for student, entry in before.items():
        assert final[student] == entry, f"{student}'s grades changed on the rerun"
    assert scores(course, TINY) == dict.fromkeys(["a_kill", "b_slow", "c_ok", "d_ok", "e_ok"], 3.0)

    # A save cut short (the process killed while writing c_ok's grades) is redone.
    saving = course / "grading" / ".mlcourse-autograde" / TINY / "saving"
    (saving / "c_ok").write_text("12345")
    again = mlcourse_autograde(course, TINY, "--jobs", "2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "c_ok: the last save was interrupted" in again.stdout
    assert " graded " in next(r for r in again.stdout.splitlines() if r.startswith("c_ok "))
    assert gradebook_state(course, TINY) == final and not list(saving.iterdir())


# --------------------------------------------------------------------------- no sandbox


@pytest.fixture
def no_sandbox_course(tmp_path):
    course = make_course(tmp_path / "course", 'c.Sandbox.bwrap = "/nonexistent/bwrap"\n')
    add_tiny_assignment(course)
    submit(course, "alice", TINY, tiny_submission())
    submit(course, "bob", TINY, tiny_submission(answer=STUB))
    return course


def test_no_sandbox_means_refusal_with_the_way_out(no_sandbox_course):
    course = no_sandbox_course
    proc = mlcourse_autograde(course, TINY)
    assert proc.returncode == 2
    assert "bubblewrap" in proc.stderr and "--unsafe" in proc.stderr, proc.stderr
    assert not (course / "grading" / "autograded").exists()
    shell = nbgrader(course, "autograde", TINY, "--create")
    assert shell.returncode != 0
    assert "SandboxUnavailable" in shell.stderr and "Sandbox.unsafe=True" in shell.stderr
    assert gradebook_state(course, TINY) == {} or all(
        v[0] is None
        for s in gradebook_state(course, TINY).values()
        for v in s["cells"].values()
        if isinstance(v, tuple)
    )


def test_unsafe_grades_and_the_feedback_says_so(no_sandbox_course):
    course = no_sandbox_course
    proc = mlcourse_autograde(course, TINY, "--unsafe", "--jobs", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert scores(course, TINY) == {"alice": 3.0, "bob": 0.0}
    assert nbgrader(course, "generate_feedback", TINY).returncode == 0
    page = (course / "grading" / "feedback" / "alice" / TINY / f"{TINY}.html").read_text()
    assert "Graded without a sandbox" in page


# --------------------------------------------------------------------------- threads

THREADS_PROBE = 'import os\nprint("THREADS=" + os.environ.get("OMP_NUM_THREADS", "unset"))'


def _probe_output(course, student) -> str:
    nb = nbformat.read(course / "grading" / "autograded" / student / TINY / f"{TINY}.ipynb", 4)
    return "".join(out.get("text", "") for out in nb.cells[1].get("outputs", []))


def test_each_worker_gets_its_share_of_the_cores(tmp_path):
    """N kernels with a BLAS thread per core each oversubscribe the machine (issue 11's bench:
    2 workers on 2 cores were no faster than 1), so a worker's kernel gets cores // jobs
    threads, unless the instructor set the variable."""
    require_sandbox()
    course = make_course(tmp_path / "course")
    add_tiny_assignment(course)
    submit(course, "alice", TINY, tiny_submission(THREADS_PROBE))
    cores = len(os.sched_getaffinity(0))
    proc = mlcourse_autograde(course, TINY, "--jobs", str(cores))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "THREADS=1" in _probe_output(course, "alice")

    proc = mlcourse_autograde(course, TINY, "--jobs", "1", "--force", env={"OMP_NUM_THREADS": "3"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "THREADS=3" in _probe_output(course, "alice"), "the instructor's setting must win"
