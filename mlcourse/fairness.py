"""Fairness audits, a deployment gate, mitigation candidates and a model card, over fairlearn.

Thin helpers: every metric is fairlearn's (:class:`fairlearn.metrics.MetricFrame` and friends);
this module only bundles them into the report, gate, plots and card that lesson 6 uses.

=================================  ===========================================================
:func:`audit`                      per-group accuracy, selection rate, FPR, FNR and disparities
:class:`AuditReport`               the result: ``by_group`` table, ``disparities``, ``gate()``
:class:`AuditDisplay`              bar chart of the per-group metrics
:func:`mitigation_candidates`      fit ``ThresholdOptimizer`` and ``ExponentiatedGradient``
:func:`compare_candidates`         accuracy and disparity of several models' predictions
:class:`TradeoffDisplay`           disparity-vs-accuracy scatter of the candidates
:func:`model_card`                 a :class:`skops.card.Card` with the audit and intended use
:func:`markdown_table`             a DataFrame as a Markdown table (no extra dependency)
=================================  ===========================================================
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)
from sklearn.metrics import accuracy_score

__all__ = [
    "AuditDisplay",
    "AuditReport",
    "GateResult",
    "TradeoffDisplay",
    "audit",
    "compare_candidates",
    "markdown_table",
    "mitigation_candidates",
    "model_card",
]

#: Per-group metrics of an audit (all fairlearn / scikit-learn functions).
GROUP_METRICS = {
    "accuracy": accuracy_score,
    "selection_rate": selection_rate,
    "false_positive_rate": false_positive_rate,
    "false_negative_rate": false_negative_rate,
    "count": count,
}

#: Default gate: the four-fifths rule of thumb plus loose caps on the two differences.
DEFAULT_THRESHOLDS = {
    "demographic_parity_difference": 0.10,
    "equalized_odds_difference": 0.20,
    "selection_rate_ratio": 0.80,
}


def _sensitive(sensitive_features: Any, data: pd.DataFrame | None, n: int) -> Any:
    """Resolve column names against ``data`` and check there are at least two groups."""
    if isinstance(sensitive_features, str) or (
        isinstance(sensitive_features, Sequence)
        and len(sensitive_features) > 0
        and all(isinstance(s, str) for s in sensitive_features)
        and data is not None
    ):
        if data is None:
            raise TypeError(
                f"sensitive_features={sensitive_features!r} is a column name: pass the table "
                "that holds it as data=..., or pass the column itself"
            )
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        names = [sensitive_features] if isinstance(sensitive_features, str) else sensitive_features
        missing = [c for c in names if c not in data.columns]
        if missing:
            raise ValueError(
                f"group column(s) {missing} not found in data; available columns: "
                f"{list(data.columns)}"
            )
        sf = data[names[0]] if len(names) == 1 else data[list(names)]
    else:
        sf = sensitive_features
    if sf is None:
        raise ValueError("sensitive_features is required: the group of every example")
    sf_frame = pd.DataFrame(sf) if not isinstance(sf, pd.DataFrame) else sf
    if len(sf_frame) != n:
        raise ValueError(
            f"sensitive_features has {len(sf_frame)} rows but there are {n} predictions; "
            "did you pass the groups of a different split?"
        )
    if sf_frame.isna().to_numpy().any():
        raise ValueError("sensitive_features contains missing values; label every example")
    n_groups = len(sf_frame.drop_duplicates())
    if n_groups < 2:
        raise ValueError(
            f"sensitive_features has only {n_groups} group; a disparity needs at least two groups "
            "(did you filter to one group, or pass the wrong column?)"
        )
    return sf


def _binary(y: Any, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    values = set(np.unique(arr).tolist())
    if not values <= {0, 1}:
        raise ValueError(f"{name} must hold 0/1 labels (1 = selected), got values {sorted(values)}")
    return arr.astype(int)


@dataclass
class GateResult:
    """Outcome of :meth:`AuditReport.gate`: one row per check and an overall ``passed``."""

    checks: pd.DataFrame
    passed: bool

    def __bool__(self) -> bool:
        return self.passed

    def _repr_html_(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return f"<p><b>Fairness gate: {verdict}</b></p>" + self.checks.to_html()

    def __repr__(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return f"Fairness gate: {verdict}\n{self.checks.to_string()}"


@dataclass(repr=False)
class AuditReport:
    """Result of :func:`audit`.

    Attributes
    ----------
    metric_frame : fairlearn.metrics.MetricFrame
        The underlying MetricFrame (use it for anything this report does not show).
    by_group : pandas.DataFrame
        One row per group: accuracy, selection_rate, false_positive_rate, false_negative_rate,
        count.
    overall : pandas.Series
        The same metrics over everyone.
    disparities : pandas.Series
        ``demographic_parity_difference``, ``equalized_odds_difference``,
        ``selection_rate_ratio`` (lowest over highest selection rate, the four-fifths rule's
        quantity) and ``false_negative_rate_difference``.
    """

    metric_frame: MetricFrame
    by_group: pd.DataFrame
    overall: pd.Series
    disparities: pd.Series
    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))

    def gate(
        self,
        *,
        max_demographic_parity_difference: float | None = None,
        max_equalized_odds_difference: float | None = None,
        min_selection_rate_ratio: float | None = None,
        min_accuracy: float | None = None,
    ) -> GateResult:
        """Pass/fail the audit against thresholds you set (a check before deployment).

        Thresholds left as ``None`` use :data:`DEFAULT_THRESHOLDS` (``min_accuracy`` is then not
        checked). Returns a :class:`GateResult` that is truthy when every check passes.
        """
        limits = {
            "demographic_parity_difference": (
                "<=",
                max_demographic_parity_difference,
            ),
            "equalized_odds_difference": ("<=", max_equalized_odds_difference),
            "selection_rate_ratio": (">=", min_selection_rate_ratio),
        }
        rows = []
        for name, (op, value) in limits.items():
            limit = self.thresholds[name] if value is None else float(value)
            measured = float(self.disparities[name])
            ok = measured <= limit if op == "<=" else measured >= limit
            rows.append((name, measured, op, limit, ok))
        if min_accuracy is not None:
            measured = float(self.overall["accuracy"])
            rows.append(("accuracy", measured, ">=", float(min_accuracy), measured >= min_accuracy))
        for name, _, _, limit, _ in rows:
            if not np.isfinite(limit):
                raise ValueError(f"the threshold for {name} must be a finite number, got {limit}")
        checks = pd.DataFrame(
            rows, columns=["check", "measured", "rule", "threshold", "passed"]
        ).set_index("check")
        return GateResult(checks=checks, passed=bool(checks["passed"].all()))

    def to_markdown(self, digits: int = 3) -> str:
        """The per-group table and the disparities as Markdown."""
        return (
            markdown_table(self.by_group, digits=digits)
            + "\n\n"
            + markdown_table(self.disparities.to_frame("value"), digits=digits)
        )

    def __repr__(self) -> str:
        return (
            f"Per group\n{self.by_group.round(3).to_string()}\n\n"
            f"Disparities\n{self.disparities.round(3).to_string()}"
        )

    def _repr_html_(self) -> str:
        return (
            "<p><b>Per group</b></p>"
            + self.by_group.round(3).to_html()
            + "<p><b>Disparities</b></p>"
            + self.disparities.round(3).to_frame("value").to_html()
        )


def audit(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    data: pd.DataFrame | None = None,
) -> AuditReport:
    """Audit binary decisions by group with fairlearn's :class:`~fairlearn.metrics.MetricFrame`.

    Parameters
    ----------
    y_true : array-like of 0/1
        The labels (1 = the favourable outcome, e.g. hired).
    y_pred : array-like of 0/1
        The model's decisions.
    sensitive_features : array-like, DataFrame, str or list of str
        The group of each example. Several columns give intersectional groups. A column name
        (or list of names) is looked up in ``data``.
    data : pandas.DataFrame, optional
        The table holding the named group column(s).

    Returns
    -------
    AuditReport

    Raises
    ------
    ValueError
        If a named group column is missing, if there is only one group, if lengths differ, or
        if the labels are not 0/1.

    Examples
    --------
    >>> from mlcourse.fairness import audit
    >>> report = audit([1, 0, 1, 0], [1, 0, 0, 0], sensitive_features=["a", "a", "b", "b"])
    >>> report.by_group["selection_rate"].tolist()
    [0.5, 0.0]
    >>> round(float(report.disparities["demographic_parity_difference"]), 2)
    0.5
    """
    yt = _binary(y_true, "y_true")
    yp = _binary(y_pred, "y_pred")
    if len(yt) != len(yp):
        raise ValueError(f"y_true has {len(yt)} labels but y_pred has {len(yp)}")
    sf = _sensitive(sensitive_features, data, len(yt))
    mf = MetricFrame(metrics=GROUP_METRICS, y_true=yt, y_pred=yp, sensitive_features=sf)
    by_group = mf.by_group.astype({"count": int})
    overall = mf.overall
    rates = mf.by_group["selection_rate"]
    disparities = pd.Series(
        {
            "demographic_parity_difference": demographic_parity_difference(
                yt, yp, sensitive_features=sf
            ),
            "equalized_odds_difference": equalized_odds_difference(yt, yp, sensitive_features=sf),
            "selection_rate_ratio": demographic_parity_ratio(yt, yp, sensitive_features=sf),
            "false_negative_rate_difference": float(
                mf.difference()["false_negative_rate"]  # max - min over groups
            ),
        },
        name="value",
    )
    if rates.max() == 0:
        disparities["selection_rate_ratio"] = np.nan
    return AuditReport(metric_frame=mf, by_group=by_group, overall=overall, disparities=disparities)


class AuditDisplay:
    """Bar chart of selection rate, FPR and FNR per group, with the four-fifths line.

    Create it with :meth:`from_predictions` or :meth:`from_estimator`; ``plot(ax=...)`` draws.

    Examples
    --------
    >>> from mlcourse.fairness import AuditDisplay
    >>> disp = AuditDisplay.from_predictions(
    ...     [1, 0, 1, 0], [1, 0, 0, 0], sensitive_features=["a", "a", "b", "b"]
    ... )
    >>> disp.ax_ is not None
    True
    """

    metrics = ("selection_rate", "false_positive_rate", "false_negative_rate")

    def __init__(self, report: AuditReport, *, name: str | None = None) -> None:
        self.report = report
        self.name = name

    def plot(self, *, ax=None) -> AuditDisplay:
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.5))
        table = self.report.by_group[list(self.metrics)]
        groups = [" & ".join(map(str, g)) if isinstance(g, tuple) else str(g) for g in table.index]
        x = np.arange(len(self.metrics))
        width = 0.8 / len(groups)
        # Colour-blind-safe colours (Okabe-Ito), and a hatch per group: never colour alone.
        colours = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"]
        hatches = ["", "//", "..", "xx", "\\\\", "oo", "--"]
        for i, (label, row) in enumerate(zip(groups, table.to_numpy(), strict=True)):
            ax.bar(
                x + (i - (len(groups) - 1) / 2) * width, row, width, label=label,
                color=colours[i % len(colours)], hatch=hatches[i % len(hatches)],
                edgecolor="white",
            )  # fmt: skip
        four_fifths = 0.8 * float(table["selection_rate"].max())
        ax.hlines(four_fifths, -0.45, 0.45, colors="k", linestyles="--", label="4/5 of max rate")
        ax.set_xticks(x, ["selection rate", "false-positive rate", "false-negative rate"])
        ax.set_xlabel("measure")
        ax.set_ylabel("rate")
        ax.set_ylim(0, 1)
        ax.set_title(f"Audit by group{': ' + self.name if self.name else ''}")
        ax.legend(fontsize="small", ncols=2)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_predictions(
        cls, y_true, y_pred, *, sensitive_features, data=None, name=None, ax=None
    ) -> AuditDisplay:
        report = audit(y_true, y_pred, sensitive_features=sensitive_features, data=data)
        return cls(report, name=name).plot(ax=ax)

    @classmethod
    def from_estimator(
        cls, estimator, X, y, *, sensitive_features, data=None, name=None, ax=None
    ) -> AuditDisplay:
        return cls.from_predictions(
            y,
            estimator.predict(X),
            sensitive_features=sensitive_features,
            data=data,
            name=name or type(estimator).__name__,
            ax=ax,
        )


def mitigation_candidates(
    estimator,
    X: pd.DataFrame,
    y: Any,
    *,
    sensitive_features: Any,
    constraints: str = "demographic_parity",
    eps: float = 0.02,
    max_iter: int = 30,
) -> dict[str, Any]:
    """Fit fairlearn's two kinds of mitigation around a scikit-learn classifier.

    - ``"ThresholdOptimizer"`` (post-processing): the *fitted* ``estimator``'s scores with one
      threshold per group, chosen on ``(X, y)`` to satisfy the constraint.
    - ``"ExponentiatedGradient"`` (reductions, in-processing): a randomized mix of copies of
      ``estimator`` retrained with reweighted examples. If ``estimator`` is a Pipeline its
      preprocessing is fitted once and only the final step is retrained (much faster).

    Parameters
    ----------
    estimator : fitted classifier or Pipeline with ``predict_proba``
    X, y : training data and 0/1 labels
    sensitive_features : array-like
        Group of each training example.
    constraints : {"demographic_parity", "equalized_odds"}, default="demographic_parity"
    eps : float, default=0.02
        ExponentiatedGradient's allowed constraint violation.
    max_iter : int, default=30
        ExponentiatedGradient's iterations (each refits the classifier).

    Returns
    -------
    dict
        ``{"ThresholdOptimizer": ..., "ExponentiatedGradient": ...}``, both fitted. Predict
        with ``model.predict(X, sensitive_features=groups, random_state=0)`` for the first and
        ``model.predict(X, random_state=0)`` for the second (both predict at random near the
        decision boundary; fix the seed for reproducible results).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlcourse.data import make_applicants
    >>> df = make_applicants(600, random_state=0)
    >>> X, y = df[["test_score", "experience_years"]], df["hired"]
    >>> clf = LogisticRegression().fit(X, y)
    >>> models = mitigation_candidates(clf, X, y, sensitive_features=df["group"], max_iter=5)
    >>> sorted(models)
    ['ExponentiatedGradient', 'ThresholdOptimizer']
    """
    from fairlearn.postprocessing import ThresholdOptimizer
    from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    moments = {"demographic_parity": DemographicParity, "equalized_odds": EqualizedOdds}
    if constraints not in moments:
        raise ValueError(f"constraints must be one of {sorted(moments)}, got {constraints!r}")
    if not hasattr(estimator, "predict_proba"):
        raise TypeError("estimator must be a fitted classifier with predict_proba")
    sf = _sensitive(sensitive_features, None, len(X))
    y = _binary(y, "y")

    post = ThresholdOptimizer(
        estimator=estimator, constraints=constraints, prefit=True, predict_method="predict_proba"
    ).fit(X, y, sensitive_features=sf)

    if isinstance(estimator, Pipeline):
        # Only the final step is retrained: its preprocessing was fitted with the estimator.
        # ExponentiatedGradient needs dense input, so sparse features (one-hot) are densified.
        pre = Pipeline([*estimator[:-1].steps, ("dense", FunctionTransformer(_dense))])
        final = clone(estimator[-1])
        Xt = pre.transform(X)
    else:
        pre, final, Xt = None, clone(estimator), X
    reduction = ExponentiatedGradient(final, moments[constraints](), eps=eps, max_iter=max_iter)
    with warnings.catch_warnings():
        # fairlearn <=0.15 sets Series items in ways pandas 3 deprecates (Pandas4Warning);
        # harmless for the result, and not something a learner can act on.
        warnings.filterwarnings("ignore", category=FutureWarning, module="fairlearn")
        _ignore_pandas4(warnings)
        reduction.fit(Xt, y, sensitive_features=sf)
    if pre is not None:
        reduction = Pipeline([*pre.steps, ("exponentiatedgradient", reduction)])
    return {"ThresholdOptimizer": post, "ExponentiatedGradient": reduction}


def _model_details(model) -> str:
    """The model's class and top-level parameters (nested estimators by class name)."""
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    rows = {
        name: type(value).__name__ if hasattr(value, "fit") else repr(value)
        for name, value in sorted(params.items())
    }
    table = pd.DataFrame({"value": list(rows.values())}, index=pd.Index(list(rows), name="param"))
    return f"`{type(model).__name__}`" + (f"\n\n{markdown_table(table)}" if rows else "")


