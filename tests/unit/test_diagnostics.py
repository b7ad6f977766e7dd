from __future__ import annotations

import pytest

from mlcourse.diagnostics import NEXT_STEPS, diagnose


@pytest.mark.parametrize(
    ("train", "cv", "base", "verdict"),
    [
        (0.002, 0.05, 0.01, "high variance"),
        (0.06, 0.065, 0.01, "high bias"),
        (0.06, 0.12, 0.01, "high bias and high variance"),
        (0.012, 0.018, 0.01, "ok"),
        (0.02, 0.03, 0.01, "ok"),  # exactly at the threshold is not "high"
    ],
)
def test_verdicts(train, cv, base, verdict):
    assert diagnose(train, cv, base).verdict == verdict


def test_gaps_and_advice():
    d = diagnose(0.03, 0.08, 0.01)
    assert d.avoidable_bias == pytest.approx(0.02)
    assert d.variance == pytest.approx(0.05)
    assert d.next_steps == NEXT_STEPS["high bias"] + NEXT_STEPS["high variance"]
    assert "high bias and high variance" in str(d)
    assert d.as_dict()["diagnosis"] == d.verdict


def test_thresholds_are_configurable():
    assert diagnose(0.03, 0.045, 0.01, bias_threshold=0.03).verdict == "high variance"
    assert diagnose(0.03, 0.045, 0.01, variance_threshold=0.02).verdict == "high bias"


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        ((5.0, 0.1), ValueError, "percentage"),
        ((-0.1, 0.1), ValueError, "between 0 and 1"),
        (("0.1", 0.1), TypeError, "number"),
        ((True, 0.1), TypeError, "number"),
    ],
)
def test_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        diagnose(*args)
