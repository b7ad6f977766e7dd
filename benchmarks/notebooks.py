"""Time each lesson notebook in a fresh kernel and measure the kernel's peak memory.

Usage: ``python benchmarks/notebooks.py [NOTEBOOK ...] [--timeout 600] [--seeds 0 1 2 3 4]``
``python benchmarks/notebooks.py --write-guide docs/teaching-timings.md``

With no arguments, runs every ``notebooks/*.ipynb`` in order. With ``--seeds``, runs every
lesson (``notebooks/0N_*.ipynb``, N >= 1, or the notebooks given) once per seed, with the
parameters the claims tests use (``tests/claims/conftest.py``: seed 0 as committed, other seeds
with the lesson's documented shrinks), and prints, after the table of runs, the total seconds per
lesson and per seed: what ``tests/claims`` costs. Its notebook runs are split over the 2 pytest
workers, so on 2 idle cores its wall time is about half the grand total.

Each notebook runs top to bottom with nbclient in a new kernel whose working directory is the
notebook's folder, as in JupyterLab's "Restart Kernel and Run All Cells". The notebooks are read,
never written: outputs stay in memory and are thrown away.

Prints one Markdown table row per notebook:

- ``total s``: wall time from the start of the first cell to the end of the last (kernel start
  not included; it is printed separately as ``start s``);
- the slowest cell: its index in the notebook (0-based, Markdown cells counted), its seconds and
  the first line of its source;
- ``peak MiB``: the largest resident memory (RSS) of the kernel and every process it started
  (servers, joblib workers), sampled every 50 ms; on Linux also the kernel's own high-water mark
  (``VmHWM``), which catches spikes shorter than a sample;
- ``stderr``: the number of cells that wrote to stderr (warnings; the browser test fails on them).

With ``--write-guide PATH``, runs every notebook (or the notebooks given) as committed and, after
the usual table, writes PATH: the timings of the teacher's guide (``docs/teaching.md``). One row
per lesson: the total seconds, the three slowest cells (named by the heading of their section,
since cell numbers move), the peak memory, when it was timed, the machine (CPUs and the load
average as the run started, marked *busy* when other work shared the machine) and a hash of the
notebook's code cells. Rows of lessons not given on the command line are kept from PATH, so one
changed lesson can be re-timed alone. ``tests/docs/test_teaching.py`` fails when a notebook's
code no longer matches its recorded hash, so the guide's timings cannot go stale silently:
re-run this command (on an idle machine) when it does.

The ``!`` column flags a notebook over the course's targets on an idle 2-core machine: total
over 60 s, a cell over 10 s, peak over 1024 MiB, any stderr output, or an error. Timings on a
busy machine are inflated. This is a measurement, not a test: the exit code is always 0.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TOTAL_S, CELL_S, PEAK_MIB = 60.0, 10.0, 1024.0
MIB = 1024 * 1024
EMPTY_ROW = {
    "notebook": "",
    "cells": 0,
    "start": 0.0,
    "total": 0.0,
    "slow_index": None,
    "slow_s": 0.0,
    "slow_src": "",
    "peak": 0.0,
    "stderr": 0,
    "error": "",
}


def _high_water_mark(pid: int) -> int:
    """A process's peak RSS in bytes where the platform records it (Linux, Windows), else 0."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return int(getattr(psutil.Process(pid).memory_info(), "peak_wset", 0))
    except psutil.Error:
        return 0


