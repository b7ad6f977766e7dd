"""Autograding throughput: serial ``nbgrader autograde`` against ``python -m mlcourse autograde``.

Builds a synthetic class of a1 (``--copies`` honest solutions and as many blank releases,
24 submissions by default) in two temporary courses, grades one with serial
``nbgrader autograde`` (the floor, measured in the same run) and the other with the parallel
command, both in the sandbox, checks that the gradebooks agree, and prints a table of
submissions per second and the speed-up. Target on a 2-core machine: at least 1.6x.

Wall-clock time depends on what else the machine is doing, so it also measures CPU time: the
serial run's, each worker's (its kernel included) and this process's (snapshots and saving
grades, the part that does not parallelise, since it is the gradebook's only writer). From
those it estimates the time on an idle machine with N cores, T(N) = max(worker CPU / N, this
process's CPU), assuming one core per worker and memory for N kernels.

Run: ``python benchmarks/grading.py [--copies 12] [--jobs 2] [--project 16]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOAD = os.getloadavg()
sys.path.insert(0, str(ROOT))

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
    args = parser.parse_args()
    n = 2 * args.copies
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
    with tempfile.TemporaryDirectory(prefix="mlcourse-bench-grading-") as tmp:
        base = Path(tmp)
        serial_course = _course(base, "serial", args.copies)
        parallel_course = _course(base, "parallel", args.copies)

        cpu0 = _cpu(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = nbgrader(serial_course, "autograde", A1, "--create")
        serial = time.perf_counter() - start
        serial_cpu = _cpu(resource.RUSAGE_CHILDREN) - cpu0
        if proc.returncode:
            sys.exit(f"serial nbgrader autograde failed:\n{proc.stderr[-3000:]}")

        self0 = _cpu(resource.RUSAGE_SELF)
        start = time.perf_counter()
        with _cwd(parallel_course), open(os.devnull, "w") as quiet:
            status, outcomes = autograde(A1, jobs=args.jobs, stream=quiet)
        parallel = time.perf_counter() - start
        main_cpu = _cpu(resource.RUSAGE_SELF) - self0
        if status:
            sys.exit(f"parallel autograde failed: {[o for o in outcomes if o.status != 'graded']}")
        same = gradebook_state(serial_course, A1) == gradebook_state(parallel_course, A1)

    worker_cpu = sum(o.cpu_seconds for o in outcomes)
    save = sum(o.save_seconds for o in outcomes)

    def estimate(cores: int) -> float:
        # workers parallelise; this process (snapshots, saving grades) does not
        return max(worker_cpu / cores, main_cpu)

    rows = [
        ("nbgrader autograde (serial, floor)", 1, serial, serial_cpu),
        (f"mlcourse autograde --jobs {args.jobs}", args.jobs, parallel, worker_cpu + main_cpu),
    ]
    print(
        f"autograding {n} submissions of {A1} ({args.copies} honest, {args.copies} blank), "
        f"sandboxed, {os.cpu_count()} cores here, load average before: {LOAD[0]:.1f}"
    )
    head = ("measured", "workers", "seconds", "submissions/s", "speed-up", "CPU s/sub")
    print("| {:<40} | {:>7} | {:>8} | {:>13} | {:>8} | {:>9} |".format(*head))
    print(f"|{'-' * 42}|{'-' * 9}|{'-' * 10}|{'-' * 15}|{'-' * 10}|{'-' * 11}|")
    for name, workers, seconds, cpu in rows:
        print(
            f"| {name:<40} | {workers:>7} | {seconds:>8.1f} | {n / seconds:>13.2f} | "
            f"{serial / seconds:>7.2f}x | {cpu / n:>9.2f} |"
        )
    print()
    print("estimated from CPU time (an idle machine, one core per worker):")
    print(
        "| {:<40} | {:>8} | {:>13} | {:>16} |".format(
            "cores", "seconds", "submissions/s", "speed-up vs serial"
        )
    )
    print(f"|{'-' * 42}|{'-' * 10}|{'-' * 15}|{'-' * 18}|")
    for cores in (1, args.jobs, args.project):
        t = estimate(cores)
        print(f"| {cores:<40} | {t:>8.1f} | {n / t:>13.2f} | {serial_cpu / t:>17.2f}x |")
    print(
        f"per submission: worker {worker_cpu / n:.2f} CPU s, this process {main_cpu / n:.3f} CPU s "
        f"(of which saving grades {save / n:.3f} s wall; the serial part). "
        f"Gradebooks identical: {'yes' if same else 'NO'}. Load average after: "
        f"{os.getloadavg()[0]:.1f}."
    )


def _cpu(who: int) -> float:
    use = resource.getrusage(who)
    return use.ru_utime + use.ru_stime


if __name__ == "__main__":
    main()
