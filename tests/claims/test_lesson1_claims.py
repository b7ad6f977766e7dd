"""Lesson 1's claims, checked on the notebook's own results for each seed.

``notebooks/01_iterative_loop.ipynb`` runs with papermill for every seed (see ``conftest.py``);
it saves ``encodings`` (binary vs counts), ``learning_curve`` (turn 1's curve),
``curve_reading`` (how fast the curve falls, and what it predicts for turn 2) and ``turns``
(the results table of the three turns, with each turn's diagnosis).
"""

from __future__ import annotations

import pytest

from .conftest import all_lesson_runs, assert_clean, lesson_runs

pytestmark = pytest.mark.claims
BASELINE = 0.01  # the lesson's human-level error (the generator's label noise)
POINT = 0.01  # one percentage point of error

run = lesson_runs("01_iterative_loop")
runs = all_lesson_runs("01_iterative_loop")


def test_the_notebook_runs_without_errors_or_warnings(run):
    assert_clean(run)


def _turn(run, n):
    row = run["turns"].loc[n]
    return row["train error"], row["CV error"], row["diagnosis"]


def test_corpus_is_hard_enough_but_not_too_hard(run):
    _, cv1, _ = _turn(run, 1)
    assert 0.03 <= cv1 <= 0.07, f"seed {run.seed}: turn-1 CV error {cv1:.2%} outside 3-7%"


def test_binary_and_counts_are_within_a_point(run):
    cv = run["encodings"]["CV error"]
    assert abs(cv["binary"] - cv["counts"]) < POINT, (
        f"seed {run.seed}: binary CV error {cv['binary']:.2%} vs counts {cv['counts']:.2%}; "
        "the lesson says the two are within a point (too close to choose on)"
    )


def test_the_encoding_matters_less_than_the_draw_of_the_corpus(runs):
    # "... less than the CV error of either moves when you draw another corpus (change SEED)"
    binary = [r["encodings"].loc["binary", "CV error"] for r in runs]
    counts = [r["encodings"].loc["counts", "CV error"] for r in runs]
    largest_difference = max(abs(b - c) for b, c in zip(binary, counts))
    spread = min(max(binary) - min(binary), max(counts) - min(counts))
    assert largest_difference < spread, (
        f"seeds {[r.seed for r in runs]}: binary {binary}, counts {counts}; the largest "
        f"difference {largest_difference:.2%} is not below the spread over seeds {spread:.2%}"
    )


def test_turn1_diagnosis_is_high_variance(run):
    tr1, cv1, verdict = _turn(run, 1)
    assert verdict == "high variance", (
        f"seed {run.seed}: turn 1 (train {tr1:.2%}, CV {cv1:.2%}) diagnosed {verdict!r}"
    )


def test_learning_curve_still_falls_with_shrinking_returns_per_label(run):
    curve, reading = run["learning_curve"], run["curve_reading"]
    cv, gap = curve["CV error"], curve["CV error"] - curve["train error"]
    assert cv.iloc[-1] < cv.iloc[-2], (
        f"seed {run.seed}: CV error not still falling at the right edge of the curve:\n{curve}"
    )
    assert gap.iloc[-1] > BASELINE, (
        f"seed {run.seed}: the gap is not wide at the right edge:\n{curve}"
    )
    # "the last doubling of the data bought about a point or less, and it took four times as
    # many new emails as the first ... every further point costs more labels than the one before"
    assert reading["last fall"] < 1.25 * POINT, (
        f"seed {run.seed}: the last doubling bought more than about a point:\n{reading}\n{curve}"
    )
    per_label_first = reading["first fall"] / (curve.index[1] - curve.index[0])
    per_label_last = reading["last fall"] / (curve.index[-1] - curve.index[-2])
    assert per_label_last < per_label_first, (
        f"seed {run.seed}: a label buys as much at the right edge as at the left:\n"
        f"{reading}\n{curve}"
    )


