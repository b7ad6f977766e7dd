"""Drift statistics between a reference sample and production data, read from prediction logs.

================================  ==========================================================
:func:`read_prediction_log`       the server's JSON-lines log (and its rotated files) as a table
:func:`ks_test`                   two-sample Kolmogorov-Smirnov test (scipy), with a verdict
:func:`psi`                       population stability index, with reference-quantile bins
:func:`drift_report`              KS and PSI side by side for several named columns
================================  ==========================================================

KS answers "are these two samples from different distributions?": with enough data it says yes
to shifts far too small to matter (its p-value shrinks with sample size). PSI answers "how much
did the distribution move?": it is an effect size that does not grow with sample size, read
against fixed rules of thumb (below 0.1 stable, 0.1 to 0.25 moderate, above 0.25 large).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["PSI_MODERATE", "PSI_LARGE", "drift_report", "ks_test", "psi", "read_prediction_log"]

#: Rules of thumb for PSI (credit-scoring practice): below 0.1 stable, above 0.25 a large shift.
PSI_MODERATE = 0.1
PSI_LARGE = 0.25


def _as_sample(x, name: str) -> np.ndarray:
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a 1-d array of numbers; got {type(x).__name__}")
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-d array of numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-d; got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or infinite values; drop or impute them first")
    return arr


def ks_test(reference, current, *, alpha: float = 0.05) -> dict:
    """Two-sample Kolmogorov-Smirnov test of ``current`` against ``reference``.

    Returns
    -------
    dict
        ``statistic`` (the largest gap between the two empirical CDFs, in [0, 1]), ``p_value``
        and ``drift`` (``p_value < alpha``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ks_test(rng.normal(size=500), rng.normal(1, 1, size=500))["drift"]
    True
    """
    from scipy.stats import ks_2samp

    ref = _as_sample(reference, "reference")
    cur = _as_sample(current, "current")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    result = ks_2samp(ref, cur)
    p = float(result.pvalue)
    return {"statistic": float(result.statistic), "p_value": p, "drift": bool(p < alpha)}


def psi(reference, current, *, bins: int = 10, eps: float = 1e-4) -> float:
    """Population stability index of ``current`` against ``reference``.

    ``PSI = sum_i (c_i - r_i) * ln(c_i / r_i)`` over bins, where ``r_i`` and ``c_i`` are the
    shares of each sample in bin ``i``. Bins are the reference's quantiles, so each holds about
    the same share of the reference. Edge cases:

    - repeated values (e.g. many scores of exactly 0 or 1) make equal quantiles; duplicates are
      merged, so there may be fewer bins than asked (a constant reference gives two bins:
      at-or-below the constant, and above it);
    - the outer bins are open (``-inf``, ``+inf``): production values outside the reference's
      range are counted, not dropped;
    - an empty bin would make the log infinite; shares are floored at ``eps``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> round(psi(rng.normal(size=5000), rng.normal(size=5000)), 3) < 0.01
    True
    >>> psi([0.0, 0.0, 0.0], [1.0, 1.0]) > 0.25
    True
    """
    ref = _as_sample(reference, "reference")
    cur = _as_sample(current, "current")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
        raise ValueError(f"bins must be an integer >= 2; got {bins!r}")
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5); got {eps}")
    inner = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    # right-closed bins: (-inf, q1], (q1, q2], ..., (qk, inf)
    r = np.bincount(np.searchsorted(inner, ref, side="left"), minlength=inner.size + 1)
    c = np.bincount(np.searchsorted(inner, cur, side="left"), minlength=inner.size + 1)
    r = np.maximum(r / ref.size, eps)
    c = np.maximum(c / cur.size, eps)
    return float(np.sum((c - r) * np.log(c / r)))


def drift_report(
    reference: pd.DataFrame, current: pd.DataFrame, columns=None, **kw
) -> pd.DataFrame:
    """KS and PSI for each column shared by ``reference`` and ``current`` (or ``columns``).

    Returns a table with one row per column: ``ks_statistic``, ``ks_p_value``, ``ks_drift``,
    ``psi`` and ``psi_level`` (``"stable"``, ``"moderate"`` or ``"large"``).

    Examples
    --------
    >>> import pandas as pd
    >>> ref = pd.DataFrame({"score": [0.1, 0.2, 0.3, 0.4] * 50})
    >>> drift_report(ref, ref)["psi_level"].tolist()
    ['stable']
    """
    if not isinstance(reference, pd.DataFrame) or not isinstance(current, pd.DataFrame):
        raise TypeError("reference and current must be pandas DataFrames")
    if columns is None:
        columns = [c for c in reference.columns if c in current.columns]
    rows = []
    for col in columns:
        if col not in reference.columns or col not in current.columns:
            raise ValueError(f"column {col!r} is missing from reference or current")
        ks = ks_test(reference[col], current[col])
        value = psi(reference[col], current[col], **kw)
        level = "large" if value > PSI_LARGE else "moderate" if value > PSI_MODERATE else "stable"
        rows.append(
            {
                "column": col,
                "n_reference": len(reference),
                "n_current": len(current),
                "ks_statistic": ks["statistic"],
                "ks_p_value": ks["p_value"],
                "ks_drift": ks["drift"],
                "psi": value,
                "psi_level": level,
            }
        )
    return pd.DataFrame(rows).set_index("column")


def read_prediction_log(path: str | os.PathLike, *, rotated: bool = True) -> pd.DataFrame:
    """Read the server's JSON-lines prediction log into a table, oldest line first.

    With ``rotated=True`` the rotated files (``path.3``, ``path.2``, ``path.1``) are read
    before ``path``. A line cut short (the server was writing it) is skipped.

    Examples
    --------
    >>> log = read_prediction_log("predictions.jsonl")  # doctest: +SKIP
    >>> log[["model_version", "score"]].groupby("model_version").mean()  # doctest: +SKIP
    """
    path = Path(path)
    files = []
    if rotated:
        backups = sorted(
            (p for p in path.parent.glob(path.name + ".*") if p.suffix[1:].isdigit()),
            key=lambda p: int(p.suffix[1:]),
            reverse=True,
        )
        files.extend(backups)
    if path.exists():
        files.append(path)
    if not files:
        raise FileNotFoundError(f"no prediction log at {str(path)!r}")
    records = []
    for file in files:
        with open(file, encoding="utf-8") as fh:
            for line in fh:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
    df = pd.DataFrame.from_records(records)
    if "ts" in df:
        df["ts"] = pd.to_datetime(df["ts"], utc=True)
    if "score" in df:
        df["score"] = pd.to_numeric(df["score"], errors="coerce")
    return df
