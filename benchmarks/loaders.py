"""SpamAssassin loader throughput: messages per second, one core and in parallel.

Loads the real corpus (6,046 messages) from the data home (``python -m mlcourse data
spamassassin`` puts it there) or from a folder given on the command line, best of a few
repeats, with warm file caches. Two floors measured in the same run put the loader's numbers
in proportion (the "x ... time" columns): reading the files' bytes, and :mod:`email` parsing
them with nothing else. The ratios hold better than the rates on a busy machine. The target is
at least 1,000 messages per second on one core. Run:
``python benchmarks/loaders.py [FOLDER]``.
"""

from __future__ import annotations

import email
import email.policy
import os
import sys
import time
from pathlib import Path

from mlcourse.data import load_spamassassin
from mlcourse.data.fetch import find_spamassassin
from mlcourse.data.loaders import _corpus_files

TARGET = 1_000
REPEATS = 3


def _files(folder: Path) -> list[Path]:
    return [f for f, _, _ in _corpus_files(folder)[0]]


def read_bytes(files):
    return [f.read_bytes() for f in files]


def email_parse(files):
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.compat32) for f in files]


def best(fn) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else find_spamassassin()
    if folder is None:
        sys.exit(
            "no SpamAssassin corpus in the data home: run `python -m mlcourse data spamassassin`"
        )
    files = _files(folder)
    n = len(load_spamassassin(folder))  # also warms the file cache
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    one_core = {cores[0]} if cores else None

    rows = []

    def case(name, fn, pinned):
        if one_core is not None:
            os.sched_setaffinity(0, one_core if pinned else set(cores))
        rows.append((name, "1" if pinned else str(len(cores) or os.cpu_count()), best(fn)))

    case("read the files' bytes (floor)", lambda: read_bytes(files), True)
    case("email.message_from_bytes only (floor)", lambda: email_parse(files), True)
    case("load_spamassassin(n_jobs=None)", lambda: load_spamassassin(folder), True)
    case("load_spamassassin(n_jobs=-1)", lambda: load_spamassassin(folder, n_jobs=-1), False)

    floor, parse_floor = rows[0][2], rows[1][2]
    print(f"SpamAssassin loader, {n:,} messages in {folder}, best of {REPEATS}, warm cache")
    print(
        f"| {'case':<38} | cores | {'seconds':>7} | {'messages/s':>10} | x read time "
        f"| x parse time | target {TARGET:,}/s |"
    )
    print(f"|{'-' * 40}|-------|{'-' * 9}|{'-' * 12}|-------------|--------------|{'-' * 16}|")
    for name, used, seconds in rows:
        rate = n / seconds
        target = ("yes" if rate >= TARGET else "NO") if name.startswith("load") else ""
        print(
            f"| {name:<38} | {used:>5} | {seconds:7.3f} | {rate:10,.0f} | {seconds / floor:11.1f} "
            f"| {seconds / parse_floor:12.1f} | {target:<14} |"
        )


if __name__ == "__main__":
    main()
