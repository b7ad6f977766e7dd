"""The LMS export plugins write the CSV layouts Canvas's and Moodle's gradebook imports accept.

A gradebook made with nbgrader's API (two assignments; a late penalty; a student without a
submission; a name with a comma) is exported with ``nbgrader export --exporter=...`` and the
files are read back with the csv module. Canvas: the columns Student, ID, SIS User ID, SIS
Login ID, Section, then one per assignment, and a "Points Possible" row, as in Canvas's own
gradebook export. Moodle: an identifier column to map to a user field ("ID number" ->
useridnumber by default), First name, Last name, Email address, then one per assignment.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest

from tests.grading.course import make_course, nbgrader

pytestmark = [pytest.mark.grading, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    from nbgrader.api import Gradebook

    course = make_course(tmp_path_factory.mktemp("export") / "course")
    with pytest.MonkeyPatch.context() as mp, Gradebook(_url(course, mp)) as gb:
        for name, points in (("a1", 10), ("a2", 4)):
            gb.add_assignment(name)
            gb.add_notebook("nb", name)
            gb.add_grade_cell("t", "nb", name, max_score=points, cell_type="code")
        gb.add_student("ada", first_name="Ada", last_name="Lovelace", email="ada@example.org")
        gb.add_student("bo", first_name="Bo", last_name="Smith, Jr.", email="bo@example.org")
        gb.add_student("cy")  # no names, no submissions
        for student, assignment, score, penalty in (
            ("ada", "a1", 9.5, 0.0),
            ("ada", "a2", 4.0, 0.0),
            ("bo", "a1", 7.0, 2.0),  # late: 7 - 2
        ):
            sub = gb.add_submission(assignment, student)
            gb.find_grade("t", "nb", assignment, student).auto_score = score
            sub.notebooks[0].late_submission_penalty = penalty
            gb.db.commit()
    return course


def _url(course: Path, mp: pytest.MonkeyPatch) -> str:
    # creating a gradebook runs the `alembic` executable: the venv's bin folder must be on PATH
    mp.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    return f"sqlite:///{course / 'grading' / 'gradebook.db'}"


def _export(course: Path, plugin: str, *extra: str) -> list[list[str]]:
    out = course / f"{plugin}.csv"
    proc = nbgrader(
        course, "export", f"--exporter=mlcourse.grading.{plugin}", f"--to={out}", *extra
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(out, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_canvas_layout(course):
    rows = _export(course, "CanvasExportPlugin")
    header, points, *students = rows
    assert header == CANVAS_FIXED + ["a1", "a2"]
    assert points[0].strip() == "Points Possible" and points[5:] == ["10", "4"]
    by_login = {r[3]: r for r in students}
    assert set(by_login) == {"ada", "bo", "cy"}
    assert by_login["ada"][:5] == ["Lovelace, Ada", "", "", "ada", ""]
    assert by_login["ada"][5:] == ["9.5", "4"]
    assert by_login["bo"][0] == "Smith, Jr., Bo" and by_login["bo"][5:] == ["5", "0"]
    assert by_login["cy"][5:] == ["0", "0"], "no submission scores 0"
    assert all(len(r) == len(header) for r in rows)


def test_canvas_id_column_and_filters(course):
    header, _, *students = _export(
        course,
        "CanvasExportPlugin",
        "--CanvasExportPlugin.id_column=SIS User ID",
        "--assignment=a2",
        "--student=ada",
    )
    assert header == CANVAS_FIXED + ["a2"]
    assert students == [["Lovelace, Ada", "", "ada", "", "", "4"]]


def test_moodle_layout(course):
    header, *students = _export(course, "MoodleExportPlugin")
    assert header == ["ID number", "First name", "Last name", "Email address", "a1", "a2"]
    assert students[0] == ["ada", "Ada", "Lovelace", "ada@example.org", "9.5", "4"]
    assert students[1] == ["bo", "Bo", "Smith, Jr.", "bo@example.org", "5", "0"]
    assert students[2] == ["cy", "", "", "", "0", "0"]


def test_moodle_can_key_on_username(course):
    header, *students = _export(
        course, "MoodleExportPlugin", "--MoodleExportPlugin.id_column=Username"
    )
    assert header[:2] == ["Username", "First name"] and students[0][0] == "ada"
