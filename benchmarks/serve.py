"""Benchmark the lesson-5 inference server on loopback: throughput and latency percentiles.

Usage: ``python benchmarks/serve.py [--duration 3] [--train 4000]``

Starts ``python -m mlcourse serve`` (one worker) on a free 127.0.0.1 port with the lesson's spam
model, then drives it with the bounded raw-HTTP load generator :func:`mlcourse.serve.load_test`
at 1, 10 and 64 concurrent connections, with single-instance requests and with 1,000-instance
batch requests. The floor is the same model called in-process (no HTTP, no JSON), both with
scikit-learn's ``transform`` and with the server's identical fast text path
(:mod:`mlcourse._fast_text`); one row serves batches with ``--no-fast-text`` to show its gain.
One row runs a naive server for comparison: a synchronous ``def`` FastAPI endpoint with a
pydantic body that calls ``predict_proba`` once per request (FastAPI runs such endpoints in a
thread pool, so the requests fight over the GIL and nothing is batched). The last row swaps the
model to v2 and back while 10 connections keep sending, and counts failed requests.

Targets on an idle 2-core machine: at least 1,500 single-instance requests/s at 10 connections
with p99 at most 15 ms; at least 30,000 instances/s in batches; zero failed requests during a
swap. The load generator shares the machine with the server, so it takes CPU from it.
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

from mlcourse._fast_text import fast_pipeline
from mlcourse.data import email_text, make_spam_emails
from mlcourse.serve import BackgroundLoad, ServerProcess, load_test, save_model


def floor_rows(case: str, predict_proba, texts: list[str], duration: float) -> list[dict]:
    rows = []
    for batch in (1, 1000):
        n, lat = 0, []
        t_end = time.perf_counter() + duration
        t0 = time.perf_counter()
        while time.perf_counter() < t_end:
            chunk = [texts[(n + j) % len(texts)] for j in range(batch)]
            t = time.perf_counter()
            predict_proba(chunk)
            lat.append((time.perf_counter() - t) * 1000)
            n += batch
        seconds = time.perf_counter() - t0
        rows.append(
            {
                "case": case,
                "connections": 0,
                "instances/request": batch,
                "requests": len(lat),
                "failed": 0,
                "requests/s": round(len(lat) / seconds, 1),
                "instances/s": round(n / seconds, 1),
                "p50 ms": round(float(np.percentile(lat, 50)), 2),
                "p90 ms": round(float(np.percentile(lat, 90)), 2),
                "p99 ms": round(float(np.percentile(lat, 99)), 2),
            }
        )
    return rows


def naive_server(registry: str, port: int) -> None:
    """The server NOT to write: sync endpoint, pydantic parsing, one model call per request."""
    import uvicorn
    from fastapi import FastAPI
    from pydantic import BaseModel

    from mlcourse.serve import load_model

    model, meta = load_model(registry)
    app = FastAPI()

    class Body(BaseModel):
        instances: list[str]

    def predict(body: Body) -> dict:
        proba = model.predict_proba(body.instances)
        return {
            "predictions": proba.argmax(axis=1).tolist(),
            "probabilities": proba[:, 1].tolist(),
            "model_version": meta["version"],
        }

    # a local class: give FastAPI the real type, not the postponed string annotation
    predict.__annotations__["body"] = Body
    predict.__annotations__["return"] = dict
    app.post("/predict")(predict)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def naive_rows(registry: Path, texts: list[str], duration: float) -> list[dict]:
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, __file__, "--naive-server", str(registry), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.post(url + "/predict", json={"instances": ["warm-up"]}, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        rows = []
        for conc in (10, 64):
            res = load_test(url, texts, concurrency=conc, duration=duration)
            rows.append({"case": "naive sync def endpoint (for comparison)", **res.summary()})
        return rows
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per row")
    parser.add_argument("--train", type=int, default=4000, help="training emails")
    parser.add_argument(
        "--naive-server", nargs=2, metavar=("REGISTRY", "PORT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.naive_server:
        naive_server(args.naive_server[0], int(args.naive_server[1]))
        return

    emails = make_spam_emails(args.train, random_state=0)
    model = make_pipeline(CountVectorizer(max_features=10_000), LogisticRegression(max_iter=1000))
    model.fit(email_text(emails), emails["label"])
    texts = email_text(make_spam_emails(2000, random_state=1)).tolist()
    rows = floor_rows(
        "in-process predict_proba, scikit-learn", model.predict_proba, texts, args.duration
    )
    fast, rest = fast_pipeline(model)
    rows += floor_rows(
        "in-process, fast text path (floor)",
        lambda chunk: rest.predict_proba(fast.transform(chunk)),
        texts,
        args.duration,
    )

    with tempfile.TemporaryDirectory(prefix="mlcourse-bench-") as tmp:
        registry = Path(tmp) / "registry"
        save_model(model, registry)
        save_model(model, registry)  # v2: the same model, to swap to under load
        token = "bench-token"
        with ServerProcess(registry, admin_token=token, extra_args=["--version", "v1"]) as srv:
            load_test(srv.url, texts, concurrency=4, duration=0.5)  # warm-up
            for batch in (1, 1000):
                for conc in (1, 10, 64):
                    res = load_test(
                        srv.url,
                        texts,
                        batch_size=batch,
                        concurrency=conc,
                        duration=args.duration,
                        timeout=60,
                    )
                    rows.append({"case": "server /predict", **res.summary()})
        with ServerProcess(registry, extra_args=["--version", "v1", "--no-fast-text"]) as srv:
            load_test(srv.url, texts, concurrency=4, duration=0.5)  # warm-up
            res = load_test(
                srv.url, texts, batch_size=1000, concurrency=10, duration=args.duration, timeout=60
            )
            rows.append({"case": "server /predict --no-fast-text", **res.summary()})
        rows += naive_rows(registry, texts, args.duration)
        with ServerProcess(registry, admin_token=token, extra_args=["--version", "v1"]) as srv:
            headers = {"Authorization": f"Bearer {token}"}
            t0 = time.perf_counter()
            with BackgroundLoad(srv.url, texts, concurrency=10, max_duration=120) as load:
                time.sleep(args.duration / 3)
                swap = httpx.post(
                    srv.url + "/admin/swap", json={"version": "v2"}, headers=headers, timeout=60
                )
                time.sleep(args.duration / 3)
                back = httpx.post(srv.url + "/admin/rollback", headers=headers, timeout=60)
                time.sleep(args.duration / 3)
            res = load.result
            assert swap.status_code == 200 and back.status_code == 200, (swap.text, back.text)
            rows.append(
                {
                    "case": f"swap v1->v2->v1 under load, {time.perf_counter() - t0:.1f} s "
                    f"(served {res.versions})",
                    **res.summary(),
                }
            )
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_markdown(index=False) if _has_tabulate() else table.to_string(index=False))


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
