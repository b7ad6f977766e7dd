"""The error-tagging widget, driven from Python: toggles, next/previous, tally, autosave, resume."""

from __future__ import annotations

import pandas as pd
import pytest

from mlcourse.errors import load_tags, save_tags
from mlcourse.widgets import ErrorTagger


@pytest.fixture
def sample():
    n = 5
    return pd.DataFrame(
        {
            "subject": [f"Subject {i}" for i in range(n)],
            "sender": [f"user{i}@example.com" for i in range(n)],
            "received": ["from a by b\nfrom c by d\nfrom localhost by e"] * n,
            "body": ["Cheap med1cine <script>alert(1)</script>"] + ["hello"] * (n - 1),
            "true": [1, 0, 1, 1, 0],
            "pred": [0, 1, 0, 0, 1],
            "score": [0.2, 0.7, 0.1, 0.4, 0.9],
        },
        index=[10, 11, 12, 13, 14],
    )


def on(tagger):
    return sorted(t for t, w in tagger.toggles.items() if w.value)


def test_toggles_next_tally_and_saved_file(sample, tmp_path):
    path = tmp_path / "error_tags.csv"
    tagger = ErrorTagger(sample, path=path, labels={0: "ham", 1: "spam"})
    assert not path.exists()  # nothing is written before the learner tags something
    assert "0 / 5 tagged" in tagger.progress.value
    assert "nothing tagged yet" in tagger.tally_html.value

    tagger.toggles["pharma"].value = True
    tagger.toggles["misspelled"].value = True
    # the tally is live: it updates on the toggle, before Next
    assert "pharma" in tagger.tally_html.value and "1 / 5 tagged" in tagger.progress.value
    assert load_tags(path).to_dict() == {10: "misspelled;pharma"}

    tagger.next_button.click()
    assert tagger.position == 1 and on(tagger) == []  # toggles show the new example's tags
    tagger.next_button.click()  # Next with nothing on: looked at, no tag applies
    tagger.toggles["pharma"].value = True
    tagger.next_button.click()
    assert "3 / 5 tagged" in tagger.progress.value
    assert tagger.tags.to_dict() == {10: "misspelled;pharma", 11: "", 12: "pharma"}
    tally = tagger.tally()
    assert tally["count"].to_dict() == {"pharma": 2, "misspelled": 1}
    assert tally.loc["pharma", "share"] == pytest.approx(2 / 3)
    assert "67%" in tagger.tally_html.value
    assert load_tags(path).to_dict() == tagger.tags.to_dict()

    tagger.prev_button.click()
    tagger.prev_button.click()
    tagger.prev_button.click()
    assert tagger.position == 0 and on(tagger) == ["misspelled", "pharma"]
    assert tagger.prev_button.disabled
    tagger.toggles["misspelled"].value = False  # changing one's mind is saved too
    assert load_tags(path)[10] == "pharma"


def test_example_is_readable_and_escaped(sample):
    tagger = ErrorTagger(sample, labels={0: "ham", 1: "spam"})
    shown = tagger.example_html.value
    for text in ["Subject 0", "user0@example.com", "3 hops", "from c by d", "med1cine"]:
        assert text in shown
    assert "label: <b>spam</b>" in shown and "model said: <b>ham</b>" in shown
    assert "<script>" not in shown and "&lt;script&gt;" in shown


def test_add_a_new_tag_and_resume_after_a_partial_session(sample, tmp_path):
    path = tmp_path / "error_tags.csv"
    tagger = ErrorTagger(sample, path=path)
    tagger.new_tag.value = "Fake Invoice"
    tagger.add_button.click()
    assert "fake_invoice" in tagger.toggles and tagger.new_tag.value == ""
    tagger.toggles["fake_invoice"].value = True
    tagger.next_button.click()
    tagger.toggles["image"].value = True
    tagger.next_button.click()
    del tagger  # the notebook is closed mid-way

    again = ErrorTagger(sample, path=path)
    assert "fake_invoice" in again.toggles  # the learner's own tag comes back
    assert again.n_tagged == 2 and again.position == 2  # continues at the first untagged one
    assert "2 / 5 tagged" in again.progress.value and "Resumed" in again.status.value
    assert again.tally()["count"].to_dict() == {"fake_invoice": 1, "image": 1}
    again.toggles["phishing"].value = True
    assert load_tags(path).to_dict() == {10: "fake_invoice", 11: "image", 12: "phishing"}
    again.go_to(0)
    assert on(again) == ["fake_invoice"]


