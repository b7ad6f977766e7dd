"""A whole nbgrader round on a real JupyterHub, as the users themselves.

``classroom/setup_course.py`` makes an instructor and three students (real Unix users), the hub
(``classroom/jupyterhub_config.py``: PAM login, LocalProcessSpawner, configurable-http-proxy)
runs on a free 127.0.0.1 port, and every step goes through the hub's REST API and each user's
own server, so each runs as that user: the instructor generates and releases
``a1_iterative_loop`` in the formgrader; the students fetch it (one of them in Chromium, through
the Lab's Assignments panel), and hand in the solution, the blank release and a partial answer;
the instructor collects and autogrades (in the bubblewrap sandbox, as their own non-root user;
one student with the formgrader's Autograde button in Chromium, the others through its API),
grades the written answer by hand in the formgrader in Chromium, and generates and releases
feedback; each student fetches their own. Then the checks: scores in the gradebook, no hidden
test in any feedback, and no student can list or read another's work, in the exchange, on disk
or through the hub.

The tests run in file order and share one round: each step fails (not skips) when an earlier
one did. Timings are printed at the end (run with ``-s`` to see them).
"""

from __future__ import annotations

import copy
import json
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from tests.classroom.hub import COURSE, Classroom, HubUser, Person
from tests.grading.test_pipeline import _html_text, _is_answer, _leak_candidates, _nbg

pytestmark = [pytest.mark.grading, pytest.mark.ui]

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "a1_iterative_loop"
NOTEBOOK = "iterative_loop.ipynb"
SOURCE = ROOT / "solutions" / ASSIGNMENT / NOTEBOOK
KINDS = ("solution", "blank", "partial")  # student i hands in KINDS[i]
# Of a1's 14 autograded points (parts 1-4); the partial student answers parts 1 and 2 only.
EXPECTED_AUTO = {"solution": 14.0, "blank": 0.0, "partial": 6.0}
PARTIAL_PARTS = ("part1-answer", "part2-answer")  # the partial student answers these only
WRITTEN = "part4-answer"
WRITTEN_ANSWER = (
    "High bias: training error 4.8% against a 1% baseline is 3.8 points of avoidable bias, "
    "while CV is only 0.5 points above training. More data will not help; a bigger model or "
    "better features will, then measure again."
)
HAND_SCORE = 3.0  # of 4, given in the formgrader


@dataclass
class Round:
    room: Classroom
    users: dict[str, HubUser] = field(default_factory=dict)
    kind: dict[str, str] = field(default_factory=dict)  # student name -> what they hand in
    seconds: dict[str, float] = field(default_factory=dict)
    failed: str = ""
    probe: dict = field(default_factory=dict)
    hand_score: float = 0.0  # given in the formgrader, once the browser step has run
    feedback: dict[str, str] = field(default_factory=dict)  # student -> their feedback's text

    def student(self, kind: str) -> Person:
        return next(s for s in self.room.students if self.kind[s.name] == kind)

    def user(self, person: Person) -> HubUser:
        if person.name not in self.users:
            self.users[person.name] = self.room.login(person)
        return self.users[person.name]

    @property
    def instructor(self) -> HubUser:
        return self.user(self.room.instructor)


@pytest.fixture(scope="module")
def rnd(room):
    r = Round(room, kind={s.name: k for s, k in zip(room.students, KINDS)})
    r.seconds["before the round: setup_course.py, passwords, hub start"] = room.start_seconds
    start = time.monotonic()
    yield r
    r.seconds["whole round"] = time.monotonic() - start
    width = max(len(k) for k in r.seconds)
    print("\nclassroom round, seconds:")
    for step, secs in r.seconds.items():
        print(f"  {step:<{width}}  {secs:6.1f}")


@pytest.fixture
def step(rnd, request):
    """Fail at once when an earlier step failed; record this step's time and failure."""
    if rnd.failed:
        pytest.fail(f"an earlier step failed ({rnd.failed}), so this one cannot run")
    start = time.monotonic()
    yield rnd
    rnd.seconds[request.node.name.removeprefix("test_")] = time.monotonic() - start
    if getattr(request.node, "call_failed", False):  # set by conftest's report hook
        rnd.failed = request.node.name


# ---------------------------------------------------------------------------- notebooks


def _strip_markers(source: str) -> str:
    return "\n".join(
        line
        for line in source.splitlines()
        if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
    )


def _answers() -> dict[str, str]:
    """grade_id -> what a student who knows the answer writes (the solution, no markers)."""
    nb = nbformat.read(SOURCE, as_version=4)
    return {_nbg(c)["grade_id"]: _strip_markers(c.source) for c in nb.cells if _is_answer(c)}


