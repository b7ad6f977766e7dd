"""Lesson 1's claims, checked on the notebook's own results for each seed.

``notebooks/01_iterative_loop.ipynb`` runs with papermill for every seed (see ``conftest.py``);
it saves ``encodings`` (binary vs counts), ``learning_curve`` (turn 1's curve) and ``turns``
(the results table of the three turns, with each turn's diagnosis).
"""

from __future__ import annotations

import pytest

from .conftest import assert_clean, lesson_runs

pytestmark = pytest.mark.claims
BASELINE = 0.01  # the lesson's human-level error (the generator's label noise)

run = lesson_runs("01_iterative_loop")


def test_the_notebook_runs_without_errors_or_warnings(run):
    assert_clean(run)


def _turn(run, n):
    row = run["turns"].loc[n]
    return row["train error"], row["CV error"], row["diagnosis"]


def test_corpus_is_hard_enough_but_not_too_hard(run):
    _, cv1, _ = _turn(run, 1)
    assert 0.03 <= cv1 <= 0.07, f"seed {run.seed}: turn-1 CV error {cv1:.2%} outside 3-7%"


def test_binary_features_do_at_least_as_well_as_counts(run):
    cv = run["encodings"]["CV error"]
    assert cv["binary"] <= cv["counts"], (
        f"seed {run.seed}: binary CV error {cv['binary']:.2%} vs counts {cv['counts']:.2%}; "
        "the lesson keeps binary features because they do at least as well"
    )


def test_turn1_diagnosis_is_high_variance(run):
    tr1, cv1, verdict = _turn(run, 1)
    assert verdict == "high variance", (
        f"seed {run.seed}: turn 1 (train {tr1:.2%}, CV {cv1:.2%}) diagnosed {verdict!r}"
    )


def test_learning_curve_says_more_data_should_help(run):
    curve = run["learning_curve"]
    cv, gap = curve["CV error"], curve["CV error"] - curve["train error"]
    assert cv.iloc[-1] < cv.iloc[-2], (
        f"seed {run.seed}: CV error not still falling at the right edge of the curve:\n{curve}"
    )
    assert gap.iloc[-1] > BASELINE, (
        f"seed {run.seed}: the gap is not wide at the right edge:\n{curve}"
    )


def test_more_data_narrows_the_gap_and_lowers_cv_error(run):
    tr1, cv1, _ = _turn(run, 1)
    tr2, cv2, verdict2 = _turn(run, 2)
    assert cv2 - tr2 < cv1 - tr1, f"seed {run.seed}: gap {cv1 - tr1:.2%} -> {cv2 - tr2:.2%}"
    assert cv2 < cv1, f"seed {run.seed}: CV error {cv1:.2%} -> {cv2:.2%}"
    # ...and training error rises: the model can no longer memorise, bias shows.
    assert tr2 > tr1, f"seed {run.seed}: train error {tr1:.2%} -> {tr2:.2%}"
    assert "high bias" in verdict2, f"seed {run.seed}: turn 2 diagnosed {verdict2!r}, not high bias"


def test_routing_header_features_remove_bias(run):
    _, cv1, _ = _turn(run, 1)
    tr2, cv2, _ = _turn(run, 2)
    tr3, cv3, verdict3 = _turn(run, 3)
    assert tr3 < tr2, f"seed {run.seed}: turn-3 train error {tr3:.2%} not below turn 2's {tr2:.2%}"
    assert cv3 < cv2 - 0.01, f"seed {run.seed}: turn-3 CV error {cv3:.2%} vs turn 2's {cv2:.2%}"
    assert cv3 < cv1, f"seed {run.seed}: turn 3 ({cv3:.2%}) does not beat turn 1 ({cv1:.2%}) on CV"
    # "close to the human baseline": no avoidable bias left after turn 3.
    assert "high bias" not in verdict3, f"seed {run.seed}: turn 3 diagnosed {verdict3!r}"
    assert cv3 < 2 * BASELINE, f"seed {run.seed}: turn-3 CV error {cv3:.2%} not near the baseline"
