"""Regression tests for the defects a hostile probe found, each against a real uvicorn process."""

from __future__ import annotations

import json
import random
import string
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from serving_util import (
    ADMIN,
    TOKEN,
    raw_connection,
    read_until_closed,
    samples,
    segfault_model,
    text_model,
    wait_for,
)

from mlcourse.serving import ServerProcess, save_model

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    reg = tmp_path_factory.mktemp("hostile")
    for seed in range(3):
        save_model(text_model(seed), reg)  # v1, v2, v3
    return reg


@pytest.fixture(scope="module")
def server(registry):
    settings = dict(header_timeout=1.0, body_timeout=1.0, keep_alive_timeout=1.0)
    settings["limit_concurrency"] = 20
    with ServerProcess(registry, admin_token=TOKEN, version="v1", **settings) as srv:
        yield srv


def _metrics(url: str) -> dict[str, float]:
    return samples(httpx.get(url + "/metrics").text)


def _no_5xx(url: str) -> None:
    bad = {k: v for k, v in _metrics(url).items() if 'status="5' in k}
    assert not bad, bad


# ---- the model -----------------------------------------------------------------------------------


def test_segfault_model_is_refused_at_swap_and_at_start(registry, tmp_path):
    from serving_util import copy_registry, write_version

    reg = copy_registry(registry, tmp_path / "reg", versions=("v1",))
    write_version(reg, "v2", segfault_model())
    with ServerProcess(reg, admin_token=TOKEN, version="v1") as srv:
        r = httpx.post(srv.url + "/admin/swap", json={"version": "v2"}, headers=ADMIN)
        assert r.status_code == 422, r.text
        assert "vocabulary_" in r.json()["detail"] and "still serving v1" in r.json()["detail"]
        r = httpx.post(srv.url + "/predict", json={"instances": ["cheap pills"]})  # the probe
        assert r.status_code == 200 and r.json()["model_version"] == "v1"
        assert srv.process.poll() is None
    cmd = [sys.executable, "-m", "mlcourse", "serve", "--registry", str(reg), "--version", "v2"]
    proc = subprocess.run(cmd + ["--port", "0"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "outside [0," in proc.stderr


def test_decompressed_size_cap_refuses_a_swap(registry, tmp_path):
    from serving_util import copy_registry

    reg = copy_registry(registry, tmp_path / "reg", versions=("v1", "v2"))
    with zipfile.ZipFile(reg / "v2" / "model.skops", "a", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("padding.npy", "w", force_zip64=True) as member:
            for _ in range(40):
                member.write(bytes(1 << 20))
    with ServerProcess(reg, admin_token=TOKEN, version="v1", max_model_bytes=20_000_000) as srv:
        r = httpx.post(srv.url + "/admin/swap", json={"version": "v2"}, headers=ADMIN)
        assert r.status_code == 422 and "decompresses to 41," in r.json()["detail"], r.text
        assert srv.health()["model_version"] == "v1"


BAD_METADATA = [
    b"{not json",
    b"[]",
    b'{"input": "text"}',
    b'{"input": {"kind": "image"}}',
    b'{"created": []}',
    b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
]


def test_malformed_metadata_on_swap_is_a_422(registry, tmp_path):
    from serving_util import copy_registry

    reg = copy_registry(registry, tmp_path / "reg", versions=("v1", "v2"))
    for i, content in enumerate(BAD_METADATA):
        folder = reg / f"v{10 + i}"
        folder.mkdir()
        (folder / "model.skops").write_bytes((reg / "v2" / "model.skops").read_bytes())
        (folder / "metadata.json").write_bytes(content)
    with ServerProcess(reg, admin_token=TOKEN, version="v1") as srv:
        for i in range(len(BAD_METADATA)):
            r = httpx.post(srv.url + "/admin/swap", json={"version": f"v{10 + i}"}, headers=ADMIN)
            assert r.status_code == 422 and "metadata.json" in r.json()["detail"], r.text
        assert httpx.get(srv.url + "/admin/versions", headers=ADMIN).status_code == 200
        assert srv.health()["model_version"] == "v1"
        _no_5xx(srv.url)


# ---- the API ------------------------------------------------------------------------------------


def test_openapi_documents_every_body_and_error(server):
    r = httpx.get(server.url + "/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    schemas = doc["components"]["schemas"]
    predict = doc["paths"]["/predict"]["post"]
    ref = predict["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    instances = schemas[ref.rsplit("/", 1)[1]]["properties"]["instances"]
    assert instances["maxItems"] == 1000 and instances["items"]["maxLength"] == 50_000
    assert set(predict["responses"]) >= {"200", "400", "408", "413", "422", "431"}
    swap = doc["paths"]["/admin/swap"]["post"]
    assert swap["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "SwapRequest"
    )
    assert set(swap["responses"]) >= {"200", "401", "403", "404", "409", "422"}
    assert set(doc["paths"]["/admin/rollback"]["post"]["responses"]) >= {"401", "403", "409"}
    for path in doc["paths"].values():
        for op in path.values():
            for status, response in op["responses"].items():
                if status.startswith("4"):  # every client error has the one-message body
                    schema = response["content"]["application/json"]["schema"]
                    assert schema["$ref"].endswith("ErrorResponse"), (status, op["summary"])
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_unknown_paths_do_not_become_metric_labels(server):
    before = httpx.get(server.url + "/metrics").text
    with httpx.Client(base_url=server.url) as c:
        for _ in range(300):
            path = "/" + "".join(random.choices(string.ascii_letters, k=20))
            assert c.get(path).status_code == 404
    after = httpx.get(server.url + "/metrics").text
    assert len(after) - len(before) < 1000, (len(before), len(after))
    count = samples(after)['mlcourse_requests_total{endpoint="unmatched",status="404"}']
    assert count >= 300


def test_deep_json_on_admin_swap_is_a_4xx(server):
    for depth in (10, *range(700, 1100, 20), 5000, 20_000):
        deep = b"[" * depth + b"]" * depth
        for body in (deep, b'{"version": ' + deep + b"}"):
            for headers in (ADMIN, {}):
                r = httpx.post(server.url + "/admin/swap", content=body, headers=headers)
                assert 400 <= r.status_code < 500, (depth, r.status_code, r.text[:200])
    assert server.health()["model_version"] == "v1"
    _no_5xx(server.url)


def test_concurrent_rollbacks_never_500(registry, tmp_path):
    from serving_util import copy_registry

    reg = copy_registry(registry, tmp_path / "reg", versions=("v1", "v2", "v3"))

    def rollback_pair(url: str) -> list[httpx.Response]:
        barrier = threading.Barrier(2)

        def one(_) -> httpx.Response:
            barrier.wait()
            return httpx.post(url + "/admin/rollback", headers=ADMIN, timeout=60)

        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(one, range(2)))

    with ServerProcess(reg, admin_token=TOKEN, version="v1") as srv:
        for v in ("v2", "v3"):
            assert httpx.post(
                srv.url + "/admin/swap", json={"version": v}, headers=ADMIN
            ).is_success
        first = rollback_pair(srv.url)  # history [v1, v2]: back two steps, one each
        assert [r.status_code for r in first] == [200, 200], [r.text for r in first]
        assert sorted(r.json()["model_version"] for r in first) == ["v1", "v2"]
        assert srv.health()["model_version"] == "v1"
        assert httpx.post(srv.url + "/admin/swap", json={"version": "v3"}, headers=ADMIN).is_success
        second = rollback_pair(srv.url)  # history [v1]: one succeeds, the other has nothing left
        assert sorted(r.status_code for r in second) == [200, 409], [r.text for r in second]
        assert srv.health()["model_version"] == "v1"
        _no_5xx(srv.url)


# ---- connections ---------------------------------------------------------------------------------


def test_headers_over_the_limit_get_431(server):
    for head in (
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n",
        b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    ):
        sock = raw_connection(server.url)
        try:
            sock.sendall(head)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed while we were still sending: fine
        data, _ = read_until_closed(sock)
        sock.close()
        assert data.startswith(b"HTTP/1.1 431"), data[:100]
    assert server.health()["status"] == "ok"
    assert (
        _metrics(server.url)['mlcourse_connections_refused_total{reason="header_too_large"}'] >= 2
    )


def test_slow_or_silent_clients_are_disconnected(server):
    # the server was started with header, body and keep-alive timeouts of 1 s
    silent = raw_connection(server.url)  # connects, says nothing
    data, took = read_until_closed(silent)
    assert data == b"" and took < 8
    slow_head = raw_connection(server.url)
    slow_head.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-")
    data, took = read_until_closed(slow_head)
    assert data.startswith(b"HTTP/1.1 408") and took < 8, data
    slow_body = raw_connection(server.url)
    slow_body.sendall(
        b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n" + b'{"instances": ["'
    )
    data, took = read_until_closed(slow_body)
    assert data.startswith(b"HTTP/1.1 408") and b"body_timeout" in data and took < 8, data
    idle = raw_connection(server.url)  # one request, then nothing: keep-alive ends
    idle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    data, took = read_until_closed(idle)
    assert data.startswith(b"HTTP/1.1 200") and took < 8
    for s in (silent, slow_head, slow_body, idle):
        s.close()
    counts = _metrics(server.url)
    assert counts['mlcourse_connections_refused_total{reason="header_timeout"}'] >= 2
    assert counts['mlcourse_requests_total{endpoint="/predict",status="408"}'] >= 1


def test_connections_over_the_limit_get_503(server):
    idle = [raw_connection(server.url) for _ in range(25)]  # held open, saying nothing
    try:
        time.sleep(0.2)
        r = httpx.get(server.url + "/health", headers={"Connection": "close"})
        assert r.status_code == 503, r.text
    finally:
        for sock in idle:
            sock.close()
    wait_for(lambda: httpx.get(server.url + "/health").status_code == 200)


def test_a_client_leaving_mid_body_is_not_a_server_error(server):
    for _ in range(5):
        sock = raw_connection(server.url)
        sock.sendall(
            b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n" + b'{"instances": ["' + b"a" * 1000
        )
        time.sleep(0.1)
        sock.close()
    wait_for(
        lambda: (
            _metrics(server.url).get('mlcourse_requests_total{endpoint="/predict",status="499"}', 0)
            >= 5
        )
    )
    _no_5xx(server.url)


def test_health_answers_while_a_batch_runs(server):
    # Inference runs in the model thread: /health can see a batch *running*, which is
    # impossible if the batch ran on the event loop (it would finish before /health ran).
    texts = [("cheap pills meeting notes " * 2000)[:50_000] for _ in range(64)]
    stop = threading.Event()

    def send() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            while not stop.is_set():
                assert c.post("/predict", json={"instances": texts}).status_code == 200

    sender = threading.Thread(target=send)
    sender.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as c:
            seen = wait_for(
                lambda: c.get("/health").json()["queue"]["running"], timeout=30, interval=0
            )
    finally:
        stop.set()
        sender.join()
    assert seen == 64


# ---- the prediction log --------------------------------------------------------------------------


def test_log_rotation_stays_within_its_bound_and_is_private(registry, tmp_path):
    log = tmp_path / "logs" / "predictions.jsonl"
    options = dict(log_file=log, log_inputs=True, log_max_bytes=4096, log_backups=2)
    with (
        ServerProcess(registry, version="v1", **options) as srv,
        httpx.Client(base_url=srv.url) as c,
    ):
        for i in range(150):
            texts = [f"été {i} " + "naïve café " * (i % 7), "x" * (3000 if i % 10 == 0 else 5)]
            assert c.post("/predict", json={"instances": texts}).status_code == 200
    files = sorted(log.parent.iterdir())
    names = [f.name for f in files if not f.name.startswith(".")]
    assert names == ["predictions.jsonl", "predictions.jsonl.1", "predictions.jsonl.2"]
    for f in files:
        assert f.stat().st_size <= 4096, (f.name, f.stat().st_size)
        assert f.stat().st_mode & 0o077 == 0, (f.name, oct(f.stat().st_mode))
    lines = [
        json.loads(x)
        for f in files
        if not f.name.startswith(".")
        for x in f.read_text().splitlines()
    ]
    assert any(x.get("input_dropped") for x in lines)  # the 3,000-character input did not fit
    assert any(x.get("input", "").startswith("été") for x in lines)
