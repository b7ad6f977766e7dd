"""Lesson 3's "real world" digits: seeded, shaped like the input, and a different process."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.svm import SVC

from mlcourse.data import make_real_world_digits


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_shape_range_and_whole_numbers(digits):
    X = digits.data[:200]
    real = make_real_world_digits(X, random_state=0)
    assert real.shape == X.shape and real.dtype == X.dtype
    assert real.min() >= 0 and real.max() <= 16
    assert np.array_equal(real, np.round(real)), "values are block counts 0-16, like the originals"
    images = make_real_world_digits(digits.images[:5], random_state=0)
    assert images.shape == (5, 8, 8)


def test_seeded_and_input_untouched(digits):
    X = digits.data[:100].copy()
    a = make_real_world_digits(X, random_state=3)
    assert np.array_equal(a, make_real_world_digits(X, random_state=3))
    assert not np.array_equal(a, make_real_world_digits(X, random_state=4))
    assert np.array_equal(X, digits.data[:100])


def test_strength_scales_the_distortion(digits):
    X = digits.data[:300]
    gaps = [
        np.abs(make_real_world_digits(X, strength=s, random_state=0) - X).mean() for s in (0, 1, 2)
    ]
    assert gaps[0] < gaps[1] < gaps[2]
    assert gaps[0] < 1.5, "strength 0 only redraws and rescans"


def test_pen_changes_stroke_width_which_no_geometric_transform_does(digits):
    X = digits.data[:500]
    real = make_real_world_digits(X, random_state=1)
    ink_ratio = real.sum(axis=1) / X.sum(axis=1)
    assert ink_ratio.std() > 0.12, "some digits come out much bolder or fainter"
    assert (ink_ratio > 1.3).mean() > 0.05 and (ink_ratio < 0.9).mean() > 0.05


def test_a_model_of_the_originals_loses_accuracy_on_them(digits):
    X, y = digits.data, digits.target
    model = SVC().fit(X[::2], y[::2])
    clean = model.score(X[1::2], y[1::2])
    real = model.score(make_real_world_digits(X[1::2], random_state=0), y[1::2])
    assert clean - real > 0.05
    assert real > 0.6, "still digits a person can read"


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"strength": -1}, ValueError, "strength"),
        ({"strength": 9}, ValueError, "strength"),
        ({"strength": "big"}, TypeError, "strength"),
        ({"max_value": 0}, ValueError, "max_value"),
        ({"max_value": True}, TypeError, "max_value"),
    ],
)
def test_bad_arguments(digits, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        make_real_world_digits(digits.data[:3], **kwargs)


def test_bad_images():
    with pytest.raises(ValueError, match="square"):
        make_real_world_digits(np.zeros((2, 10)))
    with pytest.raises(TypeError, match="numeric"):
        make_real_world_digits("digits")
    with pytest.raises(ValueError, match="NaN"):
        make_real_world_digits(np.full((1, 64), np.nan))
