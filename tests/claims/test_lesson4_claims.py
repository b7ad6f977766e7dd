"""Lesson 4's claims about transfer learning, on the notebook's own results over 5 seeds.

``notebooks/04_transfer_learning.ipynb`` runs with papermill for every seed. Its curve measures
from-scratch, option 1 and option 2 for each size in ``SIZES`` and each jittering of the digits
in ``SEED, SEED + 1, ...`` (``CURVE_SEEDS`` of them), averaging 4 disjoint training sets at 25
examples; it saves them as ``measurements`` (their mean: ``curve``). Seeds other than 0 measure
only the smallest and the largest size, with one jittering (their own seed): the sizes the
claims compare. It also saves ``scratch_needs`` (where from-scratch catches up with the best
option at the smallest size), ``rates`` (option 2 at two fine-tuning rates), ``smoothness``
(first-layer weights), ``by_layer`` (option 1 on pixels, hidden layer 1, hidden layer 2),
``adaptation`` (28x28 images adapted back), ``inverted`` (the "Your turn 2" answer) and
``head_start`` (option 1, option 2 and option 2 started from option 1's head, at 500).

The curve claims are asserted on the mean over the seeds *and* on a majority of seeds (every
seed where the lesson says so), so each fails if the ordering reverses. Issue 13's targets:
option 1 at least 10 points above from-scratch at the smallest size (mean), and above option 2
there in every seed. Its third target, option 2 above option 1 at the largest size in every
seed, is not reached by option 2 with a random new output layer (the two are level at 500, and
the lesson says so); option 2 started from option 1's trained head (``head_start``, the
measured answer to "Your turn 1") is ahead at 500, by about a point.
"""

from __future__ import annotations

import pandas as pd
import pytest

from .conftest import SEEDS, all_lesson_runs, assert_clean, in_at_least, lesson_runs

pytestmark = pytest.mark.claims
LESSON = "04_transfer_learning"
SMALL, LARGE = 25, 500
MODELS = {
    "from scratch": "scratch",
    "option 1 (output layer)": "option1",
    "option 2 (all layers)": "option2",
}

run = lesson_runs(LESSON)
runs = all_lesson_runs(LESSON)


def test_the_notebook_runs_without_errors_or_warnings(run):
    assert_clean(run)


@pytest.fixture(scope="module")
def table(runs) -> pd.DataFrame:
    """Mean test accuracy per (size, seed, model): each seed's jittering from its own run."""
    own = []
    for r in runs:
        m = r["measurements"]
        own.append(m[(m["seed"] == r.seed) & m["n_train"].isin([SMALL, LARGE])])
    rows = pd.concat(own)
    df = rows.pivot_table(index=["n_train", "seed"], columns="model", values="accuracy")
    df = df.rename(columns=MODELS).rename_axis(index=["size", "seed"])
    print("\n", df.round(3))  # shown with pytest -s: the claim table
    return df


def _check(diff: pd.Series, what: str) -> None:
    n = (diff > 0).sum()
    assert diff.mean() > 0, f"{what}: mean difference {diff.mean():.3f} over seeds\n{diff}"
    assert in_at_least(n, 3), f"{what}: holds in only {n} of {len(diff)} seeds\n{diff}"


def test_each_seed_measured_the_claimed_sizes(table):
    assert set(table.index) == {(s, seed) for s in (SMALL, LARGE) for seed in SEEDS}, table


def test_option1_beats_option2_at_the_smallest_size(table):
    small = table.loc[SMALL]
    diff = small["option1"] - small["option2"]
    _check(diff, "option 1 > option 2 at 25")
    assert (diff > 0).all(), f"option 1 > option 2 at 25 should hold for every seed\n{diff}"


def test_option1_is_far_above_scratch_at_the_smallest_size(table):
    """Issue 13's target: frozen pretrained features with a new output layer are at least 10
    points above from-scratch at the smallest size (mean over seeds), and clearly above it
    (5 points) in every seed."""
    small = table.loc[SMALL]
    gain = small["option1"] - small["scratch"]
    assert gain.mean() >= 0.10, f"option 1 - scratch at 25: mean {gain.mean():.3f}\n{gain}"
    assert (gain > 0.05).all(), f"option 1 - scratch at 25 should be > 0.05 in every seed\n{gain}"


def test_option2_catches_up_with_option1_but_does_not_overtake_it(table):
    """Section 5: option 2's gap to option 1 shrinks from 25 to 500 examples in every seed, but
    at 500 option 2 is level or behind (not ahead on the mean over seeds). The prose says
    plainly that fine-tuning everything does not pay off here."""
    lead = table["option1"] - table["option2"]
    shrink = lead.loc[SMALL] - lead.loc[LARGE]
    assert (shrink > 0.03).all(), f"option 1's lead should shrink from 25 to 500\n{lead}"
    assert lead.loc[LARGE].mean() > -0.01, f"option 2 ahead at 500? option 1 - option 2:\n{lead}"


def test_option2_is_no_better_than_scratch_at_the_smallest_size(table):
    """The prose: a random new output layer spoils option 2's start, so with 25 examples it is
    no better than from-scratch (within 3 points on the mean over seeds)."""
    diff = table.loc[SMALL, "option2"] - table.loc[SMALL, "scratch"]
    assert abs(diff.mean()) < 0.03, f"option 2 - scratch at 25: mean {diff.mean():.3f}\n{diff}"


