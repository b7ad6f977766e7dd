"""Lesson 2's measured claim: fixing the biggest error group gains more than fixing a small one.

The models, fixes and the choice of groups mirror ``notebooks/02_error_analysis.ipynb`` (keep them
in sync). The groups are computed from the tally of the stand-in tags, never hard-coded, and the
claim is checked for five corpora and fold splits (seeds 0 to 4).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from mlcourse.data import email_text, make_spam_emails
from mlcourse.errors import (
    EMAIL_FIELDS,
    misclassified,
    sample_errors,
    simulate_human_tags,
    tally_tags,
)

SEEDS = range(5)


def spam_model(*extra, words=None):
    words = words or CountVectorizer(binary=True, max_features=10_000)
    features = make_column_transformer((words, "text"), *extra)
    return make_pipeline(features, LogisticRegression(max_iter=2000))


def image_features(bodies) -> np.ndarray:
    body = pd.Series(np.asarray(bodies, dtype=object))
    has_image = body.str.contains("<img", regex=False)
    return np.c_[has_image, has_image & (body.str.split().str.len() < 12)].astype(float)


routing_words = (CountVectorizer(binary=True), "received")
image_flags = (FunctionTransformer(image_features), "body")

LOOKALIKES = str.maketrans(
    {"4": "a", "@": "a", "3": "e", "1": "i", "!": "i", "|": "i", "l": "i", "0": "o",
     "5": "s", "$": "s", "z": "s", "7": "t", "+": "t", "_": None}
)  # fmt: skip


def normalise_spelling(text: str) -> str:
    words = re.findall(r"[\w@$!|+]+", text.lower())
    return " ".join(re.sub(r"(.)\1+", r"\1", w.translate(LOOKALIKES)) for w in words)


FIXES = {
    "unusual_routing": lambda: spam_model(routing_words),
    "image": lambda: spam_model(image_flags),
    "misspelled": lambda: spam_model(
        words=CountVectorizer(binary=True, max_features=10_000, preprocessor=normalise_spelling)
    ),
}


def lesson2_measurement(seed: int) -> dict:
    """Run lesson 2's section 1 to 5 with ``seed``; return the groups and the CV gains."""
    emails = make_spam_emails(4000, random_state=seed)
    emails["text"] = email_text(emails, headers=False)
    y = emails["label"]
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    errors = misclassified(spam_model(), emails, y, details=emails[list(EMAIL_FIELDS)], cv=cv)
    error_rate = len(errors) / len(emails)
    sample = sample_errors(errors, n=100, random_state=seed)
    tags = simulate_human_tags(sample, emails)
    mislabeled = tags.str.split(";").map(lambda t: "mislabeled" in t)
    tally = tally_tags(tags[~mislabeled], n_errors=len(tags), error_rate=error_rate)
    fixable = tally[tally.index.isin(list(FIXES))]
    big, small = fixable.index[0], fixable.index[-1]
    baseline = 1 - error_rate
    gains = {
        g: cross_val_score(FIXES[g](), emails, y, cv=cv).mean() - baseline for g in (big, small)
    }
    return {
        "big": big,
        "small": small,
        "count_big": int(fixable.loc[big, "count"]),
        "count_small": int(fixable.loc[small, "count"]),
        "gain_big": gains[big],
        "gain_small": gains[small],
        "bound_big": float(tally.loc[big, "max_gain"]),
        "bound_small": float(tally.loc[small, "max_gain"]),
    }


@pytest.mark.claims
@pytest.mark.parametrize("seed", SEEDS)
def test_fixing_the_biggest_group_gains_more_than_fixing_a_small_one(seed):
    r = lesson2_measurement(seed)
    assert r["big"] != r["small"], f"seed {seed}: only one fixable group in the tally: {r}"
    assert r["count_big"] > r["count_small"], f"seed {seed}: the groups are the same size: {r}"
    assert r["gain_big"] > 0, f"seed {seed}: the fix for the biggest group did not help: {r}"
    assert r["gain_big"] > r["gain_small"], (
        f"seed {seed}: fixing the small group ({r['small']}) gained at least as much as fixing "
        f"the biggest ({r['big']}): {r}"
    )
