"""mlcourse.serving without a server: registry, audit, structural checks, settings, the log."""

from __future__ import annotations

import json
import logging
import os
import pickle
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest
from serving_util import numeric_model, segfault_model, text_model, write_version
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler

from mlcourse.serving import (
    ModelLoadError,
    PredictionLogHandler,
    Settings,
    list_versions,
    load_model,
    save_model,
)
from mlcourse.serving.checks import ModelCheckError, check_model
from mlcourse.serving.registry import load_version, read_pointer, write_pointer
from mlcourse.serving.settings import add_arguments

# ---- registry --------------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path):
    assert save_model(text_model(0), tmp_path, metrics={"accuracy": 0.9}) == "v1"
    assert save_model(text_model(1), tmp_path, data_summary={"n": 60}) == "v2"
    assert list_versions(tmp_path) == ["v1", "v2"]
    model, meta = load_model(tmp_path)
    assert meta["version"] == "v2" and meta["input"] == {"kind": "text"}
    assert meta["data_summary"] == {"n": 60} and "created" in meta
    assert load_model(tmp_path, "v1")[1]["metrics"] == {"accuracy": 0.9}
    assert model.predict(["cheap pills buy now"]).tolist() == [1]
    save_model(numeric_model(3), tmp_path)
    assert load_model(tmp_path)[1]["input"] == {"kind": "numeric", "n_features": 3}


def test_save_refuses_untrusted_types_and_bad_arguments(tmp_path):
    X = np.arange(20.0).reshape(10, 2)
    model = make_pipeline(FunctionTransformer(func=np.negative), LogisticRegression())
    with pytest.raises(ModelLoadError, match="FunctionTransformer"):
        save_model(model.fit(X, np.arange(10) % 2), tmp_path)
    with pytest.raises(TypeError, match="predict"):
        save_model(object(), tmp_path)
    with pytest.raises(ValueError, match="v1"):
        save_model(text_model(0), tmp_path, version="latest")
    save_model(text_model(0), tmp_path, version="v3")
    with pytest.raises(ValueError, match="already exists"):
        save_model(text_model(0), tmp_path, version="v3")
    assert save_model(text_model(0), tmp_path) == "v4"


def test_load_refuses_corrupt_untrusted_and_pickle(tmp_path):
    write_version(tmp_path, "v1", raw=b"this is not a zip file")
    with pytest.raises(ModelLoadError, match="not a readable skops file"):
        load_model(tmp_path, "v1")
    write_version(tmp_path, "v2", FunctionTransformer(func=os.system))
    with pytest.raises(ModelLoadError, match="untrusted types.*system"):
        load_model(tmp_path, "v2")
    write_version(tmp_path, "v3", raw=pickle.dumps(text_model(0)))
    with pytest.raises(ModelLoadError, match="not a readable skops file"):
        load_model(tmp_path, "v3")
    with pytest.raises(ModelLoadError, match="not found") as missing:
        load_model(tmp_path, "v9")
    assert missing.value.status == 404
    with pytest.raises(ModelLoadError, match="looks like"):
        load_model(tmp_path, "../v1")


# ---- structural checks -------------------------------------------------------------------------