def test_bad_new_tag_is_reported_not_raised(sample):
    tagger = ErrorTagger(sample)
    tagger.new_tag.value = "no, commas"
    tagger.add_button.click()
    assert "not a valid tag" in tagger.status.value
    assert "no,_commas" not in tagger.toggles


def test_keyboard_shortcuts(sample):
    tagger = ErrorTagger(sample, tags=["pharma", "misspelled", "image"])
    assert tagger.toggles["pharma"].description.startswith("1 ")
    tagger.key_box.value = "1 3 n"
    assert tagger.tags.to_dict() == {10: "image;pharma"} and tagger.position == 1
    assert tagger.key_box.value == ""  # ready for the next keys
    tagger.key_box.value = "p"
    assert tagger.position == 0
    tagger.key_box.value = "x"
    assert "Unknown key" in tagger.status.value
    tagger.key_box.value = "7"
    assert "no tag number 7" in tagger.status.value


def test_finishing_the_sample(sample):
    tagger = ErrorTagger(sample)
    for _ in range(len(sample)):
        tagger.next_button.click()
    assert tagger.n_tagged == 5 and tagger.position == 4
    assert "All examples tagged" in tagger.status.value


def test_foreign_and_corrupt_files_are_refused_and_left_unchanged(sample, tmp_path):
    other = tmp_path / "other_sample.csv"
    save_tags(pd.Series({99: "pharma"}), other)
    before = other.read_bytes()
    with pytest.raises(ValueError, match="another sample"):
        ErrorTagger(sample, path=other)
    assert other.read_bytes() == before

    foreign = tmp_path / "grades.csv"
    foreign.write_text("student,grade\nann,A\n")
    with pytest.raises(ValueError, match="not a tag file"):
        ErrorTagger(sample, path=foreign)
    assert foreign.read_text() == "student,grade\nann,A\n"


def test_a_file_changed_on_disk_is_not_overwritten(sample, tmp_path):
    path = tmp_path / "error_tags.csv"
    tagger = ErrorTagger(sample, path=path)
    tagger.toggles["pharma"].value = True
    path.write_text("example,tags\n10,image\n")  # someone else writes the file meanwhile
    tagger.toggles["image"].value = True
    assert "changed on disk" in tagger.status.value and tagger.save_error
    assert path.read_text() == "example,tags\n10,image\n"
    assert tagger.tags.to_dict() == {10: "image;pharma"}  # nothing lost in memory


def test_css_classes_for_the_browser_test(sample):
    tagger = ErrorTagger(sample)
    assert "mlc-tagger" in tagger._dom_classes
    assert "mlc-tag-pharma" in tagger.toggles["pharma"]._dom_classes
    for w, cls in [
        (tagger.next_button, "mlc-next"),
        (tagger.prev_button, "mlc-prev"),
        (tagger.tally_html, "mlc-tally"),
        (tagger.progress, "mlc-progress"),
    ]:
        assert cls in w._dom_classes


def test_bad_input(sample):
    with pytest.raises(TypeError):
        ErrorTagger([1, 2])
    with pytest.raises(ValueError, match="empty"):
        ErrorTagger(sample.iloc[:0])
    with pytest.raises(ValueError, match="duplicate"):
        ErrorTagger(pd.concat([sample, sample]))
    with pytest.raises(TypeError, match="single string"):
        ErrorTagger(sample, tags="pharma")
    with pytest.raises(ValueError, match="fields"):
        ErrorTagger(sample, fields=["nope"])
    with pytest.raises(IndexError):
        ErrorTagger(sample).go_to(9)
