"""Unit tests of mlcourse.errors: collecting, sampling, tallying and storing error tags."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import LinearSVC

from mlcourse.errors import (
    TallyDisplay,
    load_tags,
    misclassified,
    normalize_tag,
    parse_tags,
    sample_errors,
    save_tags,
    simulate_human_tags,
    tally_tags,
)


@pytest.fixture
def toy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = pd.Series((x + rng.normal(scale=0.8, size=200) > 0).astype(int), index=range(100, 300))
    X = pd.DataFrame({"x": x}, index=y.index)
    details = pd.DataFrame({"subject": [f"s{i}" for i in range(200)]}, index=y.index)
    return X, y, details


# --- misclassified ---------------------------------------------------------------------------


def test_misclassified_returns_exactly_the_cv_errors(toy):
    X, y, details = toy
    errors = misclassified(LogisticRegression(), X, y, details=details, cv=5)
    assert list(errors.columns) == ["subject", "true", "pred", "score"]
    assert (errors["true"] != errors["pred"]).all()
    assert set(errors.index) <= set(y.index)
    assert (errors["true"] == y.loc[errors.index]).all()
    assert (errors["subject"] == details.loc[errors.index, "subject"]).all()
    # score is P(class 1): a wrong prediction of 1 has score > 0.5, of 0 has score < 0.5
    assert ((errors["pred"] == 1) == (errors["score"] > 0.5)).all()
    assert 0 < len(errors) < len(y) / 2


def test_misclassified_is_seeded_and_clones_the_estimator(toy):
    X, y, details = toy
    est = LogisticRegression()
    a = misclassified(est, X, y, details=details, random_state=3)
    b = misclassified(est, X, y, details=details, random_state=3)
    pd.testing.assert_frame_equal(a, b)
    assert not hasattr(est, "coef_")  # the learner's model is not refitted


def test_misclassified_without_predict_proba_and_plain_arrays(toy):
    X, y, _ = toy
    errors = misclassified(LinearSVC(), X.to_numpy(), y.to_numpy(), cv=3)
    assert list(errors.columns) == ["true", "pred", "score"]
    assert errors["score"].isna().all()
    assert errors.index.max() < len(y)


def test_misclassified_bad_input(toy):
    X, y, details = toy
    with pytest.raises(TypeError, match="classifier"):
        misclassified(LinearRegression(), X, y)
    with pytest.raises(ValueError, match="rows"):
        misclassified(LogisticRegression(), X.iloc[:10], y)
    with pytest.raises(ValueError, match="details has"):
        misclassified(LogisticRegression(), X, y, details=details.iloc[:5])
    with pytest.raises(TypeError, match="DataFrame"):
        misclassified(LogisticRegression(), X, y, details=[1, 2])
    with pytest.raises(ValueError, match="column"):
        misclassified(
            LogisticRegression(), X, y, details=details.rename(columns={"subject": "pred"})
        )
    with pytest.raises(ValueError, match="two classes"):
        misclassified(LogisticRegression(), X, y * 0)


# --- sample_errors ---------------------------------------------------------------------------


def test_sample_errors_is_seeded_without_replacement():
    errors = pd.DataFrame({"true": np.arange(500) % 2}, index=np.arange(1000, 1500))
    a = sample_errors(errors, 100, random_state=1)
    b = sample_errors(errors, 100, random_state=1)
    c = sample_errors(errors, 100, random_state=2)
    assert len(a) == 100 and a.index.is_unique and set(a.index) <= set(errors.index)
    assert a.index.equals(b.index) and not a.index.equals(c.index)
    assert len(sample_errors(errors.iloc[:30], 100)) == 30


def test_sample_errors_bad_input():
    errors = pd.DataFrame({"true": [0, 1]})
    with pytest.raises(ValueError, match="at least 1"):
        sample_errors(errors, 0)
    with pytest.raises(TypeError, match="int"):
        sample_errors(errors, 2.5)
    with pytest.raises(TypeError, match="DataFrame"):
        sample_errors([1, 2], 1)


# --- tags and tally --------------------------------------------------------------------------


def test_normalize_and_parse_tags():
    assert normalize_tag(" Fake Invoice ") == "fake_invoice"
    assert normalize_tag("w4tches-spam") == "w4tches_spam"
    assert parse_tags("pharma;misspelled") == {"pharma", "misspelled"}
    assert parse_tags(["pharma", "pharma"]) == {"pharma"}
    assert parse_tags("") == frozenset() and parse_tags(None) == frozenset()
    assert parse_tags(float("nan")) == frozenset()
    for bad in ["", "a,b", "two;", "x!"]:
        if bad == "two;":
            assert parse_tags(bad) == {"two"}
            continue
        with pytest.raises(ValueError, match="not a valid tag"):
            normalize_tag(bad)
    with pytest.raises(TypeError):
        normalize_tag(3)
    with pytest.raises(TypeError):
        parse_tags(3)


def test_tally_counts_overlapping_tags_once_per_example_and_sorts():
    tags = ["pharma;misspelled", "pharma", "", "misspelled;pharma;image", "routing", "pharma"]
    tally = tally_tags(tags)
    assert tally.index.tolist() == ["pharma", "misspelled", "image", "routing"]  # ties by name
    assert tally["count"].tolist() == [4, 2, 1, 1]
    np.testing.assert_allclose(tally["share"], [4 / 6, 2 / 6, 1 / 6, 1 / 6])
    assert tally["share"].sum() > 1  # overlap: shares of overlapping groups add up to > 100%
    assert tally.index.name == "tag"


def test_tally_accepts_lists_series_and_boolean_frames():
    as_lists = tally_tags([["a", "b"], ["a"], []])
    as_series = tally_tags(pd.Series(["a;b", "a", ""], index=[7, 8, 9]))
    as_frame = tally_tags(pd.DataFrame({"a": [True, True, False], "b": [True, False, False]}))
    pd.testing.assert_frame_equal(as_lists, as_series)
    pd.testing.assert_frame_equal(as_lists, as_frame)


def test_tally_share_and_estimated_gain():
    tally = tally_tags(["a", "a;b", ""], n_errors=10, error_rate=0.05)
    assert tally.loc["a", "share"] == pytest.approx(0.2)
    assert tally.loc["a", "est_gain"] == pytest.approx(0.2 * 0.05)
    assert tally.loc["b", "est_gain"] == pytest.approx(0.1 * 0.05)


def test_tally_bad_input_and_empty():
    assert tally_tags(["", ""]).empty
    assert list(tally_tags([""]).columns) == ["count", "share"]
    with pytest.raises(ValueError, match="smaller"):
        tally_tags(["a", "b"], n_errors=1)
    with pytest.raises(TypeError):
        tally_tags("pharma;misspelled")  # one string is not one entry per example
    with pytest.raises(TypeError):
        tally_tags(pd.DataFrame({"a": [1, 0]}))
    with pytest.raises(ValueError, match="between 0 and 1"):
        tally_tags(["a"], error_rate=2.0)
    with pytest.raises(ValueError, match="not a valid tag"):
        tally_tags(["ok", "not,ok"])


def test_tally_display_plots_largest_first():
    disp = TallyDisplay.from_tags(["b", "a;b", "c;b", "a"])
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["b", "a", "c"]
    widths = [p.get_width() for p in disp.ax_.patches]
    assert widths == pytest.approx([3 / 4, 2 / 4, 1 / 4])
    fig, ax = plt.subplots()
    disp2 = TallyDisplay(tally_tags(["x"]), n_errors=1).plot(ax=ax)
    assert disp2.ax_ is ax and disp2.figure_ is fig
    plt.close("all")
    with pytest.raises(TypeError):
        TallyDisplay(pd.DataFrame({"n": [1]}))


# --- the stand-in ----------------------------------------------------------------------------


def test_simulate_human_tags_uses_hidden_traits_for_the_sample_only():
    emails = pd.DataFrame(
        {"traits": ["pharma;misspelled", "", "image;unusual_routing", "mislabeled"]},
        index=[10, 11, 12, 13],
    )
    sample = pd.DataFrame({"subject": ["x", "y"]}, index=[12, 10])
    tags = simulate_human_tags(sample, emails)
    assert tags.index.tolist() == [12, 10]
    assert tags.tolist() == ["image;unusual_routing", "misspelled;pharma"]
    limited = simulate_human_tags(sample, emails, vocabulary=["pharma", "image"])
    assert limited.tolist() == ["image", "pharma"]
    with pytest.raises(ValueError, match="traits"):
        simulate_human_tags(sample, emails.drop(columns="traits"))
    with pytest.raises(ValueError, match="not in emails"):
        simulate_human_tags(pd.DataFrame(index=[99]), emails)


def test_simulate_human_tags_on_the_course_corpus():
    from mlcourse.data import make_spam_emails

    emails = make_spam_emails(300, random_state=0)
    tags = simulate_human_tags(emails.iloc[:50], emails)
    assert tags.tolist() == [";".join(sorted(t.split(";"))) for t in emails["traits"].iloc[:50]]


# --- the tag file ----------------------------------------------------------------------------


def test_csv_round_trip(tmp_path):
    tags = pd.Series({5: "pharma;misspelled", 2: "", 9: ["image"]})
    path = save_tags(tags, tmp_path / "tags.csv")
    loaded = load_tags(path)
    assert loaded.index.tolist() == [5, 2, 9]
    assert loaded.tolist() == ["misspelled;pharma", "", "image"]
    assert loaded.name == "tags"
    # string ids survive too
    save_tags(pd.Series({"msg-a": "x", "msg,b": "y"}), tmp_path / "s.csv")
    assert load_tags(tmp_path / "s.csv").to_dict() == {"msg-a": "x", "msg,b": "y"}


def test_save_never_overwrites_silently(tmp_path):
    path = tmp_path / "tags.csv"
    save_tags(pd.Series({1: "a"}), path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_tags(pd.Series({1: "b"}), path)
    assert path.read_bytes() == before
    save_tags(pd.Series({1: "b"}), path, overwrite=True)
    assert load_tags(path).to_dict() == {1: "b"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tags.csv"]  # no temp files left


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty"),
        (b"name,age\nbob,3\n", "not a tag file"),
        (b"example,tags,extra\n1,a,b\n", "not a tag file"),
        (b"example,tags\n1,a\n2\n", "line 3"),
        (b"example,tags\n1,a\n1,b\n", "appears twice"),
        (b"example,tags\n1,not ok!\n", "line 2"),
        (b"example,tags\n,a\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not a text file|binary"),
        (b"example,tags\n1,a\x00\n", "binary"),
    ],
)
def test_load_bad_files_raise_clear_errors(tmp_path, content, match):
    path = tmp_path / "tags.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load_tags(path)
    assert path.read_bytes() == content  # left unchanged


def test_save_bad_input(tmp_path):
    with pytest.raises(TypeError, match="Series"):
        save_tags(["a"], tmp_path / "x.csv")
    with pytest.raises(ValueError, match="duplicate"):
        save_tags(pd.Series(["a", "b"], index=[1, 1]), tmp_path / "x.csv")
    with pytest.raises(ValueError, match="not a valid tag"):
        save_tags(pd.Series({1: "bad tag!"}), tmp_path / "x.csv")
    with pytest.raises(IsADirectoryError):
        save_tags(pd.Series({1: "a"}), tmp_path, overwrite=True)
    assert not (tmp_path / "x.csv").exists()