def test_turn2_lands_near_what_the_curve_predicted(run):
    _, cv2, _ = _turn(run, 2)
    predicted = run["curve_reading"]["predicted turn-2 CV"]
    assert abs(cv2 - predicted) < POINT / 2, (
        f"seed {run.seed}: turn-2 CV error {cv2:.2%}, the curve predicted {predicted:.2%}; the "
        "lesson says they agree within half a point"
    )


def test_more_data_narrows_the_gap_and_lowers_cv_error(run):
    tr1, cv1, _ = _turn(run, 1)
    tr2, cv2, _ = _turn(run, 2)
    assert cv2 - tr2 < cv1 - tr1, f"seed {run.seed}: gap {cv1 - tr1:.2%} -> {cv2 - tr2:.2%}"
    assert cv2 < cv1, f"seed {run.seed}: CV error {cv1:.2%} -> {cv2:.2%}"
    # ...and training error rises: the model can no longer memorise, bias shows.
    assert tr2 > tr1, f"seed {run.seed}: train error {tr1:.2%} -> {tr2:.2%}"
    # "the avoidable bias has grown to around the one-point threshold"
    bias2 = tr2 - BASELINE
    assert 0.5 * POINT < bias2 < 2 * POINT, (
        f"seed {run.seed}: turn-2 avoidable bias {bias2:.2%}, not around one point"
    )


def test_routing_header_features_help_modestly(run):
    tr2, cv2, _ = _turn(run, 2)
    tr3, cv3, _ = _turn(run, 3)
    assert tr3 < tr2, f"seed {run.seed}: turn-3 train error {tr3:.2%} not below turn 2's {tr2:.2%}"
    assert cv3 < cv2, f"seed {run.seed}: turn-3 CV error {cv3:.2%} not below turn 2's {cv2:.2%}"
    # "the CV error by about a point ... fix some of the errors, not most of them"
    gain = cv2 - cv3
    assert 0.5 * POINT < gain < 2 * POINT, f"seed {run.seed}: gain {gain:.2%}, not about a point"
    assert gain < cv2 / 2, f"seed {run.seed}: {cv2:.2%} -> {cv3:.2%} fixes most of the errors"
    # "still several times the baseline"
    assert cv3 > 2.5 * BASELINE, f"seed {run.seed}: turn-3 CV error {cv3:.2%} near the baseline"


def test_the_route_signs_read_off_the_misses_are_real(run):
    # "Every sign is more common in the spam that got through than in ham"
    rates = run["sign_rates"]
    for sign in rates.columns:
        assert rates.loc["missed spam", sign] > rates.loc["ham", sign], (
            f"seed {run.seed}: sign {sign!r} not more common in missed spam than in ham:\n{rates}"
        )
    # "... some of the dozen misses we read show a sign" (what the learner reads is not empty)
    read = run["misses_read"]
    assert read["with a sign"] >= 2, f"seed {run.seed}: of the misses read, {read.to_dict()}"


def test_a_threshold_for_the_cost_of_lost_mail(run):
    # "the cheapest threshold is well above 0.5 ... loses fewer real emails (a lower
    # false-positive rate and a higher precision) and lets more spam through (a lower recall)"
    t = run["thresholds"]
    default, chosen = t.loc["default"], t.loc["chosen"]
    assert chosen["threshold"] >= 0.6, f"seed {run.seed}: chosen threshold not well above 0.5:\n{t}"
    assert chosen["FP rate"] < default["FP rate"], f"seed {run.seed}: FP rate did not fall:\n{t}"
    assert chosen["precision"] > default["precision"], f"seed {run.seed}: precision:\n{t}"
    assert chosen["recall"] < default["recall"], f"seed {run.seed}: recall did not fall:\n{t}"
    assert chosen["cost"] < default["cost"], f"seed {run.seed}: the cost did not fall:\n{t}"
