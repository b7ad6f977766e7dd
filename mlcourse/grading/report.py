"""Progress bar and summary table for ``python -m mlcourse autograde``."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from dataclasses import dataclass


@dataclass
class Outcome:
    """What happened to one student's submission."""

    student: str
    status: str  # "graded", "failed", "skipped" or "interrupted"
    seconds: float = 0.0
    score: float | None = None
    max_score: float | None = None
    problem: str = ""
    save_seconds: float = 0.0  # time this process spent writing the grades


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Progress:
    """One status line on stderr: a bar, students done, failures, running, time left.

    On a terminal the line is redrawn in place; otherwise (a log file, CI) one line is printed
    per finished student.
    """

    def __init__(self, total: int, stream=None, width: int = 24):
        self.total, self.width = total, width
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.monotonic()
        self.done = self.failed = self.running = 0

    def line(self) -> str:
        finished = self.done + self.failed
        filled = int(self.width * finished / self.total) if self.total else self.width
        elapsed = time.monotonic() - self.start
        left = ""
        if finished and finished < self.total:
            left = f" · ~{clock(elapsed / finished * (self.total - finished))} left"
        return (
            f"[{'#' * filled}{'-' * (self.width - filled)}] {finished}/{self.total} done · "
            f"{self.failed} failed · {self.running} running · {clock(elapsed)}{left}"
        )

    def update(self, finished_one: bool = False) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + self.line())
            self.stream.flush()
        elif finished_one:
            print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _points(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def summary_table(outcomes: list[Outcome]) -> str:
    """A plain-text table: student, status, score, max, seconds, what went wrong."""
    head = ["student", "status", "score", "max", "time s", "problem"]
    rows = [
        [
            o.student,
            o.status,
            _points(o.score),
            _points(o.max_score),
            f"{o.seconds:.1f}" if o.seconds else "",
            o.problem,
        ]
        for o in sorted(outcomes, key=lambda o: o.student)
    ]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head) - 1)]

    def fmt(row):
        cells = [
            str(c).ljust(w) if i in (0, 1) else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths))
        ]
        return "  ".join(cells + [row[-1]]).rstrip()

    lines = [fmt(head), fmt(["-" * w for w in widths] + ["-------"])]
    lines += [fmt(r) for r in rows]
    return "\n".join(lines)


def events_notes(path: str) -> list[str]:
    """The sandbox's notes about one submission (JSON lines written by SandboxedExecute)."""
    if not os.path.exists(path):
        return []
    notes = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            e = json.loads(line)
            where = (
                f"{e['notebook']} cell {e['cell']}" if e.get("cell") is not None else e["notebook"]
            )
            notes.append(f"{where}: {e['message']}")
    return notes


def worker_problem(code: int, log: str) -> str:
    """What went wrong with a worker that exited with ``code``, from its log."""
    if code < 0:
        return f"the worker was killed ({signal.Signals(-code).name})"
    try:
        with open(log, encoding="utf-8", errors="replace") as fh:
            text = fh.read()[-20000:]
    except OSError:
        text = ""
    errors = re.findall(r"^\s*(\w+(?:\.\w+)*(?:Error|Exception|Unavailable)\b: .+)$", text, re.M)
    if errors:
        return errors[-1].strip()[:300]
    if "became unresponsive" in text:
        return "the kernel became unresponsive"
    return f"nbgrader autograde exited with status {code} (log: {log})"
