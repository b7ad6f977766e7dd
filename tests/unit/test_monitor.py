"""mlcourse.monitor: KS and PSI against known cases, edge cases, and reading prediction logs."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from mlcourse.monitor import PSI_LARGE, drift_report, ks_test, psi, read_prediction_log
from mlcourse.serving import PredictionLogHandler


def test_psi_of_identical_samples_is_zero():
    x = np.random.default_rng(0).normal(size=1000)
    assert psi(x, x) == pytest.approx(0.0, abs=1e-12)


def test_psi_matches_a_hand_computation():
    ref = np.repeat([0.0, 1.0], 50)  # two bins with 50% each
    cur = np.repeat([0.0, 1.0], [20, 80])
    expected = (0.2 - 0.5) * np.log(0.2 / 0.5) + (0.8 - 0.5) * np.log(0.8 / 0.5)
    assert psi(ref, cur, bins=2) == pytest.approx(expected)


def test_psi_grows_with_the_shift_and_not_with_sample_size():
    rng = np.random.default_rng(1)
    values = [psi(rng.normal(size=20_000), rng.normal(m, 1, size=20_000)) for m in (0, 0.25, 1)]
    assert values[0] < 0.01 < values[1] < PSI_LARGE < values[2]
    small = psi(rng.normal(size=2_000), rng.normal(0.25, 1, size=2_000))
    large = psi(rng.normal(size=200_000), rng.normal(0.25, 1, size=200_000))
    assert abs(small - large) < 0.03


def test_psi_edge_cases():
    # repeated values: quantile edges collapse, fewer bins, still finite
    ref = np.r_[np.zeros(900), np.linspace(0, 1, 100)]
    assert np.isfinite(psi(ref, np.zeros(50)))
    # constant reference: moving mass above it is a large shift
    assert psi(np.ones(100), np.ones(100)) == pytest.approx(0.0)
    assert psi(np.ones(100), np.full(100, 2.0)) > PSI_LARGE
    # values outside the reference range are counted in the open outer bins
    assert psi(np.linspace(0, 1, 1000), np.full(100, 5.0)) > PSI_LARGE
    assert psi(np.linspace(0, 1, 1000), np.full(100, -5.0)) > PSI_LARGE
    # empty bins are floored at eps, so the statistic stays finite
    assert np.isfinite(psi(np.linspace(0, 1, 1000), np.full(10, 0.5)))
    # a single current value works
    assert np.isfinite(psi(np.linspace(0, 1, 1000), [0.3]))


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"reference": [], "current": [1.0]}, ValueError),
        ({"reference": [1.0, np.nan], "current": [1.0]}, ValueError),
        ({"reference": [[1.0]], "current": [1.0]}, ValueError),
        ({"reference": "abc", "current": [1.0]}, TypeError),
        ({"reference": [1.0, 2.0], "current": [1.0], "bins": 1}, ValueError),
        ({"reference": [1.0, 2.0], "current": [1.0], "eps": 0}, ValueError),
    ],
)
def test_psi_rejects_bad_input(kwargs, error):
    with pytest.raises(error):
        psi(**kwargs)


def test_ks_known_cases():
    rng = np.random.default_rng(2)
    same = ks_test(rng.uniform(size=500), rng.uniform(size=500))
    assert not same["drift"] and same["p_value"] > 0.05
    shifted = ks_test(rng.uniform(size=500), rng.uniform(0.3, 1.3, size=500))
    assert shifted["drift"] and shifted["statistic"] == pytest.approx(0.3, abs=0.08)
    assert ks_test([0.0, 1.0], [0.0, 1.0])["statistic"] == 0.0
    with pytest.raises(ValueError, match="alpha"):
        ks_test([1.0], [2.0], alpha=2)


def test_ks_flags_a_tiny_shift_on_a_large_sample_psi_does_not():
    rng = np.random.default_rng(3)
    ref, cur = rng.normal(size=200_000), rng.normal(0.03, 1, size=200_000)
    assert ks_test(ref, cur)["p_value"] < 1e-6
    assert psi(ref, cur) < 0.01


def test_drift_report_table():
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({"score": rng.uniform(size=2000), "input_length": rng.normal(600, 50, 2000)})
    cur = pd.DataFrame({"score": rng.uniform(size=2000), "input_length": rng.normal(900, 50, 2000)})
    report = drift_report(ref, cur)
    assert list(report.index) == ["score", "input_length"]
    assert report.loc["score", "psi_level"] == "stable"
    assert report.loc["input_length", "psi_level"] == "large"
    assert bool(report.loc["input_length", "ks_drift"])
    with pytest.raises(ValueError, match="missing"):
        drift_report(ref, cur, columns=["nope"])
    with pytest.raises(TypeError):
        drift_report(ref.values, cur)


def test_read_prediction_log_reads_rotated_files_in_order(tmp_path):
    path = tmp_path / "predictions.jsonl"
    log = PredictionLogHandler(path, max_bytes=1024, backups=5)
    for i in range(60):
        line = json.dumps({"ts": "2026-01-01T00:00:00+00:00", "i": i, "score": i / 60})
        log.emit(logging.makeLogRecord({"msg": line}))
    log.close()
    with open(path, "a") as fh:
        fh.write('{"i": 60, "sco')  # a line cut short by a crash
    df = read_prediction_log(path)
    assert df["i"].tolist() == list(range(60))
    assert df["score"].dtype == float and str(df["ts"].dt.tz) == "UTC"
    assert len(read_prediction_log(path, rotated=False)) < 60
    with pytest.raises(FileNotFoundError):
        read_prediction_log(tmp_path / "missing.jsonl")
