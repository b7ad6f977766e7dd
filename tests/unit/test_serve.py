"""mlcourse.serve: registry, audited loading, and a real uvicorn process on a loopback port."""

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
import skops.io as sio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from mlcourse.serve import (
    BackgroundLoad,
    ModelLoadError,
    PredictionLog,
    ServerProcess,
    list_versions,
    load_model,
    save_model,
)

TOKEN = "test-admin-token"

HAM = ["meeting notes for the project review", "dinner with the family on sunday", "your receipt"]
SPAM = ["cheap pills buy now", "win a free prize claim now", "replica watches cheap offer"]


def _text_model(seed: int):
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(60):
        spam = bool(rng.random() < 0.5)
        pool = SPAM if spam else HAM
        texts.append(" ".join(rng.choice(pool, size=2)))
        labels.append(int(spam))
    return make_pipeline(CountVectorizer(), LogisticRegression(C=1.0 + seed)).fit(texts, labels)


@pytest.fixture(scope="module")
def text_registry(tmp_path_factory) -> Path:
    reg = tmp_path_factory.mktemp("registry")
    assert save_model(_text_model(0), reg, metrics={"accuracy": 0.9}) == "v1"
    assert save_model(_text_model(1), reg, data_summary={"n": 60}) == "v2"
    return reg


@pytest.fixture(scope="module")
def numeric_registry(tmp_path_factory) -> Path:
    reg = tmp_path_factory.mktemp("numeric")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, X[:, 0] > 0)
    save_model(model, reg)
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


# ---- registry and audited loading (no server) ---------------------------------------------------


def test_save_and_load_round_trip(text_registry):
    assert list_versions(text_registry) == ["v1", "v2"]
    model, meta = load_model(text_registry)
    assert meta["version"] == "v2" and meta["input"] == {"kind": "text"}
    assert meta["data_summary"] == {"n": 60} and "created" in meta
    _, meta1 = load_model(text_registry, "v1")
    assert meta1["metrics"] == {"accuracy": 0.9}
    assert model.predict(["cheap pills buy now"]).tolist() == [1]


def test_numeric_metadata_records_feature_count(numeric_registry):
    _, meta = load_model(numeric_registry)
    assert meta["input"] == {"kind": "numeric", "n_features": 3}


def test_save_refuses_untrusted_types(tmp_path):
    X = np.arange(20.0).reshape(10, 2)
    model = make_pipeline(FunctionTransformer(func=np.negative), LogisticRegression())
    model.fit(X, np.arange(10) % 2)
    with pytest.raises(ModelLoadError, match="TRUSTED_TYPES"):
        save_model(model, tmp_path)
    assert list_versions(tmp_path) == []


def test_save_rejects_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="predict"):
        save_model(object(), tmp_path)
    with pytest.raises(ValueError, match="v1"):
        save_model(_text_model(0), tmp_path, version="latest")
    save_model(_text_model(0), tmp_path, version="v3")
    with pytest.raises(ValueError, match="already exists"):
        save_model(_text_model(0), tmp_path, version="v3")
    assert save_model(_text_model(0), tmp_path) == "v4"


def _copy_version(src: Path, dst: Path) -> None:
    dst.mkdir()
    (dst / "metadata.json").write_text((src / "metadata.json").read_text())


def test_load_refuses_corrupt_untrusted_and_pickle(text_registry, tmp_path):
    import pickle

    reg = tmp_path / "reg"
    reg.mkdir()
    _copy_version(text_registry / "v1", reg / "v1")
    (reg / "v1" / "model.skops").write_bytes(b"this is not a zip file")
    with pytest.raises(ModelLoadError, match="not a readable skops file"):
        load_model(reg, "v1")
    _copy_version(text_registry / "v1", reg / "v2")
    sio.dump(FunctionTransformer(func=os.system), reg / "v2" / "model.skops")
    with pytest.raises(ModelLoadError, match="untrusted types.*posix.system|nt.system"):
        load_model(reg, "v2")
    _copy_version(text_registry / "v1", reg / "v3")
    (reg / "v3" / "model.skops").write_bytes(pickle.dumps(_text_model(0)))
    with pytest.raises(ModelLoadError, match="not a readable skops file"):
        load_model(reg, "v3")
    with pytest.raises(ModelLoadError, match="not found"):
        load_model(reg, "v9")
    with pytest.raises(ModelLoadError, match="looks like"):
        load_model(reg, "../v1")


def test_prediction_log_rotates_within_bound(tmp_path):
    path = tmp_path / "p.jsonl"
    log = PredictionLog(path, max_bytes=2000, backups=2)
    for i in range(200):
        log.write([json.dumps({"i": i, "pad": "x" * 40})])
    log.close()
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["p.jsonl", "p.jsonl.1", "p.jsonl.2"]
    assert all(f.stat().st_size <= 2000 for f in files)
    last = json.loads(path.read_text().splitlines()[-1])
    assert last["i"] == 199
    with pytest.raises(ValueError, match="max_bytes"):
        PredictionLog(path, max_bytes=10)