def test_the_segfault_model_really_crashes_scikit_learn(tmp_path):
    # why the check exists: this file passes the type audit, and scikit-learn dies on it
    write_version(tmp_path, "v1", segfault_model())
    script = textwrap.dedent(f"""
        import skops.io as sio
        path = {str(tmp_path / "v1" / "model.skops")!r}
        model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        model.predict_proba(["cheap pills"])
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode < 0, "expected the process to die from a signal (SIGSEGV)"
    with pytest.raises(ModelLoadError, match=r"vocabulary_: column 100000000 .* outside \[0, "):
        load_version(tmp_path, "v1")
    with pytest.raises(ModelLoadError, match="would refuse"):
        save_model(segfault_model(), tmp_path / "other")


def _broken(kind: str):
    model = text_model(0)
    vec, clf = model[0], model[-1]
    if kind == "negative column":
        vec.vocabulary_["cheap"] = -1
    elif kind == "duplicate column":
        vec.vocabulary_["cheap"] = vec.vocabulary_["pills"]
    elif kind == "coef too narrow":
        clf.coef_ = clf.coef_[:, :-1]
    elif kind == "coef not finite":
        clf.coef_[0, 0] = np.nan
    elif kind == "classes and coef disagree":
        clf.classes_ = np.array([0, 1, 2])
    elif kind == "intercept shape":
        clf.intercept_ = np.zeros(3)
    elif kind == "input=filename":
        vec.input = "filename"  # would read files named by the request text
    elif kind == "ngram_range":
        vec.ngram_range = (1, 1000)
    elif kind == "wider vocabulary":
        other = CountVectorizer().fit(["a whole different vocabulary of many more words here"])
        model.steps[0] = ("countvectorizer", other)
    elif kind == "union widths":
        union = make_union(CountVectorizer(), TfidfVectorizer()).fit(["cheap pills", "lunch"])
        model = make_pipeline(union, LogisticRegression()).fit(["cheap pills", "lunch"], [1, 0])
        model[-1].coef_ = model[-1].coef_[:, :3]
        model[-1].n_features_in_ = 3
    elif kind == "scaler width":
        model = make_pipeline(CountVectorizer(), MaxAbsScaler(), MultinomialNB())
        model.fit(["cheap pills", "lunch on friday"], [1, 0])
        model[1].scale_ = model[1].scale_[:-1]
    return model


BROKEN = {
    "negative column": "outside",
    "duplicate column": "used twice",
    "coef too narrow": r"coef_: has shape \(1, \d+\)",
    "coef not finite": "NaN",
    "classes and coef disagree": "coef_: has shape",
    "intercept shape": "intercept_",
    "input=filename": "input='filename'",
    "ngram_range": "ngram_range",
    "wider vocabulary": "takes .* features but the previous step gives",
    "union widths": "takes 3 features but the previous step gives",
    "scaler width": "scale_",
}


@pytest.mark.parametrize("kind", BROKEN)
def test_structural_check_names_the_problem(kind):
    with pytest.raises(ModelCheckError, match=BROKEN[kind]):
        check_model(_broken(kind))


def test_structural_check_accepts_the_served_pipelines():
    texts, y = ["cheap pills now", "lunch on friday", "win a prize", "notes"], [1, 0, 1, 0]
    for model in [
        text_model(0),
        make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(texts, y),
        make_pipeline(make_union(CountVectorizer(), TfidfVectorizer()), MultinomialNB()).fit(
            texts, y
        ),
    ]:
        assert check_model(model).kind == "text"
    assert check_model(numeric_model(4)).n_features == 4


def _thresholded(threshold=0.9, **kw):
    return FixedThresholdClassifier(text_model(0), threshold=threshold, **kw)


THRESHOLD_REFUSED = {
    "a threshold above 1": (lambda: _thresholded(1.5), r"threshold: .* in \[0, 1\]"),
    "a NaN threshold": (lambda: _thresholded(float("nan")), r"threshold: .* in \[0, 1\]"),
    "a text threshold": (lambda: _thresholded("high"), "threshold: expected a number"),
    "pos_label of the other class": (lambda: _thresholded(pos_label=0), "pos_label=0"),
    "decision_function": (
        lambda: _thresholded(0.0, response_method="decision_function"),
        "response_method='decision_function'",
    ),
    "inside a pipeline": (
        lambda: make_pipeline(
            CountVectorizer(), FixedThresholdClassifier(LogisticRegression(), threshold=0.9)
        ).fit(["cheap pills", "lunch on friday"], [1, 0]),
        "must wrap the whole model",
    ),
    "a broken model inside": (
        lambda: FixedThresholdClassifier(segfault_model(), threshold=0.9),
        r"model.estimator\['countvectorizer'\].vocabulary_: column 100000000",
    ),
}


@pytest.mark.parametrize("case", THRESHOLD_REFUSED)
def test_a_decision_threshold_is_checked(case):
    make, message = THRESHOLD_REFUSED[case]
    with pytest.raises(ModelCheckError, match=message):
        check_model(make())


def test_a_decision_threshold_is_saved_loaded_and_served(tmp_path):
    from fastapi.testclient import TestClient

    from mlcourse.serving import create_app

    texts = ["cheap pills buy now", "meeting notes", "win a prize", "cheap lunch", ""]
    model = _thresholded(0.8)
    assert check_model(model).threshold == 0.8
    assert check_model(FixedThresholdClassifier(text_model(0))).threshold == 0.5  # "auto"
    assert check_model(text_model(0)).threshold is None
    save_model(model, tmp_path)
    loaded, _ = load_model(tmp_path)
    assert loaded.threshold == 0.8
    with TestClient(create_app(tmp_path)) as client:
        body = client.post("/predict", json={"instances": texts}).json()
        health = client.get("/health").json()
    proba = model.predict_proba(texts)[:, 1]
    assert body["predictions"] == model.predict(texts).tolist()  # scikit-learn's own rule
    assert body["predictions"] == (proba >= 0.8).astype(int).tolist()
    assert body["predictions"] != text_model(0).predict(texts).tolist(), "0.8 changes nothing?"
    np.testing.assert_allclose(body["probabilities"], proba, rtol=1e-12)
    assert health["decision_threshold"] == 0.8


def test_decompressed_size_is_capped_before_loading(tmp_path):
    folder = write_version(tmp_path, "v1", text_model(0))
    with zipfile.ZipFile(folder / "model.skops", "a", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("padding.npy", "w", force_zip64=True) as member:
            for _ in range(64):
                member.write(bytes(1 << 20))  # 64 MiB of zeros: a few hundred KB compressed
    assert (folder / "model.skops").stat().st_size < 2 << 20
    with pytest.raises(ModelLoadError, match="decompresses to 67,.* the limit is 20,000,000"):
        load_version(tmp_path, "v1", max_bytes=20_000_000)
    load_version(tmp_path, "v1", max_bytes=100_000_000)  # within the cap it loads


BAD_METADATA = {
    "not JSON": (b"{version: v1", "not valid JSON"),
    "a list": (b"[1, 2]", "not a JSON object"),
    "nested too deeply": (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
    "input as a string": (b'{"input": "text"}', "input"),
    "unknown input kind": (b'{"input": {"kind": "image"}}', "input.kind"),
    "numeric without width": (b'{"input": {"kind": "numeric"}}', "n_features"),
    "created not a string": (b'{"created": 5}', "created"),
    "metrics not an object": (b'{"metrics": [1]}', "metrics"),
    "input disagrees with the model": (b'{"input": {"kind": "numeric", "n_features": 2}}', "says"),
    "huge": (b'{"pad": "' + b"x" * (2 << 20) + b'"}', "at most 1 MiB"),
}


@pytest.mark.parametrize("case", BAD_METADATA)
def test_metadata_is_validated_by_its_schema(tmp_path, case):
    content, message = BAD_METADATA[case]
    write_version(tmp_path, "v1", text_model(0), metadata=content)
    with pytest.raises(ModelLoadError, match="metadata.json") as refused:
        load_version(tmp_path, "v1")
    assert refused.value.status == 422
    assert message in str(refused.value) or refused.match(message)


def test_pointer_round_trip_and_garbage(tmp_path):
    assert read_pointer(tmp_path) is None
    first = write_pointer(tmp_path, "v1", None)
    second = write_pointer(tmp_path, "v2", first)
    assert (second.serial, second.history) == (2, ["v1"])
    assert read_pointer(tmp_path) == second
    (tmp_path / "current.json").write_text('{"version": "../../etc"}')
    assert read_pointer(tmp_path) is None


# ---- settings ------------------------------------------------------------------------------------


def test_settings_round_trip_through_the_command_line(tmp_path):
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    settings = Settings(registry=tmp_path, workers=2, max_instances=7, body_timeout=2.5)
    back = Settings.from_args(parser.parse_args(settings.to_args()))
    assert back == settings
    help_text = parser.format_help()
    for option in ["--max-header-bytes", "--header-timeout", "--body-timeout", "--workers"]:
        assert option in help_text
    with pytest.raises(SystemExit):
        parser.parse_args(["--registry", "x", "--max-instances", "0"])
    with pytest.raises(ValueError, match="max_header_bytes"):
        Settings(registry=tmp_path, max_header_bytes=10)
    secret = Settings(registry=tmp_path, admin_token="s3cret")
    assert "s3cret" not in repr(secret) and "s3cret" not in secret.to_args()


# ---- the prediction log --------------------------------------------------------------------------


def _record(message: str) -> logging.LogRecord:
    return logging.makeLogRecord({"msg": message, "levelno": logging.INFO})


@pytest.mark.parametrize("backups", [0, 2])
def test_log_rotation_stays_within_its_bound(tmp_path, backups):
    path = tmp_path / "p.jsonl"
    handler = PredictionLogHandler(path, max_bytes=2000, backups=backups)
    for i in range(300):  # non-ASCII text is longer in bytes than in characters
        lines = [
            json.dumps({"i": i, "j": j, "t": "é" * (i % 97)}, ensure_ascii=False) for j in range(2)
        ]
        handler.emit(_record("\n".join(lines)))
    handler.close()
    files = sorted(p for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert [f.name for f in files] == ["p.jsonl"] + [f"p.jsonl.{k}" for k in range(1, backups + 1)]
    assert all(f.stat().st_size <= 2000 for f in files), [f.stat().st_size for f in files]
    assert json.loads(path.read_text().splitlines()[-1])["i"] == 299
    with pytest.raises(ValueError, match="max_bytes"):
        PredictionLogHandler(path, max_bytes=10)


def test_log_files_are_private(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text("")
    path.chmod(0o644)  # an older, world-readable file is tightened
    handler = PredictionLogHandler(path, max_bytes=1024, backups=1)
    for i in range(100):
        handler.emit(_record(json.dumps({"i": i, "input": "secret email"})))
    handler.close()
    for f in tmp_path.iterdir():
        assert f.stat().st_mode & 0o077 == 0, (f.name, oct(f.stat().st_mode))


def test_a_record_over_the_bound_is_refused_not_written(tmp_path):
    path = tmp_path / "p.jsonl"
    handler = PredictionLogHandler(path, max_bytes=1024, backups=1)
    failures = []
    handler.handleError = failures.append
    handler.emit(_record("x" * 2000))
    handler.close()
    assert len(failures) == 1 and path.read_text() == ""


def test_log_is_shared_safely_by_several_processes(tmp_path):
    # what `serve --workers N` does: four writers, one file, rotating all the time
    path = tmp_path / "p.jsonl"
    script = textwrap.dedent("""
        import json, logging, sys, time
        from mlcourse.serving.logs import PredictionLogHandler
        handler = PredictionLogHandler(sys.argv[1], max_bytes=8192, backups=400)
        time.sleep(max(0.0, float(sys.argv[3]) - time.time()))  # all four start together
        for i in range(2000):
            lines = [json.dumps({"w": sys.argv[2], "i": i, "j": j}) for j in range(2)]
            handler.emit(logging.makeLogRecord({"msg": "\\n".join(lines)}))
        handler.close()
    """)
    start = str(time.time() + 8)
    cmd = [sys.executable, "-c", script, str(path)]
    procs = [subprocess.Popen([*cmd, str(w), start]) for w in range(4)]
    assert all(p.wait(120) == 0 for p in procs)
    files = [p for p in tmp_path.iterdir() if p.name.startswith("p.jsonl")]
    assert all(f.stat().st_size <= 8192 for f in files), sorted(f.stat().st_size for f in files)
    files.sort(key=lambda f: -int(f.suffix[1:]) if f.suffix[1:].isdigit() else 0)  # oldest first
    seen = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    for w in range(4):  # each writer's lines in the order it wrote them: nothing went astray
        mine = [(r["i"], r["j"]) for r in seen if r["w"] == str(w)]
        assert mine == sorted(mine), f"writer {w}'s lines are out of order across files"
    assert sorted((r["w"], r["i"], r["j"]) for r in seen) == sorted(
        (str(w), i, j) for w in range(4) for i in range(2000) for j in range(2)
    )


def test_the_admin_token_is_read_from_the_environment_and_never_printed(monkeypatch):
    import argparse

    monkeypatch.setenv("MLCOURSE_ADMIN_TOKEN", "s3cret-from-env")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert "s3cret-from-env" not in parser.format_help()
    assert parser.parse_args(["--registry", "x"]).admin_token == "s3cret-from-env"
