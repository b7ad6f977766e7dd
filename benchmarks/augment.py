"""Augmentation throughput: images per second on one core (lesson 3).

Prints a table for rotation, shift, scale, warp and all of them composed, each over 10,000
digit images (scikit-learn's 8x8 digits, tiled), best of a few repeats. The target is at least
30,000 images per second on one core. Run: ``python benchmarks/augment.py``.
"""

from __future__ import annotations

import os

# One core: set before numpy/scipy load their thread pools.
for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ[_var] = "1"

import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from mlcourse import augment  # noqa: E402

N_IMAGES = 10_000
TARGET = 30_000
REPEATS = 5

CASES = {
    "rotation": lambda X: augment.rotate(X, (-15, 15), random_state=0),
    "shift": lambda X: augment.shift(X, (-1, 1), (-1, 1), random_state=0),
    "scale": lambda X: augment.scale(X, (0.9, 1.1), random_state=0),
    "warp": lambda X: augment.elastic_warp(X, (0.0, 0.8), random_state=0),
    "all composed": lambda X: augment.affine(
        X,
        angle=(-15, 15),
        shift_x=(-1, 1),
        shift_y=(-1, 1),
        scale=(0.9, 1.1),
        warp=(0.0, 0.8),
        random_state=0,
    ),
}


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    digits = load_digits().data
    X = np.resize(digits, (N_IMAGES, digits.shape[1]))
    print(f"augmentation throughput, {N_IMAGES:,} digit images (8x8), one core, best of {REPEATS}")
    print(f"| {'transform':<13} | {'seconds':>8} | {'images/s':>10} | target {TARGET:,} |")
    print(f"|{'-' * 15}|{'-' * 10}|{'-' * 12}|{'-' * 15}|")
    for name, fn in CASES.items():
        fn(X[:100])  # warm up
        best = min(_time(fn, X) for _ in range(REPEATS))
        rate = N_IMAGES / best
        ok = "yes" if rate >= TARGET else "NO"
        print(f"| {name:<13} | {best:8.4f} | {rate:10,.0f} | {ok:<13} |")


def _time(fn, X) -> float:
    start = time.perf_counter()
    fn(X)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
