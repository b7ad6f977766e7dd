"""Unit tests of mlcourse.data.make_applicants: seeded, documented bias present by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlcourse.data import make_applicants
from mlcourse.data.applicants import APPLICANT_FEATURES


def test_reproducible_with_a_seed():
    a = make_applicants(500, random_state=3)
    b = make_applicants(500, random_state=3)
    pd.testing.assert_frame_equal(a, b)
    c = make_applicants(500, random_state=4)
    assert not a.equals(c)


def test_columns_and_types():
    df = make_applicants(300, random_state=0)
    assert list(df.columns) == [*APPLICANT_FEATURES, "qualified", "hired"]
    assert len(df) == 300
    for col in ["group", "sex", "postcode"]:
        assert isinstance(df[col].dtype, pd.CategoricalDtype)
    assert set(df["group"].cat.categories) == {"A", "B", "C"}
    assert df["test_score"].between(0, 100).all()
    assert set(df["hired"].unique()) <= {0, 1}


def test_label_bias_only_removes_qualified_hires():
    df = make_applicants(3000, random_state=1)
    # Nobody unqualified was hired; the bias only rejects qualified people.
    assert ((df["hired"] == 1) <= (df["qualified"] == 1)).all()
    # Group A is never affected.
    a = df[df["group"] == "A"]
    assert (a["hired"] == a["qualified"]).all()


def test_disparity_present_by_construction():
    df = make_applicants(20000, random_state=0)
    qualified = df.groupby("group", observed=True)["qualified"].mean()
    hired = df.groupby("group", observed=True)["hired"].mean()
    # Merit is the same in every group ...
    assert qualified.max() - qualified.min() < 0.03
    # ... but the historical labels are not: A > B > C.
    assert hired["A"] > hired["B"] + 0.05 > hired["C"] + 0.1
    # Intersectional: qualified women in C were rejected most often.
    c = df[(df["group"] == "C") & (df["qualified"] == 1)]
    rejected = 1 - c.groupby("sex", observed=True)["hired"].mean()
    assert rejected["F"] > rejected["M"] + 0.1


def test_postcode_is_a_proxy_for_group():
    df = make_applicants(5000, random_state=0)
    home = df["postcode"].astype(str).str[1:].astype(int)
    c_share = (df.loc[home >= 10, "group"] == "C").mean()
    assert c_share > 0.7
    no_proxy = make_applicants(5000, proxy_strength=0.0, random_state=0)
    home = no_proxy["postcode"].astype(str).str[1:].astype(int)
    assert (no_proxy.loc[home >= 10, "group"] == "C").mean() < 0.3


def test_no_bias_when_label_bias_is_zero():
    df = make_applicants(2000, label_bias=0.0, random_state=2)
    assert (df["hired"] == df["qualified"]).all()


def test_group_proportions():
    df = make_applicants(6000, group_proportions=(0.2, 0.2, 0.6), random_state=0)
    shares = df["group"].value_counts(normalize=True)
    assert np.isclose(shares["C"], 0.6, atol=0.03)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_samples": 5}, ValueError, "at least 10"),
        ({"n_samples": 10.5}, TypeError, "n_samples must be an int"),
        ({"label_bias": 1.5}, ValueError, "label_bias must be between 0 and 1"),
        ({"proxy_strength": -0.1}, ValueError, "proxy_strength"),
        ({"label_bias": "high"}, TypeError, "label_bias must be a number"),
        ({"group_proportions": (0.5, 0.5)}, ValueError, "group_proportions"),
        ({"group_proportions": (0.5, 0.4, 0.4)}, ValueError, "summing to 1"),
    ],
)
def test_bad_input(kwargs, error, match):
    kwargs = {"n_samples": 100, **kwargs}
    with pytest.raises(error, match=match):
        make_applicants(**kwargs)
