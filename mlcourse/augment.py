"""Seeded, batch-vectorised distortions for data augmentation (lesson 3).

Images are batches of small greyscale images, shaped ``(n, h, w)`` or flattened ``(n, h * w)``
with square images (scikit-learn's digits are ``(n, 64)``: 8x8 pixels with values 0-16). Every
image transform returns an array of the same shape and dtype kind as its input, and never writes
into its input. All images of a batch are transformed in one call to
:func:`scipy.ndimage.map_coordinates`, so a batch of 10,000 digits takes milliseconds.

Audio signals are 1-D clips, shaped ``(n, t)`` or a single clip ``(t,)``.

Per-image parameters
--------------------
Every distortion parameter accepts three forms:

- a number: the same value for every image, for example ``angle=10``;
- a ``tuple`` ``(low, high)``: one value per image drawn uniformly from the interval with
  ``random_state``, for example ``angle=(-15, 15)``;
- a list or array of length ``n``: one given value per image.

=============================  ===========================================================
:func:`affine`                 rotation, shift, scale and slant (shear) in one resampling
:func:`rotate`                 rotate by an angle in degrees (counter-clockwise)
:func:`shift`                  move by a number of pixels
:func:`scale`                  zoom in or out about the centre
:func:`slant`                  shear horizontally, like slanted handwriting
:func:`elastic_warp`           smooth random local warps (Simard et al., 2003)
:func:`pixel_noise`            independent random noise on every pixel (not representative)
:func:`flip`                   mirror images upside down or left to right
:func:`add_background_noise`   add noise to audio at a signal-to-noise ratio in dB
:func:`cellphone_channel`      band-pass (and optionally clip) audio like a bad phone line
=============================  ===========================================================
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import ndimage, signal
from sklearn.utils import check_random_state

__all__ = [
    "add_background_noise",
    "affine",
    "cellphone_channel",
    "elastic_warp",
    "flip",
    "pixel_noise",
    "rotate",
    "scale",
    "shift",
    "slant",
]


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------
def _as_images(X) -> tuple[np.ndarray, tuple[int, ...]]:
    """Return a float (n, h, w) view of ``X`` and the original shape."""
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"images must be a numeric array, got {type(X).__name__}")
    arr = np.asarray(X)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"images must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError("images must be real-valued, got a complex array")
    shape = arr.shape
    if arr.ndim == 3:
        images = arr
    elif arr.ndim == 2:
        side = int(round(np.sqrt(arr.shape[1])))
        if side * side != arr.shape[1]:
            raise ValueError(
                f"images of shape {shape} are read as (n_images, n_pixels), but {arr.shape[1]} "
                "pixels is not a square image; pass a batch shaped (n, h, w), or for one 8x8 "
                "image use X[None]"
            )
        images = arr.reshape(arr.shape[0], side, side)
    else:
        raise ValueError(
            f"images must be a batch shaped (n, h, w) or (n, h * w), got shape {shape}; "
            "for one image use X[None]"
        )
    if images.shape[0] == 0:
        raise ValueError("images is an empty batch (0 images)")
    if images.shape[1] < 2 or images.shape[2] < 2:
        raise ValueError(f"images must be at least 2x2 pixels, got shape {shape}")
    images = images.astype(np.float64, copy=False)
    if not np.all(np.isfinite(images)):
        raise ValueError("images contain NaN or infinite values")
    return images, shape


def _restore(out: np.ndarray, shape: tuple[int, ...], like: np.ndarray) -> np.ndarray:
    out = out.reshape(shape)
    dtype = np.asarray(like).dtype
    if np.issubdtype(dtype, np.floating):
        return out.astype(dtype, copy=False)
    return out  # integer or boolean input: return floats rather than silently rounding


def _per_sample(value, n: int, rng, name: str, *, low=None, high=None) -> np.ndarray:
    """Expand a number, a ``(low, high)`` tuple or a length-n sequence to n values."""
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(f"{name} as a tuple must be a range (low, high), got {value!r}")
        lo, hi = value
        for v in (lo, hi):
            if not isinstance(v, numbers.Real):
                raise TypeError(f"{name} range bounds must be numbers, got {value!r}")
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
            raise ValueError(f"{name} range must be finite with low <= high, got {value!r}")
        values = rng.uniform(lo, hi, size=n) if hi > lo else np.full(n, float(lo))
    elif isinstance(value, (numbers.Real, np.number)) and not isinstance(value, bool):
        values = np.full(n, float(value))
    elif isinstance(value, (list, np.ndarray)):
        values = np.asarray(value, dtype=float)
        if values.shape != (n,):
            raise ValueError(
                f"{name} as a sequence needs one value per image ({n}), got shape {values.shape}"
            )
    else:
        raise TypeError(
            f"{name} must be a number, a (low, high) tuple or one value per image, "
            f"got {type(value).__name__}"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must be finite")
    if low is not None and np.any(values < low):
        raise ValueError(f"{name} must be >= {low}, got min {values.min():g}")
    if high is not None and np.any(values > high):
        raise ValueError(f"{name} must be <= {high}, got max {values.max():g}")
    return values


def _grid(n: int, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates relative to the image centre, broadcastable to (n, h, w)."""
    rows = np.arange(h, dtype=np.float64)[None, :, None] - (h - 1) / 2
    cols = np.arange(w, dtype=np.float64)[None, None, :] - (w - 1) / 2
    return rows, cols


