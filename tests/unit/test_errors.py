"""Unit tests of mlcourse.errors: tallying, plotting and storing error tags."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mlcourse.errors import (
    TallyDisplay,
    load_tags,
    normalize_tag,
    parse_tags,
    save_tags,
    tally_tags,
)

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
