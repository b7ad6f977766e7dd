"""Unit tests of mlcourse.augment: shapes, ranges, seeds, geometry and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from mlcourse import augment as A

DIGITS = load_digits()
X64 = DIGITS.data[:50]  # (50, 64), values 0..16
X88 = DIGITS.images[:50]  # (50, 8, 8)

IMAGE_TRANSFORMS = {
    "rotate": lambda X, rs: A.rotate(X, (-20, 20), random_state=rs),
    "shift": lambda X, rs: A.shift(X, (-1.5, 1.5), (-1.5, 1.5), random_state=rs),
    "scale": lambda X, rs: A.scale(X, (0.8, 1.2), random_state=rs),
    "slant": lambda X, rs: A.slant(X, (-0.3, 0.3), random_state=rs),
    "warp": lambda X, rs: A.elastic_warp(X, (0.3, 1.2), random_state=rs),
    "affine": lambda X, rs: A.affine(
        X,
        angle=(-15, 15),
        shift_x=(-1, 1),
        scale=(0.9, 1.1),
        slant=(-0.2, 0.2),
        warp=0.5,
        random_state=rs,
    ),
    "pixel_noise": lambda X, rs: A.pixel_noise(X, 2.0, random_state=rs),
}


@pytest.mark.parametrize("name", sorted(IMAGE_TRANSFORMS))
@pytest.mark.parametrize("X", [X64, X88], ids=["flat", "square"])
def test_shape_range_and_no_mutation(name, X):
    before = X.copy()
    out = IMAGE_TRANSFORMS[name](X, 0)
    assert out.shape == X.shape
    assert out.dtype == X.dtype
    assert out.min() >= 0 and out.max() <= 16 + 1e-9, "transforms must keep the pixel range"
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize("name", sorted(IMAGE_TRANSFORMS))
def test_seeded(name):
    f = IMAGE_TRANSFORMS[name]
    np.testing.assert_array_equal(f(X64, 3), f(X64, 3))
    assert not np.array_equal(f(X64, 3), f(X64, 4)), "different seeds must differ"
    assert not np.array_equal(f(X64, 3), X64), "a distortion must change the images"


def test_identity_parameters_return_the_input():
    np.testing.assert_allclose(A.affine(X88), X88, atol=1e-9)
    np.testing.assert_allclose(A.rotate(X88, 0), X88, atol=1e-9)
    np.testing.assert_allclose(A.scale(X88, 1.0), X88, atol=1e-9)
    np.testing.assert_allclose(A.elastic_warp(X88, 0.0, random_state=0), X88, atol=1e-9)
    np.testing.assert_allclose(A.pixel_noise(X88, 0.0, random_state=0), X88)


def test_shift_moves_pixels_right_and_down():
    X = np.zeros((1, 8, 8))
    X[0, 2, 3] = 5.0
    out = A.shift(X, 2, 1)
    assert out[0, 3, 5] == pytest.approx(5.0)
    assert out.sum() == pytest.approx(5.0)


def test_rotate_is_counter_clockwise():
    X = np.zeros((1, 9, 9))
    X[0, 4, 6:9] = 1.0  # a bar pointing right from the centre
    out = A.rotate(X, 90)[0]
    # counter-clockwise by 90 degrees: the bar now points up
    assert out[0:3, 4].sum() == pytest.approx(3.0)
    assert out[4, 6:9].sum() == pytest.approx(0.0)


def test_rotate_360_and_flip_twice_are_identity():
    np.testing.assert_allclose(A.rotate(X88, 360), X88, atol=1e-9)
    np.testing.assert_array_equal(A.flip(A.flip(X64)), X64)
    np.testing.assert_array_equal(A.flip(X88)[:, 0], X88[:, -1])
    np.testing.assert_array_equal(A.flip(X88, "left_right")[:, :, 0], X88[:, :, -1])


def test_scale_up_spreads_ink():
    X = np.zeros((1, 8, 8))
    X[0, 3:5, 3:5] = 16
    assert (A.scale(X, 2.0) > 0).sum() > (X > 0).sum()
    assert (A.scale(X, 0.5) > 0).sum() <= (X > 0).sum()


def test_slant_shears_the_top_to_the_right():
    X = np.zeros((1, 9, 9))
    X[0, :, 4] = 1.0  # a vertical bar
    out = A.slant(X, 0.5)[0]
    top_col = np.average(np.arange(9), weights=out[1])
    bottom_col = np.average(np.arange(9), weights=out[7])
    assert top_col > 4.5 > 3.5 > bottom_col


def test_warp_strength_is_the_rms_displacement():
    weak = np.abs(A.elastic_warp(X64, 0.2, random_state=0) - X64).mean()
    strong = np.abs(A.elastic_warp(X64, 1.5, random_state=0) - X64).mean()
    assert 0 < weak < strong


def test_per_image_values_and_ranges():
    angles = np.linspace(-10, 10, len(X64))
    out = A.rotate(X64, angles)
    np.testing.assert_allclose(out[0], A.rotate(X64[:1], -10)[0])
    np.testing.assert_allclose(out[-1], A.rotate(X64[-1:], 10)[0])
    # a list also gives per-image values; a tuple is a random range
    np.testing.assert_allclose(A.rotate(X64[:2], [5.0, -5.0])[1], A.rotate(X64[1:2], -5)[0])


def test_integer_input_returns_floats():
    out = A.rotate(X64.astype(np.int64), 10)
    assert np.issubdtype(out.dtype, np.floating)


def test_pixel_noise_clip():
    out = A.pixel_noise(X64, 50.0, clip=(0, 16), random_state=0)
    assert out.min() == 0 and out.max() == 16


@pytest.mark.parametrize(
    "bad, error",
    [
        (np.zeros(64), ValueError),  # one flat image without a batch axis
        (np.zeros((5, 63)), ValueError),  # not a square
        (np.zeros((2, 8, 8, 1)), ValueError),
        (np.zeros((0, 64)), ValueError),
        (np.full((2, 64), np.nan), ValueError),
        (np.array([["a"] * 4]), TypeError),
        ("digits", TypeError),
        (None, TypeError),
        (np.zeros((2, 4), dtype=complex), TypeError),
    ],
)
def test_bad_images(bad, error):
    with pytest.raises(error):
        A.rotate(bad, 10)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"scale": 0}, ValueError, "scale"),
        ({"scale": -1.0}, ValueError, "scale"),
        ({"angle": np.inf}, ValueError, "angle"),
        ({"angle": (10, -10)}, ValueError, "low <= high"),
        ({"angle": (1, 2, 3)}, ValueError, "range"),
        ({"angle": "10"}, TypeError, "angle"),
        ({"angle": [1.0, 2.0]}, ValueError, "one value per image"),
        ({"slant": 2}, ValueError, "slant"),
        ({"warp": -0.5}, ValueError, "warp"),
        ({"shift_x": 100}, ValueError, "shift_x"),
        ({"order": 3}, ValueError, "order"),
        ({"warp_smoothness": 0}, ValueError, "warp_smoothness"),
        ({"fill": np.nan}, ValueError, "fill"),
    ],
)
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        A.affine(X64[:5], **kwargs)


def test_bad_noise_and_flip_parameters():
    with pytest.raises(ValueError, match="std"):
        A.pixel_noise(X64, -1.0)
    with pytest.raises(ValueError, match="clip"):
        A.pixel_noise(X64, 1.0, clip=(16, 0))
    with pytest.raises(ValueError, match="direction"):
        A.flip(X64, "sideways")


# ---------------------------------------------------------------------------------- audio
SR = 8000
T = np.arange(SR // 2) / SR
TONE = np.sin(2 * np.pi * 440 * T)
CLIPS = np.stack([TONE, 0.5 * np.sin(2 * np.pi * 1000 * T), np.sin(2 * np.pi * 3000 * T)])


def _snr(clean, noisy):
    return 10 * np.log10(np.mean(clean**2, axis=-1) / np.mean((noisy - clean) ** 2, axis=-1))


@pytest.mark.parametrize("snr", [-5.0, 0.0, 10.0, 30.0])
def test_noise_reaches_the_requested_snr(snr):
    noisy = A.add_background_noise(CLIPS, snr, random_state=0)
    assert noisy.shape == CLIPS.shape
    np.testing.assert_allclose(_snr(CLIPS, noisy), snr, atol=1e-6)


def test_noise_per_clip_range_and_given_recording():
    noisy = A.add_background_noise(CLIPS, (0, 20), random_state=1)
    snrs = _snr(CLIPS, noisy)
    assert np.all((snrs >= 0) & (snrs <= 20)) and np.ptp(snrs) > 0
    recording = np.random.default_rng(0).standard_normal(3 * SR)
    noisy = A.add_background_noise(CLIPS, 5.0, noise=recording, random_state=0)
    np.testing.assert_allclose(_snr(CLIPS, noisy), 5.0, atol=1e-6)
    one = A.add_background_noise(TONE, 5.0, random_state=0)
    assert one.shape == TONE.shape


def test_noise_is_seeded():
    a = A.add_background_noise(CLIPS, 5.0, random_state=0)
    np.testing.assert_array_equal(a, A.add_background_noise(CLIPS, 5.0, random_state=0))
    assert not np.array_equal(a, A.add_background_noise(CLIPS, 5.0, random_state=1))


def _power_at(x, freq):
    spectrum = np.abs(np.fft.rfft(x[..., SR // 8 :], axis=-1)) ** 2
    freqs = np.fft.rfftfreq(x[..., SR // 8 :].shape[-1], 1 / SR)
    return spectrum[..., np.argmin(np.abs(freqs - freq))]


def test_cellphone_keeps_the_band_and_cuts_outside():
    low = np.sin(2 * np.pi * 100 * T)
    mid = np.sin(2 * np.pi * 1000 * T)
    high = np.sin(2 * np.pi * 3800 * T)
    out = A.cellphone_channel(np.stack([low, mid, high]), sample_rate=SR)
    assert _power_at(out[1], 1000) > 0.5 * _power_at(mid, 1000)
    assert _power_at(out[0], 100) < 0.05 * _power_at(low, 100)
    assert _power_at(out[2], 3800) < 0.05 * _power_at(high, 3800)


def test_cellphone_random_bands_and_clip():
    out = A.cellphone_channel(
        CLIPS, low_hz=(300, 600), high_hz=(2000, 3000), clip=0.3, random_state=0
    )
    assert out.shape == CLIPS.shape
    again = A.cellphone_channel(
        CLIPS, low_hz=(300, 600), high_hz=(2000, 3000), clip=0.3, random_state=0
    )
    np.testing.assert_array_equal(out, again)
    peaks = np.abs(out).max(axis=1)
    assert np.all(np.isclose(np.abs(out), peaks[:, None]).sum(axis=1) > 10), "clip saturates"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"low_hz": 3000, "high_hz": 2000}, "low_hz < high_hz"),
        ({"high_hz": 4000}, "high_hz|sample_rate"),
        ({"low_hz": 0}, "low_hz"),
        ({"order": 0}, "order"),
        ({"clip": 1.5}, "clip"),
        ({"sample_rate": -8000}, "sample_rate"),
    ],
)
def test_cellphone_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        A.cellphone_channel(CLIPS, **kwargs)


def test_audio_bad_input():
    with pytest.raises(ValueError, match="shape"):
        A.add_background_noise(np.zeros((2, 3, 4)), 10)
    with pytest.raises(ValueError, match="NaN"):
        A.add_background_noise(np.array([0.0, np.nan, 1.0]), 10)
    with pytest.raises(TypeError):
        A.add_background_noise("loud", 10)
    with pytest.raises(ValueError, match="snr_db"):
        A.add_background_noise(CLIPS, 500)
    with pytest.raises(ValueError, match="at least"):
        A.add_background_noise(CLIPS, 10, noise=np.ones(10))
    with pytest.raises(ValueError, match="silent"):
        A.add_background_noise(CLIPS, 10, noise=np.zeros(CLIPS.shape))
    with pytest.raises(ValueError, match="noise must be"):
        A.add_background_noise(CLIPS, 10, noise=np.ones((2, 5)))
