"""Bias/variance diagnosis from training, cross-validation and baseline error.

Learning and validation curves come straight from scikit-learn
(:class:`sklearn.model_selection.LearningCurveDisplay` and
:class:`sklearn.model_selection.ValidationCurveDisplay`); this module only adds the diagnosis
that turns three numbers into "what to try next".

The thresholds
--------------
With :math:`e_b` the baseline error (what a careful human, or a strong existing system, gets),
:math:`e_t` the training error and :math:`e_{cv}` the cross-validation error:

- **avoidable bias** is :math:`e_t - e_b`: the model does not even fit the data it was trained on
  as well as the baseline. High when it exceeds ``bias_threshold``.
- **variance** is :math:`e_{cv} - e_t`: the model does much better on the data it has seen than on
  new data. High when it exceeds ``variance_threshold``.

Both thresholds default to 0.01 (one percentage point of error): on a task whose baseline is
about 1% error, a one-point gap is as large as the whole human error, which is worth acting on.
Choose them relative to your own baseline and to how much an extra point matters.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

__all__ = ["Diagnosis", "diagnose", "NEXT_STEPS"]

#: What to try for each diagnosis (lesson 1's "possible next steps").
NEXT_STEPS = {
    "high bias": [
        "richer features (e.g. routing headers, misspelling normalisation, merging synonyms)",
        "a bigger or more flexible model",
        "less regularisation",
    ],
    "high variance": [
        "more training data",
        "fewer or simpler features",
        "more regularisation",
    ],
}


def _check_error(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number (an error rate), got {type(value).__name__}")
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(
            f"{name} must be an error rate between 0 and 1, got {value}"
            + (" (did you pass a percentage?)" if 1.0 < value <= 100.0 else "")
        )
    return value


@dataclass(frozen=True)
class Diagnosis:
    """The outcome of :func:`diagnose`. Print it, or read its fields."""

    train_error: float
    cv_error: float
    baseline_error: float
    bias_threshold: float
    variance_threshold: float
    avoidable_bias: float = field(init=False)
    variance: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "avoidable_bias", self.train_error - self.baseline_error)
        object.__setattr__(self, "variance", self.cv_error - self.train_error)

    @property
    def high_bias(self) -> bool:
        return self.avoidable_bias > self.bias_threshold

    @property
    def high_variance(self) -> bool:
        return self.variance > self.variance_threshold

    @property
    def verdict(self) -> str:
        """``"high bias"``, ``"high variance"``, ``"high bias and high variance"`` or ``"ok"``."""
        parts = [
            n
            for n, on in (("high bias", self.high_bias), ("high variance", self.high_variance))
            if on
        ]
        return " and ".join(parts) if parts else "ok"

    @property
    def next_steps(self) -> list[str]:
        steps: list[str] = []
        for key in ("high bias", "high variance"):
            if key in self.verdict:
                steps += NEXT_STEPS[key]
        return steps

    def as_dict(self) -> dict:
        return {
            "train error": self.train_error,
            "CV error": self.cv_error,
            "baseline error": self.baseline_error,
            "avoidable bias": self.avoidable_bias,
            "variance": self.variance,
            "diagnosis": self.verdict,
        }

    def __str__(self) -> str:
        lines = [
            f"baseline {self.baseline_error:.2%} | train {self.train_error:.2%} | "
            f"CV {self.cv_error:.2%}",
            f"avoidable bias {self.avoidable_bias:+.2%} "
            f"({'high' if self.high_bias else 'low'}; threshold {self.bias_threshold:.2%})",
            f"variance       {self.variance:+.2%} "
            f"({'high' if self.high_variance else 'low'}; threshold {self.variance_threshold:.2%})",
            f"diagnosis: {self.verdict}",
        ]
        lines += [f"  try: {s}" for s in self.next_steps]
        return "\n".join(lines)


def diagnose(
    train_error: float,
    cv_error: float,
    baseline_error: float = 0.0,
    *,
    bias_threshold: float = 0.01,
    variance_threshold: float = 0.01,
) -> Diagnosis:
    """Diagnose high bias and/or high variance from three error rates.

    Parameters
    ----------
    train_error, cv_error : float
        Error rates (between 0 and 1) on the training folds and on the held-out folds.
    baseline_error : float, default=0.0
        The error you could reasonably hope for: human-level performance, a competing system, or
        the label noise of the data set.
    bias_threshold, variance_threshold : float, default=0.01
        How large ``train - baseline`` and ``cv - train`` must be to count as high (see the
        module docstring for why one percentage point).

    Returns
    -------
    Diagnosis

    Examples
    --------
    >>> from mlcourse.diagnostics import diagnose
    >>> d = diagnose(train_error=0.002, cv_error=0.05, baseline_error=0.01)
    >>> d.verdict
    'high variance'
    >>> diagnose(0.06, 0.065, 0.01).verdict
    'high bias'
    """
    train_error = _check_error("train_error", train_error)
    cv_error = _check_error("cv_error", cv_error)
    baseline_error = _check_error("baseline_error", baseline_error)
    bias_threshold = _check_error("bias_threshold", bias_threshold)
    variance_threshold = _check_error("variance_threshold", variance_threshold)
    return Diagnosis(train_error, cv_error, baseline_error, bias_threshold, variance_threshold)
