"""The parallel command's scheduling and its split of nbgrader's work (fast, no kernel)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from traitlets.config import Config, PyFileConfigLoader

from mlcourse.grading.parallel import AutogradeError, _schedule, _split_preprocessors
from mlcourse.grading.report import Outcome, Progress

ROOT = Path(__file__).resolve().parents[2]


class _Proc:
    def __init__(self, sentinel: int):
        self.sentinel = sentinel


class _Job:
    def __init__(self, student: str, ticks: int, sentinel: int):
        self.student, self.ticks, self.proc, self.killed = student, ticks, _Proc(sentinel), ""


class _FakeRun:
    """A stand-in for ``_Run``: jobs end after a number of polls; saving is recorded."""

    def __init__(self, ticks: dict[str, int], jobs: int = 2, ends_during_save=None):
        self.jobs, self.ticks, self.interrupted = jobs, ticks, False
        self.running: dict[str, _Job] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.events: list[tuple[str, str]] = []
        self.ends_during_save = ends_during_save or {}  # saving X makes Y end
        read, write = os.pipe()
        os.write(write, b"x")  # always ready: the loop never sleeps in these tests
        self._fds = (read, write)

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)

    def launch(self, student: str) -> None:
        self.events.append(("launch", student))
        sentinel = os.dup(self._fds[0])  # one file descriptor per worker, as real sentinels
        self._fds += (sentinel,)
        self.running[student] = _Job(student, self.ticks[student], sentinel)

    def poll(self) -> list[_Job]:
        ended = []
        for student, job in list(self.running.items()):
            job.ticks -= 1
            if job.ticks <= 0:
                del self.running[student]
                ended.append(job)
        return ended

    def finish(self, job: _Job) -> Outcome:
        self.events.append(("save", job.student))
        other = self.ends_during_save.get(job.student)
        if other in self.running:
            self.running[other].ticks = 0
        return Outcome(job.student, "graded", 1.0, 1, 1)

    def _stop(self, job, why):  # pragma: no cover - not interrupted here
        job.killed = why


def _run(ticks, **kw) -> list[tuple[str, str]]:
    run = _FakeRun(ticks, **kw)
    try:
        _schedule(run, list(ticks), Progress(len(ticks), stream=io.StringIO()))
    finally:
        run.close()
    assert sorted(run.outcomes) == sorted(ticks), "every student graded once"
    return run.events


def test_the_next_student_starts_before_the_last_one_is_saved():
    events = _run({"ann": 1, "bob": 3, "cat": 3, "dan": 3})
    # ann ends first: cat must be running while this process saves ann's grades, or one of
    # the two cores idles for the length of the save
    assert events.index(("launch", "cat")) < events.index(("save", "ann")), events
    assert events.index(("launch", "dan")) < events.index(("save", "bob")), events


def test_a_worker_that_ends_during_a_save_is_replaced_before_the_next_save():
    events = _run({"ann": 1, "bob": 5, "cat": 5, "dan": 5}, ends_during_save={"ann": "bob"})
    assert events[:4] == [
        ("launch", "ann"),
        ("launch", "bob"),
        ("launch", "cat"),
        ("save", "ann"),
    ], events
    assert events.index(("launch", "dan")) < events.index(("save", "bob")), events


def test_never_more_workers_than_jobs():
    run = _FakeRun({s: 2 for s in "abcdefg"}, jobs=3)
    most = 0
    launch = run.launch

    def counting(student):
        nonlocal most
        launch(student)
        most = max(most, len(run.running))

    run.launch = counting
    try:
        _schedule(run, list("abcdefg"), Progress(7, stream=io.StringIO()))
    finally:
        run.close()
    assert most == 3 and len(run.outcomes) == 7


def test_workers_execute_and_this_process_saves():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    run, save = _split_preprocessors(config)
    assert run[0] == "mlcourse.grading.SandboxedExecute"
    assert save[0] == "nbgrader.preprocessors.SaveAutoGrades"
    assert run + save == list(config.Autograde.autograde_preprocessors)


def test_a_configuration_without_saveautogrades_is_refused():
    config = Config()
    config.Autograde.autograde_preprocessors = ["mlcourse.grading.SandboxedExecute"]
    with pytest.raises(AutogradeError, match="SaveAutoGrades"):
        _split_preprocessors(config)


def test_the_command_imports_nbgrader_only_after_its_fork_server_has_started():
    import subprocess
    import sys

    # The fork server imports nbgrader (seconds) while this process does: an eager import in
    # the package made the command pay for the two one after the other.
    code = (
        "import sys, mlcourse.grading.parallel\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'nbgrader', 'nbclient'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", (
        f"importing the command imports {out.stdout.strip()}: does mlcourse/grading/__init__.py "
        "import a submodule eagerly again?"
    )