def _resample(images, src_rows, src_cols, fill: float, order: int) -> np.ndarray:
    """Sample image i at (src_rows[i], src_cols[i]) for every i in one map_coordinates call."""
    n, h, w = images.shape
    rows = src_rows + (h - 1) / 2
    cols = src_cols + (w - 1) / 2
    index = np.broadcast_to(np.arange(n, dtype=np.float64)[:, None, None], (n, h, w))
    coords = np.stack(np.broadcast_arrays(index, rows, cols))
    return ndimage.map_coordinates(
        images, coords, order=order, mode="grid-constant", cval=fill, prefilter=False
    )


def _check_order(order) -> int:
    if order not in (0, 1):
        raise ValueError(f"order must be 0 (nearest) or 1 (linear), got {order!r}")
    return int(order)


# --------------------------------------------------------------------------------------------
# images
# --------------------------------------------------------------------------------------------
def affine(
    X,
    *,
    angle=0.0,
    shift_x=0.0,
    shift_y=0.0,
    scale=1.0,
    slant=0.0,
    warp=0.0,
    warp_smoothness: float = 1.0,
    fill: float = 0.0,
    order: int = 1,
    random_state=None,
) -> np.ndarray:
    """Rotate, shift, scale, slant and (optionally) elastically warp a batch of images.

    All distortions are composed into one resampling, so the image is interpolated only once.
    With linear interpolation (``order=1``) every output pixel is a weighted average of input
    pixels and ``fill``, so the output stays within the input's range.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h * w)
        The images.
    angle : float, (low, high) tuple or array of shape (n,), default=0
        Counter-clockwise rotation in degrees, about the image centre.
    shift_x, shift_y : float, (low, high) tuple or array of shape (n,), default=0
        Shift in pixels, to the right and downwards.
    scale : float, (low, high) tuple or array of shape (n,), default=1
        Zoom factor about the centre, > 0 (above 1 enlarges the digit).
    slant : float, (low, high) tuple or array of shape (n,), default=0
        Horizontal shear: the top of the image moves right by ``slant`` times its height above
        the centre, like handwriting slanted to the right. Between -1 and 1.
    warp : float, (low, high) tuple or array of shape (n,), default=0
        Strength of a random elastic warp: the root-mean-square displacement, in pixels.
    warp_smoothness : float, default=1.0
        Width in pixels of the Gaussian that smooths the random displacement field.
    fill : float, default=0.0
        Value for pixels that come from outside the image (the background).
    order : {0, 1}, default=1
        Interpolation: 0 nearest neighbour, 1 linear.
    random_state : int, numpy.random.RandomState or None, default=None
        Seeds ranges and the warp. Same seed, same output.

    Returns
    -------
    numpy.ndarray
        The distorted images, in the shape of ``X``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X = load_digits().data[:5]
    >>> affine(X, angle=(-15, 15), scale=(0.9, 1.1), random_state=0).shape
    (5, 64)
    """
    images, shape = _as_images(X)
    order = _check_order(order)
    if not isinstance(fill, numbers.Real) or not np.isfinite(fill):
        raise ValueError(f"fill must be a finite number, got {fill!r}")
    if not isinstance(warp_smoothness, numbers.Real) or not warp_smoothness > 0:
        raise ValueError(f"warp_smoothness must be a positive number, got {warp_smoothness!r}")
    rng = check_random_state(random_state)
    n, h, w = images.shape
    theta = np.deg2rad(_per_sample(angle, n, rng, "angle", low=-360, high=360))
    tx = _per_sample(shift_x, n, rng, "shift_x", low=-w, high=w)
    ty = _per_sample(shift_y, n, rng, "shift_y", low=-h, high=h)
    s = _per_sample(scale, n, rng, "scale", low=1e-3, high=1e3)
    k = _per_sample(slant, n, rng, "slant", low=-1, high=1)
    strength = _per_sample(warp, n, rng, "warp", low=0, high=max(h, w))

    # Work in (x right, y up) about the centre. Forward map: p_out = R @ K @ S @ p_in + t.
    # To fill output pixels we need the inverse: p_in = S^-1 @ K^-1 @ R^-1 @ (p_out - t).
    rows, cols = _grid(n, h, w)
    x = cols - tx[:, None, None]
    y = -(rows - ty[:, None, None])
    c, sn = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    x, y = c * x + sn * y, -sn * x + c * y  # inverse rotation
    x = x - k[:, None, None] * y  # inverse shear
    inv_s = (1.0 / s)[:, None, None]
    x, y = x * inv_s, y * inv_s
    src_rows, src_cols = -y, x

    if np.any(strength > 0):
        d_rows, d_cols = _displacement(n, h, w, strength, warp_smoothness, rng)
        src_rows = src_rows + d_rows
        src_cols = src_cols + d_cols

    out = _resample(images, src_rows, src_cols, float(fill), order)
    return _restore(out, shape, X)


