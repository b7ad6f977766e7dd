"""``python -m mlcourse autograde``: a whole class, in parallel, into the one gradebook.

nbgrader autogrades one submission after another (its issue #174). Here N worker processes
execute submissions at once, and **only this process writes the gradebook**:

1. For each student a worker process (:mod:`mlcourse.grading.worker`, forked from a server
   that has imported nbgrader once) runs nbgrader's own ``autograde`` (the course's
   configuration, the sandbox included) on that one submission, against a private snapshot of
   the gradebook and into a private staging folder, with the configured autograde
   preprocessors up to ``SaveAutoGrades`` (execution and the output filters). The snapshot
   gives nbgrader the source cells it restores; whatever the worker writes into it is thrown
   away.
2. When the worker has finished, this process starts the next student's worker, then saves the
   result into the real gradebook (:mod:`mlcourse.grading.saving`) by running nbgrader's
   ``Autograde`` again on the executed notebooks, with only the preprocessors from
   ``SaveAutoGrades`` on (grades, late penalty, metadata check). The gradebook therefore
   holds exactly what a serial ``nbgrader autograde`` would have written.

Why one writer rather than merging per-worker databases: SQLite allows one writer at a time,
and nbgrader keeps sessions open across reads and writes, so concurrent writers get "database is
locked"; a merge would have to copy nbgrader's schema row by row and follow its changes. With
one writer there is nothing to lock or merge, and saving a student takes a fraction of a second
next to executing their notebook.

Crash safety: a worker that crashes, times out or is killed loses only its own student, whose
gradebook entries were never touched; that student is reported and graded on the next run.
Ctrl-C stops the workers, lets a save in progress finish, and leaves every saved student
complete. A student's save is marked in progress by a file written before and removed after it;
a run that finds such a mark (the process was killed while saving) regrades that student. Like
``nbgrader autograde``, a rerun skips students already autograded unless their submission is
newer or ``--force`` is given, so rerunning the command continues where it stopped.
"""

from __future__ import annotations

import contextlib
import glob
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import shutil
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass, field

from mlcourse.grading.report import (
    Outcome,
    Progress,
    clock,
    events_notes,
    summary_table,
    worker_problem,
)
from mlcourse.grading.saving import SaveError, Saver

__all__ = ["autograde", "Outcome"]

STAGING = ".mlcourse-autograde"
DEFAULT_TIMEOUT = 3600  # seconds per student, whatever the notebooks do
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


class AutogradeError(RuntimeError):
    """A problem with the course setup; nothing was graded."""


@dataclass
class _Job:
    student: str
    proc: multiprocessing.process.BaseProcess
    started: float
    log: str
    snapshot: str
    events: str
    killed: str = ""
    problems: list[str] = field(default_factory=list)


def _load_app(extra: list[str]):
    from nbgrader.apps.autogradeapp import AutogradeApp

    if not os.path.exists("nbgrader_config.py"):
        raise AutogradeError("run this in the course root (the folder with nbgrader_config.py)")
    app = AutogradeApp()
    app.initialize(["--log-level=ERROR", *extra])
    return app


def _sqlite_path(db_url: str) -> str:
    if not db_url.startswith("sqlite:///"):
        raise AutogradeError(f"only SQLite gradebooks are supported; got {db_url}")
    return os.path.abspath(db_url[len("sqlite:///") :])


def _split_preprocessors(config) -> tuple[list, list]:
    """The configured autograde preprocessors before SaveAutoGrades, and from it on.

    The first part (execution and the output filters) runs in the workers; the second (the
    gradebook writers: grades, late penalty, metadata check) runs here, once per student.
    """
    from nbgrader.converters import Autograde
    from traitlets.utils.importstring import import_item

    listed = list(Autograde(config=config).autograde_preprocessors)
    names = [p if isinstance(p, str) else f"{p.__module__}.{p.__name__}" for p in listed]
    for i, name in enumerate(names):
        cls = import_item(name) if isinstance(listed[i], str) else listed[i]
        if cls.__name__ == "SaveAutoGrades" or any(
            b.__name__ == "SaveAutoGrades" for b in cls.__mro__
        ):
            return listed[:i], listed[i:]
    raise AutogradeError("c.Autograde.autograde_preprocessors has no SaveAutoGrades")