class MemorySampler(threading.Thread):
    """Sample the summed RSS of this process's descendants (the kernel and its children)."""

    def __init__(self, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = 0
        self._stop_event = threading.Event()
        self._me = psutil.Process()

    def sample(self) -> None:
        total, hwm = 0, 0
        for proc in self._me.children(recursive=True):
            try:
                total += proc.memory_info().rss
            except psutil.Error:  # it exited between listing and reading
                continue
            hwm = max(hwm, _high_water_mark(proc.pid))
        self.peak = max(self.peak, total, hwm)

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self.sample()
        self._stop_event.set()
        self.join()


def _first_line(source: str, width: int = 40) -> str:
    line = next((s.strip() for s in source.splitlines() if s.strip()), "")
    line = line if len(line) <= width else line[: width - 1] + "\u2026"
    return line.replace("|", "\\|").replace("`", "'")


def run_notebook(
    path: Path, timeout: int, kernel_name: str | None, parameters: dict | None = None
) -> dict:
    """Execute one notebook in memory and return its measurements.

    ``parameters`` are injected after the cell tagged ``parameters``, as papermill does.
    """
    row = {**EMPTY_ROW, "notebook": path.name}
    nb = nbformat.read(path, as_version=4)
    if parameters is not None:
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        nb = parameterize_notebook(load_notebook_node(str(path)), parameters)
    row["cells"] = sum(c.cell_type == "code" and bool(c.source.strip()) for c in nb.cells)
    name = kernel_name or nb.metadata.get("kernelspec", {}).get("name") or "python3"
    started: dict[int, float] = {}
    seconds: dict[int, float] = {}

    def on_cell_execute(cell, cell_index):
        started[cell_index] = time.perf_counter()

    def on_cell_executed(cell, cell_index, execute_reply):
        seconds[cell_index] = time.perf_counter() - started[cell_index]

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=name,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_execute=on_cell_execute,
        on_cell_executed=on_cell_executed,
    )
    sampler = MemorySampler()
    sampler.start()
    t0 = time.perf_counter()
    try:
        client.execute()
    except Exception as exc:  # a failing cell, a timeout or a dead kernel: report, carry on
        message = " ".join(str(getattr(exc, "ename", "") or type(exc).__name__).split())
        failed = max(started, default=-1)
        row["error"] = f"{message} in cell {failed}" if failed >= 0 else message
    finally:
        sampler.stop()
    wall = time.perf_counter() - t0
    if started:
        last = max(started)
        end = started[last] + seconds.get(last, time.perf_counter() - started[last])
        row["total"] = min(end - min(started.values()), wall)
        row["start"] = min(started.values()) - t0
    else:
        row["total"], row["start"] = 0.0, wall
    slow = max(seconds, key=seconds.get, default=None)
    row["slow_index"] = slow
    row["slow_s"] = seconds.get(slow, 0.0) if slow is not None else 0.0
    row["slow_src"] = _first_line(nb.cells[slow].source) if slow is not None else ""
    row["peak"] = sampler.peak / MIB
    row["cell_seconds"] = dict(seconds)
    row["stderr"] = sum(
        any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in c.outputs)
        for c in nb.cells
        if c.cell_type == "code"
    )
    return row


def flags(row: dict) -> str:
    out = []
    if row["total"] > TOTAL_S:
        out.append("total")
    if row["slow_s"] > CELL_S:
        out.append("cell")
    if row["peak"] > PEAK_MIB:
        out.append("memory")
    if row["stderr"]:
        out.append("stderr")
    if row["error"]:
        out.append("error")
    return "! " + ", ".join(out) if out else ""


