"""Error analysis: collect a model's cross-validation mistakes, sample, tag and tally them.

The workflow of lesson 2, in the order a learner meets it:

================================  ==========================================================
:func:`misclassified`             the misclassified cross-validation examples, with the fields
                                  a person needs to judge them and the model's score
:func:`sample_errors`             a seeded random sample of a manageable size (say 100)
:class:`mlcourse.widgets.ErrorTagger`  tag the sample by hand, one example at a time
:func:`simulate_human_tags`       STAND-IN for the human, for automated runs only
:func:`tally_tags`                count overlapping tags, sort, share of errors (an estimate)
:class:`TallyDisplay`             the tally as a bar chart
:func:`save_tags`, :func:`load_tags`  the tag file (CSV), with clear errors on bad files
================================  ==========================================================

Tags are stored as one string per example, ``;``-joined (``"pharma;misspelled"``), with ``""``
meaning "looked at, none of the tags apply". A tag file is a CSV with the header ``example,tags``.
"""

from __future__ import annotations

import csv
import io
import numbers
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.model_selection import StratifiedKFold, cross_val_predict

__all__ = [
    "DEFAULT_TAGS",
    "EMAIL_FIELDS",
    "TallyDisplay",
    "load_tags",
    "misclassified",
    "normalize_tag",
    "parse_tags",
    "sample_errors",
    "save_tags",
    "simulate_human_tags",
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
)
#: The fields of an email that a person reads to judge it.
EMAIL_FIELDS = ("subject", "sender", "received", "body")

TAG_FILE_HEADER = ("example", "tags")
_TAG_RE = re.compile(r"\w+")


# --------------------------------------------------------------------------------------------
# Collecting and sampling the errors
# --------------------------------------------------------------------------------------------


