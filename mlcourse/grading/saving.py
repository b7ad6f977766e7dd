"""The gradebook's one writer for ``python -m mlcourse autograde`` (see :mod:`.parallel`).

A :class:`Saver` lives in the parallel command's own process, the only one that writes the
gradebook. It saves a student whose notebooks a worker has executed by running nbgrader's
``Autograde`` again on them with only the preprocessors from ``SaveAutoGrades`` on, so the
gradebook holds what a serial ``nbgrader autograde`` writes. It keeps the staging folder: the
workers' output (``work/``), their logs (``logs/``) and the marks of saves in progress
(``saving/``), which make a save that a killed run left half done visible to the next run.
"""

from __future__ import annotations

import copy
import glob
import os
import shutil
import warnings

from mlcourse.grading.report import Outcome

__all__ = ["SaveError", "Saver"]


class SaveError(Exception):
    """nbgrader could not save a student's grades; the gradebook holds none of them."""


class Saver:
    """Save the grades of one assignment's students into the gradebook, one at a time.

    Parameters
    ----------
    config : traitlets.config.Config
        The course's nbgrader configuration.
    coursedir : nbgrader.coursedir.CourseDirectory
        The course's folders and gradebook.
    assignment : str
        The assignment being graded.
    staging : str
        This assignment's staging folder.
    preprocessors : list
        The configured autograde preprocessors from ``SaveAutoGrades`` on.
    """

    def __init__(self, config, coursedir, assignment: str, staging: str, preprocessors: list):
        self.config, self.cd, self.assignment = config, coursedir, assignment
        self.preprocessors = preprocessors
        self.work = os.path.join(staging, "work")
        self.logs = os.path.join(staging, "logs")
        self.marks = os.path.join(staging, "saving")

    def src(self, student: str) -> str:
        """The student's submission folder."""
        return self.cd.format_path(self.cd.submitted_directory, student, self.assignment)

    def dest(self, student: str) -> str:
        """The student's autograded folder."""
        return self.cd.format_path(self.cd.autograded_directory, student, self.assignment)

    def recover(self, stream) -> None:
        """Undo saves that a killed run left half done; clear the workers' old output."""
        for mark in glob.glob(os.path.join(self.marks, "*")):
            student = os.path.basename(mark)
            if os.path.exists(self.dest(student)):
                shutil.rmtree(self.dest(student))
            os.remove(mark)
            print(f"{student}: the last save was interrupted; grading again", file=stream)
        shutil.rmtree(self.work, ignore_errors=True)
        for folder in (self.work, self.marks, self.logs):
            os.makedirs(folder, exist_ok=True)

    def save(self, student: str, staged: str) -> None:
        """Write the grades of the notebooks executed in ``staged`` into the gradebook."""
        from nbgrader.converters import Autograde
        from nbgrader.converters.base import NbGraderException
        from nbgrader.coursedir import CourseDirectory

        # nbgrader reads the submission time from timestamp.txt: take the real one, not a copy
        # that passed through the sandbox.
        real = os.path.join(self.src(student), "timestamp.txt")
        copied = os.path.join(staged, "timestamp.txt")
        if os.path.exists(real):
            shutil.copyfile(real, copied)
        elif os.path.exists(copied):
            os.remove(copied)
        cfg = copy.deepcopy(self.config)
        cfg.CourseDirectory.submitted_directory = self.work
        cfg.CourseDirectory.assignment_id = self.assignment
        cfg.CourseDirectory.student_id = student
        cfg.Autograde.sanitize_preprocessors = []
        cfg.Autograde.autograde_preprocessors = self.preprocessors
        cfg.Autograde.force = True
        mark = os.path.join(self.marks, student)
        with open(mark, "w") as fh:
            fh.write(str(os.getpid()))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # nbgrader's SQLAlchemy session warnings
                converter = Autograde(coursedir=CourseDirectory(config=cfg), config=cfg)
                converter.log.setLevel("ERROR")
                converter.start()
        except NbGraderException as exc:
            raise SaveError(f"saving the grades failed: {exc}") from None
        os.remove(mark)

    def outcome(self, student: str, status: str, seconds: float, problem: str) -> Outcome:
        """The student's outcome, with the score and maximum the gradebook holds now."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.cd.db_url) as gb:
            try:
                sub = gb.find_submission(self.assignment, student)
                score, top = sub.score, sub.max_score
            except MissingEntry:
                score = top = None
        return Outcome(student, status, seconds, score, top, problem)
