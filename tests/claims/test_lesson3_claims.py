"""Lesson 3 (adding data): every measured claim, on the notebook's own results for each seed.

``notebooks/03_adding_data.ipynb`` runs with papermill for every seed. It saves ``weak`` (the
biggest error group on the dev set), ``error_table`` (the tally of the tagged dev errors),
``collection`` (no labels / three random draws / targeted labels), ``spam_centric`` (the same,
plus the tuned spam model, with labels and fits counted), ``look`` (how the real-world digits'
ink differs), ``images`` (the six digit training sets), ``variants`` (the "Your turn" answers:
+ slant, ±60°), ``audio`` and ``centric`` (default / tuned SVM on original / augmented digits,
fits counted). Each test fails if its claim is reversed.
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
    """Per row of ``collection``: (overall accuracy, accuracy on the weak group, on the rest,
    new weak-group emails bought); the random draws also averaged as ``"random"``."""
    weak, table = run["weak"], run["collection"]
    rows = {
        name: (
            row["test accuracy"],
            row[f"accuracy on '{weak}'"],
            row["accuracy on the rest"],
            row[f"new '{weak}' emails"],
        )
        for name, row in table.iterrows()
    }
    draws = np.array([v for k, v in rows.items() if k.startswith("random")])
    assert len(draws) == 3, f"seed {run.seed}: expected 3 random draws in {list(rows)}"
    rows["random"] = tuple(draws.mean(axis=0))
    rows["random draws"] = draws
    return rows


def test_the_weak_group_comes_from_the_error_tally_not_a_name(runs):
    # "Which group it is depends on the seed ... The code never names it": the notebook picks the
    # biggest group of the tally (mislabeled excluded), and with this generator the group differs
    # between seeds.
    for r in runs:
        table = r["error_table"].drop("mislabeled", errors="ignore")
        assert r["weak"] == table["errors"].idxmax(), f"seed {r.seed}: {r['weak']!r}\n{table}"
    if len(runs) >= 5:
        assert len({r["weak"] for r in runs}) > 1, [r["weak"] for r in runs]


def test_error_analysis_finds_a_weak_group(run):
    # "the test set confirms that this group's error rate is well above the overall one"
    overall, weak = _collection(run)["no new labels"][:2]
    assert 1 - weak > 1.5 * (1 - overall), (
        f"seed {run.seed}: the weak group {run['weak']!r} is not clearly weaker: error rate "
        f"{1 - weak:.3f} vs {1 - overall:.3f} overall"
    )


def test_targeted_labels_hold_far_more_of_the_weak_group(run):
    c = _collection(run)
    targeted, draws = c["targeted 100"][3], c["random draws"][:, 3]
    assert targeted > 3 * draws.mean(), (
        f"seed {run.seed}: {targeted} {run['weak']!r} emails among the targeted labels vs "
        f"{draws} among the random draws: the finder does not find the weak group"
    )


def test_targeted_labels_fix_a_large_part_of_the_weak_groups_errors(run):
    c = _collection(run)
    before, after = 1 - c["no new labels"][1], 1 - c["targeted 100"][1]
    assert after < 0.75 * before, (
        f"seed {run.seed}: the weak group's error rate went from {before:.3f} to {after:.3f} with "
        "the targeted labels: not a large part of it fixed"
    )


def test_targeted_collection_beats_every_random_draw_on_the_weak_group(run):
    c = _collection(run)
    targeted, draws = c["targeted 100"][1], c["random draws"][:, 1]
    assert targeted > draws.max() + 0.01 and targeted > draws.mean() + 0.03, (
        f"seed {run.seed}: accuracy on {run['weak']!r}: targeted {targeted:.3f} vs random draws "
        f"{np.round(draws, 3)}"
    )


def test_overall_targeted_is_not_reliably_ahead_of_random(run, runs):
    # "Targeted is not reliably ahead: ... sometimes it is a little ahead, sometimes behind"
    c = _collection(run)
    gap = c["targeted 100"][0] - c["random"][0]
    assert gap < 0.02, f"seed {run.seed}: targeted - random overall accuracy = {gap:+.4f}"
    gaps = np.array([_collection(r)["targeted 100"][0] - _collection(r)["random"][0] for r in runs])
    assert gaps.mean() < 0.005, (
        f"targeted - random overall, seeds {[r.seed for r in runs]}: {gaps}: targeted is clearly "
        "ahead on average, so the prose's 'not reliably ahead' undersells it"
    )


def test_the_weak_group_is_a_small_share_of_the_test_set(run):
    # "The weak group is only a small share of the test emails"
    assert run["weak_share"] < 0.3, f"seed {run.seed}: {run['weak']!r} is {run['weak_share']:.0%}"


def test_random_labels_improve_the_rest_more_than_targeted_ones(runs):
    # "random labels meanwhile improve the rest of the test set more than the targeted ones do"
    gaps = np.array([_collection(r)["random"][2] - _collection(r)["targeted 100"][2] for r in runs])
    seeds = [r.seed for r in runs]
    assert gaps.mean() > 0, f"random - targeted accuracy on the rest, seeds {seeds}: {gaps}"
    assert in_at_least((gaps > 0).sum(), 4), f"seeds {seeds}: random - targeted = {gaps}"


def test_targeted_labels_beat_tuning_the_spam_model_on_the_weak_group(run):
    table, weak = run["spam_centric"], f"accuracy on '{run['weak']}'"
    targeted, tuned = table.loc["targeted 100", weak], table.loc["model-centric: tuned C", weak]
    before = table.loc["no new labels", weak]
    assert targeted > tuned + 0.03, (
        f"seed {run.seed}: {weak}: targeted {targeted:.3f}, tuned {tuned:.3f}"
    )
    overall = table["test accuracy"]
    assert abs(overall["model-centric: tuned C"] - overall["no new labels"]) < 0.01, (
        f"seed {run.seed}: tuning C changed overall accuracy clearly:\n{table}"
    )
    assert tuned < before + 0.03, (
        f"seed {run.seed}: tuning C raised the weak group's accuracy from {before:.3f} to "
        f"{tuned:.3f}: the prose says it does not improve it"
    )


def test_the_costs_are_counted(run):
    table = run["spam_centric"]
    assert (
        table.loc["targeted 100", "new labels"]
        == table.loc["random 100 (mean of 3 draws)", "new labels"]
        > 0
    )
    assert table.loc["model-centric: tuned C", "new labels"] == 0
    assert (
        table.loc["model-centric: tuned C", "model fits"] > table.loc["targeted 100", "model fits"]
    )


# ------------------------------------------------------------------------ image augmentation
BOTH = "+ both (representative)"


def _images(run):
    return run["images"][REAL]


def test_the_real_world_digits_differ_in_pen_and_scanner(run):
    # "The real-world digits spread their ink over many more pixels ... their darkest pixel is
    # fainter"
    look = run["look"]
    scanned, real = look.loc["as scanned"], look.loc["real world"]
    assert real["pixels with ink"] > 1.3 * scanned["pixels with ink"], f"seed {run.seed}:\n{look}"
    assert real["darkest pixel"] < scanned["darkest pixel"] - 1, f"seed {run.seed}:\n{look}"


def test_representative_augmentation_helps_clearly(run, runs):
    acc = _images(run)
    gain = acc[BOTH] - acc["originals only"]
    assert gain > 0.02, (
        f"seed {run.seed}: real-world accuracy {acc['originals only']:.3f} -> {acc[BOTH]:.3f} "
        "with the representative augmentation (needs > +0.02)"
    )
    gains = [_images(r)[BOTH] - _images(r)["originals only"] for r in runs]
    assert np.mean(gains) > 0.04, f"mean gain {np.mean(gains):+.3f} over the seeds: {gains}"


def test_geometry_alone_helps_only_a_little(run, runs):
    acc = _images(run)
    geometry, both = acc["+ geometry"] - acc["originals only"], acc[BOTH] - acc["originals only"]
    assert geometry < both - 0.01, (
        f"seed {run.seed}: geometry alone gains {geometry:+.3f}, both families {both:+.3f}"
    )
    geometry = np.mean([_images(r)["+ geometry"] - _images(r)["originals only"] for r in runs])
    both = np.mean([_images(r)[BOTH] - _images(r)["originals only"] for r in runs])
    assert geometry < 0.5 * both, f"mean gains: geometry {geometry:+.3f}, both {both:+.3f}"


def test_both_families_together_help_most(runs):
    best = [
        _images(r)[BOTH] >= max(_images(r)["+ geometry"], _images(r)["+ pen and scanner"])
        for r in runs
    ]
    assert in_at_least(sum(best), 4), f"seeds {[r.seed for r in runs]}: both best? {best}"


def test_meaningless_noise_gains_much_less(run, runs):
    acc = _images(run)
    gain_rep = acc[BOTH] - acc["originals only"]
    gain_noise = acc["+ pixel noise"] - acc["originals only"]
    assert gain_noise < gain_rep - 0.01, (
        f"seed {run.seed}: pixel noise gains {gain_noise:+.3f}, representative {gain_rep:+.3f}"
    )
    noise = np.mean([_images(r)["+ pixel noise"] - _images(r)["originals only"] for r in runs])
    rep = np.mean([_images(r)[BOTH] - _images(r)["originals only"] for r in runs])
    assert noise < 0.5 * rep, f"mean gains over the seeds: pixel noise {noise:+.3f}, rep {rep:+.3f}"


def test_unrepresentative_flips_hurt(run):
    acc = _images(run)
    assert acc["+ flips"] < acc["originals only"], (
        f"seed {run.seed}: flips {acc['+ flips']:.3f} vs originals {acc['originals only']:.3f}"
    )


def test_your_turn_answers_too_strong_rotation_gains_less_and_slant_changes_little(run):
    v = run["variants"]
    usual = v["as above"]
    assert usual == _images(run)[BOTH], f"seed {run.seed}: {v}"
    assert v["angle ±60° instead of ±15°"] < usual - 0.01, f"seed {run.seed}:\n{v}"
    assert abs(v["+ slant"] - usual) < 0.03, f"seed {run.seed}:\n{v}"


# ------------------------------------------------------------- data-centric vs model-centric
def test_data_centric_beats_model_centric_on_the_real_world_test(run):
    table = run["centric"]
    acc, fits = table[REAL], table["model fits"]
    baseline = acc["baseline (default SVM, originals)"]
    model_centric = acc["model-centric (tuned SVM, originals)"]
    data_centric = acc["data-centric (default SVM, augmented)"]
    numbers = f"baseline {baseline:.3f}, tuned {model_centric:.3f}, augmented {data_centric:.3f}"
    assert data_centric > model_centric + 0.03, f"seed {run.seed}: {numbers}"
    assert model_centric - baseline < 0.02, f"seed {run.seed}: tuning gains clearly: {numbers}"
    assert data_centric == _images(run)[BOTH], f"seed {run.seed}: {numbers}"
    assert (
        fits["data-centric (default SVM, augmented)"] < fits["model-centric (tuned SVM, originals)"]
    ), f"seed {run.seed}:\n{table}"


def test_like_with_like_the_augmented_data_wins(run):
    table = run["centric"]
    acc, fits = table[REAL], table["model fits"]
    tuned, both = "model-centric (tuned SVM, originals)", "both (tuned SVM, augmented)"
    assert acc[both] > acc[tuned] + 0.02, f"seed {run.seed}:\n{table}"
    assert fits[both] - fits[tuned] <= 1, f"seed {run.seed}:\n{table}"
    assert abs(acc[both] - acc["data-centric (default SVM, augmented)"]) < 0.03, (
        f"seed {run.seed}: tuning on top of the augmented data adds more than a little:\n{table}"
    )


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


def test_your_turn_audio_each_half_alone_helps_little(run):
    # "Either half alone helps little or not at all (noise alone can even hurt; the phone channel
    # alone does a bit better). Together they help far more than either"
    table = run["audio"]
    acc = table[REAL]
    none, noise, phone = acc["no augmentation"], acc["+ noise only"], acc["+ phone only"]
    together = acc["+ noise and phone"]
    assert phone > noise, f"seed {run.seed}:\n{table}"
    assert max(noise, phone) - none < 0.5 * (together - none), f"seed {run.seed}:\n{table}"
    assert together > max(noise, phone) + 0.10, f"seed {run.seed}:\n{table}"
