"""Benchmark the lesson-5 inference server with 1 and 2 workers, against scikit-learn's floor.

Usage::

    python benchmarks/serve.py                    # about 1.5 minutes
    python benchmarks/serve.py --duration 10      # longer rows, steadier numbers
    python benchmarks/serve.py --workers 1 2 4    # more worker counts

The floor is the lesson's spam model (``CountVectorizer`` + ``LogisticRegression``) called
in-process with scikit-learn's ``predict_proba``: no HTTP, no JSON, one core. Each server row
is ``python -m mlcourse serve --workers N`` on a free 127.0.0.1 port, driven by the raw-HTTP
load generator :func:`mlcourse.serving.load_test` (which runs on the same machine and takes
CPU from the server). "x floor" divides the row's instances per second by the floor's,
measured in the same run; "cpu x floor" divides instances per CPU-second of the server's
processes by the floor's instances per CPU-second (what the server costs per instance: other
load on the machine moves it much less than throughput). The floor is measured again before
each worker count, and the rows of that worker count use the floor measured just before them.

Targets on an idle 2-core machine:

- 1 worker, 1,000-instance batches: at least 0.85x the floor;
- 2 workers, 1,000-instance batches: at least 1.5x one worker;
- single-instance requests at 10 connections: p99 at most 15 ms;
- no failed request while the model is swapped and rolled back under load.

Other processes on the machine make every number lower and noisier: run it on an idle one.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from mlcourse.data import email_text, make_spam_emails
from mlcourse.serving import BackgroundLoad, ServerProcess, load_test, save_model

BATCH = 1000
SINGLE_CONNECTIONS = 10
# the kernel spreads connections over the workers at random: several per worker keeps every
# worker busy even when the split is uneven
BATCH_CONNECTIONS_PER_WORKER = 8
TOKEN = "bench-token"


def floor(model, texts: list[str], batch: int, duration: float) -> dict:
    """In-process predict_proba, one call per ``batch`` instances, for ``duration`` seconds."""
    n, latencies = 0, []
    t_end = time.perf_counter() + duration
    t0, cpu0 = time.perf_counter(), time.process_time()
    while time.perf_counter() < t_end:
        chunk = [texts[(n + j) % len(texts)] for j in range(batch)]
        t = time.perf_counter()
        model.predict_proba(chunk)
        latencies.append((time.perf_counter() - t) * 1000)
        n += batch
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {
        "case": "in-process predict_proba (floor)",
        "workers": 0,
        "connections": 0,
        "instances/request": batch,
        "requests": len(latencies),
        "failed": 0,
        "instances/s": n / seconds,
        "instances/cpu-s": n / cpu,
        "p50 ms": float(np.percentile(latencies, 50)),
        "p99 ms": float(np.percentile(latencies, 99)),
    }


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and its children (the server and its workers)."""
    import psutil

    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def measured(srv: ServerProcess, **kwargs):
    """``load_test`` on ``srv``, and the server's CPU seconds during it."""
    before = cpu_seconds(srv.pid)
    result = load_test(srv.url, **kwargs)
    return result, cpu_seconds(srv.pid) - before


def server_row(case: str, workers: int, result, cpu: float | None = None) -> dict:
    s = result.summary()
    return {
        "case": case,
        "workers": workers,
        "connections": s["connections"],
        "instances/request": s["instances/request"],
        "requests": s["requests"],
        "failed": s["failed"],
        "instances/s": s["instances/s"],
        "instances/cpu-s": (s["requests"] * s["instances/request"] / cpu) if cpu else np.nan,
        "p50 ms": s["p50 ms"],
        "p99 ms": s["p99 ms"],
    }


