"""Tags of error analysis as strings and sets, and the tag file (CSV) they are saved in.

Private to :mod:`mlcourse.errors`, which re-exports the public names. Tags are stored as one
string per example, ``;``-joined (``"pharma;misspelled"``), with ``""`` meaning "looked at,
none of the tags apply". A tag file is a CSV with the header ``example,tags``.
"""

from __future__ import annotations

import csv
import io
import numbers
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["load_tags", "normalize_tag", "parse_tags", "save_tags"]

TAG_FILE_HEADER = ("example", "tags")
_TAG_RE = re.compile(r"\w+")


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