class _Run:
    def __init__(self, assignment, jobs, students, force, unsafe, timeout, stream):
        self._ctx = None
        # The fork server imports nbgrader (seconds) while this process loads the configuration.
        self._context()
        multiprocessing.forkserver.ensure_running()
        extra = ["--Sandbox.unsafe=True"] if unsafe else []
        self.app = _load_app(extra)
        self.extra = extra
        self.cd = self.app.coursedir
        self.root = os.path.abspath(self.cd.root)
        self.assignment = assignment
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        self.jobs = max(1, jobs or cores or 1)
        # N kernels that each start a BLAS/OpenMP thread per core oversubscribe the machine
        # (2 workers on 2 cores ran no faster than 1): each worker gets its share of the cores.
        self.threads = max(1, (cores or 1) // self.jobs)
        self.force = force
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.stream = stream
        self.db = _sqlite_path(self.cd.db_url)
        grading = os.path.dirname(os.path.join(self.root, self.cd.autograded_directory))
        self.staging = os.path.join(grading, STAGING, assignment)
        self.work = os.path.join(self.staging, "work")
        self.wanted = list(students or [])
        self.interrupted = False
        self.running: dict[str, _Job] = {}
        self.outcomes: dict[str, Outcome] = {}

    # -------------------------------------------------------------- setup

    def check(self) -> None:
        from nbgrader.api import Gradebook, MissingEntry

        from mlcourse.grading.sandbox import Sandbox

        sandbox = Sandbox(config=self.app.config)
        if not sandbox.unsafe:
            sandbox.check()
        if not os.path.exists(self.db):
            raise AutogradeError(f"no gradebook at {self.db}: run nbgrader generate_assignment")
        with Gradebook(self.cd.db_url) as gb:
            try:
                gb.find_assignment(self.assignment)
            except MissingEntry:
                raise AutogradeError(
                    f"assignment {self.assignment!r} is not in the gradebook: run "
                    f"nbgrader generate_assignment {self.assignment}"
                ) from None
        self.run_preprocessors, save = _split_preprocessors(self.app.config)
        self.saver = Saver(self.app.config, self.cd, self.assignment, self.staging, save)

    def recover(self) -> None:
        self.saver.recover(self.stream)

    def students(self) -> list[str]:
        pattern = self.cd.format_path(self.cd.submitted_directory, "*", self.assignment)
        found = sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(pattern))
        if self.wanted:
            missing = sorted(set(self.wanted) - set(found))
            if missing:
                raise AutogradeError(f"no submission of {self.assignment} for: {missing}")
            found = [s for s in found if s in self.wanted]
        todo = []
        for student in found:
            if not self.force and self._up_to_date(student):
                self.outcomes[student] = self.saver.outcome(student, "skipped", 0.0, "")
            else:
                todo.append(student)
        return todo

    def _up_to_date(self, student: str) -> bool:
        # nbgrader's rule: an existing autograded copy is kept unless the submission is newer
        if not os.path.exists(self.saver.dest(student)):
            return False
        new = self.cd.get_existing_timestamp(self.saver.src(student))
        old = self.cd.get_existing_timestamp(self.saver.dest(student))
        return not (new is not None and old is not None and new > old)

    # -------------------------------------------------------------- workers

    def _context(self):
        if self._ctx is None:
            self._ctx = multiprocessing.get_context("forkserver")
            self._ctx.set_forkserver_preload(["mlcourse.grading.worker"])
        return self._ctx

    def launch(self, student: str) -> None:
        from mlcourse.grading.worker import grade_one

        snapshot = os.path.join(self.staging, "work", f"{student}.db")
        with sqlite3.connect(self.db) as src, sqlite3.connect(snapshot) as dst:
            src.backup(dst)  # consistent: this process is the gradebook's only writer
        events = os.path.join(self.staging, "work", f"{student}.events")
        log = os.path.join(self.staging, "logs", f"{student}.log")
        env = {
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
            "MLCOURSE_GRADING_EVENTS": events,
        }
        for var in THREAD_VARS:  # the instructor's own setting wins
            env[var] = os.environ.get(var, str(self.threads))
        argv = [
            self.assignment,
            f"--student={student}",
            "--force",
            "--log-level=WARN",
            f"--CourseDirectory.db_url=sqlite:///{snapshot}",
            f"--CourseDirectory.autograded_directory={self.work}",
            *self.extra,
        ]
        proc = self._context().Process(
            target=grade_one,
            args=(self.root, argv, log, env, self.run_preprocessors),
            name=f"autograde {student}",
        )
        proc.start()
        self.running[student] = _Job(student, proc, time.monotonic(), log, snapshot, events)

    def _stop(self, job: _Job, why: str) -> None:
        job.killed = why
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 30)):
            try:
                os.killpg(job.proc.pid, sig)  # the worker and what it started
            except ProcessLookupError:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(job.proc.pid, sig)  # not yet in its own session
            job.proc.join(wait)
            if job.proc.exitcode is not None:
                break

    def poll(self) -> list[_Job]:
        finished = []
        for student, job in list(self.running.items()):
            if job.proc.exitcode is None and time.monotonic() - job.started > self.timeout:
                self._stop(job, f"timed out after {self.timeout} s")
            if job.proc.exitcode is not None:
                job.proc.join()
                del self.running[student]
                finished.append(job)
        return finished

    # -------------------------------------------------------------- saving

    def finish(self, job: _Job) -> Outcome:
        seconds = time.monotonic() - job.started
        staged = os.path.join(self.work, job.student, self.assignment)
        notes = events_notes(job.events)
        try:
            if job.killed:
                raise _Failed(job.killed)
            if job.proc.exitcode:
                raise _Failed(worker_problem(job.proc.exitcode, job.log))
            if not glob.glob(os.path.join(staged, "*.ipynb")):
                raise _Failed("the worker produced no graded notebook")
            saving = time.monotonic()
            self.saver.save(job.student, staged)
            saved = time.monotonic() - saving
        except (_Failed, SaveError) as exc:
            return Outcome(job.student, "failed", seconds, problem="; ".join([str(exc), *notes]))
        finally:
            shutil.rmtree(os.path.join(self.work, job.student), ignore_errors=True)
            for path in (job.snapshot, job.events):
                if os.path.exists(path):
                    os.remove(path)
        outcome = self.saver.outcome(job.student, "graded", seconds, "; ".join(notes))
        outcome.save_seconds = saved
        return outcome


