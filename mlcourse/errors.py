"""Error analysis helpers that learners need not read: the tally table and its bar chart, and the
tag file the tagging widget saves to.

The steps lesson 2 teaches stay in its notebook: collecting the cross-validation errors
(``cross_val_predict`` and a filter), sampling them, and tagging them by reading (the widget) or
with rules the learner writes. This module holds the rest:

================================  ==========================================================
:func:`tally_tags`                count overlapping tags, sort, share of errors, estimated gain
:class:`TallyDisplay`             the tally as a bar chart
:func:`save_tags`, :func:`load_tags`  the tag file (CSV), with clear errors on bad files
:class:`mlcourse.widgets.ErrorTagger`  tag a sample by hand, one example at a time
================================  ==========================================================

Tags are stored as one string per example, ``;``-joined (``"pharma;misspelled"``), with ``""``
meaning "looked at, none of the tags apply". A tag file is a CSV with the header ``example,tags``.
"""

from __future__ import annotations

import numbers
from collections import Counter

import numpy as np
import pandas as pd

from mlcourse._tags import (  # noqa: F401 (private helpers re-exported for mlcourse.widgets)
    TAG_FILE_HEADER,
    _as_tag_sets,
    _atomic_write,
    _format_tag_file,
    _join,
    load_tags,
    normalize_tag,
    parse_tags,
    save_tags,
)

__all__ = [
    "DEFAULT_TAGS",
    "EMAIL_FIELDS",
    "TallyDisplay",
    "load_tags",
    "normalize_tag",
    "parse_tags",
    "save_tags",
    "tally_tags",
]

#: The tags a learner starts with in lesson 2 (the groups of syllabus section 2, and a few more).
DEFAULT_TAGS = (
    "pharma",
    "misspelled",
    "unusual_routing",
    "phishing",
    "image",
    "prize",
    "watches",
    "mislabeled",
    "photo",
)
#: The fields of an email that a person reads to judge it.
EMAIL_FIELDS = ("subject", "sender", "received", "body")


def tally_tags(tags, *, n_errors: int | None = None, error_rate: float | None = None):
    """Count the tags, sort them by count, and give each tag's share of the errors.

    An example may carry several tags (an email can be pharma spam *and* misspelled), so each of
    its tags is counted once and the shares may add up to more than 100%. A tag's share
    estimates what fixing that group can remove from the errors: what a fix that repairs every
    error of the group, and changes nothing else, would remove. It is an estimate, not a cap:
    a real fix repairs only part of its group and also repairs or breaks other predictions.

    Parameters
    ----------
    tags : Series, list or DataFrame
        One entry per example looked at: a ``;``-joined string or a list of tags (``""`` for
        none), or a DataFrame with one boolean column per tag.
    n_errors : int, optional
        Number of errors the shares are relative to. Default: the number of entries in ``tags``
        (the examples looked at, tagged or not).
    error_rate : float, optional
        The model's error rate (errors / examples). When given, adds ``est_gain``: the share
        times the error rate, the accuracy that repairing every error of the group would add.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``tag``, largest ``count`` first (ties by name), with columns ``count`` and
        ``share``, and ``est_gain`` when ``error_rate`` is given.

    Examples
    --------
    >>> tally = tally_tags(["pharma;misspelled", "pharma", ""])
    >>> tally["count"].to_dict()
    {'pharma': 2, 'misspelled': 1}
    >>> tally["share"].round(2).to_dict()
    {'pharma': 0.67, 'misspelled': 0.33}
    """
    sets = _as_tag_sets(tags)
    if n_errors is None:
        n_errors = len(sets)
    if isinstance(n_errors, bool) or not isinstance(n_errors, numbers.Integral):
        raise TypeError(f"n_errors must be an int, got {type(n_errors).__name__}")
    if n_errors < len(sets) or n_errors < 1:
        raise ValueError(
            f"n_errors={n_errors} is smaller than the {len(sets)} examples tagged (or < 1)"
        )
    counts = Counter(t for s in sets for t in s)
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    table = pd.DataFrame(
        {"count": [c for _, c in items]},
        index=pd.Index([t for t, _ in items], name="tag", dtype=object),
    ).astype({"count": "int64"})
    table["share"] = table["count"] / n_errors
    if error_rate is not None:
        if isinstance(error_rate, bool) or not isinstance(error_rate, numbers.Real):
            raise TypeError(f"error_rate must be a number, got {type(error_rate).__name__}")
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError(f"error_rate must be between 0 and 1, got {error_rate}")
        table["est_gain"] = table["share"] * float(error_rate)
    return table


# --------------------------------------------------------------------------------------------
# Plot
# --------------------------------------------------------------------------------------------


class TallyDisplay:
    """Bar chart of a tag tally: one bar per tag, largest first, labelled with count and share.

    Create it with :meth:`from_tags` (from the tags) or from a table made by :func:`tally_tags`,
    then call :meth:`plot`. Follows scikit-learn's ``Display`` pattern: after plotting, the
    ``ax_`` and ``figure_`` attributes hold the matplotlib objects.

    Parameters
    ----------
    tally : DataFrame
        Output of :func:`tally_tags`.
    n_errors : int, optional
        Number of errors the shares refer to (shown in the title).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> disp = TallyDisplay.from_tags(["pharma;misspelled", "pharma", ""])
    >>> [t.get_text() for t in disp.ax_.get_yticklabels()]
    ['pharma', 'misspelled']
    """

    def __init__(self, tally: pd.DataFrame, *, n_errors: int | None = None):
        if not isinstance(tally, pd.DataFrame) or not {"count", "share"} <= set(tally.columns):
            raise TypeError("tally must be a DataFrame from tally_tags (columns count and share)")
        self.tally = tally
        self.n_errors = n_errors

    @classmethod
    def from_tags(cls, tags, *, n_errors: int | None = None, ax=None) -> TallyDisplay:
        """Tally ``tags`` (see :func:`tally_tags`) and plot the result."""
        n = len(_as_tag_sets(tags)) if n_errors is None else n_errors
        return cls(tally_tags(tags, n_errors=n), n_errors=n).plot(ax=ax)

    def plot(self, ax=None) -> TallyDisplay:
        """Draw the bars on ``ax`` (a new figure when omitted); return ``self``."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.4 * max(len(self.tally), 2) + 1))
        names = [str(t) for t in self.tally.index]
        shares = self.tally["share"].to_numpy(dtype=float)
        ypos = np.arange(len(names))
        bars = ax.barh(ypos, shares, color="#0072B2")  # Okabe-Ito blue (colour-blind safe)
        ax.set_yticks(ypos, names)
        ax.invert_yaxis()  # largest group on top
        labels = [f"{c} ({s:.0%})" for c, s in zip(self.tally["count"], shares, strict=True)]
        ax.bar_label(bars, labels=labels, padding=3)
        ax.set_xlim(0, max(0.1, float(shares.max()) * 1.3) if len(shares) else 1.0)
        ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0%}")
        ax.set_xlabel("share of the errors looked at (estimates what fixing the group gains)")
        ax.set_ylabel("tag")
        title = "Error tags"
        if self.n_errors is not None:
            title += f" ({self.n_errors} errors; one error may carry several tags)"
        ax.set_title(title)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
