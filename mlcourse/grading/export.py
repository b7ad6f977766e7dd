"""Grades out to an LMS: nbgrader export plugins for Canvas's and Moodle's gradebook import.

Both write one row per student and one column per assignment (the score after any late
penalty, 0 when nothing was submitted), with the nbgrader student id as the key::

    nbgrader export --exporter=mlcourse.grading.CanvasExportPlugin --to=canvas.csv
    nbgrader export --exporter=mlcourse.grading.MoodleExportPlugin --to=moodle.csv

Canvas (Grades > Import) reads the layout of its own gradebook export: the columns
``Student`` ("Last, First"), ``ID``, ``SIS User ID``, ``SIS Login ID`` and ``Section`` come
first, then one column per assignment, and an optional second row ``Points Possible``. It
matches students by ``ID``, ``SIS User ID`` or ``SIS Login ID``; the nbgrader id goes in
``SIS Login ID`` by default (JupyterHub usernames are usually the login); set
``CanvasExportPlugin.id_column`` to use another. ``ID`` is Canvas's internal number, unknown
to nbgrader, so it is left empty. An assignment column whose name matches an existing Canvas
assignment updates it; otherwise Canvas offers to create it.

Moodle (Grades > Import > CSV file) lets the teacher map a column to a user field ("Map from" /
"Map to"): the nbgrader id goes in ``ID number`` (map it to ``useridnumber``), or set
``MoodleExportPlugin.id_column = "Username"`` or ``"Email address"``; each assignment column is
then mapped to a grade item. ``First name``, ``Last name`` and ``Email address`` columns follow,
as in Moodle's own export.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Enum

__all__ = ["CanvasExportPlugin", "MoodleExportPlugin", "class_scores"]


def class_scores(
    gradebook: Gradebook, students: Iterable[str] = (), assignments: Iterable[str] = ()
) -> tuple[list, list, dict[tuple[str, str], float]]:
    """(students, assignments, {(student id, assignment): score}) from the gradebook.

    The score is nbgrader's: the submission's score minus its late penalty, not below 0; a
    student without a submission scores 0.
    """
    wanted_s, wanted_a = set(map(str, students)), set(map(str, assignments))
    people = [s for s in gradebook.students if not wanted_s or s.id in wanted_s]
    work = [a for a in gradebook.assignments if not wanted_a or a.name in wanted_a]
    scores = {}
    for assignment in work:
        for student in people:
            try:
                sub = gradebook.find_submission(assignment.name, student.id)
            except MissingEntry:
                scores[student.id, assignment.name] = 0.0
            else:
                penalty = sub.late_submission_penalty or 0.0
                scores[student.id, assignment.name] = max(0.0, sub.score - penalty)
    return people, work, scores


def _number(value: float) -> str:
    return f"{value:.10g}"


class _LmsExport(ExportPlugin):
    default_file = "grades.csv"

    def header(self) -> list[str]:
        raise NotImplementedError

    def identity(self, student) -> list[str]:
        raise NotImplementedError

    def extra_rows(self, assignments) -> list[list[str]]:
        return []

    def export(self, gradebook: Gradebook) -> None:
        dest = self.to or self.default_file
        people, work, scores = class_scores(gradebook, self.student, self.assignment)
        self.log.info("Exporting %d students x %d assignments to %s", len(people), len(work), dest)
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(self.header() + [a.name for a in work])
            for row in self.extra_rows(work):
                out.writerow(row)
            for s in sorted(people, key=lambda s: s.id):
                out.writerow(self.identity(s) + [_number(scores[s.id, a.name]) for a in work])


class CanvasExportPlugin(_LmsExport):
    """CSV for Canvas's gradebook import (see the module docstring)."""

    default_file = "canvas_grades.csv"
    id_column = Enum(
        ["SIS Login ID", "SIS User ID"],
        "SIS Login ID",
        help="Canvas column that holds the nbgrader student id",
    ).tag(config=True)
    COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]

    def header(self) -> list[str]:
        return list(self.COLUMNS)

    def identity(self, student) -> list[str]:
        row = dict.fromkeys(self.COLUMNS, "")
        last, first = student.last_name or "", student.first_name or ""
        row["Student"] = f"{last}, {first}" if last and first else (last or first)
        row[self.id_column] = student.id
        return [row[c] for c in self.COLUMNS]

    def extra_rows(self, assignments) -> list[list[str]]:
        pad = ["    Points Possible"] + [""] * (len(self.COLUMNS) - 1)
        return [pad + [_number(a.max_score) for a in assignments]]


class MoodleExportPlugin(_LmsExport):
    """CSV for Moodle's "Import grades from CSV" (see the module docstring)."""

    default_file = "moodle_grades.csv"
    id_column = Enum(
        ["ID number", "Username", "Email address"],
        "ID number",
        help="Moodle column that holds the nbgrader student id",
    ).tag(config=True)

    def header(self) -> list[str]:
        names = ["First name", "Last name", "Email address"]
        return [self.id_column] + [n for n in names if n != self.id_column]

    def identity(self, student) -> list[str]:
        values = {
            "First name": student.first_name or "",
            "Last name": student.last_name or "",
            "Email address": student.email or "",
        }
        values[self.id_column] = student.id
        return [values[c] for c in self.header()]
