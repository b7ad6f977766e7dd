"""nbgrader configuration for mlcourse.

Instructor notebooks (with solution regions and hidden tests) live in ``solutions/``; the student
release that ``nbgrader generate_assignment`` makes from them is committed in ``assignments/``.
Everything produced while grading (submissions, autograded copies, feedback and the SQLite
gradebook) lives under the git-ignored ``grading/`` folder.

Autograde a class in parallel with ``python -m mlcourse autograde ASSIGNMENT --jobs N`` (it
reads this file); export grades for Canvas or Moodle with ``nbgrader export
--exporter=mlcourse.grading.CanvasExportPlugin`` (or ``MoodleExportPlugin``).
"""

import os

c = get_config()  # noqa: F821 (injected by traitlets)

# The course root is this file's folder. Paths below that nbgrader does not resolve against the
# course root (the gradebook's URL) are made absolute from here, so the formgrader works from any
# folder (on JupyterHub it runs in the instructor's home folder; see classroom/). SQLite cannot
# create the gradebook in a folder that does not exist, and grading/ is git-ignored.
HERE = os.path.dirname(os.path.abspath(__file__))
os.makedirs(os.path.join(HERE, "grading"), exist_ok=True)

c.CourseDirectory.course_id = "mlcourse"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "grading", "gradebook.db")
# Data files written by lessons or learners are not part of a submission.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.csv.bak"]

# Autograding: a hostile or broken submission must not stall or take down the run.
c.Execute.timeout = 60  # seconds per cell; an infinite loop is interrupted and scored zero
c.Execute.interrupt_on_timeout = True  # (SandboxedExecute is an Execute: these apply to it)
c.LimitOutput.max_lines = 1000  # a runaway print is truncated, not stored whole
c.LimitOutput.max_traceback = 100

# Feedback must never show hidden tests: nbgrader restores them before autograding and its
# feedback shows every cell, and an error's traceback quotes the lines around the failure.
# HideHiddenTests removes the hidden regions and replaces those cells' tracebacks.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "mlcourse.grading.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Student code is hostile: every autograding kernel (nbgrader autograde, the formgrader's
# Autograde button, python -m mlcourse autograde) runs in a bubblewrap sandbox that sees only
# its submission folder and the Python environment, with no network and the limits below.
# Without a sandbox autograding refuses; c.Sandbox.unsafe = True overrides that, and every
# feedback page then says so. See mlcourse/grading/sandbox.py.
c.Sandbox.memory_limit = 4 * 1024**3  # bytes of address space per process
c.Sandbox.cpu_time_limit = 600  # CPU seconds per process; past it the kernel is stopped
c.Sandbox.max_processes = 256  # processes and threads per sandbox (a fork bomb stops here)
c.Sandbox.max_open_files = 1024
c.Sandbox.unsafe = False

c.Autograde.autograde_preprocessors = [
    "mlcourse.grading.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "mlcourse.grading.LimitOutputSize",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# A student who deletes a test cell gets it back from the gradebook, and it is autograded.
c.OverwriteCells.add_missing_cells = True