def misclassified(
    estimator,
    X,
    y,
    *,
    details: pd.DataFrame | None = None,
    cv=5,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Return the examples that ``estimator`` gets wrong under cross-validation.

    Every example is predicted by a copy of ``estimator`` that did not see it in training
    (:func:`sklearn.model_selection.cross_val_predict`), so these are the errors the model would
    make on new data, not the ones it memorised. ``estimator`` may be fitted or not; it is cloned.

    Parameters
    ----------
    estimator : classifier
        A scikit-learn classifier (or pipeline ending in one).
    X : array-like, Series or DataFrame
        What ``estimator`` is trained on, for example ``email_text(emails)``.
    y : array-like or Series
        The labels. When ``y`` is a Series its index names the examples; otherwise they are
        numbered ``0 .. n-1``.
    details : DataFrame, optional
        What a person reads to judge an example, aligned row by row with ``y`` (for emails:
        ``emails[["subject", "sender", "received", "body"]]``). When omitted and ``X`` is a
        DataFrame, ``X`` is shown.
    cv : int or cross-validation splitter, default=5
        An int means that many stratified, shuffled folds seeded by ``random_state``.
    random_state : int or None, default=0
        Seed of the folds when ``cv`` is an int.

    Returns
    -------
    pandas.DataFrame
        One row per misclassified example, indexed like ``y``: the ``details`` columns, then
        ``true`` and ``pred`` (labels) and ``score``: the predicted probability of the positive
        class (the second of the sorted labels) for binary tasks, else of the predicted class.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import pandas as pd
    >>> X = pd.DataFrame({"x": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]})
    >>> y = pd.Series([0, 0, 0, 0, 1, 0, 1, 1, 1, 1])
    >>> errors = misclassified(LogisticRegression(), X, y, cv=2)
    >>> list(errors.columns)
    ['x', 'true', 'pred', 'score']
    """
    if not is_classifier(estimator):
        raise TypeError(
            f"estimator must be a scikit-learn classifier, got {type(estimator).__name__}"
        )
    y_series = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
    if y_series.ndim != 1:
        raise ValueError("y must be one-dimensional")
    n = len(y_series)
    if len(X) != n:
        raise ValueError(f"X has {len(X)} rows but y has {n}")
    if details is None and isinstance(X, pd.DataFrame):
        details = X
    if details is not None:
        if not isinstance(details, pd.DataFrame):
            raise TypeError(f"details must be a pandas DataFrame, got {type(details).__name__}")
        if len(details) != n:
            raise ValueError(f"details has {len(details)} rows but y has {n}")
        clash = {"true", "pred", "score"} & set(details.columns)
        if clash:
            raise ValueError(f"details may not have the column(s) {sorted(clash)}")
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        cv = StratifiedKFold(n_splits=int(cv), shuffle=True, random_state=random_state)

    classes = np.unique(y_series.to_numpy())
    if len(classes) < 2:
        raise ValueError("y must contain at least two classes")
    model = clone(estimator)
    if hasattr(model, "predict_proba"):
        proba = cross_val_predict(model, X, y_series, cv=cv, method="predict_proba")
        pred = classes[proba.argmax(axis=1)]
        score = proba[:, 1] if len(classes) == 2 else proba.max(axis=1)
    else:
        pred = cross_val_predict(model, X, y_series, cv=cv)
        score = np.full(n, np.nan)
    wrong = np.flatnonzero(pred != y_series.to_numpy())

    out = (
        details.iloc[wrong].copy()
        if details is not None
        else pd.DataFrame(index=y_series.index[wrong])
    )
    out.index = y_series.index[wrong]
    out["true"] = y_series.to_numpy()[wrong]
    out["pred"] = pred[wrong]
    out["score"] = score[wrong]
    return out


def sample_errors(errors: pd.DataFrame, n: int = 100, *, random_state: int | None = 0):
    """Draw a seeded random sample of ``n`` errors to look at by hand (all of them if fewer).

    You do not have infinite time: reading 100 errors tells you which groups are big, and a
    random sample keeps the counts representative of all the errors.

    Parameters
    ----------
    errors : DataFrame
        Output of :func:`misclassified`.
    n : int, default=100
        Sample size.
    random_state : int or None, default=0
        Seed. The same seed gives the same sample.

    Returns
    -------
    pandas.DataFrame
        ``min(n, len(errors))`` rows of ``errors`` in random order, with their original index.

    Examples
    --------
    >>> import pandas as pd
    >>> errors = pd.DataFrame({"true": [0, 1, 0, 1]}, index=[10, 11, 12, 13])
    >>> len(sample_errors(errors, n=2))
    2
    """
    if not isinstance(errors, pd.DataFrame):
        raise TypeError(f"errors must be a pandas DataFrame, got {type(errors).__name__}")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return errors.sample(n=min(int(n), len(errors)), random_state=random_state)


# --------------------------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------------------------


def normalize_tag(name: str) -> str:
    """Return ``name`` as a tag: lower case, spaces and hyphens as underscores.

    Examples
    --------
    >>> normalize_tag(" Fake Invoice ")
    'fake_invoice'
    """
    if not isinstance(name, str):
        raise TypeError(f"a tag must be a string, got {type(name).__name__}")
    tag = re.sub(r"[\s\-]+", "_", name.strip().lower())
    if not _TAG_RE.fullmatch(tag):
        raise ValueError(
            f"{name!r} is not a valid tag: use letters, digits and underscores "
            "(spaces become underscores), for example 'fake_invoice'"
        )
    return tag


def parse_tags(value) -> frozenset[str]:
    """Return the set of tags in ``value``: a ``;``-joined string or an iterable of strings.

    ``""``, ``None`` and NaN mean no tags.

    Examples
    --------
    >>> sorted(parse_tags("pharma;misspelled"))
    ['misspelled', 'pharma']
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return frozenset()
    if isinstance(value, str):
        parts = value.split(";")
    elif isinstance(value, Iterable):
        parts = list(value)
    else:
        raise TypeError(f"tags must be a ';'-joined string or a list of strings, got {value!r}")
    return frozenset(normalize_tag(p) for p in parts if not (isinstance(p, str) and not p.strip()))


def _join(tags: Iterable[str]) -> str:
    return ";".join(sorted(tags))