def _displacement(n, h, w, strength, smoothness, rng):
    """Smooth random displacement fields with root-mean-square ``strength`` pixels per image."""
    field = rng.uniform(-1.0, 1.0, size=(2, n, h, w))
    field = ndimage.gaussian_filter(field, sigma=(0, 0, smoothness, smoothness), mode="reflect")
    rms = np.sqrt(np.mean(field**2, axis=(0, 2, 3), keepdims=True))
    field = field / np.maximum(rms, 1e-12) * strength[None, :, None, None]
    return field[0], field[1]


def rotate(X, angle, *, fill: float = 0.0, order: int = 1, random_state=None) -> np.ndarray:
    """Rotate images counter-clockwise by ``angle`` degrees about their centre.

    See :func:`affine` for the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((2, 8, 8)); X[:, 1:7, 4] = 16  # a vertical bar
    >>> rotate(X, 90)[0].sum(axis=1).round(1)  # now horizontal: one bright row
    array([ 0.,  0.,  0., 96.,  0.,  0.,  0.,  0.])
    """
    return affine(X, angle=angle, fill=fill, order=order, random_state=random_state)


def shift(X, x=0.0, y=0.0, *, fill: float = 0.0, order: int = 1, random_state=None) -> np.ndarray:
    """Shift images ``x`` pixels to the right and ``y`` pixels down.

    See :func:`affine` for the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((1, 8, 8)); X[0, 3, 3] = 1
    >>> np.argwhere(shift(X, 2, 1)[0] == 1).tolist()
    [[4, 5]]
    """
    return affine(X, shift_x=x, shift_y=y, fill=fill, order=order, random_state=random_state)


