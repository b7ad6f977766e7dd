"""Lesson 3 (adding data): every measured claim, on the notebook's own results for each seed.

``notebooks/03_adding_data.ipynb`` runs with papermill for every seed. It saves ``weak`` (the
biggest error group on the dev set), ``collection`` (no / random / targeted labels),
``spam_centric`` (the same, plus the tuned spam model), ``images`` (the four digit training
sets), ``variants`` (the "Your turn" answers: + slant, ±60°), ``audio`` and ``centric``
(baseline / tuned / augmented SVM). Each test fails if its claim is reversed.
"""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import all_lesson_runs, assert_clean, in_at_least, lesson_runs

pytestmark = pytest.mark.claims

run = lesson_runs("03_adding_data")
runs = all_lesson_runs("03_adding_data")
REAL = "real-world test accuracy"


def test_the_notebook_runs_without_errors_or_warnings(run):
    assert_clean(run)


# ------------------------------------------------------------------------ targeted collection
def _collection(run):
    """(overall accuracy, recall on the weak group) per row of the collection tables."""
    weak, table = run["weak"], run["spam_centric"]
    return {
        name: (row["test accuracy"], row[f"recall on '{weak}'"]) for name, row in table.iterrows()
    }


def test_error_analysis_finds_a_weak_group(run):
    # "its error rate on the test set, one minus its recall, is more than twice the overall"
    overall, weak = _collection(run)["no new labels"]
    assert 1 - weak > 2 * (1 - overall), (
        f"seed {run.seed}: the weak group {run['weak']!r} is not clearly weaker: error rate "
        f"{1 - weak:.3f} vs {1 - overall:.3f} overall"
    )


def test_the_weak_group_is_the_one_the_text_describes(run):
    # The lesson's prose (character 3-grams "catch spellings like m3dicine"; "too few misspelled
    # spams for any C to learn them from") is written for this group.
    assert run["weak"] == "misspelled", (
        f"seed {run.seed}: the biggest dev error group is {run['weak']!r}"
    )


def test_targeted_labels_fix_most_of_the_weak_groups_errors(run):
    c = _collection(run)
    before, after = 1 - c["no new labels"][1], 1 - c["targeted 100"][1]
    assert after < 0.5 * before, (
        f"seed {run.seed}: the weak group's error rate went from {before:.3f} to {after:.3f} with "
        "the targeted labels: not most of it fixed"
    )


def test_targeted_collection_beats_random_on_the_weak_group(run):
    c = _collection(run)
    assert c["targeted 100"][1] > c["random 100"][1] + 0.02, (
        f"seed {run.seed}: recall on {run['weak']!r}: targeted {c['targeted 100'][1]:.3f} vs "
        f"random {c['random 100'][1]:.3f}"
    )


def test_targeted_collection_beats_random_overall(runs):
    gains = np.array(
        [_collection(r)["targeted 100"][0] - _collection(r)["random 100"][0] for r in runs]
    )
    seeds = [r.seed for r in runs]
    assert gains.mean() > 0.002, f"targeted - random overall accuracy, seeds {seeds}: {gains}"
    assert in_at_least((gains > 0).sum(), 4), f"seeds {seeds}: targeted - random = {gains}"


def test_targeted_labels_beat_tuning_the_spam_model(run, runs):
    c = _collection(run)
    assert c["targeted 100"][1] > c["model-centric: tuned C"][1] + 0.02, (
        f"seed {run.seed}: recall on {run['weak']!r}: targeted {c['targeted 100'][1]:.3f} vs "
        f"tuned {c['model-centric: tuned C'][1]:.3f}"
    )
    gains = np.array(
        [
            _collection(r)["targeted 100"][0] - _collection(r)["model-centric: tuned C"][0]
            for r in runs
        ]
    )
    seeds = [r.seed for r in runs]
    assert gains.mean() > 0, f"targeted - tuned overall accuracy, seeds {seeds}: {gains}"
    assert in_at_least((gains > 0).sum(), 4), f"seeds {seeds}: targeted - tuned = {gains}"


# ------------------------------------------------------------------------ image augmentation
def _images(run):
    return run["images"][REAL]


def test_representative_augmentation_helps_clearly(run):
    acc = _images(run)
    assert acc["+ representative"] > acc["originals only"] + 0.08, (
        f"seed {run.seed}: real-world accuracy {acc['originals only']:.3f} -> "
        f"{acc['+ representative']:.3f} with representative augmentation (needs > +0.08)"
    )


def test_meaningless_noise_does_not_help(run, runs):
    acc = _images(run)
    gain_rep = acc["+ representative"] - acc["originals only"]
    gain_noise = acc["+ pixel noise"] - acc["originals only"]
    assert gain_noise < 0.25 * gain_rep, (
        f"seed {run.seed}: pixel noise gains {gain_noise:+.3f}, representative {gain_rep:+.3f}"
    )
    mean_gain = np.mean([_images(r)["+ pixel noise"] - _images(r)["originals only"] for r in runs])
    assert mean_gain < 0.05, f"pixel noise gains {mean_gain:+.3f} on average over the seeds"


def test_unrepresentative_flips_do_not_help(run):
    acc = _images(run)
    assert acc["+ flips"] <= acc["originals only"] + 0.01, (
        f"seed {run.seed}: flips {acc['+ flips']:.3f} vs originals {acc['originals only']:.3f}"
    )


def test_your_turn_answers_too_strong_rotation_gains_less_and_slant_changes_little(run):
    v = run["variants"]
    usual = v["as above"]
    assert usual == _images(run)["+ representative"], f"seed {run.seed}: {v}"
    assert v["angle ±60° instead of ±15°"] < usual - 0.01, f"seed {run.seed}:\n{v}"
    assert abs(v["+ slant"] - usual) < 0.03, f"seed {run.seed}:\n{v}"


# ------------------------------------------------------------- data-centric vs model-centric
def test_data_centric_beats_model_centric_on_the_real_world_test(run):
    acc = run["centric"][REAL]
    baseline = acc["baseline (default SVM)"]
    model_centric = acc["model-centric (tuned SVM)"]
    data_centric = acc["data-centric (augmented data)"]
    numbers = f"baseline {baseline:.3f}, tuned {model_centric:.3f}, augmented {data_centric:.3f}"
    assert data_centric > model_centric + 0.05, f"seed {run.seed}: {numbers}"
    assert data_centric - baseline > 2 * (model_centric - baseline), f"seed {run.seed}: {numbers}"
    assert data_centric == _images(run)["+ representative"], f"seed {run.seed}: {numbers}"


# ------------------------------------------------------------------------ audio augmentation
def test_audio_augmentation_beats_none_on_the_noisy_test_set(run):
    acc = run["audio"][REAL]
    assert acc["+ noise and phone"] > acc["no augmentation"] + 0.10, f"seed {run.seed}:\n{acc}"


def test_audio_augmentation_keeps_clean_accuracy_but_leaves_a_gap(run):
    table = run["audio"]
    clean, real = table["clean test accuracy"], table[REAL]
    assert clean["+ noise and phone"] >= clean["no augmentation"] - 0.02, (
        f"seed {run.seed}:\n{table}"
    )
    assert real["+ noise and phone"] < clean["+ noise and phone"] - 0.10, (
        f"seed {run.seed}:\n{table}"
    )