def _probe_cell(room: Classroom, rnd: Round) -> str:
    """Student code that tries to reach what the sandbox must hide, and prints what it got."""
    solution = rnd.student("solution")
    targets = {
        "gradebook": str(room.course_dir / "grading" / "gradebook.db"),
        "solutions": str(room.course_dir / "solutions" / ASSIGNMENT / NOTEBOOK),
        # (the folders on the way to the submission exist inside, empty: read real files)
        "instructor's files": str(room.home(room.instructor) / ".bashrc"),
        "other student's files": str(room.home(solution) / ".bashrc"),
        "exchange inbound": str(room.exchange / COURSE / "inbound"),
    }
    return (
        "import json, os, socket\n"
        f"targets = {json.dumps(targets)}\n"
        "seen = {}\n"
        "for label, path in targets.items():\n"
        "    try:\n"
        "        os.listdir(path) if os.path.isdir(path) else open(path, 'rb').read(1)\n"
        "        seen[label] = 'OPEN' if os.path.exists(path) else 'blocked'\n"
        "    except OSError:\n"
        "        seen[label] = 'blocked'\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {room.port}), timeout=2).close()\n"
        "    seen['hub on loopback'] = 'OPEN'\n"
        "except OSError:\n"
        "    seen['hub on loopback'] = 'blocked'\n"
        "print('PROBE', json.dumps(seen))"
    )


def _hand_in(rnd: Round, person: Person, nb: dict) -> dict:
    """The fetched notebook as this student changes it."""
    kind = rnd.kind[person.name]
    nb = copy.deepcopy(nb)
    answers = _answers()
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if kind == "solution" and grade_id in answers:
            cell["source"] = answers[grade_id]
        elif kind == "solution" and grade_id == WRITTEN:
            cell["source"] = WRITTEN_ANSWER
        elif kind == "partial" and grade_id in PARTIAL_PARTS:
            cell["source"] = answers[grade_id]
    if kind == "blank":  # hands in the release, plus a look around
        probe = {"cell_type": "code", "id": "probe", "metadata": {}, "execution_count": None}
        nb["cells"].append({**probe, "outputs": [], "source": _probe_cell(rnd.room, rnd)})
    return nb


def _gradebook(room: Classroom) -> dict[str, dict[str, tuple]]:
    """student -> grade_id -> (auto, manual, max), read from the instructor's gradebook."""
    from nbgrader.api import Gradebook

    url = f"sqlite:///{room.course_dir / 'grading' / 'gradebook.db'}"
    out = {}
    with Gradebook(url) as gb:
        for student in gb.students:
            try:
                sub = gb.find_submission(ASSIGNMENT, student.id)
            except Exception:  # noqa: BLE001 (MissingEntry: no submission)
                continue
            out[student.id] = {
                g.name: (g.auto_score, g.manual_score, g.max_score)
                for nb in sub.notebooks
                for g in nb.grades
            }
    return out


def _auto_total(grades: dict[str, tuple]) -> float:
    return sum(v[0] or 0 for k, v in grades.items() if k != WRITTEN)


# ---------------------------------------------------------------------------- the round


def test_setup_made_the_course(step):
    room = step.room
    for person in room.people:
        assert stat.S_IMODE(os.stat(room.home(person)).st_mode) == 0o700, person.name
    course = os.stat(room.course_dir)
    assert stat.S_IMODE(course.st_mode) == 0o700
    assert course.st_uid == os.stat(room.home(room.instructor)).st_uid
    modes = {"": 0o755, "inbound": 0o3733, "outbound": 0o755, "feedback": 0o711}
    for sub, mode in modes.items():
        path = room.exchange / COURSE / sub
        assert stat.S_IMODE(os.stat(path).st_mode) == mode, path
    assert stat.S_IMODE(os.stat(room.exchange).st_mode) == 0o1777
    enrolled = _students_in_gradebook(room)
    assert enrolled == {s.name for s in room.students}

    # Idempotent: a second run changes nothing and says so.
    again = room.run_setup()
    assert again.returncode == 0, again.stderr
    changes = [ln for ln in again.stdout.splitlines() if ln.startswith(("create", "add", "write"))]
    assert not changes, f"a second run of setup_course.py changed things:\n{again.stdout}"
    assert "0 students added, 3 already enrolled" in again.stdout
    assert _students_in_gradebook(room) == enrolled


def _students_in_gradebook(room: Classroom) -> set[str]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{room.course_dir / 'grading' / 'gradebook.db'}") as gb:
        return {s.id for s in gb.students}


