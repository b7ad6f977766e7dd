"""Seeded spoken-command-like audio clips for the audio-augmentation part of lesson 3.

Real speech corpora are large and need a download; this module synthesises short "words" that
share the structure that matters for the lesson. Each command is a sequence of sounds:

- vowels: a buzz at the speaker's pitch (harmonics of f0) shaped by three formants (resonances
  of the vocal tract) that may glide, as in a diphthong;
- nasals: a weak, low voiced murmur;
- fricatives and plosive bursts: band-limited noise ("s", "t", "p", "d", "g").

Speakers differ in pitch, vocal-tract length (all formants scale together), speaking rate,
loudness and where in the clip the word starts. Nothing is a single pure tone.

================================  ==========================================================
:func:`make_spoken_commands`      seeded clips and their labels ("yes", "no", "up", ...)
:func:`make_real_world_audio`     the same clips as heard through a bad phone in a noisy room
:func:`make_babble`               background chatter: several overlapping synthetic words
:func:`spectrogram_features`      log energy in mel-spaced bands over time, for a classifier
================================  ==========================================================
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import signal
from sklearn.utils import check_random_state

__all__ = [
    "COMMANDS",
    "SAMPLE_RATE",
    "make_babble",
    "make_real_world_audio",
    "make_spoken_commands",
    "spectrogram_features",
]

SAMPLE_RATE = 8000
"""Samples per second of every clip (telephone quality)."""

# Formant frequencies (F1, F2, F3) in Hz of an adult vocal tract, from Peterson & Barney (1952).
_VOWELS = {
    "i": (270, 2290, 3010),
    "e": (530, 1840, 2480),
    "a": (730, 1090, 2440),
    "o": (570, 840, 2410),
    "u": (440, 1020, 2240),
    "uh": (640, 1190, 2390),
}
_NASAL = (250, 1100, 2300)
# Noise bands in Hz of fricatives and plosive bursts (below the 4 kHz Nyquist frequency).
_NOISE = {
    "s": (2800, 3900),
    "t": (2000, 3900),
    "p": (500, 2000),
    "d": (1500, 3500),
    "g": (800, 2000),
}

# Each command: a list of (kind, a, b, duration in ms). "V": vowel gliding from formants a to b;
# "N": nasal; "F": fricative noise in band a; "B": plosive burst in band a; "S": silence.
_WORDS: dict[str, list[tuple]] = {
    "yes": [("V", "i", "e", 190), ("F", "s", None, 140)],
    "no": [("N", None, None, 90), ("V", "o", "u", 230)],
    "up": [("V", "uh", "uh", 160), ("S", None, None, 70), ("B", "p", None, 25)],
    "down": [("B", "d", None, 20), ("V", "a", "u", 220), ("N", None, None, 90)],
    "stop": [
        ("F", "s", None, 110),
        ("S", None, None, 40),
        ("B", "t", None, 20),
        ("V", "a", "a", 150),
        ("S", None, None, 60),
        ("B", "p", None, 25),
    ],
    "go": [("S", None, None, 40), ("B", "g", None, 25), ("V", "o", "u", 230)],
}
COMMANDS: tuple[str, ...] = tuple(_WORDS)
"""The command words, in label order."""

_BANDWIDTHS = np.array([80.0, 110.0, 170.0])  # formant bandwidths in Hz
_GAINS = np.array([1.0, 0.55, 0.3])  # relative formant strengths


def _check_int(value, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def _ramp(n: int, sr: float, ms: float = 8.0) -> np.ndarray:
    """A window with raised-cosine edges, so segments start and end without clicks."""
    env = np.ones(n)
    r = min(int(sr * ms / 1000), n // 2)
    if r > 0:
        edge = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, r))
        env[:r], env[n - r :] = edge, edge[::-1]
    return env


def _voiced(formants: np.ndarray, f0: np.ndarray, sr: float, phase0: float) -> np.ndarray:
    """Harmonics of f0 weighted by a three-formant envelope; formants has shape (3, t)."""
    t = f0.size
    k = np.arange(1, int(0.48 * sr / f0.min()) + 1)[:, None]  # harmonic numbers
    phase = phase0 + 2 * np.pi * np.cumsum(f0) / sr
    # The spectral envelope changes slowly: evaluate it every 2 ms and interpolate linearly.
    step = max(int(sr * 0.002), 1)
    at = np.arange(0, t + step, step).clip(max=t - 1)
    freqs = k * f0[at][None, :]  # (K, m)
    resonance = _GAINS[:, None, None] / (
        1.0 + ((freqs[None] - formants[:, None, at]) / _BANDWIDTHS[:, None, None]) ** 2
    )
    coarse = resonance.sum(axis=0) / np.sqrt(k)  # source spectrum falls with harmonic number
    coarse[freqs >= 0.48 * sr] = 0.0
    pos = np.arange(t) / step
    i0 = np.minimum(pos.astype(int), at.size - 2)
    w = (pos - i0)[None, :]
    amp = (coarse[:, i0] * (1 - w) + coarse[:, i0 + 1] * w).astype(np.float32)
    harmonics = np.sin((k * phase[None, :]).astype(np.float32))
    return np.einsum("kt,kt->t", amp, harmonics).astype(np.float64)


def _utterance(word: str, rng, sr: float, n_samples: int, bands: dict) -> np.ndarray:
    """Synthesise one utterance of ``word`` by a random speaker."""
    f0_base = rng.uniform(90, 240)
    tract = rng.uniform(0.88, 1.15)  # shorter tracts (children, women) raise every formant
    rate = rng.uniform(0.8, 1.25)
    segments = []
    for kind, a, b, ms in _WORDS[word]:
        n = max(int(sr * ms / 1000 / rate * rng.uniform(0.9, 1.1)), 8)
        segments.append((kind, a, b, n))
    total = sum(s[3] for s in segments)
    if total >= n_samples:
        raise ValueError(f"duration too short for the word {word!r}; use at least 0.6 s")
    start = rng.randint(int(0.02 * sr), max(n_samples - total - int(0.02 * sr), int(0.02 * sr) + 1))
    out = np.zeros(n_samples)
    pos = start
    f0_track = f0_base * np.linspace(1.05, 0.88, total) * (1 + 0.02 * rng.standard_normal())
    used = 0
    for kind, a, b, n in segments:
        f0 = f0_track[used : used + n]
        if kind in ("V", "N"):
            if kind == "V":
                f_start = np.array(_VOWELS[a], float) * tract * rng.normal(1, 0.04, 3)
                f_end = np.array(_VOWELS[b], float) * tract * rng.normal(1, 0.04, 3)
                gain = 1.0
            else:
                f_start = f_end = np.array(_NASAL, float) * rng.normal(1, 0.04, 3)
                gain = 0.25
            tracks = f_start[:, None] + (f_end - f_start)[:, None] * np.linspace(0, 1, n)[None]
            seg = gain * _voiced(tracks, f0, sr, rng.uniform(0, 2 * np.pi))
        elif kind in ("F", "B"):
            seg = signal.sosfilt(bands[a], rng.standard_normal(n))
            seg *= (0.5 if kind == "F" else 0.8) * rng.uniform(0.7, 1.3) / (seg.std() + 1e-12)
        else:  # silence (a closure before a burst)
            seg = np.zeros(n)
        out[pos : pos + n] = seg * _ramp(n, sr)
        pos += n
        used += n
    return out / (np.sqrt(np.mean(out**2)) + 1e-12) * 0.1 * rng.uniform(0.5, 2.0)


def _noise_bands(sr: float) -> dict:
    nyq = sr / 2
    return {
        name: signal.butter(4, [lo, min(hi, 0.98 * nyq)], btype="bandpass", fs=sr, output="sos")
        for name, (lo, hi) in _NOISE.items()
    }


def make_spoken_commands(
    n_per_class: int = 60,
    *,
    commands=COMMANDS,
    duration: float = 0.6,
    sample_rate: int = SAMPLE_RATE,
    random_state=0,
) -> tuple[np.ndarray, np.ndarray]:
    """Make seeded, spoken-command-like clips: short words by many random speakers.

    Parameters
    ----------
    n_per_class : int, default=60
        Clips per command.
    commands : sequence of str, default=COMMANDS
        A subset of ``("yes", "no", "up", "down", "stop", "go")``.
    duration : float, default=0.6
        Length of every clip in seconds (0.6 to 5).
    sample_rate : int, default=8000
        Samples per second (4,000 to 48,000).
    random_state : int, numpy.random.RandomState or None, default=0
        Seeds the speakers. Different seeds give different speakers.

    Returns
    -------
    signals : numpy.ndarray of shape (n_per_class * len(commands), duration * sample_rate)
        The clips (float64, speech level around 0.1 RMS), in shuffled order.
    labels : numpy.ndarray of shape (n_per_class * len(commands),)
        The command spoken in each clip.

    Examples
    --------
    >>> X, y = make_spoken_commands(5, random_state=0)
    >>> X.shape, sorted(set(y)) == sorted(COMMANDS)
    ((30, 4800), True)
    """
    n_per_class = _check_int(n_per_class, "n_per_class", 1)
    sample_rate = _check_int(sample_rate, "sample_rate", 4000)
    if sample_rate > 48000:
        raise ValueError(f"sample_rate must be <= 48000, got {sample_rate}")
    if not isinstance(duration, numbers.Real) or not 0.6 <= duration <= 5:
        raise ValueError(f"duration must be between 0.6 and 5 seconds, got {duration!r}")
    if isinstance(commands, str):
        raise TypeError("commands must be a sequence of words, not one string")
    commands = list(commands)
    unknown = [c for c in commands if c not in _WORDS]
    if unknown or not commands or len(set(commands)) != len(commands):
        raise ValueError(f"commands must be distinct words from {COMMANDS}, got {commands!r}")
    rng = check_random_state(random_state)
    n_samples = int(round(duration * sample_rate))
    bands = _noise_bands(sample_rate)
    labels = np.repeat(np.array(commands), n_per_class)
    order = rng.permutation(labels.size)
    labels = labels[order]
    signals = np.stack([_utterance(w, rng, sample_rate, n_samples, bands) for w in labels])
    return signals, labels


def make_babble(
    n: int, n_samples: int, *, n_talkers: int = 4, sample_rate: int = SAMPLE_RATE, random_state=0
) -> np.ndarray:
    """Background chatter: each row sums ``n_talkers`` random words at random delays.

    Parameters
    ----------
    n : int
        Number of clips.
    n_samples : int
        Length of each clip in samples (at least 0.6 s).
    n_talkers : int, default=4
        Overlapping voices per clip.
    sample_rate : int, default=8000
        Samples per second.
    random_state : int, numpy.random.RandomState or None, default=0
        Seeds the talkers.

    Returns
    -------
    numpy.ndarray of shape (n, n_samples)

    Examples
    --------
    >>> make_babble(3, 4800, random_state=0).shape
    (3, 4800)
    """
    n = _check_int(n, "n", 1)
    n_talkers = _check_int(n_talkers, "n_talkers", 1)
    n_samples = _check_int(n_samples, "n_samples", int(0.6 * sample_rate))
    rng = check_random_state(random_state)
    # A pool of at most 60 words, mixed in random combinations and delays, is varied enough.
    per_word = int(np.clip(np.ceil(n * n_talkers / len(COMMANDS)), 1, 10))
    pool, _ = make_spoken_commands(
        per_word, duration=n_samples / sample_rate, sample_rate=sample_rate, random_state=rng
    )
    words = pool[rng.randint(0, pool.shape[0], size=(n, n_talkers))]  # (n, talkers, samples)
    delays = rng.randint(0, n_samples, size=(n, n_talkers))
    idx = (np.arange(n_samples)[None, None, :] + delays[:, :, None]) % n_samples
    return np.take_along_axis(words, idx, axis=2).sum(axis=1)


def make_real_world_audio(
    signals,
    *,
    snr_db=(0.0, 10.0),
    low_hz=(400.0, 700.0),
    high_hz=(2000.0, 2800.0),
    clip: float = 0.5,
    sample_rate: int = SAMPLE_RATE,
    random_state=0,
) -> np.ndarray:
    """The clips as heard in the real world: chatter and hum in the room, then a bad phone line.

    Each clip gets background babble (other people talking) plus mains hum at a random SNR, then
    passes through a narrow, saturating phone channel with random band edges.

    Parameters
    ----------
    signals : array-like of shape (n, t)
        Clean clips, for example from :func:`make_spoken_commands`.
    snr_db : float or (low, high), default=(0, 10)
        Speech-to-background ratio in dB.
    low_hz, high_hz : float or (low, high), default=(400, 700) and (2000, 2800)
        The phone's pass band, in Hz.
    clip : float, default=0.5
        Saturation level as a fraction of each clip's peak.
    sample_rate : int, default=8000
        Samples per second.
    random_state : int, numpy.random.RandomState or None, default=0
        Seeds the room and the phone.

    Returns
    -------
    numpy.ndarray of shape (n, t)

    Examples
    --------
    >>> X, y = make_spoken_commands(2, random_state=0)
    >>> make_real_world_audio(X, random_state=1).shape
    (12, 4800)
    """
    from mlcourse.augment import _as_signals, add_background_noise, cellphone_channel

    batch, shape = _as_signals(signals)
    if len(shape) != 2:
        raise ValueError(f"signals must be a batch shaped (n, t), got shape {shape}")
    rng = check_random_state(random_state)
    n, t = batch.shape
    babble = make_babble(n, t, sample_rate=sample_rate, random_state=rng)
    time = np.arange(t) / sample_rate
    f_hum = rng.choice([50.0, 60.0], size=(n, 1))
    hum = sum(
        np.sin(2 * np.pi * h * f_hum * time[None] + rng.uniform(0, 6.3, (n, 1))) / h
        for h in (1, 2, 3, 5)
    )
    babble = babble / np.sqrt(np.mean(babble**2, axis=1, keepdims=True))
    hum = hum / np.sqrt(np.mean(hum**2, axis=1, keepdims=True))
    room = add_background_noise(batch, snr_db, noise=babble + 0.5 * hum, random_state=rng)
    return cellphone_channel(
        room, sample_rate=sample_rate, low_hz=low_hz, high_hz=high_hz, clip=clip, random_state=rng
    )


def spectrogram_features(
    signals, *, sample_rate: int = SAMPLE_RATE, n_bands: int = 20, n_frames: int = 10
) -> np.ndarray:
    """Log energy in mel-spaced frequency bands over a few time frames, one row per clip.

    A short-time Fourier transform (32 ms windows) gives the power at each frequency over time;
    the power is summed into ``n_bands`` bands spaced like human pitch perception (mel scale,
    100 Hz to just below the Nyquist frequency), averaged over ``n_frames`` equal stretches of
    time, and put on a decibel scale relative to the clip's loudest cell, so a louder recording
    gives the same features.

    Parameters
    ----------
    signals : array-like of shape (n, t)
        The clips.
    sample_rate : int, default=8000
        Samples per second.
    n_bands : int, default=20
        Frequency bands.
    n_frames : int, default=10
        Time stretches.

    Returns
    -------
    numpy.ndarray of shape (n, n_bands * n_frames)

    Examples
    --------
    >>> X, y = make_spoken_commands(2, random_state=0)
    >>> spectrogram_features(X).shape
    (12, 200)
    """
    from mlcourse.augment import _as_signals

    batch, shape = _as_signals(signals)
    n_bands = _check_int(n_bands, "n_bands", 1)
    n_frames = _check_int(n_frames, "n_frames", 1)
    nperseg = int(2 ** np.round(np.log2(0.032 * sample_rate)))
    if batch.shape[1] < nperseg * 2:
        raise ValueError(f"clips must be at least {2 * nperseg} samples long")
    freqs, _, power = signal.spectrogram(
        batch, fs=sample_rate, nperseg=nperseg, noverlap=nperseg // 2, axis=-1
    )
    if power.shape[-1] < n_frames:
        raise ValueError(f"clips are too short for {n_frames} frames")

    def mel(f):
        return 2595 * np.log10(1 + f / 700)

    edges_mel = np.linspace(mel(100), mel(0.49 * sample_rate), n_bands + 1)
    edges = 700 * (10 ** (edges_mel / 2595) - 1)
    band = np.clip(np.searchsorted(edges, freqs, side="right") - 1, -1, n_bands)
    pooled = np.zeros((batch.shape[0], n_bands, power.shape[-1]))
    for b in range(n_bands):
        rows = band == b
        if np.any(rows):
            pooled[:, b] = power[:, rows].mean(axis=1)
    chunks = np.array_split(np.arange(power.shape[-1]), n_frames)
    frames = np.stack([pooled[:, :, c].mean(axis=2) for c in chunks], axis=2)
    peak = np.maximum(frames.max(axis=(1, 2), keepdims=True), 1e-300)
    db = 10 * np.log10(frames / peak + 1e-8)  # 0 dB at the loudest cell, floor at -80 dB
    return db.reshape(batch.shape[0], -1)
