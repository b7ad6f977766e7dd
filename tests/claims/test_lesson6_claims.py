"""Lesson 6's measured claims (notebooks/06_fairness.ipynb), each over five seeds.

The notebook's pipeline is rebuilt here step for step (same data sizes, split, model, mitigation,
thresholds); the spam attack and the normaliser are taken from the notebook's own cells, so the
claims are checked for the code the learner reads.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from fairlearn.postprocessing import ThresholdOptimizer
from sklearn.compose import make_column_transformer
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlcourse.data import email_text, make_applicants, make_spam_emails
from mlcourse.fairness import audit, compare_candidates, mitigation_candidates

pytestmark = pytest.mark.claims

SEEDS = [0, 1, 2, 3, 4]
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "06_fairness.ipynb"
FEATURES = ["group", "sex", "postcode", "experience_years", "test_score", "education_years"]
CATEGORICAL = ["group", "sex", "postcode"]
BLIND = [c for c in FEATURES if c != "group"]
MERIT = ["experience_years", "test_score", "education_years"]
GATE = dict(
    max_demographic_parity_difference=0.10,
    max_equalized_odds_difference=0.30,
    min_selection_rate_ratio=0.80,
)


def screening_model(features):
    cats = [c for c in features if c in CATEGORICAL]
    nums = [c for c in features if c not in CATEGORICAL]
    prep = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), cats), (StandardScaler(), nums)
    )
    return make_pipeline(prep, LogisticRegression(solver="newton-cholesky"))


def notebook_functions(*names: str) -> dict:
    """Execute the notebook cells that define ``names`` and return the namespace."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    ns: dict = {"np": np, "re": re, "pd": pd}
    for name in names:
        cells = [c.source for c in nb.cells if c.cell_type == "code" and f"def {name}(" in c.source]
        assert len(cells) == 1, f"expected one notebook cell defining {name}()"
        exec(compile(cells[0], f"06_fairness:{name}", "exec"), ns)
    return ns


@pytest.fixture(scope="module")
def fairness_runs():
    runs = {}
    for seed in SEEDS:
        people = make_applicants(6000, random_state=seed)
        train, test = train_test_split(
            people, test_size=0.5, random_state=seed, stratify=people["group"]
        )
        baseline = screening_model(FEATURES).fit(train[FEATURES], train["hired"])
        blind = screening_model(BLIND).fit(train[BLIND], train["hired"])
        merit = screening_model(MERIT).fit(train[MERIT], train["hired"])
        post = ThresholdOptimizer(
            estimator=baseline,
            constraints="demographic_parity",
            prefit=True,
            predict_method="predict_proba",
        ).fit(train[FEATURES], train["hired"], sensitive_features=train["group"])
        cands = mitigation_candidates(
            baseline, train[FEATURES], train["hired"], sensitive_features=train["group"]
        )
        preds = {
            "baseline": baseline.predict(test[FEATURES]),
            "without group": blind.predict(test[BLIND]),
            "merit features only": merit.predict(test[MERIT]),
            "ThresholdOptimizer": post.predict(
                test[FEATURES], sensitive_features=test["group"], random_state=seed
            ),
            "ExponentiatedGradient": cands["ExponentiatedGradient"].predict(
                test[FEATURES], random_state=seed
            ),
        }
        table = compare_candidates(preds, test["hired"], sensitive_features=test["group"])
        table["accuracy vs qualified"] = [(p == test["qualified"]).mean() for p in preds.values()]
        runs[seed] = {
            "test": test,
            "preds": preds,
            "table": table,
            "post": post,
            "baseline": baseline,
        }
    print("\nlesson 6 trade-off tables (claims):")
    for seed, run in runs.items():
        print(f"seed {seed}\n{run['table'].round(3).to_string()}")
    return runs


@pytest.mark.parametrize("seed", SEEDS)
def test_audit_finds_the_disparity(fairness_runs, seed):
    run = fairness_runs[seed]
    test = run["test"]
    report = audit(test["hired"], run["preds"]["baseline"], sensitive_features=test["group"])
    d, by = report.disparities, report.by_group
    assert d["demographic_parity_difference"] > 0.15
    assert d["selection_rate_ratio"] < 0.8  # fails the four-fifths rule
    assert d["false_negative_rate_difference"] > 0.2
    assert by["selection_rate"].idxmin() == "C"
    assert by["false_negative_rate"].idxmax() == "C"
    assert not report.gate(**GATE)


@pytest.mark.parametrize("seed", SEEDS)
def test_dropping_the_sensitive_column_leaves_most_of_it(fairness_runs, seed):
    t = fairness_runs[seed]["table"]["demographic_parity_difference"]
    assert t["without group"] >= 0.5 * t["baseline"], "the postcode proxy should keep most of it"
    ratio = fairness_runs[seed]["table"].loc["without group", "selection_rate_ratio"]
    assert ratio < 0.8
    # Dropping every proxy (possible only because we built the data) removes most of it.
    assert t["merit features only"] < 0.5 * t["baseline"]


