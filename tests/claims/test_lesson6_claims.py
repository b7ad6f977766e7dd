"""Lesson 6's measured claims, on the notebook's own results for each seed.

``notebooks/06_fairness.ipynb`` runs with papermill for every seed (applicants, split,
mitigation, spam corpus, attack and monitoring weeks all follow from it). It saves the baseline
audit (``audit_by_group``, ``audit_disparities``, ``baseline_gate_passed``), the group x sex
audit against the recorded labels and against the ground truth (``intersectional``), ``unaware``
(dropping the group column, or every proxy), ``tradeoff`` (baseline vs mitigations, with
accuracy against the ground truth), ``mitigated_disparities`` (ThresholdOptimizer),
``giveaways`` (the words the attacker disguises), ``normaliser`` (the share of the attacker's
spellings the learned normaliser undoes), ``arms_race`` (spam recall before and after the
attack and the normaliser) and ``weekly`` (the
four-fifths ratio per week of the prediction log).
"""

from __future__ import annotations

import pytest

from .conftest import assert_clean, lesson_runs

pytestmark = pytest.mark.claims
BAD_WEEKS = (5, 6)  # the weeks the notebook serves the unmitigated model

run = lesson_runs("06_fairness")


def test_the_notebook_runs_without_errors_or_warnings(run):
    assert_clean(run)


def test_audit_finds_the_disparity(run):
    d, by = run["audit_disparities"], run["audit_by_group"]
    numbers = f"seed {run.seed}:\n{d}\n{by}"
    assert d["demographic_parity_difference"] > 0.15, numbers
    assert d["selection_rate_ratio"] < 0.8, numbers  # fails the four-fifths rule
    assert d["false_negative_rate_difference"] > 0.2, numbers
    assert by["selection_rate"].idxmin() == "C", numbers
    assert by["false_negative_rate"].idxmax() == "C", numbers
    assert not run["baseline_gate_passed"], f"seed {run.seed}: the baseline passes the gate"


def test_dropping_the_sensitive_column_leaves_most_of_it(run):
    t = run["unaware"]
    dp = t["demographic_parity_difference"]
    numbers = f"seed {run.seed}:\n{t}"
    assert dp["without group"] >= 0.5 * dp["baseline"], "the postcode proxy keeps most: " + numbers
    assert t.loc["without group", "selection_rate_ratio"] < 0.8, numbers
    # Dropping every proxy (possible only because we built the data) removes most of it.
    assert dp["merit features only"] < 0.5 * dp["baseline"], numbers


def test_mitigation_cuts_disparity_well_over_half_at_a_reported_cost(run):
    table = run["tradeoff"]
    base = table.loc["baseline"]
    for name in ["ThresholdOptimizer", "ExponentiatedGradient"]:
        row = table.loc[name]
        cut = 1 - row["demographic_parity_difference"] / base["demographic_parity_difference"]
        cost = base["accuracy"] - row["accuracy"]
        numbers = f"seed {run.seed} {name}: DP cut {cut:.0%}, accuracy cost {cost:.3f}\n{table}"
        assert cut >= 0.6, "should cut the demographic-parity difference well over half: " + numbers
        # "accuracy against the historical labels drops a little"
        assert 0.0 < cost <= 0.035, numbers
        # ... yet against the ground truth, the mitigated model is more accurate.
        assert row["accuracy vs qualified"] > base["accuracy vs qualified"], numbers


def test_mitigated_model_meets_the_parity_target(run):
    # The notebook's gate (DP difference <= 0.10) holds; the four-fifths ratio is near or above
    # 0.8 (how far above varies with the seed, so the notebook claims no more than that).
    d = run["mitigated_disparities"]
    assert d["selection_rate_ratio"] >= 0.75, f"seed {run.seed}:\n{d}"
    assert d["demographic_parity_difference"] <= 0.1, f"seed {run.seed}:\n{d}"


def test_monitoring_flags_the_rolled_back_weeks(run):
    weekly = run["weekly"].set_index("week")
    ratio = weekly["four-fifths ratio"]
    bad = ratio[ratio.index.isin(BAD_WEEKS)]
    good = ratio[~ratio.index.isin(BAD_WEEKS)]
    numbers = f"seed {run.seed}:\n{weekly}"
    assert (weekly.loc[list(BAD_WEEKS), "model_version"] == "v1-baseline").all(), numbers
    assert bad.max() < 0.6, "the unmitigated weeks should fall far below four-fifths: " + numbers
    assert good.min() > bad.max() + 0.1, numbers


def test_intersectional_audit_matches_the_prose(run):
    t = run["intersectional"]
    numbers = f"seed {run.seed}:\n{t}"
    # "The past wronged qualified women in group C most."
    assert t["past hire rate of the qualified"].idxmin() == ("C", "F"), numbers
    # "Group C as a whole is harmed most": both halves of C above every other group, by the truth.
    truth = t["FNR vs qualified (the truth)"]
    assert truth.loc["C"].min() > truth.drop(index="C", level="group").max(), numbers
    # "The audit is measured against biased labels": none hidden in A, the most among C women.
    unseen = t["unseen by the audit"]
    assert (unseen.loc["A"] == 0).all(), numbers
    assert unseen.idxmax() == ("C", "F"), numbers


def test_giveaways_are_words_a_spammer_writes(run):
    words = list(run["giveaways"])
    assert len(words) == 40, f"seed {run.seed}: {words}"
    assert all(w.isascii() and w.isalpha() and len(w) >= 3 for w in words), (
        f"seed {run.seed}: {words}"
    )


def test_attack_lowers_recall_and_the_learned_normaliser_wins_back_part(run):
    t, norm = run["arms_race"], run["normaliser"]
    plain, defended = t.loc["filter (lesson 1)"], t.loc["filter + normaliser"]
    lost = plain["clean mail"] - plain["attacked mail"]
    numbers = f"seed {run.seed}: {norm}\n{t}"
    assert lost >= 0.02, "the attack should cost the word filter recall: " + numbers
    # "from part of the loss to all of it" (seeds 0-4 and 100-104: 33% to 119%)
    assert defended["attacked mail"] > plain["attacked mail"] + 0.25 * lost, numbers
    # "undoes most of the attacker's spellings, not all of them" (seen: 67% to 76%)
    assert 0.5 < norm["spellings undone"] < 0.95, numbers
    # "that gap is what the attack still costs": the attack never helps the defended filter.
    assert defended["attacked mail"] <= defended["clean mail"], numbers
    # "On clean mail it changes recall a little, either way."
    assert abs(defended["clean mail"] - plain["clean mail"]) <= 0.03, numbers