def test_gain_over_scratch_shrinks_with_data(table):
    """Transfer learning matters most when data is scarce: the best option's lead over
    from-scratch is much larger at 25 examples than at 500 (mean over seeds), and only a few
    points at 500."""
    means = table.groupby(level="size").mean()
    gain = means[["option1", "option2"]].max(axis=1) - means["scratch"]
    assert gain.loc[SMALL] > gain.loc[LARGE] + 0.05, gain
    assert 0 < gain.loc[LARGE] < 0.08, f"a few points at 500?\n{gain}"


def test_pretrained_first_layer_is_smooth_random_is_not(run):
    """'Why it works': pretrained first-layer weights form smooth stroke/edge patterns
    (adjacent weights correlate), a random initialisation's do not."""
    s = run["smoothness"]
    assert abs(s["random init"]) < 0.15, f"seed {run.seed}:\n{s}"
    assert s["pretrained"] > s["random init"] + 0.3, f"seed {run.seed}:\n{s}"


def test_inverted_images_pass_the_check_but_fail_the_model(run):
    """The input check catches size and scale, not the kind of image: inverted digits are
    accepted, and option 1's accuracy drops to roughly chance (5 classes: 0.2)."""
    acc = run["inverted"]
    assert acc["test images"] > 0.6 and acc["inverted test images"] < 0.35, (
        f"seed {run.seed}:\n{acc}"
    )


def test_adapted_large_images_keep_the_accuracy(run):
    """Section 7: 28x28 images with 0-255 pixels, resampled to 8x8 and rescaled, give about the
    same option-1 accuracy as the original 8x8 images."""
    acc = run["adaptation"]
    original, adapted = acc["original 8x8 test images"], acc["28x28 images adapted to 8x8"]
    assert abs(adapted - original) < 0.05, f"seed {run.seed}:\n{acc}"


def test_the_pretrained_features_are_worth_many_examples(run):
    """'How many examples are they worth?': from scratch needs several times the smallest size
    (at least 3 times) to match the best option there (the lesson's own full curve)."""
    needs = run["scratch_needs"]
    curve = run["curve"]
    if 200 not in curve.index:
        pytest.skip("this seed measures only the smallest and the largest size")
    assert needs is not None and needs >= 3 * SMALL, (
        f"seed {run.seed}: from scratch catches up with the best option's {SMALL}-example "
        f"accuracy at {needs} examples\n{curve}"
    )


def test_a_smaller_fine_tuning_rate_is_worse_with_the_same_epochs(run):
    """Section 5 measures option 2 at 1e-3 (the pretraining rate) and 1e-4, 100 epochs each:
    the smaller rate is worse at the smallest and the largest size, and near chance (5 classes)
    at the smallest."""
    rates = run["rates"]
    small, large = rates.loc[SMALL], rates.loc[LARGE]
    assert (small["0.0001"] < small["0.001"]) and (large["0.0001"] < large["0.001"]), (
        f"seed {run.seed}: the smaller rate should be worse at both sizes\n{rates}"
    )
    assert small["0.0001"] < 0.35, f"seed {run.seed}: near chance at {SMALL}?\n{rates}"


def test_pretrained_features_beat_pixels_and_layer_2_beats_layer_1(runs):
    """Section 6, "And the deeper layer?": a new output layer on either hidden layer's features
    beats one on raw pixels at the smallest and the largest size, and the second hidden layer's
    beat the first's (by 2 points, mean and most seeds)."""
    tables = {r.seed: r["by_layer"] for r in runs}
    for size in (SMALL, LARGE):
        rows = pd.DataFrame({seed: t.loc[size] for seed, t in tables.items()}).T
        for layer in ("hidden layer 1", "hidden layer 2"):
            _check(rows[layer] - rows["pixels"] - 0.02, f"{layer} > pixels + 2 points at {size}")
        _check(rows["hidden layer 2"] - rows["hidden layer 1"] - 0.02, f"layer 2 > 1 at {size}")


def test_the_key_steps_are_visible_in_the_notebook(run):
    """Issue 13: learners see the weight copy, the new output layer and the partial_fit loop in
    the notebook, not inside a helper."""
    code = "\n".join(c.source for c in run.notebook.cells if c.cell_type == "code")
    for step in [
        "model.coefs_[:-1] = [W.copy() for W in net.coefs_[:-1]]",
        "model.coefs_[-1] = rng.uniform(",
        "model.partial_fit(X[order], y[order])",
        "h = np.maximum(h @ W + b, 0)",
    ]:
        assert step in code, f"seed {run.seed}: the notebook no longer shows {step!r}"
    assert "warm_start" not in code, "use a partial_fit loop, not warm_start (see the guide)"


def test_fine_tuning_from_option1s_head_beats_option1_at_the_largest_size(runs):
    """ "Your turn 1", measured: option 2 started from option 1's trained head instead of a random
    output layer beats option 1 at 500 examples by about a point (mean over seeds, and in most
    seeds), and beats option 2 with a random head (mean)."""
    rows = pd.DataFrame({r.seed: r["head_start"] for r in runs}).T
    print("\n", rows.round(3))
    started = rows["option 2 from option 1's head"]
    _check(started - rows["option 1 (output layer)"], "head-started option 2 > option 1 at 500")
    lead = (started - rows["option 1 (output layer)"]).mean()
    assert lead < 0.03, f"'about a point'? mean lead {lead:.3f}\n{rows}"
    gain = (started - rows["option 2 (all layers)"]).mean()
    assert gain > 0, f"head-started option 2 should beat option 2 with a random head\n{rows}"
