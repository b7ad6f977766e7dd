"""``serve --workers 2`` across real processes: metrics, one log, swaps, replaced workers, pids."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest
from serving_util import ADMIN, HAM, SPAM, TOKEN, samples, text_model, wait_for

from mlcourse.serving import BackgroundLoad, ServerProcess, save_model

pytestmark = pytest.mark.server
WORKERS = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    reg = tmp_path_factory.mktemp("workers")
    for seed in range(2):
        save_model(text_model(seed), reg)
    log = tmp_path_factory.mktemp("logs") / "predictions.jsonl"
    options = dict(log_file=log, log_max_bytes=8192, log_backups=50)
    with ServerProcess(reg, admin_token=TOKEN, version="v1", workers=WORKERS, **options) as srv:
        srv.log_path = log
        yield srv
    assert srv.process.poll() is not None


def _workers(pid: int) -> set[int]:
    children = psutil.Process(pid).children()
    return {p.pid for p in children if "resource_tracker" not in " ".join(p.cmdline())}


def _pids_answering(url: str, n: int = 40) -> dict[int, str]:
    """pid -> version, over ``n`` new connections (each may reach any worker)."""
    seen = {}
    for _ in range(n):
        health = httpx.get(url + "/health", headers={"Connection": "close"}).json()
        seen[health["pid"]] = health["model_version"]
    return seen


def test_health_names_the_worker_that_answered(server):
    children = _workers(server.pid)
    seen = _pids_answering(server.url)
    assert set(seen) <= children and len(seen) == WORKERS, (seen, children)
    listed = {w["pid"] for w in server.health()["workers"]}
    assert listed == set(seen)


def test_metrics_are_summed_over_workers(server):
    before = samples(httpx.get(server.url + "/metrics").text)
    key = 'mlcourse_requests_total{endpoint="/predict",status="200"}'
    for i in range(30):
        r = httpx.post(
            server.url + "/predict",
            json={"instances": [SPAM[i % 3]]},
            headers={"Connection": "close", "X-Request-ID": f"metrics-{i}"},
        )
        assert r.status_code == 200
    after = samples(httpx.get(server.url + "/metrics").text)
    assert after[key] - before.get(key, 0) == 30  # whichever worker answers /metrics
    assert after['mlcourse_model_serving{version="v1"}'] == WORKERS


def test_one_log_file_for_all_workers(server):
    for i in range(60):
        r = httpx.post(
            server.url + "/predict",
            json={"instances": HAM + SPAM},
            headers={"Connection": "close", "X-Request-ID": f"log-{i}"},
        )
        assert r.status_code == 200
    folder = server.log_path.parent
    files = [f for f in folder.iterdir() if f.name.startswith("predictions.jsonl")]
    assert len(files) > 1  # it rotated, with both workers writing
    assert all(f.stat().st_size <= 8192 for f in files)

    def logged() -> set:
        lines = [json.loads(x) for f in files for x in f.read_text().splitlines()]
        return {(x["request_id"], x["index"]) for x in lines if x["request_id"].startswith("log-")}

    expected = {(f"log-{i}", j) for i in range(60) for j in range(6)}
    assert wait_for(lambda: logged() == expected or None, timeout=10)


def test_swap_and_rollback_reach_every_worker(server):
    t0 = time.monotonic()
    r = httpx.post(server.url + "/admin/swap", json={"version": "v2"}, headers=ADMIN, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["workers"]) == WORKERS
    assert {w["model_version"] for w in body["workers"]} == {"v2"}, body
    print(
        f"swap answered after {time.monotonic() - t0:.2f} s; "
        f"workers followed in {body['followed_in']} s"
    )
    seen = _pids_answering(server.url)
    assert len(seen) == WORKERS and set(seen.values()) == {"v2"}, seen
    r = httpx.post(server.url + "/admin/rollback", headers=ADMIN, timeout=60)
    assert r.status_code == 200 and {w["model_version"] for w in r.json()["workers"]} == {"v1"}
    assert set(_pids_answering(server.url).values()) == {"v1"}


def test_swap_under_load_fails_no_request(server):
    with BackgroundLoad(server.url, HAM + SPAM, concurrency=8, max_duration=60) as load:
        time.sleep(0.5)
        r = httpx.post(
            server.url + "/admin/swap", json={"version": "v2"}, headers=ADMIN, timeout=60
        )
        time.sleep(0.5)
        back = httpx.post(server.url + "/admin/rollback", headers=ADMIN, timeout=60)
        time.sleep(0.3)
    assert r.status_code == 200 and back.status_code == 200, (r.text, back.text)
    assert load.result.failed == 0, load.result.statuses
    assert load.result.versions.get("v2", 0) > 0 and load.result.versions.get("v1", 0) > 0


def test_a_dead_worker_is_replaced_while_the_others_answer(server):
    victim = next(iter(_pids_answering(server.url)))
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: not psutil.pid_exists(victim) or psutil.Process(victim).status() == "zombie")
    for _ in range(20):  # new connections go to the live worker
        r = httpx.post(
            server.url + "/predict", json={"instances": ["hello"]}, headers={"Connection": "close"}
        )
        assert r.status_code == 200
    workers = wait_for(
        lambda: (
            (w := server.health()["workers"])
            and len(w) == WORKERS
            and victim not in {x["pid"] for x in w}
            and w
        ),
        timeout=60,
    )
    assert {x["model_version"] for x in workers} == {"v1"}  # the new one follows the registry
    metrics = samples(httpx.get(server.url + "/metrics").text)
    assert (
        metrics['mlcourse_model_serving{version="v1"}'] == WORKERS
    )  # the dead one's gauge is gone
    assert server.process.poll() is None


def test_the_supervisor_leaves_nothing_behind(tmp_path):
    import tempfile

    def state_dirs() -> set[Path]:
        found = Path(tempfile.gettempdir()).glob("mlcourse-serve-*")
        return {p for p in found if (p / "metrics").exists()}

    reg = tmp_path / "reg"
    save_model(text_model(0), reg)
    before = state_dirs()  # the module's server has one
    srv = ServerProcess(reg, workers=WORKERS).start()
    assert len(state_dirs() - before) == 1
    children = [p.pid for p in psutil.Process(srv.pid).children()]  # and multiprocessing's
    assert len(_workers(srv.pid)) == WORKERS  # resource tracker
    assert srv.stop() == 0

    def gone(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    wait_for(lambda: all(gone(pid) for pid in children), timeout=15)  # the tracker exits last
    assert state_dirs() - before == set()
