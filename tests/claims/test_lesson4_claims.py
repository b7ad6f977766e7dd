"""Lesson 4's measured claims about transfer learning, checked over 5 seeds.

Protocol (the same as the lesson's curve): for each seed, jittered digits 5-9 (rotation up to 20
degrees) from ``load_distorted_digits``; the first 500 examples are the training pool, the rest
(396) the test set. At the smallest size (25 examples) a seed averages ``SMALL_DRAWS`` disjoint
training sets from its pool, because one set of 25 is a noisy measurement; at the largest size
(500) a seed uses the whole pool. The three models are the lesson's: from scratch (same
architecture and budget, random init), option 1 (frozen pretrained hidden layers + logistic
regression output layer) and option 2 (all layers fine-tuned from the pretrained weights).

Each claim is asserted on the mean over the seeds *and* on a majority of seeds, so it fails if
the ordering reverses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from mlcourse.transfer import (
    FineTunedClassifier,
    PretrainedFeatures,
    load_distorted_digits,
    load_pretrained,
)

pytestmark = pytest.mark.claims

SEEDS = range(5)
SMALL, LARGE = 25, 500
SMALL_DRAWS = 4


def _models(net, seed):
    return {
        "scratch": FineTunedClassifier(net, init="random", random_state=seed),
        "option1": make_pipeline(PretrainedFeatures(net), LogisticRegression(max_iter=1000)),
        "option2": FineTunedClassifier(net, random_state=seed),
    }


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """Mean test accuracy per (seed, size, model)."""
    net = load_pretrained()
    rows = []
    for seed in SEEDS:
        X, y = load_distorted_digits(digits=[5, 6, 7, 8, 9], max_rotation=20, random_state=seed)
        X_test, y_test = X[LARGE:], y[LARGE:]
        for size, draws in [(SMALL, SMALL_DRAWS), (LARGE, 1)]:
            for d in range(draws):
                train = slice(d * size, (d + 1) * size)
                for name, model in _models(net, seed * 100 + d).items():
                    model.fit(X[train], y[train])
                    acc = model.score(X_test, y_test)
                    rows.append({"seed": seed, "size": size, "model": name, "accuracy": acc})
    df = pd.DataFrame(rows).groupby(["size", "seed", "model"])["accuracy"].mean().unstack()
    print("\n", df.round(3))  # shown with pytest -s: the claim table
    return df


def _check(diff: pd.Series, what: str) -> None:
    assert diff.mean() > 0, f"{what}: mean difference {diff.mean():.3f} over seeds\n{diff}"
    assert (diff > 0).sum() >= 3, f"{what}: holds in only {(diff > 0).sum()} of 5 seeds\n{diff}"


def test_option1_beats_option2_at_the_smallest_size(table):
    small = table.loc[SMALL]
    _check(small["option1"] - small["option2"], "option 1 > option 2 at 25")


def test_option2_beats_option1_at_the_largest_size(table):
    large = table.loc[LARGE]
    diff = large["option2"] - large["option1"]
    _check(diff, "option 2 > option 1 at 500")
    assert (diff > 0).all(), f"option 2 > option 1 at 500 should hold for every seed\n{diff}"


def test_both_options_beat_scratch_at_the_smallest_size(table):
    small = table.loc[SMALL]
    _check(small["option1"] - small["scratch"], "option 1 > scratch at 25")
    _check(small["option2"] - small["scratch"], "option 2 > scratch at 25")


def test_the_curves_cross(table):
    """Option 1 leads at the smallest size and trails at the largest (mean over seeds)."""
    means = table.groupby(level="size").mean()
    lead_small = means.loc[SMALL, "option1"] - means.loc[SMALL, "option2"]
    lead_large = means.loc[LARGE, "option1"] - means.loc[LARGE, "option2"]
    assert np.sign(lead_small) == 1 and np.sign(lead_large) == -1, means


def test_gain_over_scratch_shrinks_with_data(table):
    """Transfer learning matters most when data is scarce: the best option's lead over
    from-scratch is larger at 25 examples than at 500 (mean over seeds)."""
    means = table.groupby(level="size").mean()
    gain = means[["option1", "option2"]].max(axis=1) - means["scratch"]
    assert gain.loc[SMALL] > gain.loc[LARGE] + 0.02, gain
    assert gain.loc[LARGE] < 0.03, f"from-scratch should have (nearly) caught up at 500\n{gain}"


def _neighbour_correlation(weights: np.ndarray) -> float:
    images = weights.T.reshape(-1, 8, 8)
    return float(np.corrcoef(images[:, :, :-1].ravel(), images[:, :, 1:].ravel())[0, 1])


def test_pretrained_first_layer_is_smooth_random_is_not():
    """'Why it works': pretrained first-layer weights form smooth stroke/edge patterns
    (adjacent weights correlate), random initialisations over 5 seeds do not."""
    net = load_pretrained()
    X, y = load_distorted_digits(digits=[5, 6, 7, 8, 9], max_rotation=20, random_state=0)
    pretrained = _neighbour_correlation(net.coefs_[0])
    for seed in SEEDS:
        random_net = FineTunedClassifier(
            net, init="random", epochs=1, learning_rate=1e-9, random_state=seed
        ).fit(X[:50], y[:50])
        random_corr = _neighbour_correlation(random_net.mlp_.coefs_[0])
        assert abs(random_corr) < 0.15, (seed, random_corr)
        assert pretrained > random_corr + 0.3, (seed, pretrained, random_corr)


def test_inverted_images_pass_the_check_but_fail_the_model():
    """The input check catches size and scale, not the kind of image: inverted digits are
    accepted, and option 1's accuracy drops to roughly chance (5 classes: 0.2)."""
    net = load_pretrained()
    for seed in SEEDS:
        X, y = load_distorted_digits(digits=[5, 6, 7, 8, 9], max_rotation=20, random_state=seed)
        option1 = make_pipeline(PretrainedFeatures(net), LogisticRegression(max_iter=1000))
        option1.fit(X[:100], y[:100])
        normal, inverted = option1.score(X[500:], y[500:]), option1.score(1 - X[500:], y[500:])
        assert normal > 0.6 and inverted < 0.35, (seed, normal, inverted)


def test_adapted_large_images_keep_the_accuracy():
    """Section 7: 28x28 images with 0-255 pixels, resampled to 8x8 and rescaled, give about the
    same option-1 accuracy as the original 8x8 images."""
    from scipy import ndimage

    net = load_pretrained()
    for seed in SEEDS:
        X, y = load_distorted_digits(digits=[5, 6, 7, 8, 9], max_rotation=20, random_state=seed)
        option1 = make_pipeline(PretrainedFeatures(net), LogisticRegression(max_iter=1000))
        option1.fit(X[:100], y[:100])
        big = ndimage.zoom(X[500:].reshape(-1, 8, 8), (1, 3.5, 3.5), order=1) * 255
        small = ndimage.zoom(big, (1, 8 / 28, 8 / 28), order=1)
        adapted = np.clip(small / 255, 0, 1).reshape(len(big), 64)
        original = option1.score(X[500:], y[500:])
        assert abs(option1.score(adapted, y[500:]) - original) < 0.05, seed
