"""Autograding throughput: serial ``nbgrader autograde`` against ``python -m mlcourse autograde``.

Builds a synthetic class of a1 (``--copies`` honest solutions and as many blank releases,
24 submissions by default) in two temporary courses, grades one with serial
``nbgrader autograde`` (the floor, measured in the same run) and the other with the parallel
command, both in the sandbox, checks that the gradebooks agree, and prints a table of
submissions per second and the speed-up. Target on a 2-core machine: at least 1.6x.

It also projects the time on more cores from the measured parts: the time a worker takes per
submission (which parallelises) and the time this process spends saving grades (which does
not: it is the gradebook's only writer), T(N) = max(sum(worker) / N, sum(save)) + the other
overhead measured here. This assumes N real cores, memory for N kernels and no other load; the
worker times are measured with the workers sharing this machine's cores, so it errs low. Timings
depend on what else runs: the table prints the load average.

With ``--one-thread`` it also grades serially with one BLAS/OpenMP thread per kernel, the share
each of two workers gets on two cores: the floor's kernel uses both cores where its libraries
can, so the parallel command's gain on 2 cores is the rest.

Run: ``python benchmarks/grading.py [--copies 12] [--jobs 2] [--project 16] [--one-thread]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOAD = os.getloadavg()
sys.path.insert(0, str(ROOT))

from mlcourse.grading.parallel import THREAD_VARS as THREADS  # noqa: E402
from mlcourse.grading.parallel import autograde  # noqa: E402
from tests.grading.course import gradebook_state, make_course, nbgrader, submit  # noqa: E402
from tests.grading.test_parallel import A1, _a1_class  # noqa: E402


@contextlib.contextmanager
def _cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _course(base: Path, name: str, copies: int) -> Path:
    course = make_course(base / name)
    shutil.copytree(ROOT / "solutions" / A1, course / "solutions" / A1)
    proc = nbgrader(course, "generate_assignment", A1)
    if proc.returncode:
        sys.exit(f"generate_assignment failed:\n{proc.stderr[-3000:]}")
    klass = _a1_class()
    for i in range(copies):
        submit(course, f"honest{i:03d}", A1, klass["alice"])
        submit(course, f"blank{i:03d}", A1, klass["bob"])
    return course


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=12, help="honest and blank copies (12)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel workers (2)")
    parser.add_argument("--project", type=int, default=16, help="cores to project for (16)")
    parser.add_argument(
        "--one-thread",
        action="store_true",
        help="also grade serially with one BLAS/OpenMP thread per kernel, as each worker has",
    )
    args = parser.parse_args()
    n = 2 * args.copies
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
    with tempfile.TemporaryDirectory(prefix="mlcourse-bench-grading-") as tmp:
        base = Path(tmp)
        serial_course = _course(base, "serial", args.copies)
        parallel_course = _course(base, "parallel", args.copies)
        one_course = _course(base, "one-thread", args.copies) if args.one_thread else None

        start = time.perf_counter()
        proc = nbgrader(serial_course, "autograde", A1, "--create")
        serial = time.perf_counter() - start
        if proc.returncode:
            sys.exit(f"serial nbgrader autograde failed:\n{proc.stderr[-3000:]}")

        one = None
        if one_course:
            start = time.perf_counter()
            one_thread = dict.fromkeys(THREADS, "1")
            proc = nbgrader(one_course, "autograde", A1, "--create", env=one_thread)
            one = time.perf_counter() - start
            if proc.returncode:
                sys.exit(f"serial nbgrader autograde (one thread) failed:\n{proc.stderr[-3000:]}")

        start = time.perf_counter()
        with _cwd(parallel_course), open(os.devnull, "w") as quiet:
            status, outcomes = autograde(A1, jobs=args.jobs, stream=quiet)
        parallel = time.perf_counter() - start
        if status:
            sys.exit(f"parallel autograde failed: {[o for o in outcomes if o.status != 'graded']}")
        same = gradebook_state(serial_course, A1) == gradebook_state(parallel_course, A1)

    worker = sum(o.seconds for o in outcomes)
    save = sum(o.save_seconds for o in outcomes)
    # measured overhead: start-up, snapshots, scheduling and the last, unbalanced round
    overhead = max(0.0, parallel - max(worker / args.jobs, save))
    projected = max(worker / args.project, save) + overhead
    rows = [
        ("nbgrader autograde (serial, floor)", 1, serial),
        *([("nbgrader autograde, 1 thread per kernel", 1, one)] if one else []),
        (f"mlcourse autograde --jobs {args.jobs}", args.jobs, parallel),
        (f"projected: --jobs {args.project} on {args.project} cores", args.project, projected),
    ]
    print(
        f"autograding {n} submissions of {A1} ({args.copies} honest, {args.copies} blank), "
        f"sandboxed, {os.cpu_count()} cores here; load average {LOAD[0]:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    head = ("run", "workers", "seconds", "submissions/s", "speed-up")
    print("| {:<40} | {:>7} | {:>8} | {:>13} | {:>8} |".format(*head))
    print(f"|{'-' * 42}|{'-' * 9}|{'-' * 10}|{'-' * 15}|{'-' * 10}|")
    for name, workers, seconds in rows:
        print(
            f"| {name:<40} | {workers:>7} | {seconds:>8.1f} | {n / seconds:>13.2f} | "
            f"{serial / seconds:>7.2f}x |"
        )
    print(
        f"per submission: {serial / n:.2f} s serial; {worker / n:.2f} s in a worker with "
        f"{args.jobs} running; saving grades {save / n:.3f} s (the serial part); other overhead "
        f"{overhead:.1f} s in all. Gradebooks identical: {'yes' if same else 'NO'}."
    )


if __name__ == "__main__":
    main()
