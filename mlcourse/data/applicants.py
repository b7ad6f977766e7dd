"""Seeded synthetic job applicants with a known, built-in bias (lesson 6).

Real hiring or lending data never tells you how much of an outcome was discrimination: the
"true" qualification of a rejected person is never observed. This generator writes the bias in
on purpose, with parameters, so an audit can be checked against the ground truth.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd

__all__ = ["APPLICANT_FEATURES", "GROUPS", "make_applicants"]

#: The sensitive attribute's groups (deliberately abstract labels).
GROUPS = ("A", "B", "C")
#: Columns a screening model may be trained on (``group`` and ``sex`` are the sensitive ones).
APPLICANT_FEATURES = [
    "group",
    "sex",
    "postcode",
    "experience_years",
    "test_score",
    "education_years",
]

_N_POSTCODES = 12
# Each group's "home" postcodes: the residential segregation that makes postcode a proxy.
_HOME_POSTCODES = {"A": range(0, 5), "B": range(5, 9), "C": range(9, 12)}
# How strongly each group is hit by the historical label bias (times ``label_bias``).
_BIAS_WEIGHT = {"A": 0.0, "B": 0.5, "C": 1.0}
# Extra bias for women in group C (times ``label_bias``): an intersectional harm.
_INTERSECTION_WEIGHT = 0.5


def make_applicants(
    n_samples: int = 4000,
    *,
    label_bias: float = 0.4,
    proxy_strength: float = 0.9,
    group_proportions: tuple[float, float, float] = (0.5, 0.3, 0.2),
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Generate synthetic job applicants whose historical hiring labels are biased.

    The data are synthetic on purpose: because we wrote the bias in, we know exactly how much of
    the disparity is discrimination and who was wronged. No real person is described.

    How each applicant is generated:

    1. ``group`` (the sensitive attribute: ``"A"``, ``"B"`` or ``"C"``, drawn with
       ``group_proportions``) and ``sex`` (``"F"``/``"M"``, 50/50, independent of group).
    2. ``postcode`` (``"P01"`` to ``"P12"``): with probability ``proxy_strength`` one of the
       group's home postcodes (A: P01-P05, B: P06-P09, C: P10-P12), otherwise any postcode.
       This residential segregation makes postcode a *proxy* for group.
    3. Merit features drawn from the **same** distribution for every group:
       ``experience_years``, ``test_score`` (0-100) and ``education_years``.
    4. ``qualified`` (the ground truth, never observable in real life): 1 when a noisy
       weighted sum of the merit features exceeds a cut-off. About 45% qualify, in every group.
    5. ``hired`` (the historical label a model learns from): a qualified applicant was hired
       unless a biased past decision rejected them, with probability ``label_bias`` times
       0 (A), 0.5 (B) or 1 (C), plus ``0.5 * label_bias`` more for women in group C. Unqualified
       applicants were never hired.

    So a model trained on ``hired`` learns to select fewer people from B and C, and to reject
    more qualified people there (a higher false-negative rate), even without the ``group``
    column, through ``postcode``.

    Parameters
    ----------
    n_samples : int, default=4000
        Number of applicants (rows).
    label_bias : float in [0, 1], default=0.4
        Strength of the historical label bias; 0 makes ``hired == qualified``.
    proxy_strength : float in [0, 1], default=0.9
        Probability that an applicant lives in one of their group's home postcodes; 0 makes
        postcode independent of group.
    group_proportions : tuple of three floats, default=(0.5, 0.3, 0.2)
        Shares of groups A, B and C; must be non-negative and sum to 1.
    random_state : int or None, default=0
        Seed; the same seed gives the same data.

    Returns
    -------
    pandas.DataFrame
        One row per applicant with the columns of :data:`APPLICANT_FEATURES` plus
        ``qualified`` (int, the hidden ground truth) and ``hired`` (int, the biased label).
        ``group``, ``sex`` and ``postcode`` are categorical.

    Examples
    --------
    >>> from mlcourse.data import make_applicants
    >>> df = make_applicants(2000, random_state=0)
    >>> df.columns.tolist()[:3]
    ['group', 'sex', 'postcode']
    >>> rates = df.groupby("group", observed=True)["hired"].mean()
    >>> bool(rates["A"] > rates["C"])
    True
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral):
        raise TypeError(f"n_samples must be an int, got {type(n_samples).__name__}")
    if n_samples < 10:
        raise ValueError(f"n_samples must be at least 10, got {n_samples}")
    for name, value in (("label_bias", label_bias), ("proxy_strength", proxy_strength)):
        if isinstance(value, bool) or not isinstance(value, Real):
            raise TypeError(f"{name} must be a number, got {type(value).__name__}")
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {value}")
    props = np.asarray(group_proportions, dtype=float)
    if props.shape != (len(GROUPS),) or np.any(props < 0) or not np.isclose(props.sum(), 1.0):
        raise ValueError(
            f"group_proportions must be {len(GROUPS)} non-negative numbers summing to 1, "
            f"got {group_proportions!r}"
        )

    rng = np.random.default_rng(random_state)
    n = int(n_samples)
    group = rng.choice(np.array(GROUPS), size=n, p=props)
    sex = rng.choice(np.array(["F", "M"]), size=n)

    # Postcode: a home postcode with probability proxy_strength, else uniform over all.
    postcode = rng.integers(0, _N_POSTCODES, size=n)
    at_home = rng.random(n) < proxy_strength
    for g, home in _HOME_POSTCODES.items():
        idx = np.flatnonzero(at_home & (group == g))
        postcode[idx] = rng.choice(np.array(list(home)), size=idx.size)

    # Merit: identical distributions in every group.
    experience = np.round(rng.gamma(shape=2.0, scale=2.5, size=n), 1)
    test_score = np.clip(np.round(rng.normal(60.0, 12.0, size=n)), 0, 100)
    education = rng.choice(np.array([12, 14, 16, 18]), size=n, p=[0.3, 0.2, 0.35, 0.15])
    merit = (
        0.9 * (test_score - 60.0) / 12.0
        + 0.6 * (experience - 5.0) / 3.5
        + 0.4 * (education - 15.0) / 2.2
        + rng.logistic(0.0, 0.45, size=n)
    )
    qualified = (merit > 0.15).astype(int)

    # Historical label bias: qualified people from B and C were sometimes rejected anyway.
    weight = np.vectorize(_BIAS_WEIGHT.__getitem__)(group)
    weight = weight + _INTERSECTION_WEIGHT * ((group == "C") & (sex == "F"))
    wrongly_rejected = rng.random(n) < np.clip(label_bias * weight, 0.0, 1.0)
    hired = qualified * (~wrongly_rejected)

    df = pd.DataFrame(
        {
            "group": pd.Categorical(group, categories=list(GROUPS)),
            "sex": pd.Categorical(sex, categories=["F", "M"]),
            "postcode": pd.Categorical(
                [f"P{p + 1:02d}" for p in postcode],
                categories=[f"P{p + 1:02d}" for p in range(_N_POSTCODES)],
            ),
            "experience_years": experience,
            "test_score": test_score,
            "education_years": education.astype(int),
            "qualified": qualified,
            "hired": hired.astype(int),
        }
    )
    return df
