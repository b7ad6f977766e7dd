"""Unit tests of mlcourse.fairness: the audit matches fairlearn, gates, mitigation, card, errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from fairlearn.metrics import (  # noqa: E402
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
)
from sklearn.compose import make_column_transformer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from mlcourse.data import make_applicants  # noqa: E402
from mlcourse.fairness import (  # noqa: E402
    AuditDisplay,
    AuditReport,
    TradeoffDisplay,
    audit,
    compare_candidates,
    markdown_table,
    mitigation_candidates,
    model_card,
)

Y_TRUE = np.array([1, 1, 0, 0, 1, 1, 0, 0, 1, 0])
Y_PRED = np.array([1, 0, 0, 1, 1, 1, 1, 0, 0, 0])
GROUPS = np.array(["a"] * 4 + ["b"] * 4 + ["c"] * 2)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted():
    df = make_applicants(1500, random_state=0)
    feats = ["group", "postcode", "test_score", "experience_years"]
    prep = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["group", "postcode"]),
        (StandardScaler(), ["test_score", "experience_years"]),
    )
    model = make_pipeline(prep, LogisticRegression(solver="newton-cholesky"))
    model.fit(df[feats], df["hired"])
    return df, feats, model


def test_audit_by_hand():
    rep = audit(Y_TRUE, Y_PRED, sensitive_features=GROUPS)
    assert isinstance(rep, AuditReport)
    by = rep.by_group
    # group a: y=[1,1,0,0], p=[1,0,0,1]
    assert by.loc["a", "selection_rate"] == pytest.approx(0.5)
    assert by.loc["a", "false_negative_rate"] == pytest.approx(0.5)
    assert by.loc["a", "false_positive_rate"] == pytest.approx(0.5)
    assert by.loc["a", "accuracy"] == pytest.approx(0.5)
    # group b: y=[1,1,0,0], p=[1,1,1,0]
    assert by.loc["b", "selection_rate"] == pytest.approx(0.75)
    assert by.loc["b", "false_negative_rate"] == pytest.approx(0.0)
    # group c: y=[1,0], p=[0,0]
    assert by.loc["c", "false_negative_rate"] == pytest.approx(1.0)
    assert by["count"].tolist() == [4, 4, 2]


def test_disparities_match_fairlearn():
    rep = audit(Y_TRUE, Y_PRED, sensitive_features=GROUPS)
    d = rep.disparities
    kw = {"sensitive_features": GROUPS}
    assert d["demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(Y_TRUE, Y_PRED, **kw)
    )
    assert d["equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(Y_TRUE, Y_PRED, **kw)
    )
    assert d["selection_rate_ratio"] == pytest.approx(
        demographic_parity_ratio(Y_TRUE, Y_PRED, **kw)
    )
    assert d["selection_rate_ratio"] == pytest.approx(0.0 / 0.75)
    assert d["false_negative_rate_difference"] == pytest.approx(1.0)


def test_column_names_and_intersections():
    df = pd.DataFrame({"g": GROUPS, "s": list("MFMFMFMFMF")})
    by_name = audit(Y_TRUE, Y_PRED, sensitive_features="g", data=df)
    pd.testing.assert_frame_equal(
        by_name.by_group,
        audit(Y_TRUE, Y_PRED, sensitive_features=GROUPS).by_group,
        check_names=False,
    )
    both = audit(Y_TRUE, Y_PRED, sensitive_features=["g", "s"], data=df)
    assert both.by_group.index.nlevels == 2
    assert both.by_group["count"].sum() == len(Y_TRUE)


def test_missing_group_column_is_a_clear_error():
    df = pd.DataFrame({"g": GROUPS})
    with pytest.raises(ValueError, match=r"group column\(s\) \['race'\] not found"):
        audit(Y_TRUE, Y_PRED, sensitive_features="race", data=df)
    with pytest.raises(TypeError, match="pass the table"):
        audit(Y_TRUE, Y_PRED, sensitive_features="g")


def test_single_group_is_a_clear_error():
    with pytest.raises(ValueError, match="only 1 group"):
        audit(Y_TRUE, Y_PRED, sensitive_features=["a"] * len(Y_TRUE))


@pytest.mark.parametrize(
    ("y_true", "y_pred", "groups", "match"),
    [
        (Y_TRUE, Y_PRED[:-1], GROUPS, "y_pred has 9"),
        (Y_TRUE, Y_PRED, GROUPS[:-1], "sensitive_features has 9 rows"),
        (Y_TRUE * 2, Y_PRED, GROUPS, "0/1 labels"),
        (Y_TRUE, Y_PRED, None, "sensitive_features is required"),
        (Y_TRUE, Y_PRED, np.array([None] + ["a"] * 9, dtype=object), "missing values"),
    ],
)
def test_bad_input(y_true, y_pred, groups, match):
    with pytest.raises(ValueError, match=match):
        audit(y_true, y_pred, sensitive_features=groups)


def test_gate_pass_and_fail():
    rep = audit(Y_TRUE, Y_PRED, sensitive_features=GROUPS)
    strict = rep.gate(max_demographic_parity_difference=0.1)
    assert not strict and not strict.passed
    assert not strict.checks.loc["demographic_parity_difference", "passed"]
    loose = rep.gate(
        max_demographic_parity_difference=1.0,
        max_equalized_odds_difference=1.0,
        min_selection_rate_ratio=0.0,
        min_accuracy=0.5,
    )
    assert loose.passed
    assert set(loose.checks.index) == {
        "demographic_parity_difference",
        "equalized_odds_difference",
        "selection_rate_ratio",
        "accuracy",
    }
    assert "FAIL" in repr(strict) and "PASS" in loose._repr_html_()
    with pytest.raises(ValueError, match="finite"):
        rep.gate(min_selection_rate_ratio=float("nan"))


def test_audit_display():
    disp = AuditDisplay.from_predictions(Y_TRUE, Y_PRED, sensitive_features=GROUPS, name="m")
    assert len(disp.ax_.patches) == 3 * 3  # three metrics x three groups
    _, ax = plt.subplots()
    assert AuditDisplay(disp.report).plot(ax=ax).ax_ is ax


def test_audit_display_from_estimator(fitted):
    df, feats, model = fitted
    disp = AuditDisplay.from_estimator(
        model, df[feats], df["hired"], sensitive_features=df["group"]
    )
    assert disp.name == "Pipeline"
    assert disp.report.by_group.shape[0] == 3


def test_compare_and_tradeoff_display():
    preds = {"m1": Y_PRED, "all": np.ones_like(Y_PRED)}
    table = compare_candidates(preds, Y_TRUE, sensitive_features=GROUPS)
    assert list(table.index) == ["m1", "all"]
    assert table.loc["all", "demographic_parity_difference"] == 0
    assert table.loc["all", "accuracy"] == pytest.approx(Y_TRUE.mean())
    disp = TradeoffDisplay.from_predictions(preds, Y_TRUE, sensitive_features=GROUPS)
    assert disp.ax_.get_ylabel() == "accuracy"
    with pytest.raises(TypeError, match="non-empty mapping"):
        compare_candidates({}, Y_TRUE, sensitive_features=GROUPS)
    with pytest.raises(ValueError, match="columns"):
        TradeoffDisplay(table, disparity="nope")


def test_mitigation_candidates_reduce_disparity(fitted):
    df, feats, model = fitted
    models = mitigation_candidates(
        model, df[feats], df["hired"], sensitive_features=df["group"], max_iter=10
    )
    assert sorted(models) == ["ExponentiatedGradient", "ThresholdOptimizer"]
    base = model.predict(df[feats])
    post = models["ThresholdOptimizer"].predict(
        df[feats], sensitive_features=df["group"], random_state=0
    )
    red = models["ExponentiatedGradient"].predict(df[feats], random_state=0)
    dp = {
        name: demographic_parity_difference(df["hired"], p, sensitive_features=df["group"])
        for name, p in [("base", base), ("post", post), ("red", red)]
    }
    assert dp["post"] < dp["base"] / 2
    assert dp["red"] < dp["base"] / 2


def test_mitigation_candidates_bad_input(fitted):
    df, feats, model = fitted
    with pytest.raises(ValueError, match="constraints"):
        mitigation_candidates(
            model, df[feats], df["hired"], sensitive_features=df["group"], constraints="x"
        )
    with pytest.raises(ValueError, match="only 1 group"):
        mitigation_candidates(model, df[feats], df["hired"], sensitive_features=["A"] * len(df))
    with pytest.raises(TypeError, match="predict_proba"):
        mitigation_candidates(object(), df[feats], df["hired"], sensitive_features=df["group"])


def test_model_card(tmp_path, fitted):
    df, feats, model = fitted
    rep = audit(df["hired"], model.predict(df[feats]), sensitive_features=df["group"])
    card = model_card(
        model,
        rep,
        intended_use="Teaching only.",
        out_of_scope="Real hiring decisions.",
        limitations="Synthetic data.",
        gate=rep.gate(),
    )
    path = tmp_path / "card.md"
    card.save(path)
    text = path.read_text()
    for heading in [
        "# Intended uses",
        "# Out-of-scope uses",
        "# Limitations",
        "# Fairness audit",
        "## Per-group metrics",
        "## Deployment gate",
    ]:
        assert heading in text
    assert "Real hiring decisions." in text
    assert "FAIL (do not deploy)" in text
    assert "| A |" in text and "selection_rate" in text
    with pytest.raises(ValueError, match="out_of_scope must be a non-empty"):
        model_card(model, rep, intended_use="x", out_of_scope=" ", limitations="y")
    with pytest.raises(TypeError, match="AuditReport"):
        model_card(model, rep.by_group, intended_use="x", out_of_scope="y", limitations="z")


def test_markdown_table():
    table = markdown_table(pd.DataFrame({"x": [0.12345, 2.0], "n": [1, 2]}, index=["a|b", "c"]))
    lines = table.splitlines()
    assert lines[0] == "|  | x | n |"
    assert lines[1] == "| --- | --- | --- |"
    assert lines[2] == "| a\\|b | 0.123 | 1 |"
