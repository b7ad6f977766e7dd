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


SPAM_FAMILIES = {"pharma", "watches", "prize", "phishing", "image", "routing"}


def traits_of(df):
    return df["traits"].str.split(";").map(lambda t: set(t) - {""})


def test_families_and_traits_are_all_present():
    df = make_spam_emails(3000, random_state=0)
    assert set(df.loc[df["category"].isin(SPAM_FAMILIES), "category"]) == SPAM_FAMILIES
    traits = set().union(*traits_of(df))
    for t in [
        "pharma",
        "watches",
        "prize",
        "phishing",
        "image",
        "misspelled",
        "unusual_routing",
        "promo_words",
        "photo",
        "mailing_list",
        "forwarded",
        "small_server",
        "travelling",
        "mislabeled",
    ]:
        assert t in traits, f"trait {t!r} never generated"


def test_spam_families_overlap():
    df = make_spam_emails(3000, random_state=0)
    combos = traits_of(df)
    assert (combos.map(len) >= 3).sum() > 20, "few emails carry three traits or more"
    for combo in [
        {"pharma", "misspelled", "unusual_routing"},
        {"image", "phishing"},
        {"image", "unusual_routing"},
    ]:
        assert combos.map(combo.issubset).any(), f"no email carries {sorted(combo)}"


def test_routing_signs_are_recorded_honestly():
    df = make_spam_emails(3000, random_state=1)
    unusual = traits_of(df).map(lambda t: "unusual_routing" in t)
    no_rdns = df["received"].str.contains("(unknown [", regex=False)
    assert unusual[no_rdns].all(), "a hop without reverse DNS is unusual routing"
    assert no_rdns[unusual].mean() < 0.8  # dynamic hosts and rare domains count too
    assert (df.loc[df["category"] == "work", "received"].str.count("\n") >= 1).all()
    # Newest hop first: our own delivery tops every route.
    assert df["received"].str.startswith("from localhost by ").all()


def test_routes_are_only_partly_predictive():
    df = make_spam_emails(6000, random_state=2)
    unusual = traits_of(df).map(lambda t: "unusual_routing" in t)
    spam, ham = df["label"] == 1, df["label"] == 0
    # Spam shows unusual routes far more often than ham, but neither side is pure:
    assert unusual[spam].mean() > 3 * unusual[ham].mean()
    assert unusual[ham].sum() > 50, "innocent ham (hotel Wi-Fi, small servers) has them too"
    assert (~unusual[spam]).mean() > 0.5, "much spam travels an ordinary-looking route"
    routing = df["category"] == "routing"
    assert unusual[routing].mean() > 0.95  # this family's only tell is its route


def test_no_fixed_list_of_domains_catches_the_spam_routes():
    # Lesson 1 once used the generator's own list of top-level domains: it must not work.
    old_list = r"\.(?:biz|info|top|xyz|click|ru|cn|work)\b"
    a = make_spam_emails(3000, random_state=0)
    b = make_spam_emails(3000, random_state=1)
    routing = a.loc[a["category"] == "routing", "received"]
    assert routing.str.contains(old_list).mean() < 0.35

    def tlds(df):
        spam = df[df["label"] == 1]
        hosts = (spam["sender"] + " " + spam["received"]).str.findall(r"\w\.([a-z]+)\b(?!\.)")
        return set().union(*map(set, hosts))

    ta, tb = tlds(a), tlds(b)
    assert len(ta) > 200, "spam should come from an open set of top-level domains"
    assert len(ta & tb) / len(ta | tb) < 0.6, "another corpus should bring new domains"


def test_misspellings_look_like_spammers_do_it():
    df = make_spam_emails(2000, random_state=1)
    body = " ".join(df.loc[df["traits"].str.contains("misspelled"), "body"])
    assert any(ch in body for ch in "0134@$"), "misspelled spam should swap letters for digits"
    assert any(ch in body for ch in "аеорсі"), "and sometimes for Cyrillic look-alikes"


def test_image_spam_has_almost_no_text():
    df = make_spam_emails(3000, random_state=2)
    words = df["body"].str.split().str.len()
    assert words[df["category"] == "image"].median() < 8
    assert words[df["category"] == "work"].median() > 20
    photos = df["traits"].str.contains("photo")
    assert words[photos].median() < 12, "genuine photos with a line of text look alike"


def test_no_generator_word_is_in_every_email():
    # A rare made-up word must stay rare: none in more than 3% of the emails.
    from mlcourse.data._mailtext import TAIL

    df = make_spam_emails(3000, random_state=0)
    words = df["body"].str.lower().str.findall(r"[a-z]+").map(set)
    tail = set(TAIL)
    counts = pd.Series([w for ws in words for w in ws if w in tail]).value_counts()
    assert counts.iloc[0] / len(df) < 0.03, f"{counts.index[0]!r} is everywhere"


def test_bodies_are_sentences():
    df = make_spam_emails(500, random_state=0)
    work = df.loc[df["category"] == "work", "body"]
    assert (work.str.count(r"[.?!]") >= 2).all()
    assert work.str.contains(r"\b(?:attached|review|meeting|update)\b").mean() > 0.3


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