def scale(X, factor, *, fill: float = 0.0, order: int = 1, random_state=None) -> np.ndarray:
    """Zoom images by ``factor`` about their centre (above 1 enlarges).

    See :func:`affine` for the parameters.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X = load_digits().images[:3]
    >>> scale(X, (0.8, 1.2), random_state=0).shape
    (3, 8, 8)
    """
    return affine(X, scale=factor, fill=fill, order=order, random_state=random_state)


def slant(X, amount, *, fill: float = 0.0, order: int = 1, random_state=None) -> np.ndarray:
    """Shear images horizontally, like handwriting slanted right (``amount`` > 0) or left.

    See :func:`affine` for the parameters.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> slant(load_digits().data[:4], 0.3).shape
    (4, 64)
    """
    return affine(X, slant=amount, fill=fill, order=order, random_state=random_state)


def elastic_warp(
    X, strength=1.0, *, smoothness: float = 1.0, fill: float = 0.0, random_state=None
) -> np.ndarray:
    """Warp images with a smooth random displacement field (Simard et al., 2003).

    A random displacement per pixel is smoothed with a Gaussian of width ``smoothness`` pixels
    and scaled so its root-mean-square length is ``strength`` pixels. Small strengths mimic the
    wobble of real handwriting.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h * w)
        The images.
    strength : float, (low, high) tuple or array of shape (n,), default=1.0
        Root-mean-square displacement in pixels, >= 0.
    smoothness : float, default=1.0
        Standard deviation of the smoothing Gaussian, in pixels; > 0.
    fill : float, default=0.0
        Value for pixels that come from outside the image.
    random_state : int, numpy.random.RandomState or None, default=None
        Seeds the displacement field.

    Returns
    -------
    numpy.ndarray
        The warped images, in the shape of ``X``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X = load_digits().data[:10]
    >>> W = elastic_warp(X, 0.8, random_state=0)
    >>> W.shape, bool(W.min() >= 0), bool(W.max() <= 16)
    ((10, 64), True, True)
    """
    return affine(
        X, warp=strength, warp_smoothness=smoothness, fill=fill, random_state=random_state
    )


def pixel_noise(X, std=1.0, *, clip: tuple[float, float] | None = None, random_state=None):
    """Add independent Gaussian noise to every pixel: meaningless noise, for comparison.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h * w)
        The images.
    std : float, (low, high) tuple or array of shape (n,), default=1.0
        Standard deviation of the noise, in pixel-value units, >= 0.
    clip : (low, high) or None, default=None
        Clip the result to this range; by default the input's own range ``(X.min(), X.max())``,
        so the noisy images stay valid images.
    random_state : int, numpy.random.RandomState or None, default=None
        Seeds the noise.

    Returns
    -------
    numpy.ndarray
        The noisy images, in the shape of ``X``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X = load_digits().data[:10]
    >>> N = pixel_noise(X, 2.0, random_state=0)
    >>> bool(N.min() >= 0 and N.max() <= 16)
    True
    """
    images, shape = _as_images(X)
    rng = check_random_state(random_state)
    n = images.shape[0]
    sd = _per_sample(std, n, rng, "std", low=0)
    if clip is None:
        lo, hi = float(images.min()), float(images.max())
    else:
        if len(clip) != 2 or not clip[0] <= clip[1]:
            raise ValueError(f"clip must be (low, high) with low <= high, got {clip!r}")
        lo, hi = float(clip[0]), float(clip[1])
    noisy = images + rng.standard_normal(images.shape) * sd[:, None, None]
    return _restore(np.clip(noisy, lo, hi), shape, X)


