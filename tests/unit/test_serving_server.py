"""mlcourse.serving with a real uvicorn process on a loopback port: the API, swaps, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serving_util import (
    ADMIN,
    HAM,
    SPAM,
    TOKEN,
    copy_registry,
    numeric_model,
    text_model,
    write_version,
)
from sklearn.preprocessing import FunctionTransformer

from mlcourse.serving import BackgroundLoad, ServerProcess, list_versions, load_model, save_model

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def text_registry(tmp_path_factory) -> Path:
    reg = tmp_path_factory.mktemp("registry")
    save_model(text_model(0), reg, metrics={"accuracy": 0.9})
    save_model(text_model(1), reg, data_summary={"n": 60})
    return reg


@pytest.fixture(scope="module")
def server(text_registry, tmp_path_factory):
    log = tmp_path_factory.mktemp("logs") / "predictions.jsonl"
    with ServerProcess(text_registry, admin_token=TOKEN, log_file=log) as srv:
        srv.log_path = log
        yield srv
    assert srv.process.poll() is not None


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


@pytest.fixture
def swap_registry(text_registry, tmp_path):
    return copy_registry(text_registry, tmp_path / "reg")


def test_predict_health_metrics(client, text_registry):
    batch = ["cheap pills buy now", "meeting notes", "naïve café 日本語", ""]
    r = client.post(
        "/predict", content=json.dumps({"instances": batch}), headers={"X-Request-ID": "req-42"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    model, _ = load_model(text_registry)
    assert body["predictions"] == model.predict(batch).tolist()
    np.testing.assert_allclose(body["probabilities"], model.predict_proba(batch)[:, 1], rtol=1e-12)
    assert body["model_version"] == "v2" and body["request_id"] == "req-42"
    assert r.headers["x-request-id"] == "req-42"
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["model_version"] == "v2"
    assert health["pid"] == health["workers"][0]["pid"] and "fast_text" not in health
    assert health["limits"]["max_instances"] == 1000
    text = client.get("/metrics").text
    for name in [
        'mlcourse_requests_total{endpoint="/predict",status="200"}',
        "mlcourse_request_duration_seconds_bucket",
        'mlcourse_predictions_total{model_version="v2",predicted_class="1"}',
        'mlcourse_model_serving{version="v2"} 1.0',
    ]:
        assert name in text


def test_prediction_log_has_no_raw_input_by_default(client, server):
    client.post(
        "/predict",
        json={"instances": ["secret personal email text"]},
        headers={"X-Request-ID": "log-check"},
    )

    def mine():
        lines = [json.loads(x) for x in server.log_path.read_text().splitlines()]
        return [x for x in lines if x["request_id"] == "log-check"]

    deadline = time.monotonic() + 5
    while not mine() and time.monotonic() < deadline:
        time.sleep(0.05)
    (rec,) = mine()
    assert set(rec) == {
        "ts",
        "request_id",
        "model_version",
        "index",
        "prediction",
        "score",
        "input_length",
    }
    assert rec["input_length"] == len("secret personal email text")
    assert "secret" not in server.log_path.read_text()
    assert server.log_path.stat().st_mode & 0o077 == 0


BAD_BODIES = [
    (b"\xff{", 400, "UTF-8"),
    (b"", 400, "empty"),
    (b"{not json", 400, "not valid JSON"),
    (b"[" * 50_000, 400, "nested too deeply"),
    (b"[]", 422, "instances"),
    (b'{"rows": ["a"]}', 422, "instances"),
    (b'{"instances": "one email"}', 422, "must be a list"),
    (b'{"instances": []}', 422, "empty"),
    (b'{"instances": ["ok", 3]}', 422, "instances[1]"),
    (b'{"instances": [NaN]}', 422, "instances[0]"),
    (b'{"instances": [null]}', 422, "instances[0]"),
    (b'{"instances": ["ok", "\\ud800"]}', 422, "instances[1] is not valid Unicode"),
    (json.dumps({"instances": ["a"] * 1001}).encode(), 422, "limit is 1000"),
    (json.dumps({"instances": ["a" * 50_001]}).encode(), 422, "characters"),
]


@pytest.mark.parametrize(("body", "status", "message"), BAD_BODIES)
def test_bad_input_gets_a_clear_4xx(client, body, status, message):
    r = client.post("/predict", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    assert message in r.json()["detail"]


def test_body_over_the_limit_is_413(client):
    big = b'{"instances": ["' + b"a" * (5 * 1024 * 1024) + b'"]}'
    r = client.post("/predict", content=big)
    assert r.status_code == 413 and "limit" in r.json()["detail"]

    def chunks():  # no Content-Length: the server must count while reading
        for _ in range(80):
            yield b"a" * 65536

    r = client.post("/predict", content=chunks())
    assert r.status_code == 413
    assert client.get("/health").status_code == 200


def test_wrong_method_and_path_are_4xx(client):
    assert client.get("/predict").status_code == 405
    assert client.get("/nope").status_code == 404
    assert "detail" in client.get("/nope").json()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
fuzz_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    json_values.map(lambda v: json.dumps({"instances": v}).encode()),
    st.lists(json_values, max_size=6).map(lambda v: json.dumps({"instances": v}).encode()),
    st.lists(st.text(max_size=40), max_size=6).map(
        lambda v: json.dumps({"instances": v}, ensure_ascii=False).encode("utf-8", "surrogatepass")
    ),
)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,
)


@FUZZ
@given(body=fuzz_bodies)
def test_fuzzed_predict_never_5xx(client, body):
    r = client.post("/predict", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code < 500, (body, r.text)
    if r.status_code != 200:
        assert 400 <= r.status_code < 500 and r.json()["detail"]


@pytest.fixture(scope="module")
def numeric_client(tmp_path_factory):
    reg = tmp_path_factory.mktemp("numeric")
    save_model(numeric_model(3), reg)
    with ServerProcess(reg) as srv, httpx.Client(base_url=srv.url, timeout=10) as c:
        yield c


def test_numeric_model_checks_feature_count(numeric_client):
    r = numeric_client.post("/predict", json={"instances": [[0.1, 0.2, 0.3], [1, -2, 3]]})
    assert r.status_code == 200 and len(r.json()["predictions"]) == 2
    for rows, message in [
        ([[0.1, 0.2]], "has 2 features; this model expects 3"),
        ([[0.1, 0.2, "x"]], "instances[0][2]"),
        ([[0.1, 0.2, True]], "instances[0][2]"),
        ([[1, 2, 10**400]], "too large"),
        (["text"], "list of 3 numbers"),
    ]:
        r = numeric_client.post("/predict", json={"instances": rows})
        assert r.status_code == 422 and message in r.json()["detail"], r.text


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,
)
@given(
    rows=st.lists(
        st.lists(st.one_of(st.floats(width=32), st.integers(), st.none()), max_size=5), max_size=4
    )
)
def test_fuzzed_numeric_predict_never_5xx(numeric_client, rows):
    r = numeric_client.post("/predict", content=json.dumps({"instances": rows}).encode())
    assert r.status_code < 500, (rows, r.text)


# ---- admin: auth, swap, rollback, refusal -------------------------------------------------------


def test_admin_needs_the_token(client):
    assert client.post("/admin/swap", json={"version": "v1"}).status_code == 401
    bad = {"Authorization": "Bearer wrong"}
    assert client.post("/admin/swap", json={"version": "v1"}, headers=bad).status_code == 403
    assert client.post("/admin/rollback", headers=bad).status_code == 403
    assert client.get("/admin/versions").status_code == 401
    assert client.post("/admin/rollback", headers={"Authorization": "Basic x"}).status_code == 401
    assert client.get("/health").json()["model_version"] == "v2"


def test_admin_disabled_without_a_token(numeric_client):
    r = numeric_client.post("/admin/rollback", headers={"Authorization": "Bearer anything"})
    assert r.status_code == 403 and "disabled" in r.json()["detail"]


def test_hot_swap_under_load_fails_no_request(swap_registry):
    with ServerProcess(swap_registry, admin_token=TOKEN, version="v1") as srv:
        with BackgroundLoad(srv.url, HAM + SPAM, concurrency=8, max_duration=60) as load:
            time.sleep(0.5)
            r = httpx.post(
                srv.url + "/admin/swap", json={"version": "v2"}, headers=ADMIN, timeout=60
            )
            after = httpx.post(srv.url + "/predict", json={"instances": ["hello"]}).json()
            time.sleep(0.3)
        result = load.result
        assert r.status_code == 200, r.text
        assert r.json()["previous_version"] == "v1" and r.json()["model_version"] == "v2"
        assert after["model_version"] == "v2"
        assert result.failed == 0, result.statuses
        assert result.versions.get("v1", 0) > 0 and result.versions.get("v2", 0) > 0
        r = httpx.post(srv.url + "/admin/rollback", headers=ADMIN)
        assert (r.json()["previous_version"], r.json()["model_version"]) == ("v2", "v1")
        assert httpx.post(srv.url + "/admin/rollback", headers=ADMIN).status_code == 409
        versions = httpx.get(srv.url + "/admin/versions", headers=ADMIN).json()
        assert versions["serving"] == "v1" and versions["history"] == []
        assert [v["version"] for v in versions["versions"]] == ["v1", "v2"]


def test_corrupt_or_untrusted_model_is_refused_and_old_keeps_serving(swap_registry):
    write_version(swap_registry, "v3", raw=b"PK\x03\x04 truncated garbage")
    write_version(swap_registry, "v4", FunctionTransformer(func=os.system))
    save_model(numeric_model(3), swap_registry, version="v5")
    with ServerProcess(swap_registry, admin_token=TOKEN, version="v2") as srv:
        c = httpx.Client(base_url=srv.url, headers=ADMIN)
        r = c.post("/admin/swap", json={"version": "v3"})
        assert r.status_code == 422 and "not a readable skops file" in r.json()["detail"]
        assert "still serving v2" in r.json()["detail"]
        r = c.post("/admin/swap", json={"version": "v4"})
        assert r.status_code == 422 and "untrusted" in r.json()["detail"]
        r = c.post("/admin/swap", json={"version": "v5"})  # a different API: clients would break
        assert r.status_code == 409 and "rows of 3 numbers" in r.json()["detail"]
        assert c.post("/admin/swap", json={"version": "v9"}).status_code == 404
        assert c.post("/admin/swap", json={"version": "../../etc"}).status_code == 422
        assert c.post("/admin/swap", content=b"\xff").status_code == 400
        r = c.post("/predict", json={"instances": ["cheap pills buy now"]})
        assert r.status_code == 200 and r.json()["model_version"] == "v2"
        assert 'mlcourse_model_swaps_total{outcome="refused"} 4.0' in c.get("/metrics").text
        c.close()


# ---- the command line, restarts, and no orphan processes ----------------------------------------


def test_a_rollback_survives_a_restart(swap_registry):
    with ServerProcess(swap_registry, admin_token=TOKEN, version="v1") as srv:
        assert httpx.post(srv.url + "/admin/swap", json={"version": "v2"}, headers=ADMIN).is_success
        assert httpx.post(srv.url + "/admin/rollback", headers=ADMIN).is_success
    with ServerProcess(swap_registry) as srv:  # no --version: the registry's current one
        assert srv.health()["model_version"] == "v1"


def test_cli_refuses_a_bad_registry_with_a_message(tmp_path):
    def serve(*args):
        cmd = [sys.executable, "-m", "mlcourse", "serve", "--port", "0", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)

    proc = serve("--registry", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    write_version(tmp_path, "v1", raw=b"garbage")
    proc = serve("--registry", str(tmp_path))
    assert proc.returncode == 2 and "not a readable skops file" in proc.stderr
    proc = serve("--registry", str(tmp_path), "--max-instances", "0")
    assert proc.returncode == 2 and "--max-instances" in proc.stderr


def test_server_exits_when_its_parent_dies(text_registry):
    import psutil

    script = textwrap.dedent(f"""
        import os
        from mlcourse.serving import ServerProcess
        srv = ServerProcess({str(text_registry)!r}).start()
        print(srv.pid, flush=True)
        os._exit(0)  # no cleanup at all: the server must notice on its own
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=90)
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        pytest.fail("the server outlived its parent")


def test_cli_demo_model_registers_a_servable_version(tmp_path, capsys):
    from mlcourse.__main__ import main

    assert main(["demo-model", "--registry", str(tmp_path), "--n-emails", "300"]) == 0
    assert "registered v1" in capsys.readouterr().out
    model, meta = load_model(tmp_path)
    assert meta["metrics"]["holdout_accuracy"] > 0.8
    assert meta["data_summary"]["n_emails"] == 225
    assert main(["demo-model", "--registry", str(tmp_path), "--n-emails", "300"]) == 0
    assert list_versions(tmp_path) == ["v1", "v2"]