def _as_tag_sets(tags) -> list[frozenset[str]]:
    if isinstance(tags, pd.DataFrame):
        if not all(pd.api.types.is_bool_dtype(t) for t in tags.dtypes):
            raise TypeError("a DataFrame of tags must have one boolean column per tag")
        names = [normalize_tag(str(c)) for c in tags.columns]
        values = tags.to_numpy()
        return [frozenset(n for n, v in zip(names, row, strict=True) if v) for row in values]
    if isinstance(tags, (str, bytes)) or not isinstance(tags, Iterable):
        raise TypeError(
            "tags must be a Series or list with one entry per example "
            f"(a ';'-joined string or a list of tags), got {type(tags).__name__}"
        )
    return [parse_tags(v) for v in tags]


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


def simulate_human_tags(sample: pd.DataFrame, emails: pd.DataFrame, *, vocabulary=None):
    """STAND-IN FOR A HUMAN, for automated runs only: tag ``sample`` from hidden ground truth.

    In class *you* tag the errors by reading them (with :class:`mlcourse.widgets.ErrorTagger`).
    The notebooks' automated runs cannot, so this returns what a careful, consistent person
    would have produced: each email's hidden ``traits`` column, which the synthetic generator
    records when it writes the email and which a model never sees. A real person is slower and
    less consistent, and may invent tags of their own.

    Parameters
    ----------
    sample : DataFrame
        Output of :func:`sample_errors`, indexed like ``emails``.
    emails : DataFrame
        The corpus the errors come from, with a ``traits`` column
        (:func:`mlcourse.data.make_spam_emails`).
    vocabulary : iterable of str, optional
        Keep only these tags (a person using a fixed list of toggles). Default: all traits.

    Returns
    -------
    pandas.Series
        Named ``tags``, indexed like ``sample``: ``;``-joined tags, ``""`` when none apply.

    Examples
    --------
    >>> import pandas as pd
    >>> emails = pd.DataFrame({"traits": ["pharma;misspelled", "", "image"]})
    >>> simulate_human_tags(emails.iloc[[2, 0]], emails).tolist()
    ['image', 'misspelled;pharma']
    """
    if not isinstance(sample, pd.DataFrame) or not isinstance(emails, pd.DataFrame):
        raise TypeError("sample and emails must be pandas DataFrames")
    if "traits" not in emails.columns:
        raise ValueError(
            "emails has no 'traits' column: the stand-in needs the generator's hidden traits "
            "(mlcourse.data.make_spam_emails); with real data, tag the errors by hand"
        )
    missing = sample.index.difference(emails.index)
    if len(missing):
        raise ValueError(
            f"{len(missing)} example(s) of sample are not in emails (for example "
            f"{missing[0]!r}); pass the corpus the errors were collected from"
        )
    keep = None if vocabulary is None else {normalize_tag(t) for t in vocabulary}
    out = []
    for value in emails.loc[sample.index, "traits"]:
        found = parse_tags(value)
        out.append(_join(found if keep is None else found & keep))
    return pd.Series(out, index=sample.index, name="tags", dtype=object)


# --------------------------------------------------------------------------------------------
# The tag file
# --------------------------------------------------------------------------------------------


def _format_tag_file(tags: Mapping) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TAG_FILE_HEADER)
    for example, value in tags.items():
        writer.writerow([example, _join(parse_tags(value))])
    return buf.getvalue()


def _atomic_write(path: Path, text: str) -> None:
    # Write next to the target and rename, so a crash mid-write never leaves half a file.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _as_tag_mapping(tags) -> dict:
    if isinstance(tags, pd.Series):
        if tags.index.has_duplicates:
            raise ValueError("tags has duplicate example ids")
        return dict(tags.items())
    if isinstance(tags, Mapping):
        return dict(tags)
    raise TypeError(
        f"tags must be a pandas Series (or dict) indexed by example id, got {type(tags).__name__}"
    )