def flip(X, direction: str = "upside_down") -> np.ndarray:
    """Mirror images: ``"upside_down"`` (top to bottom) or ``"left_right"``.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h * w)
        The images.
    direction : {"upside_down", "left_right"}, default="upside_down"
        Which mirror to apply.

    Returns
    -------
    numpy.ndarray
        The mirrored images, in the shape of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(4.0).reshape(1, 2, 2)
    >>> flip(X)[0].tolist()
    [[2.0, 3.0], [0.0, 1.0]]
    """
    images, shape = _as_images(X)
    if direction == "upside_down":
        out = images[:, ::-1, :]
    elif direction == "left_right":
        out = images[:, :, ::-1]
    else:
        raise ValueError(f"direction must be 'upside_down' or 'left_right', got {direction!r}")
    return _restore(np.ascontiguousarray(out), shape, X)


# --------------------------------------------------------------------------------------------
# audio
# --------------------------------------------------------------------------------------------
def _as_signals(signals, name: str = "signals") -> tuple[np.ndarray, tuple[int, ...]]:
    if isinstance(signals, (str, bytes)) or signals is None:
        raise TypeError(f"{name} must be a numeric array, got {type(signals).__name__}")
    arr = np.asarray(signals)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real-valued, got a complex array")
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must be one clip (t,) or a batch (n, t), got shape {arr.shape}")
    batch = arr.reshape(1, -1) if arr.ndim == 1 else arr
    if batch.shape[0] == 0 or batch.shape[1] < 2:
        raise ValueError(f"{name} must hold at least one clip of >= 2 samples, got {arr.shape}")
    batch = batch.astype(np.float64, copy=False)
    if not np.all(np.isfinite(batch)):
        raise ValueError(f"{name} contain NaN or infinite values")
    return batch, arr.shape


