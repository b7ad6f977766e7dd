"""Seeded "real world" versions of handwritten digits, for lesson 3's augmentation test set.

Lesson 3 augments its training digits with :mod:`mlcourse.augment` (rotation, shift, scale,
elastic warp) and asks whether that helps on digits "from the real world". If the real world
were made with the same transforms and ranges, the answer would be built in. So it is made
here by a different process, the one that made scikit-learn's digits in the first place, with a
different writer, pen and scanner:

1. each 8x8 digit is drawn again as a 32x32 bitmap (the resolution of the original forms);
2. the pen: the stroke is thinned or thickened (binary erosion or dilation,
   :mod:`scipy.ndimage`), as with a fine pen or a marker;
3. the hand: a smooth wobble (a random sine displacement along each axis), a small rotation and
   an offset;
4. the scanner: a blur of random width, then the 32x32 bitmap is counted in 4x4 blocks back to
   8x8 values 0-16 (as the UCI digits were made), with faded ink and grey paper.

Only the small rotation and offset overlap with the augmentations.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import ndimage
from sklearn.utils import check_random_state

from mlcourse.augment import _as_images, _restore

__all__ = ["make_real_world_digits"]

_UP = 4  # each pixel becomes a 4x4 block of the bitmap, as in the UCI digits
_CROSS = ndimage.generate_binary_structure(2, 1)[None]  # 3x3 cross, never across images


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _upsampler(size: int) -> np.ndarray:
    """The (4 * size, size) matrix of a cubic-spline zoom by 4 along one axis."""
    return ndimage.zoom(np.eye(size), (_UP, 1), order=3, grid_mode=True, mode="grid-constant")


def _bilinear(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Sample image i at (rows[i], cols[i]) with bilinear interpolation, 0 outside."""
    n, H, W = images.shape
    # Pad by one pixel of background so every neighbour exists, then gather from the flat array.
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1))).ravel()
    rows = np.clip(rows + 1, 0, H + 1 - 1e-9)
    cols = np.clip(cols + 1, 0, W + 1 - 1e-9)
    r0, c0 = rows.astype(np.intp), cols.astype(np.intp)
    fr, fc = rows - r0, cols - c0
    flat = (np.arange(n)[:, None, None] * (H + 2) + r0) * (W + 2) + c0
    top = padded[flat] * (1 - fc) + padded[flat + 1] * fc
    bottom = padded[flat + W + 2] * (1 - fc) + padded[flat + W + 3] * fc
    return top * (1 - fr) + bottom * fr


def _stroke(bitmaps: np.ndarray, change: np.ndarray) -> np.ndarray:
    """Thin (-1) or thicken (+1, +2) each bitmap's strokes by that many pixels."""
    out = bitmaps.copy()
    for k in np.unique(change):
        idx = np.flatnonzero(change == k)
        if k > 0:
            out[idx] = ndimage.binary_dilation(bitmaps[idx], _CROSS, iterations=int(k))
        elif k < 0:
            thin = ndimage.binary_erosion(bitmaps[idx], _CROSS, iterations=int(-k))
            # A fine pen still leaves a trace: keep the original where thinning erased most ink.
            kept = thin.sum(axis=(1, 2)) >= 0.4 * bitmaps[idx].sum(axis=(1, 2))
            out[idx[kept]] = thin[kept]
    return out


