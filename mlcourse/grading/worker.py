"""One worker of ``python -m mlcourse autograde``: nbgrader's ``autograde`` for one student.

Workers are forked from a ``multiprocessing`` fork server that has imported nbgrader once, so a
new worker per student costs milliseconds rather than the second or two nbgrader takes to
import, and each student still gets a process of their own: a worker that crashes or is killed
takes no one else with it. The worker is exactly ``nbgrader autograde ASSIGNMENT --student=ID
--force`` with the overrides the parallel command passes (a private gradebook snapshot and a
staging folder), its output in a log file.
"""

from __future__ import annotations

import os
import sys

import nbgrader.apps.autogradeapp  # noqa: F401 (imported once, in the fork server)

# the preprocessors and the kernel manager the configuration names
import mlcourse.grading.execute  # noqa: F401
import mlcourse.grading.feedback  # noqa: F401

__all__ = ["grade_one"]


def grade_one(
    root: str, argv: list[str], log_path: str, env: dict[str, str], preprocessors: list
) -> None:
    """Run ``nbgrader autograde`` with ``argv`` in ``root``; exit status 1 on failure.

    ``preprocessors`` replaces ``c.Autograde.autograde_preprocessors``: the configured ones
    before ``SaveAutoGrades``. The parallel command runs the rest when it saves the grades,
    so the worker does not write grades into its snapshot only for them to be thrown away.
    """
    os.setsid()  # Ctrl-C in the terminal reaches the parallel command only, which stops us
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.environ.update(env)
    os.chdir(root)
    from nbgrader.apps.autogradeapp import AutogradeApp

    try:
        app = AutogradeApp.instance()
        app.initialize(argv)
        app.config.Autograde.autograde_preprocessors = preprocessors
        app.start()  # sys.exit(1) when a submission could not be graded
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