@pytest.mark.parametrize("seed", SEEDS)
def test_mitigation_halves_disparity_at_a_reported_cost(fairness_runs, seed):
    table = fairness_runs[seed]["table"]
    base = table.loc["baseline"]
    for name in ["ThresholdOptimizer", "ExponentiatedGradient"]:
        row = table.loc[name]
        cut = 1 - row["demographic_parity_difference"] / base["demographic_parity_difference"]
        cost = base["accuracy"] - row["accuracy"]
        print(f"seed {seed} {name}: DP cut {cut:.0%}, accuracy cost {cost:.3f}")
        assert cut >= 0.6, f"{name} should cut the demographic-parity difference well over half"
        # "accuracy against the historical labels drops a little (half a point to three points)"
        assert 0.0 < cost <= 0.035
        # ... yet against the ground truth, the mitigated model is more accurate.
        assert row["accuracy vs qualified"] > base["accuracy vs qualified"]


@pytest.mark.parametrize("seed", SEEDS)
def test_mitigated_model_meets_the_parity_target(fairness_runs, seed):
    # The notebook's gate (DP difference <= 0.10) holds; the four-fifths ratio is near or above
    # 0.8 (how far above varies with the seed, so the notebook claims no more than that).
    run = fairness_runs[seed]
    test = run["test"]
    report = audit(
        test["hired"], run["preds"]["ThresholdOptimizer"], sensitive_features=test["group"]
    )
    assert report.disparities["selection_rate_ratio"] >= 0.75
    assert report.disparities["demographic_parity_difference"] <= 0.1


@pytest.mark.parametrize("seed", SEEDS)
def test_monitoring_flags_the_rolled_back_weeks(fairness_runs, seed):
    run = fairness_runs[seed]
    ratios = {}
    for week in range(1, 9):
        batch = make_applicants(600, random_state=1000 * (seed + 1) + week)
        if week in (5, 6):
            decisions = run["baseline"].predict(batch[FEATURES])
        else:
            decisions = run["post"].predict(
                batch[FEATURES], sensitive_features=batch["group"], random_state=week
            )
        rates = pd.Series(decisions).groupby(batch["group"].to_numpy()).mean()
        ratios[week] = rates.min() / rates.max()
    bad = [ratios[w] for w in (5, 6)]
    good = [r for w, r in ratios.items() if w not in (5, 6)]
    print(f"seed {seed} weekly ratios: " + ", ".join(f"{r:.2f}" for r in ratios.values()))
    assert max(bad) < 0.6, "the unmitigated weeks should fall far below four-fifths"
    assert min(good) > max(bad) + 0.1


@pytest.fixture(scope="module")
def arms_race():
    ns = notebook_functions("misspell", "attack", "normalise")
    rows = {}
    for seed in SEEDS:
        emails = make_spam_emails(4000, random_state=seed)
        train, test = train_test_split(
            emails, test_size=0.25, random_state=seed, stratify=emails["label"]
        )
        spam_filter = make_pipeline(
            CountVectorizer(max_features=10_000), LogisticRegression(max_iter=1000)
        ).fit(email_text(train), train["label"])
        vocabulary = spam_filter[0].get_feature_names_out()
        weights = spam_filter[-1].coef_[0]
        top = vocabulary[np.argsort(weights)[::-1][:200]]
        giveaways = [w for w in top if w.isalpha() and len(w) >= 3]
        attacked = ns["attack"](test, giveaways, seed=seed)
        defended = make_pipeline(
            CountVectorizer(max_features=10_000, preprocessor=ns["normalise"]),
            LogisticRegression(max_iter=1000),
        ).fit(email_text(train), train["label"])
        rows[seed] = {
            "clean": recall_score(test["label"], spam_filter.predict(email_text(test))),
            "attacked": recall_score(attacked["label"], spam_filter.predict(email_text(attacked))),
            "defended clean": recall_score(test["label"], defended.predict(email_text(test))),
            "defended attacked": recall_score(
                attacked["label"], defended.predict(email_text(attacked))
            ),
        }
    table = pd.DataFrame(rows).T
    print(f"\nlesson 6 spam arms race (recall):\n{table.round(3).to_string()}")
    return table


@pytest.mark.parametrize("seed", SEEDS)
def test_misspelling_attack_lowers_recall_and_normaliser_restores_it(arms_race, seed):
    r = arms_race.loc[seed]
    lost = r["clean"] - r["attacked"]
    assert lost >= 0.05, "the attack should cost the word filter at least 5 points of recall"
    # "wins back nearly all the recall the attack took": at least three quarters of it ...
    assert r["defended attacked"] >= r["attacked"] + 0.75 * lost
    # ... "at no cost on clean mail".
    assert r["defended clean"] >= r["clean"] - 0.01