def _dense(X):
    return X.toarray() if hasattr(X, "toarray") else X


def _ignore_pandas4(w) -> None:
    try:
        from pandas.errors import Pandas4Warning
    except ImportError:  # pandas < 3
        return
    w.filterwarnings("ignore", category=Pandas4Warning)


def compare_candidates(
    predictions: Mapping[str, Any],
    y_true: Any,
    *,
    sensitive_features: Any,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Accuracy and disparities of several models' decisions on the same examples.

    Parameters
    ----------
    predictions : mapping of name to array-like of 0/1
    y_true : array-like of 0/1
    sensitive_features : array-like or column name(s) in ``data``

    Returns
    -------
    pandas.DataFrame
        One row per candidate: accuracy, demographic_parity_difference,
        equalized_odds_difference, selection_rate_ratio, false_negative_rate_difference.

    Examples
    --------
    >>> from mlcourse.fairness import compare_candidates
    >>> t = compare_candidates({"m": [1, 0, 1, 0]}, [1, 0, 1, 1], sensitive_features=list("aabb"))
    >>> float(t.loc["m", "accuracy"])
    0.75
    """
    if not isinstance(predictions, Mapping) or not predictions:
        raise TypeError("predictions must be a non-empty mapping {name: y_pred}")
    rows = {}
    for name, y_pred in predictions.items():
        rep = audit(y_true, y_pred, sensitive_features=sensitive_features, data=data)
        rows[name] = {"accuracy": float(rep.overall["accuracy"]), **rep.disparities.to_dict()}
    return pd.DataFrame.from_dict(rows, orient="index")


class TradeoffDisplay:
    """Disparity-vs-accuracy scatter of mitigation candidates (upper left is better).

    Examples
    --------
    >>> import pandas as pd
    >>> from mlcourse.fairness import TradeoffDisplay
    >>> t = pd.DataFrame(
    ...     {"accuracy": [0.8, 0.78], "demographic_parity_difference": [0.2, 0.05]},
    ...     index=["baseline", "mitigated"],
    ... )
    >>> TradeoffDisplay(t).plot().ax_.get_xlabel()
    'demographic_parity_difference'
    """

    def __init__(self, table: pd.DataFrame, *, disparity: str = "demographic_parity_difference"):
        if disparity not in table.columns or "accuracy" not in table.columns:
            raise ValueError(f"table needs 'accuracy' and {disparity!r} columns")
        self.table = table
        self.disparity = disparity

    def plot(self, *, ax=None) -> TradeoffDisplay:
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5.5, 4))
        x, y = self.table[self.disparity], self.table["accuracy"]
        ax.scatter(x, y)
        for name, xi, yi in zip(self.table.index, x, y, strict=True):
            ax.annotate(str(name), (xi, yi), textcoords="offset points", xytext=(5, 4))
        ax.set_xlabel(self.disparity)
        ax.set_ylabel("accuracy")
        ax.set_title("Disparity vs accuracy")
        ax.margins(0.25)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_predictions(
        cls,
        predictions: Mapping[str, Any],
        y_true: Any,
        *,
        sensitive_features: Any,
        disparity: str = "demographic_parity_difference",
        ax=None,
    ) -> TradeoffDisplay:
        table = compare_candidates(predictions, y_true, sensitive_features=sensitive_features)
        return cls(table, disparity=disparity).plot(ax=ax)


def markdown_table(df: pd.DataFrame | pd.Series, digits: int = 3) -> str:
    """Render a DataFrame as a GitHub-flavoured Markdown table.

    Examples
    --------
    >>> import pandas as pd
    >>> print(markdown_table(pd.DataFrame({"x": [0.12345]}, index=["a"])))
    |  | x |
    | --- | --- |
    | a | 0.123 |
    """
    if isinstance(df, pd.Series):
        df = df.to_frame()

    def fmt(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            return f"{v:.{digits}f}"
        return str(v).replace("|", "\\|")

    index_name = df.index.name or ""
    header = "| " + " | ".join([index_name, *map(str, df.columns)]) + " |"
    sep = "| " + " | ".join(["---"] * (len(df.columns) + 1)) + " |"
    body = [
        "| "
        + " | ".join([fmt(i if not isinstance(i, tuple) else " & ".join(map(str, i)))])
        + " | "
        + " | ".join(fmt(v) for v in row)
        + " |"
        for i, row in zip(df.index, df.itertuples(index=False), strict=True)
    ]
    return "\n".join([header, sep, *body])


def model_card(
    model,
    report: AuditReport,
    *,
    intended_use: str,
    out_of_scope: str,
    limitations: str,
    description: str = "",
    gate: GateResult | None = None,
):
    """A :class:`skops.card.Card` for ``model`` carrying the fairness audit and its limits.

    Parameters
    ----------
    model : fitted estimator
    report : AuditReport
        The audit to include (per-group table and disparities).
    intended_use, out_of_scope, limitations : str
        Markdown text for those sections; all three are required and must not be empty.
    description : str, optional
        A short model description.
    gate : GateResult, optional
        The deployment gate's checks, if you ran one.

    Returns
    -------
    skops.card.Card
        Save it with ``card.save(path)`` (a README-style Markdown file).

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from mlcourse.fairness import audit, model_card
    >>> clf = DummyClassifier().fit([[0], [1]], [0, 1])
    >>> rep = audit([1, 0, 1, 0], [1, 0, 0, 0], sensitive_features=list("aabb"))
    >>> card = model_card(clf, rep, intended_use="demo", out_of_scope="all", limitations="toy")
    >>> "Fairness audit" in card.render()
    True
    """
    from skops.card import Card

    for name, text in (
        ("intended_use", intended_use),
        ("out_of_scope", out_of_scope),
        ("limitations", limitations),
    ):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{name} must be a non-empty string: a model card without it misleads")
    if not isinstance(report, AuditReport):
        raise TypeError(f"report must be an AuditReport from audit(), got {type(report).__name__}")

    card = Card(model, template=None, model_diagram=False)
    card.add(
        **{
            "Model description": description or f"A {type(model).__name__}.",
            "Intended uses": intended_use,
            "Out-of-scope uses": out_of_scope,
            "Limitations": limitations,
            "Fairness audit": (
                "Computed with fairlearn's MetricFrame on held-out data. Selection rate: share "
                "predicted positive; selection_rate_ratio: lowest over highest group selection "
                "rate (the four-fifths rule of thumb flags values under 0.8)."
            ),
            "Fairness audit/Per-group metrics": markdown_table(report.by_group),
            "Fairness audit/Disparities": markdown_table(report.disparities.to_frame("value")),
        }
    )
    if gate is not None:
        verdict = "PASS" if gate.passed else "FAIL (do not deploy)"
        card.add(
            **{"Fairness audit/Deployment gate": f"**{verdict}**\n\n" + markdown_table(gate.checks)}
        )
    card.add(**{"Model details": _model_details(model)})
    return card