def save_tags(tags, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Save tags to a CSV file with the header ``example,tags``.

    Never overwrites silently: an existing file is replaced only with ``overwrite=True``. The
    file is written to a temporary file first and then renamed, so it is never left half-written.

    Parameters
    ----------
    tags : Series or dict
        Indexed (keyed) by example id; values are ``;``-joined strings or lists of tags.
    path : str or path-like
        Where to write.
    overwrite : bool, default=False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tags.csv"
    >>> _ = save_tags(pd.Series({3: "pharma;misspelled", 8: ""}), path)
    >>> print(path.read_text())
    example,tags
    3,misspelled;pharma
    8,
    <BLANKLINE>
    """
    mapping = _as_tag_mapping(tags)
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"{path} already exists and was left unchanged. Load it with load_tags() to continue "
            "from it, choose another file name, or pass overwrite=True to replace it."
        )
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give a file name such as error_tags.csv")
    for example in mapping:
        if not isinstance(example, (numbers.Integral, str)) or isinstance(example, bool):
            raise TypeError(f"example ids must be ints or strings, got {example!r}")
        if isinstance(example, str) and (not example.strip() or "\n" in example):
            raise ValueError(f"example id {example!r} is empty or spans several lines")
    _atomic_write(path, _format_tag_file(mapping))
    return path


def load_tags(path: str | os.PathLike) -> pd.Series:
    """Load a tag file written by :func:`save_tags` or the tagging widget.

    Parameters
    ----------
    path : str or path-like
        A CSV with the header ``example,tags``.

    Returns
    -------
    pandas.Series
        Named ``tags``, indexed by example id (ints when every id is an integer), in file order.

    Raises
    ------
    ValueError
        When the file is not a tag file (another CSV, a binary file) or is damaged (bad rows,
        duplicate ids, invalid tags), with the line at fault.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tags.csv"
    >>> _ = save_tags(pd.Series({3: "pharma"}), path)
    >>> load_tags(path).to_dict()
    {3: 'pharma'}
    """
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(
            f"{path} is not a text file, so not a tag file; was it overwritten by something "
            "else? Choose another path or restore it."
        ) from None
    if "\x00" in text:
        raise ValueError(f"{path} contains binary data, so it is not a tag file")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise ValueError(
            f"{path} is empty, so it is not a tag file (expected the header line "
            "'example,tags'). Delete it or choose another path."
        )
    header = tuple(c.strip().lower() for c in rows[0])
    if header != TAG_FILE_HEADER:
        raise ValueError(
            f"{path} is not a tag file: its first line is {','.join(rows[0])!r} but a tag file "
            "starts with 'example,tags'. It may be another CSV; it was left unchanged."
        )
    ids: list[str] = []
    values: list[str] = []
    seen: set[str] = set()
    for lineno, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != 2:
            raise ValueError(
                f"{path}, line {lineno}: expected 2 fields (example,tags), found {len(row)}: "
                f"{row!r}. The file is damaged; fix or delete that line."
            )
        example = row[0].strip()
        if not example:
            raise ValueError(f"{path}, line {lineno}: the example id is empty")
        if example in seen:
            raise ValueError(f"{path}, line {lineno}: example {example!r} appears twice")
        seen.add(example)
        try:
            tags = parse_tags(row[1])
        except ValueError as exc:
            raise ValueError(f"{path}, line {lineno}: {exc}") from None
        ids.append(example)
        values.append(_join(tags))
    if ids and all(re.fullmatch(r"-?\d+", i) for i in ids):
        index = pd.Index([int(i) for i in ids], name="example")
    else:
        index = pd.Index(ids, name="example", dtype=object)
    return pd.Series(values, index=index, name="tags", dtype=object)


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
        bars = ax.barh(ypos, shares, color="tab:blue")
        ax.set_yticks(ypos, names)
        ax.invert_yaxis()  # largest group on top
        labels = [f"{c} ({s:.0%})" for c, s in zip(self.tally["count"], shares, strict=True)]
        ax.bar_label(bars, labels=labels, padding=3)
        ax.set_xlim(0, max(0.1, float(shares.max()) * 1.3) if len(shares) else 1.0)
        ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0%}")
        ax.set_xlabel("share of the errors looked at (estimates what fixing the group gains)")
        title = "Error tags"
        if self.n_errors is not None:
            title += f" ({self.n_errors} errors; one error may carry several tags)"
        ax.set_title(title)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