# ---- a real server ------------------------------------------------------------------------------


@pytest.mark.server
def test_predict_health_metrics(client, server):
    r = client.post(
        "/predict",
        json={"instances": ["cheap pills buy now", "meeting notes"]},
        headers={"X-Request-ID": "req-42"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["predictions"] == [1, 0]
    assert len(body["probabilities"]) == 2 and 0.5 < body["probabilities"][0] <= 1
    assert body["model_version"] == "v2" and body["request_id"] == "req-42"
    assert r.headers["x-request-id"] == "req-42"
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["model_version"] == "v2"
    text = client.get("/metrics").text
    for name in [
        'mlcourse_requests_total{endpoint="/predict",status="200"}',
        "mlcourse_request_duration_seconds_bucket",
        'mlcourse_predictions_total{model_version="v2",predicted_class="1"}',
        'mlcourse_model_info{version="v2"} 1.0',
    ]:
        assert name in text


@pytest.mark.server
def test_fast_text_path_serves_what_the_model_predicts(client, text_registry):
    # the server counts tokens with mlcourse._fast_text; answers must match the model in-process
    assert client.get("/health").json()["fast_text"] is True
    model, _ = load_model(text_registry)
    batch = [
        "CHEAP pills, buy-now!!",
        "Meeting_notes for the project review",
        "naïve café: win a free prize",
        "日本語 cheap\u00a0pills \ud800 replica",
        "",
        "a b c",
    ]
    r = client.post("/predict", content=json.dumps({"instances": batch}).encode())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["predictions"] == model.predict(batch).tolist()
    np.testing.assert_allclose(body["probabilities"], model.predict_proba(batch)[:, 1], rtol=1e-12)


def test_fast_text_can_be_turned_off(text_registry, numeric_registry):
    from mlcourse.serve import create_app

    assert create_app(text_registry).state.service.handle.fast is not None
    assert create_app(text_registry, fast_text=False).state.service.handle.fast is None
    assert create_app(numeric_registry).state.service.handle.fast is None


def test_fast_text_falls_back_when_the_probe_disagrees(text_registry, monkeypatch, capsys):
    import mlcourse._fast_text as fast_text
    from mlcourse.serve import create_app

    monkeypatch.setattr(fast_text, "same_output", lambda *args, **kwargs: False)
    service = create_app(text_registry).state.service
    assert service.handle.fast is None
    assert "using scikit-learn's transform" in capsys.readouterr().err
    assert service._predict_arrays(service.handle, ["cheap pills buy now"])[0] == [1]


@pytest.mark.server
def test_prediction_log_has_no_raw_input_by_default(client, server):
    client.post(
        "/predict",
        json={"instances": ["secret personal email text"]},
        headers={"X-Request-ID": "log-check"},
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [json.loads(x) for x in server.log_path.read_text().splitlines()]
        mine = [x for x in lines if x["request_id"] == "log-check"]
        if mine:
            break
        time.sleep(0.05)
    (rec,) = mine
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


BAD_BODIES = [
    (b"\xff\xfe\x00{", 400, "UTF-8"),
    (b"", 400, "empty"),
    (b"{not json", 400, "not valid JSON"),
    (b'{"instances": [NaN]}', 400, "NaN"),
    (b"[" * 50_000, 400, "nested too deeply"),
    (b"[]", 422, "instances"),
    (b'{"rows": ["a"]}', 422, "instances"),
    (b'{"instances": "one email"}', 422, "must be a list"),
    (b'{"instances": []}', 422, "empty"),
    (b'{"instances": ["ok", 3]}', 422, "instances[1]"),
    (b'{"instances": [null]}', 422, "instances[0]"),
    (json.dumps({"instances": ["a"] * 1001}).encode(), 422, "limit is 1000"),
    (json.dumps({"instances": ["a" * 50_001]}).encode(), 422, "characters"),
]


@pytest.mark.server
@pytest.mark.parametrize(("body", "status", "message"), BAD_BODIES)
def test_bad_input_gets_a_clear_4xx(client, body, status, message):
    r = client.post("/predict", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    assert message in r.json()["detail"]


@pytest.mark.server
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


@pytest.mark.server
def test_wrong_method_and_path_are_4xx(client):
    assert client.get("/predict").status_code == 405
    assert client.get("/nope").status_code == 404


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


@pytest.mark.server
@FUZZ
@given(body=fuzz_bodies)
def test_fuzzed_predict_never_5xx(client, body):
    r = client.post("/predict", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code < 500, (body, r.text)
    if r.status_code != 200:
        assert 400 <= r.status_code < 500 and r.json()["detail"]


@pytest.fixture(scope="module")
def numeric_client(numeric_registry):
    with ServerProcess(numeric_registry) as srv, httpx.Client(base_url=srv.url, timeout=10) as c:
        yield c


@pytest.mark.server
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


@pytest.mark.server
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


@pytest.mark.server
def test_admin_needs_the_token(client):
    assert client.post("/admin/swap", json={"version": "v1"}).status_code == 401
    bad = {"Authorization": "Bearer wrong"}
    assert client.post("/admin/swap", json={"version": "v1"}, headers=bad).status_code == 403
    assert client.post("/admin/rollback", headers=bad).status_code == 403
    assert client.get("/admin/versions").status_code == 401
    assert client.post("/admin/rollback", headers={"Authorization": "Basic x"}).status_code == 401
    assert client.get("/health").json()["model_version"] == "v2"


@pytest.mark.server
def test_admin_disabled_without_a_token(numeric_client):
    r = numeric_client.post("/admin/rollback", headers={"Authorization": "Bearer anything"})
    assert r.status_code == 403 and "disabled" in r.json()["detail"]


@pytest.fixture
def swap_registry(text_registry, tmp_path):
    reg = tmp_path / "reg"
    reg.mkdir()
    for v in ("v1", "v2"):
        (reg / v).mkdir()
        for f in ("model.skops", "metadata.json"):
            (reg / v / f).write_bytes((text_registry / v / f).read_bytes())
    return reg


@pytest.mark.server
def test_hot_swap_under_load_fails_no_request(swap_registry):
    admin = {"Authorization": f"Bearer {TOKEN}"}
    with ServerProcess(swap_registry, admin_token=TOKEN, extra_args=["--version", "v1"]) as srv:
        with BackgroundLoad(srv.url, HAM + SPAM, concurrency=8, max_duration=60) as load:
            time.sleep(0.5)
            r = httpx.post(
                srv.url + "/admin/swap", json={"version": "v2"}, headers=admin, timeout=60
            )
            after = httpx.post(srv.url + "/predict", json={"instances": ["hello"]}).json()
            time.sleep(0.3)
        result = load.result
        assert r.status_code == 200, r.text
        assert r.json() == {"previous_version": "v1", "model_version": "v2"}
        assert after["model_version"] == "v2"
        assert result.failed == 0, result.statuses
        assert result.versions.get("v1", 0) > 0 and result.versions.get("v2", 0) > 0
        # rollback, and rollback again has nothing left
        r = httpx.post(srv.url + "/admin/rollback", headers=admin)
        assert r.json() == {"previous_version": "v2", "model_version": "v1"}
        assert httpx.post(srv.url + "/admin/rollback", headers=admin).status_code == 409
        versions = httpx.get(srv.url + "/admin/versions", headers=admin).json()
        assert versions["serving"] == "v1"
        assert [v["version"] for v in versions["versions"]] == ["v1", "v2"]


@pytest.mark.server
def test_corrupt_or_untrusted_model_is_refused_and_old_keeps_serving(swap_registry):
    admin = {"Authorization": f"Bearer {TOKEN}"}
    (swap_registry / "v3").mkdir()
    (swap_registry / "v3" / "metadata.json").write_text('{"version": "v3"}')
    (swap_registry / "v3" / "model.skops").write_bytes(b"PK\x03\x04 truncated garbage")
    with ServerProcess(swap_registry, admin_token=TOKEN, extra_args=["--version", "v2"]) as srv:
        c = httpx.Client(base_url=srv.url, headers=admin)
        r = c.post("/admin/swap", json={"version": "v3"})
        assert r.status_code == 422 and "not a readable skops file" in r.json()["detail"]
        assert "still serving v2" in r.json()["detail"]
        (swap_registry / "v4").mkdir()
        (swap_registry / "v4" / "metadata.json").write_text('{"version": "v4"}')
        sio.dump(FunctionTransformer(func=os.system), swap_registry / "v4" / "model.skops")
        r = c.post("/admin/swap", json={"version": "v4"})
        assert r.status_code == 422 and "untrusted" in r.json()["detail"]
        assert c.post("/admin/swap", json={"version": "v9"}).status_code == 404
        assert c.post("/admin/swap", json={"version": "../../etc"}).status_code == 422
        assert c.post("/admin/swap", content=b"\xff").status_code == 400
        r = c.post("/predict", json={"instances": ["cheap pills buy now"]})
        assert r.status_code == 200 and r.json()["model_version"] == "v2"
        assert 'mlcourse_model_swaps_total{outcome="refused"} 2.0' in c.get("/metrics").text
        c.close()


# ---- the command line, and no orphan processes --------------------------------------------------


def test_cli_refuses_a_bad_registry_with_a_message(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "mlcourse", "serve", "--registry", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    (tmp_path / "v1").mkdir()
    (tmp_path / "v1" / "model.skops").write_bytes(b"garbage")
    proc = subprocess.run(
        [sys.executable, "-m", "mlcourse", "serve", "--registry", str(tmp_path), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "not a readable skops file" in proc.stderr


@pytest.mark.server
def test_server_exits_when_its_parent_dies(text_registry, tmp_path):
    import psutil

    script = textwrap.dedent(f"""
        import os, sys
        from mlcourse.serve import ServerProcess
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