def markdown(rows: list[dict]) -> str:
    head = [
        "notebook",
        "code cells",
        "start s",
        "total s",
        "slowest cell",
        "cell s",
        "source",
        "peak MiB",
        "stderr",
        "!",
        "error",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    for r in rows:
        cells = [
            r["notebook"],
            str(r["cells"]),
            f"{r['start']:.1f}",
            f"{r['total']:.1f}",
            "" if r["slow_index"] is None else str(r["slow_index"]),
            f"{r['slow_s']:.1f}",
            f"`{r['slow_src']}`" if r["slow_src"] else "",
            f"{r['peak']:.0f}",
            str(r["stderr"]),
            flags(r),
            r["error"].replace("|", "\\|"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def per_seed_table(rows: list[dict], seeds: list[int]) -> str:
    """Total seconds (kernel start included) per lesson and seed, with row and column sums."""
    lessons = list(dict.fromkeys(r["notebook"] for r in rows))
    seconds = {(r["notebook"], r["seed"]): r["start"] + r["total"] for r in rows}
    head = ["lesson", *[f"seed {s}" for s in seeds], "all seeds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    for lesson in lessons:
        values = [seconds.get((lesson, s), 0.0) for s in seeds]
        lines.append(
            f"| {lesson} | " + " | ".join(f"{v:.1f}" for v in [*values, sum(values)]) + " |"
        )
    totals = [sum(seconds.get((lesson, s), 0.0) for lesson in lessons) for s in seeds]
    lines.append("| all lessons | " + " | ".join(f"{v:.1f}" for v in [*totals, sum(totals)]) + " |")
    return "\n".join(lines)


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


GUIDE_HEADER = """# Lesson timings (generated)

<!-- Generated by `python benchmarks/notebooks.py --write-guide docs/teaching-timings.md`; do not
edit. tests/docs/test_teaching.py checks each row's code hash against the notebook. -->

Each lesson run top to bottom in a fresh kernel, as committed (seed 0), by
`python benchmarks/notebooks.py --write-guide docs/teaching-timings.md` (give it notebooks to
re-time only those; the other rows are kept). The course's targets are for an idle 2-core
machine: a lesson in about {total:.0f} s, no cell over {cell:.0f} s, peak memory under
{peak:.0f} MiB.
A 1-minute load average near or above the number of CPUs (marked *busy*) means other work
shared the machine and inflated every time in that row: re-time it on an idle machine.

The slowest cells are named by the heading of the section they are in (cell numbers move).
Before class, pre-run a lesson (`make demo LESSON=N`) if its slowest cells would make the room
wait. `total s` includes the kernel's start; `code hash` is of the notebook's code cells when it
was timed: when a lesson's code changes, the test asks for a new run.

""" + (
    "| lesson | total s | slowest cells (section: seconds) | peak MiB | ! | timed (UTC) | machine"
    " | code hash |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
)
GUIDE_ROW = re.compile(r"^\| (\d\d_\w+) \|.*\|$", re.M)


def guide_row(row: dict, path: Path) -> str:
    """One row of ``docs/teaching-timings.md``: a lesson's timings, machine and code hash."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from teaching import cell_sections, code_hash

    sections = cell_sections(nbformat.read(path, as_version=4))
    seconds = row.get("cell_seconds", {})
    slowest = sorted(seconds, key=seconds.get, reverse=True)[:3]
    cells = "; ".join(f"§ {sections[i] or '(top)'}: {seconds[i]:.1f}" for i in slowest)
    problem = flags(row) + (f" ({row['error']})" if row["error"] else "")
    load = row.get("load", "?")
    try:
        busy = float(load.split(",")[0]) >= 0.5 * (os.cpu_count() or 1)
    except ValueError:
        busy = False
    machine = f"{os.cpu_count()} CPUs, load {load}" + (" *busy*" if busy else "")
    cols = [
        path.stem,
        f"{row['start'] + row['total']:.1f}",
        cells,
        f"{row['peak']:.0f}",
        problem,
        row.get("timed", ""),
        machine,
    ]
    return "| " + " | ".join(c.replace("|", "/") for c in cols) + f" | `{code_hash(path)}` |"


def write_guide(path: Path, timed: list[tuple[dict, Path]]) -> None:
    """Write the guide's timings: re-timed lessons replace their rows, the others are kept."""
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    rows = {m.group(1): m.group(0) for m in GUIDE_ROW.finditer(old)}
    rows.update({nb.stem: guide_row(row, nb) for row, nb in timed})
    existing = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    body = "\n".join(rows[name] for name in sorted(rows) if name in existing)
    header = GUIDE_HEADER.format(total=TOTAL_S, cell=CELL_S, peak=PEAK_MIB)
    path.write_text(header + body + "\n", encoding="utf-8")


def run_seeds(paths: list[Path], seeds: list[int], timeout: int, kernel: str | None) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.claims.conftest import parameters_for

    rows = []
    for path in paths:
        for seed in seeds:
            params = {"SEED": seed, **parameters_for(path.stem, seed), "RESULTS_PATH": None}
            print(f"running {path.name} with {params} ...", file=sys.stderr, flush=True)
            try:
                row = run_notebook(path.resolve(), timeout, kernel, params)
            except Exception as exc:  # no parameters cell, missing kernel: report, carry on
                row = {**EMPTY_ROW, "notebook": path.name, "error": f"{type(exc).__name__}: {exc}"}
            row["notebook"] = f"{path.stem} seed {seed}"
            rows.append({**row, "seed": seed, "lesson": path.name})
    print(markdown(rows))
    print()
    print(per_seed_table([{**r, "notebook": r["lesson"]} for r in rows], seeds))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (600)")
    parser.add_argument("--kernel", default=None, help="kernel name (the notebook's own)")
    parser.add_argument(
        "--seeds", nargs="+", type=int, default=None, help="run each lesson once per seed"
    )
    parser.add_argument(
        "--write-guide",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the teacher's guide timings to PATH (docs/teaching-timings.md)",
    )
    args = parser.parse_args(argv)
    if args.write_guide is not None and args.seeds is not None:
        parser.error("--write-guide times each lesson as committed: do not combine it with --seeds")
    if args.seeds is not None:
        lessons = args.notebooks or sorted((ROOT / "notebooks").glob("0[1-9]_*.ipynb"))
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print(f"no notebooks found in {ROOT / 'notebooks'}")
        return 0

    load = _load()
    print(
        f"Python {platform.python_version()} on {platform.system()}, "
        f"{os.cpu_count()} CPUs, load average {load}. "
        f"Targets: total <= {TOTAL_S:.0f} s, every cell <= {CELL_S:.0f} s, "
        f"peak <= {PEAK_MIB:.0f} MiB, no stderr.\n",
        flush=True,
    )
    if args.seeds is not None:
        run_seeds(lessons, args.seeds, args.timeout, args.kernel)
        return 0
    rows = []
    for path in paths:
        if not path.is_file():
            rows.append({**EMPTY_ROW, "notebook": str(path), "error": "no such notebook file"})
            continue
        print(f"running {path} ...", file=sys.stderr, flush=True)
        context = {"load": _load(), "timed": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
        try:
            rows.append({**run_notebook(path.resolve(), args.timeout, args.kernel), **context})
        except Exception as exc:  # unreadable notebook, missing kernel: report and carry on
            rows.append(
                {**EMPTY_ROW, "notebook": path.name, "error": f"{type(exc).__name__}: {exc}"}
            )
    if rows:
        print(markdown(rows))
    if args.write_guide is not None:
        timed = [(r, p.resolve()) for r, p in zip(rows, paths) if p.is_file()]
        write_guide(args.write_guide, timed)
        print(f"\nwrote {args.write_guide}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