class _Failed(Exception):
    pass


def _schedule(run: _Run, queue: list[str], progress: Progress) -> None:
    """Keep ``run.jobs`` workers busy until ``queue`` is empty, saving each result as it ends.

    A save takes 0.1 to 0.2 s in this process (the gradebook's only writer). The free slots are
    filled before each save, and again after it for a worker that ended meanwhile: a slot left
    empty during the saves is a core left idle. Saving first, then waiting on the workers, once
    left a slot empty for 0.3 s per student, about 8% of a class's time on 2 cores.
    """

    def fill() -> None:
        while queue and len(run.running) < run.jobs and not run.interrupted:
            run.launch(queue.pop(0))

    while (queue and not run.interrupted) or run.running:
        fill()
        if run.interrupted:
            for job in list(run.running.values()):
                run._stop(job, "interrupted")
        finished = run.poll()
        fill()
        while finished:
            job = finished.pop(0)
            outcome = run.finish(job)
            if job.killed == "interrupted":
                outcome.status, outcome.problem = "interrupted", "Ctrl-C: not graded"
            run.outcomes[job.student] = outcome
            progress.done += outcome.status == "graded"
            progress.failed += outcome.status == "failed"
            finished += run.poll()  # a worker that ended during the save
            fill()
            progress.running = len(run.running)
            progress.update(finished_one=True)
        progress.running = len(run.running)
        progress.update()
        if run.running:  # wake as soon as a worker ends, or after 0.2 s for the progress bar
            multiprocessing.connection.wait([j.proc.sentinel for j in run.running.values()], 0.2)


def autograde(
    assignment: str,
    jobs: int | None = None,
    students: list[str] | None = None,
    force: bool = False,
    unsafe: bool = False,
    timeout: float | None = None,
    stream=None,
) -> tuple[int, list[Outcome]]:
    """Autograde every submission of ``assignment`` in ``jobs`` parallel sandboxed workers.

    Run in the course root. Returns (exit status, outcomes): 0 when every submission was
    graded or already up to date, 1 when some failed, 130 when interrupted.
    """
    stream = stream or sys.stdout
    run = _Run(assignment, jobs, students, force, unsafe, timeout, stream)
    run.check()
    run.recover()
    todo = run.students()
    progress = Progress(len(todo))

    def stop(signum, frame):
        run.interrupted = True

    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        queue = list(todo)
        _schedule(run, queue, progress)
        for student in queue:
            run.outcomes[student] = Outcome(student, "interrupted", problem="Ctrl-C: not started")
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        progress.close()
    outcomes = list(run.outcomes.values())
    print(summary_table(outcomes), file=stream)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("graded", "skipped", "failed")}
    print(
        f"{counts['graded']} graded, {counts['skipped']} already up to date, "
        f"{counts['failed']} failed in {clock(time.monotonic() - progress.start)} with {run.jobs} "
        f"workers. Max includes the points graded by hand.",
        file=stream,
    )
    if run.interrupted:
        print("Interrupted: run the same command again to continue.", file=stream)
        return 130, outcomes
    return (1 if counts["failed"] else 0), outcomes
