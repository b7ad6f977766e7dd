"""The synthetic spam corpus: shape, reproducibility, realism knobs, and bad arguments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlcourse.data import EMAIL_COLUMNS, email_text, make_spam_emails


def test_columns_and_types():
    df = make_spam_emails(300, random_state=0)
    assert list(df.columns) == EMAIL_COLUMNS
    assert df["label"].isin([0, 1]).all()
    assert all(isinstance(v, str) for v in df["received"])
    assert df.index.equals(pd.RangeIndex(300))


def test_same_seed_same_corpus_other_seed_other_corpus():
    a = make_spam_emails(200, random_state=3)
    pd.testing.assert_frame_equal(a, make_spam_emails(200, random_state=3))
    assert not a.equals(make_spam_emails(200, random_state=4))


def test_families_and_traits_are_all_present():
    df = make_spam_emails(3000, random_state=0)
    spam_cats = set(
        df.loc[
            df["category"].isin(["pharma", "watches", "prize", "phishing", "image", "routing"]),
            "category",
        ]
    )
    assert spam_cats == {"pharma", "watches", "prize", "phishing", "image", "routing"}
    traits = set(";".join(df["traits"]).split(";")) - {""}
    for t in [
        "pharma",
        "misspelled",
        "unusual_routing",
        "phishing",
        "image",
        "promo_words",
        "mislabeled",
    ]:
        assert t in traits, f"trait {t!r} never generated"
    # Categories overlap: some emails carry several traits.
    assert (df["traits"].str.count(";") >= 1).any()


def test_misspellings_look_like_spammers_do_it():
    df = make_spam_emails(2000, random_state=1)
    body = " ".join(df.loc[df["traits"].str.contains("misspelled"), "body"])
    assert any(ch in body for ch in "0134@$"), "misspelled spam should swap letters for digits"


def test_image_spam_has_almost_no_text():
    df = make_spam_emails(3000, random_state=2)
    words = df["body"].str.split().str.len()
    assert words[df["category"] == "image"].median() < 8
    assert words[df["category"] == "work"].median() > 20


def test_label_noise_rate_and_marking():
    df = make_spam_emails(6000, label_noise=0.02, random_state=0)
    flipped = df["traits"].str.contains("mislabeled")
    assert 0.01 < flipped.mean() < 0.03
    clean = make_spam_emails(500, label_noise=0.0, random_state=0)
    assert not clean["traits"].str.contains("mislabeled").any()


def test_ham_uses_spammy_words_sometimes():
    df = make_spam_emails(3000, random_state=0)
    ham = df[df["label"] == 0]
    assert ham["body"].str.contains(r"\b(?:free|buy)\b").any()


def test_shift_brings_a_new_campaign_with_new_vocabulary():
    base = make_spam_emails(2000, random_state=0)
    shifted = make_spam_emails(2000, shift=0.5, random_state=0)
    assert "crypto" not in set(base["category"])
    share = (shifted["category"] == "crypto").sum() / (shifted["label"] == 1).sum()
    assert 0.35 < share < 0.65
    new_words = set(" ".join(shifted.loc[shifted["category"] == "crypto", "body"]).lower().split())
    old_words = set(" ".join(base["body"]).lower().split())
    assert {"airdrop", "wallet"} & (new_words - old_words)


def test_vocabulary_is_large_and_zipf_like():
    df = make_spam_emails(3000, random_state=0)
    counts = pd.Series(" ".join(df["body"]).lower().split()).value_counts()
    assert len(counts) > 3000
    top = counts.iloc[:200].to_numpy()
    slope = np.polyfit(np.log(np.arange(1, 201)), np.log(top), 1)[0]
    assert -1.6 < slope < -0.5, f"rank-frequency slope {slope:.2f} is not Zipf-like"


def test_email_text_with_and_without_headers():
    df = make_spam_emails(20, random_state=0)
    full, short = email_text(df), email_text(df, headers=False)
    assert full.str.contains("Received: ").all() and full.str.startswith("From: ").all()
    assert not short.str.contains("Received: ").any()
    assert (short.str.len() < full.str.len()).all()


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n_samples": 1}, ValueError, "at least 2"),
        ({"n_samples": 10.5}, TypeError, "int"),
        ({"n_samples": True}, TypeError, "int"),
        ({"spam_fraction": 1.5}, ValueError, "spam_fraction"),
        ({"label_noise": 0.9}, ValueError, "label_noise"),
        ({"shift": "a lot"}, TypeError, "shift"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    args = {"n_samples": 50, **kwargs}
    with pytest.raises(exc, match=match):
        make_spam_emails(**args)


def test_email_text_bad_input():
    with pytest.raises(TypeError, match="DataFrame"):
        email_text(["not", "a", "frame"])
    with pytest.raises(ValueError, match="missing column"):
        email_text(pd.DataFrame({"subject": ["x"]}))