def test_instructor_generates_and_releases(step):
    inst = step.instructor
    step.seconds["instructor's server start"] = inst.start_server()
    for action in ("assign", "release"):
        result = inst.formgrader(f"assignment/{ASSIGNMENT}/{action}")
        assert result["success"], result.get("error") or result.get("log")
    released = step.room.exchange / COURSE / "outbound" / ASSIGNMENT / NOTEBOOK
    text = released.read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert released.stat().st_uid == os.stat(step.room.home(step.room.instructor)).st_uid


def test_student_sees_assignment_in_lab_and_fetches_it(step, browser_page):
    """Chromium: a student logs in at the hub and fetches from the Lab's Assignments panel."""
    from tests.classroom.browser import fetch_in_assignments_panel

    person = step.student("partial")
    shots = fetch_in_assignments_panel(browser_page, step.room, person, ASSIGNMENT)
    step.seconds["browser: login + Assignments panel + Fetch"] = shots.seconds
    fetched = step.room.home(person) / ASSIGNMENT / NOTEBOOK
    assert fetched.exists(), "Fetch in the Assignments panel did not put the notebook home"
    assert fetched.stat().st_uid == _uid(person), "the fetched copy must belong to the student"


def test_students_fetch_and_hand_in(step):
    for person in step.room.students:
        user = step.user(person)
        user.start_server()
        listing = user.server("GET", "assignments", params={"course_id": COURSE}).json()
        statuses = {a["assignment_id"]: a["status"] for a in listing["value"]}
        if statuses.get(ASSIGNMENT) == "released":
            result = user.nbgrader("fetch", ASSIGNMENT)
            assert result["success"], result
        path = f"api/contents/{ASSIGNMENT}/{NOTEBOOK}"
        nb = user.server("GET", path).json()["content"]
        body = {"type": "notebook", "format": "json", "content": _hand_in(step, person, nb)}
        assert user.server("PUT", path, json=body).status_code == 200
        result = user.nbgrader("submit", ASSIGNMENT)
        assert result["success"], result
        submitted = [a for a in result["value"] if a["status"] == "submitted"]
        assert submitted, f"{person.name}: no submission listed after submit: {result}"
    inbound = step.room.exchange / COURSE / "inbound"
    assert len(os.listdir(inbound)) == len(step.room.students)


def test_instructor_collects_and_autogrades_in_the_sandbox(step, browser_page):
    """The formgrader's API for every student but one, whose grading is started with the
    formgrader's own Autograde button in Chromium: both run in the sandbox."""
    from tests.classroom.browser import autograde_with_button

    inst = step.instructor
    result = inst.formgrader(f"assignment/{ASSIGNMENT}/collect")
    assert result["success"], result
    for person in step.room.students:
        start = time.monotonic()
        if step.kind[person.name] == "solution":
            seen = autograde_with_button(browser_page, step.room, person, ASSIGNMENT)
            assert seen.texts["ok"], f"the Autograde button reported an error: {seen.texts}"
            result = {"log": seen.texts["log"]}
        else:
            result = inst.formgrader(f"submission/{ASSIGNMENT}/{person.name}/autograde")
            assert result["success"], result.get("error") or result.get("log")
        step.seconds[f"autograde {step.kind[person.name]}"] = time.monotonic() - start
        # The instructor is not root: the kernel ran in a user namespace of its own.
        assert "'--unshare-user'" in result["log"], "autograding did not run in the sandbox"
    grades = _gradebook(step.room)
    got = {step.kind[name]: _auto_total(g) for name, g in grades.items()}
    assert got == EXPECTED_AUTO, f"autograded points (of 14) by submission: {got}"

    graded = step.room.course_dir / "grading" / "autograded" / step.student("blank").name
    nb = nbformat.read(graded / ASSIGNMENT / NOTEBOOK, as_version=4)
    lines = [
        line
        for cell in nb.cells
        for out in cell.get("outputs", [])
        for line in out.get("text", "").splitlines()
        if line.startswith("PROBE ")
    ]
    assert lines, "the blank student's probe cell did not run"
    step.probe = json.loads(lines[0].removeprefix("PROBE "))
    opened = [k for k, v in step.probe.items() if v != "blocked"]
    assert not opened, f"student code reached {opened} while autograded: {step.probe}"