def _pink_noise(shape: tuple[int, int], rng) -> np.ndarray:
    """Noise with power falling as 1/f, like much real background noise."""
    n, t = shape
    spectrum = rng.standard_normal((n, t // 2 + 1)) + 1j * rng.standard_normal((n, t // 2 + 1))
    f = np.arange(t // 2 + 1, dtype=float)
    f[0] = 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(f), n=t, axis=1)
    return noise - noise.mean(axis=1, keepdims=True)


def add_background_noise(signals, snr_db, *, noise=None, random_state=None) -> np.ndarray:
    """Add background noise to audio clips at a chosen signal-to-noise ratio (SNR).

    The noise of each clip is scaled so that
    ``10 * log10(power(signal) / power(noise)) == snr_db``: 20 dB is a quiet room, 0 dB is noise
    as loud as the speech.

    Parameters
    ----------
    signals : array-like of shape (n, t) or (t,)
        The clips.
    snr_db : float, (low, high) tuple or array of shape (n,)
        Signal-to-noise ratio in decibels, between -30 and 100.
    noise : array-like of shape (m,) or (n, t), or None, default=None
        The background. ``None`` draws pink (1/f) noise. A 1-D recording of at least ``t``
        samples is cut into one random segment per clip; an ``(n, t)`` array gives each clip's
        noise directly.
    random_state : int, numpy.random.RandomState or None, default=None
        Seeds the noise, the segments and SNR ranges.

    Returns
    -------
    numpy.ndarray
        The noisy clips, in the shape of ``signals``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(8000) / 8000
    >>> clip = np.sin(2 * np.pi * 440 * t)
    >>> noisy = add_background_noise(clip, snr_db=10, random_state=0)
    >>> noise = noisy - clip
    >>> round(float(10 * np.log10(np.mean(clip**2) / np.mean(noise**2))), 6)
    10.0
    """
    batch, shape = _as_signals(signals)
    rng = check_random_state(random_state)
    n, t = batch.shape
    snr = _per_sample(snr_db, n, rng, "snr_db", low=-30, high=100)
    if noise is None:
        bg = _pink_noise((n, t), rng)
    else:
        bg_arr, _ = _as_signals(noise, "noise")
        if np.asarray(noise).ndim == 1:
            m = bg_arr.shape[1]
            if m < t:
                raise ValueError(f"a noise recording needs at least {t} samples, got {m}")
            starts = rng.randint(0, m - t + 1, size=n)
            bg = bg_arr[0][starts[:, None] + np.arange(t)[None, :]]
        elif bg_arr.shape == (n, t):
            bg = bg_arr
        else:
            raise ValueError(
                f"noise must be a 1-D recording or shaped like the signals {(n, t)}, "
                f"got {np.asarray(noise).shape}"
            )
    p_signal = np.mean(batch**2, axis=1)
    p_noise = np.mean(bg**2, axis=1)
    if np.any(p_noise <= 0):
        raise ValueError("noise is silent (zero power) for at least one clip")
    gain = np.sqrt(p_signal / (p_noise * 10.0 ** (snr / 10.0)))
    out = batch + gain[:, None] * bg
    return _restore(out, shape, signals)


def cellphone_channel(
    signals,
    *,
    sample_rate: float = 8000,
    low_hz=300.0,
    high_hz=3400.0,
    order: int = 4,
    clip: float | None = None,
    random_state=None,
) -> np.ndarray:
    """Pass audio through a band-limited "bad cellphone" line.

    A Butterworth band-pass filter keeps ``low_hz`` to ``high_hz`` (a phone line keeps roughly
    300-3,400 Hz); ``clip`` then saturates the loudest peaks, like an overdriven microphone.

    Parameters
    ----------
    signals : array-like of shape (n, t) or (t,)
        The clips.
    sample_rate : float, default=8000
        Samples per second.
    low_hz, high_hz : float, (low, high) tuple or array of shape (n,)
        Pass band edges in Hz; ``0 < low_hz < high_hz < sample_rate / 2``. Tuples draw one band
        per clip, which makes this an augmentation.
    order : int, default=4
        Filter order (steepness of the band edges), 1 to 10.
    clip : float or None, default=None
        If given, saturate the filtered clip at this fraction (0 to 1] of its peak amplitude.
    random_state : int, numpy.random.RandomState or None, default=None
        Seeds band edges given as ranges.

    Returns
    -------
    numpy.ndarray
        The filtered clips, in the shape of ``signals``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(8000) / 8000
    >>> hum = np.sin(2 * np.pi * 50 * t)  # mains hum, far below the pass band
    >>> float(np.abs(cellphone_channel(hum)[2000:]).max()) < 0.01
    True
    """
    batch, shape = _as_signals(signals)
    if not isinstance(sample_rate, numbers.Real) or not sample_rate > 0:
        raise ValueError(f"sample_rate must be a positive number, got {sample_rate!r}")
    if not isinstance(order, numbers.Integral) or not 1 <= order <= 10:
        raise ValueError(f"order must be an integer from 1 to 10, got {order!r}")
    if clip is not None and (not isinstance(clip, numbers.Real) or not 0 < clip <= 1):
        raise ValueError(f"clip must be in (0, 1] or None, got {clip!r}")
    rng = check_random_state(random_state)
    n = batch.shape[0]
    nyquist = sample_rate / 2
    lows = _per_sample(low_hz, n, rng, "low_hz", low=0, high=nyquist)
    highs = _per_sample(high_hz, n, rng, "high_hz", low=0, high=nyquist)
    if np.any(lows <= 0) or np.any(highs >= nyquist) or np.any(lows >= highs):
        raise ValueError(
            f"need 0 < low_hz < high_hz < sample_rate / 2 = {nyquist:g} Hz, "
            f"got low_hz={low_hz!r}, high_hz={high_hz!r}"
        )
    out = np.empty_like(batch)
    # Clips sharing a band are filtered together (one call when the band is fixed).
    bands = np.stack([lows, highs], axis=1)
    unique, inverse = np.unique(bands, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    for j, (lo, hi) in enumerate(unique):
        sos = signal.butter(order, [lo, hi], btype="bandpass", fs=sample_rate, output="sos")
        rows = inverse == j
        out[rows] = signal.sosfilt(sos, batch[rows], axis=1)
    if clip is not None:
        peak = np.max(np.abs(out), axis=1, keepdims=True) * clip
        peak = np.maximum(peak, 1e-12)
        out = np.clip(out, -peak, peak)
    return _restore(out, shape, signals)