def measure_server(registry: Path, workers: int, texts: list[str], duration: float) -> list[dict]:
    rows = []
    with ServerProcess(registry, admin_token=TOKEN, version="v1", workers=workers) as srv:
        load_test(
            srv.url,
            texts,
            batch_size=BATCH,
            concurrency=BATCH_CONNECTIONS_PER_WORKER * workers,
            duration=1.0,
        )  # warm
        res, cpu = measured(
            srv,
            instances=texts,
            batch_size=BATCH,
            concurrency=BATCH_CONNECTIONS_PER_WORKER * workers,
            duration=duration,
            timeout=60,
        )
        rows.append(server_row("server /predict, batches", workers, res, cpu))
        res, cpu = measured(srv, instances=texts, concurrency=SINGLE_CONNECTIONS, duration=duration)
        rows.append(server_row("server /predict, single instances", workers, res, cpu))
        admin = {"Authorization": f"Bearer {TOKEN}"}
        with BackgroundLoad(
            srv.url, texts, concurrency=SINGLE_CONNECTIONS, max_duration=120
        ) as load:
            time.sleep(duration / 3)
            t0 = time.perf_counter()
            swap = httpx.post(
                srv.url + "/admin/swap", json={"version": "v2"}, headers=admin, timeout=60
            )
            swap_s = time.perf_counter() - t0
            time.sleep(duration / 3)
            back = httpx.post(srv.url + "/admin/rollback", headers=admin, timeout=60)
            time.sleep(duration / 3)
        if swap.status_code != 200 or back.status_code != 200:
            raise RuntimeError(f"swap failed: {swap.text} {back.text}")
        versions = load.result.versions
        rows.append(
            server_row(
                f"swap v1->v2->v1 under load (answered in {swap_s:.2f} s, every worker on v2 "
                f"{swap.json()['followed_in']:.2f} s after the pointer moved; "
                f"served v1 {versions.get('v1', 0)}, v2 {versions.get('v2', 0)})",
                workers,
                load.result,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per row (5)")
    parser.add_argument("--train", type=int, default=4000, help="training emails (4000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts")
    args = parser.parse_args()

    emails = make_spam_emails(args.train, random_state=0)
    model = make_pipeline(CountVectorizer(max_features=10_000), LogisticRegression(max_iter=1000))
    model.fit(email_text(emails), emails["label"])
    texts = email_text(make_spam_emails(2000, random_state=1)).tolist()
    rows = []
    with tempfile.TemporaryDirectory(prefix="mlcourse-bench-") as tmp:
        registry = Path(tmp) / "registry"
        save_model(model, registry)
        save_model(model, registry)  # v2: the same model, to swap to under load
        for workers in args.workers:
            group = [
                floor(model, texts, 1, args.duration),
                floor(model, texts, BATCH, args.duration),
            ]
            group += measure_server(registry, workers, texts, args.duration)
            by_size = {r["instances/request"]: r for r in group if r["workers"] == 0}
            for r in by_size.values():
                r["case"] += f", before the {workers}-worker rows"
            for r in group:
                base = by_size[r["instances/request"]]
                r["x floor"] = r["instances/s"] / base["instances/s"]
                # instances per CPU-second of all the server's processes, against the floor's:
                # what the server costs per instance (other load moves it much less)
                r["cpu x floor"] = r["instances/cpu-s"] / base["instances/cpu-s"]
            rows += group
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(table.round(2).to_string(index=False))
    print()
    print(verdict(table))


def verdict(table: pd.DataFrame) -> str:
    def pick(case: str, workers: int) -> pd.Series:
        # the floor rows come first in each group; server rows are unique per case and workers
        return table[(table["case"] == case) & (table["workers"] == workers)].iloc[0]

    lines = []
    if 1 in set(table["workers"]):
        one = pick("server /predict, batches", 1)
        lines.append(
            f"1 worker, batches of {BATCH}: {one['x floor']:.2f}x the floor (target >= 0.85)"
        )
        if 2 in set(table["workers"]):
            two = pick("server /predict, batches", 2)
            ratio = two["instances/s"] / one["instances/s"]
            lines.append(f"2 workers / 1 worker, batches: {ratio:.2f}x (target >= 1.5)")
    for workers in sorted(set(table["workers"]) - {0}):
        single = pick("server /predict, single instances", workers)
        lines.append(
            f"{workers} worker(s), single instances at {SINGLE_CONNECTIONS} connections: "
            f"p99 {single['p99 ms']:.1f} ms (target <= 15)"
        )
    floors = table[table["workers"] == 0]
    share = (floors["instances/s"] / floors["instances/cpu-s"]).min()
    lines.append(
        f"the floor got at least {share:.0%} of a core while it ran"
        + ("" if share > 0.95 else ": other processes were running, rerun on an idle machine")
    )
    swaps = table[table["case"].str.startswith("swap")]
    lines.append(f"failed requests during swaps: {int(swaps['failed'].sum())} (target 0)")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
