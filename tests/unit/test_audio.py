"""Unit tests of mlcourse.data.audio: shapes, seeds, structure of the clips and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.data import make_spoken_commands
from mlcourse.data.audio import (
    COMMANDS,
    SAMPLE_RATE,
    make_babble,
    make_real_world_audio,
    spectrogram_features,
)


@pytest.fixture(scope="module")
def clips():
    return make_spoken_commands(8, random_state=0)


def test_shapes_labels_and_balance(clips):
    X, y = clips
    assert X.shape == (8 * len(COMMANDS), int(0.6 * SAMPLE_RATE))
    assert X.dtype == np.float64 and np.all(np.isfinite(X))
    values, counts = np.unique(y, return_counts=True)
    assert sorted(values) == sorted(COMMANDS) and set(counts) == {8}
    assert np.abs(X).max() < 5


def test_seeded(clips):
    X, y = clips
    X2, y2 = make_spoken_commands(8, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make_spoken_commands(8, random_state=1)
    assert not np.array_equal(X, X3)


def test_subset_and_duration():
    X, y = make_spoken_commands(3, commands=["yes", "no"], duration=1.0, random_state=0)
    assert X.shape == (6, SAMPLE_RATE) and set(y) == {"yes", "no"}


def test_clips_are_not_pure_tones(clips):
    X, _ = clips
    for x in X[:6]:
        power = np.abs(np.fft.rfft(x)) ** 2
        # a pure tone puts nearly all its power in a couple of bins; speech spreads it
        top = np.sort(power)[::-1]
        assert top[:5].sum() / power.sum() < 0.5


def test_formants_differ_between_words():
    X, y = make_spoken_commands(20, commands=["yes", "no"], random_state=0)
    F = spectrogram_features(X)
    mean_yes, mean_no = F[y == "yes"].mean(0), F[y == "no"].mean(0)
    # the average spectrogram of a word differs from another word's much more than the spread
    assert np.abs(mean_yes - mean_no).max() > 10


def test_babble_and_real_world(clips):
    X, _ = clips
    B = make_babble(4, X.shape[1], random_state=0)
    assert B.shape == (4, X.shape[1]) and np.all(np.isfinite(B))
    R = make_real_world_audio(X, random_state=0)
    assert R.shape == X.shape
    np.testing.assert_array_equal(R, make_real_world_audio(X, random_state=0))
    assert not np.allclose(R, X)


def test_features(clips):
    X, _ = clips
    F = spectrogram_features(X, n_bands=16, n_frames=6)
    assert F.shape == (X.shape[0], 96)
    assert abs(F.max()) < 1e-6 and F.min() >= -80.01
    # gain invariance: a louder recording gives the same features
    np.testing.assert_allclose(spectrogram_features(3 * X), spectrogram_features(X), atol=1e-6)


@pytest.mark.parametrize(
    "args, kwargs, error",
    [
        ((0,), {}, ValueError),
        ((2.5,), {}, TypeError),
        ((True,), {}, TypeError),
        ((2,), {"commands": ["yes", "maybe"]}, ValueError),
        ((2,), {"commands": ["yes", "yes"]}, ValueError),
        ((2,), {"commands": "yes"}, TypeError),
        ((2,), {"duration": 0.1}, ValueError),
        ((2,), {"sample_rate": 1000}, ValueError),
    ],
)
def test_bad_generator_input(args, kwargs, error):
    with pytest.raises(error):
        make_spoken_commands(*args, **kwargs)


def test_bad_feature_and_real_world_input():
    with pytest.raises(ValueError):
        spectrogram_features(np.zeros((2, 100)))
    with pytest.raises(ValueError):
        make_real_world_audio(np.zeros(4800))
    with pytest.raises(TypeError):
        spectrogram_features(np.zeros((2, 4800)), n_bands=2.5)