def test_instructor_grades_the_written_answer_by_hand(step, browser_page):
    """Chromium: the formgrader, the solution student's written answer, a score by hand."""
    from tests.classroom.browser import grade_by_hand

    person = step.student("solution")
    seen = grade_by_hand(
        browser_page, step.room, person, ASSIGNMENT, WRITTEN, HAND_SCORE, WRITTEN_ANSWER
    )
    step.seconds["browser: formgrader, grade by hand"] = seen.seconds
    grades = _gradebook(step.room)[person.name]
    assert grades[WRITTEN][1] == HAND_SCORE, f"manual score in the gradebook: {grades[WRITTEN]}"
    # The formgrader's own list shows the new overall score (its first score column).
    most = sum(g[2] for g in grades.values())
    auto = EXPECTED_AUTO["solution"]
    assert f"{auto:g} / {most:g}" in seen.texts["row before"], seen.texts
    assert f"{auto + HAND_SCORE:g} / {most:g}" in seen.texts["row after"], seen.texts
    step.hand_score = HAND_SCORE


def test_feedback_goes_back_to_each_student(step):
    inst = step.instructor
    for action in ("generate_feedback", "release_feedback"):
        result = inst.formgrader(f"assignment/{ASSIGNMENT}/{action}")
        assert result["success"], result.get("error") or result.get("log")
    hidden = _leak_candidates([nbformat.read(SOURCE, as_version=4)])
    assert hidden, "the assignment should have hidden tests to look for"
    for person in step.room.students:
        user = step.user(person)
        result = user.nbgrader("fetch_feedback", ASSIGNMENT)
        assert result["success"], result
        folder = f"api/contents/{ASSIGNMENT}/feedback"
        stamps = user.server("GET", folder).json()["content"]
        assert len(stamps) == 1, f"{person.name}: feedback folders {stamps}"
        html_path = f"api/contents/{stamps[0]['path']}/iterative_loop.html"
        page = user.server("GET", html_path, params={"type": "file", "format": "text"})
        text = _html_text(page.json()["content"])
        leaks = [line for line in hidden if line in text]
        assert not leaks, f"{person.name}'s feedback shows hidden tests: {leaks[:3]}"
        step.feedback[person.name] = text
    kinds = {step.kind[name]: text for name, text in step.feedback.items()}
    assert WRITTEN_ANSWER[:40] in kinds["solution"] and "PROBE" in kinds["blank"]
    assert WRITTEN_ANSWER[:40] not in kinds["blank"] + kinds["partial"]
    total = EXPECTED_AUTO["solution"] + step.hand_score
    assert f"Score: {total:g}" in kinds["solution"], "the solution's feedback has the wrong score"


def test_no_student_can_see_another_students_work(step):
    room = step.room
    me, other = step.student("blank"), step.student("solution")
    inbound = room.exchange / COURSE / "inbound"
    theirs = next(p for p in inbound.iterdir() if p.name.startswith(other.name + "+"))
    feedback = room.home(other) / ASSIGNMENT / "feedback"
    targets = {
        "list the exchange's inbound": ("list", inbound),
        "list the exchange's feedback": ("list", room.exchange / COURSE / "feedback"),
        "list another's submission, by its name": ("list", theirs),
        "read another's submission, by its name": ("read", theirs / NOTEBOOK),
        "list another's home": ("list", room.home(other)),
        "read another's feedback at home": ("list", feedback),
        "read another's submission secret": (
            "list",
            room.home(other) / ".local" / "share" / "jupyter" / "nbgrader_cache",
        ),
        "list the instructor's course": ("list", room.course_dir),
        "read the gradebook": ("read", room.course_dir / "grading" / "gradebook.db"),
    }
    got = room.as_user(me, _try_all, {k: (a, str(p)) for k, (a, p) in targets.items()})
    opened = {k: v for k, v in got.items() if v != "denied"}
    assert not opened, f"{me.name} could: {opened}"
    # The same student, through the hub, at the other's server: refused.
    mine = step.user(me)
    resp = mine.api.get(f"/user/{other.name}/api/contents", follow_redirects=False)
    assert resp.status_code in (302, 403, 404), resp.status_code
    resp = mine.api.get(f"/hub/api/users/{other.name}")
    assert resp.status_code in (403, 404), resp.status_code
    # ...and nothing the student sees in their own assignment list belongs to someone else.
    listing = mine.server("GET", "assignments", params={"course_id": COURSE}).json()
    owners = {a.get("student_id") for a in listing["value"] if a.get("student_id")}
    assert owners <= {me.name}, owners


def _try_all(targets: dict) -> dict:
    out = {}
    for label, (action, path) in targets.items():
        try:
            if action == "list":
                os.listdir(path)
            else:
                with open(path, "rb") as fh:
                    fh.read(1)
            out[label] = "ALLOWED"
        except PermissionError:
            out[label] = "denied"
        except OSError as exc:
            out[label] = f"error {exc.errno}"  # e.g. missing: the check would prove nothing
    return out


def _uid(person: Person) -> int:
    import pwd

    return pwd.getpwnam(person.name).pw_uid