def make_real_world_digits(
    X, *, strength: float = 1.0, max_value: float = 16.0, random_state=None
) -> np.ndarray:
    """Redraw digits as a different writer, pen and scanner would: the lesson-3 "real world".

    The distortions are a different process from :mod:`mlcourse.augment` (see the module
    docstring): stroke width, a smooth hand wobble, blur, block counting, faded ink. A model
    trained on the originals loses accuracy on them; augmentation recovers only part of it.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h * w)
        Greyscale digits with ink from 0 to ``max_value`` (scikit-learn's ``load_digits().data``
        is ``(n, 64)`` with values 0-16).
    strength : float, default=1.0
        Scales every distortion (wobble, rotation, offset, blur, how often the pen changes).
        0 only redraws and rescans the digits; 2 is a sloppy writer with a bad scanner.
    max_value : float, default=16.0
        The value of full ink, in the input and in the output.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed. The same seed gives the same digits.

    Returns
    -------
    numpy.ndarray
        The redrawn digits, in the shape of ``X``, with whole-number values from 0 to
        ``max_value`` (like the originals).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X = load_digits().data[:10]
    >>> real = make_real_world_digits(X, random_state=0)
    >>> real.shape, float(real.min()) >= 0, float(real.max()) <= 16
    ((10, 64), True, True)
    """
    images, shape = _as_images(X)
    strength = _number("strength", strength)
    max_value = _number("max_value", max_value)
    if not 0 <= strength <= 5:
        raise ValueError(f"strength must be between 0 and 5, got {strength!r}")
    if max_value <= 0:
        raise ValueError(f"max_value must be positive, got {max_value!r}")
    rng = check_random_state(random_state)
    n, h, w = images.shape
    s = float(strength)

    # 1. Draw again at 4x the resolution (smooth interpolation), as a black-and-white bitmap.
    up_r, up_c = _upsampler(h), _upsampler(w)
    ink = up_r @ np.clip(images / max_value, 0, 1) @ up_c.T
    level = rng.uniform(0.3, 0.5, size=(n, 1, 1))
    bitmaps = ink > level

    # 2. The pen: one in four images thinner, one in three thicker (some much thicker).
    change = rng.choice([-1, 0, 1, 2], size=n, p=[0.25, 0.42, 0.25, 0.08])
    change[rng.uniform(size=n) >= min(1.0, s)] = 0
    bitmaps = _stroke(bitmaps, change)

    # 3. The hand: a smooth sine wobble, a small rotation and an offset, in one resampling.
    H, W = h * _UP, w * _UP
    rows = np.arange(H, dtype=float)[None, :, None] - (H - 1) / 2
    cols = np.arange(W, dtype=float)[None, None, :] - (W - 1) / 2
    theta = np.deg2rad(rng.uniform(-6, 6, size=n) * s)[:, None, None]
    dy, dx = (rng.uniform(-2, 2, size=(2, n)) * s)[:, :, None, None]
    amp = rng.uniform(0, 1.5 * s, (2, n))
    freq = rng.uniform(0.5, 1.5, (2, n))
    phase = rng.uniform(0, 2 * np.pi, (2, n))
    wob_r = amp[0, :, None, None] * np.sin(
        2 * np.pi * freq[0, :, None, None] * cols / W + phase[0, :, None, None]
    )
    wob_c = amp[1, :, None, None] * np.sin(
        2 * np.pi * freq[1, :, None, None] * rows / H + phase[1, :, None, None]
    )
    c, sn = np.cos(theta), np.sin(theta)
    src_r = c * (rows - dy) - sn * (cols - dx) + wob_r + (H - 1) / 2
    src_c = sn * (rows - dy) + c * (cols - dx) + wob_c + (W - 1) / 2
    drawn = _bilinear(bitmaps.astype(float), src_r, src_c)

    # 4. The scanner: a blur of random width, 4x4 block counts, faded ink on grey paper.
    sigma = np.round(rng.uniform(0, 1.5 * s, size=n) * 2) / 2  # a few widths, one call each
    for sg in np.unique(sigma):
        if sg > 0:
            idx = np.flatnonzero(sigma == sg)
            drawn[idx] = ndimage.gaussian_filter(drawn[idx], sigma=(0, sg, sg), mode="constant")
    counts = drawn.reshape(n, h, _UP, w, _UP).sum(axis=(2, 4)) / (_UP * _UP)
    gain = 1 - rng.uniform(0, 0.35, size=(n, 1, 1)) * min(s, 2.0)
    paper = rng.uniform(0, 0.08, size=(n, 1, 1)) * min(s, 2.0)
    out = np.clip(np.round((paper + gain * counts) * max_value), 0, max_value)
    return _restore(out, shape, X)
