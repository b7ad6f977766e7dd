"""Save a lesson's results to JSON and read them back, DataFrames included.

Each lesson notebook ends with one call: ``save_results(RESULTS_PATH, turns=turns, ...)``. When a
learner runs the notebook, ``RESULTS_PATH`` is ``None`` and nothing happens. The course's tests
run the notebook for several seeds (with papermill, which sets ``RESULTS_PATH``) and check the
lesson's claims on what it saved, so every number the lesson states is checked on the code the
learner reads.

What round-trips exactly: ``dict`` (any JSON-able keys; non-string keys are kept), ``list``,
``str``, ``int``, ``float`` (NaN and infinities too), ``bool``, ``None``, NumPy scalars and arrays,
and pandas ``Series`` and ``DataFrame`` with their index, column labels, index and column names
(``MultiIndex`` too) and column dtypes. Tuples come back as lists. Anything else raises
``TypeError`` naming the result that holds it.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["save_results", "load_results"]

FORMAT = "mlcourse-results"
VERSION = 1


def _labels(index: pd.Index) -> dict:
    values = [list(v) if isinstance(v, tuple) else v for v in index.tolist()]
    return {
        "values": [_encode(v, "an index label") for v in values],
        "names": [_encode(n, "an index name") for n in index.names],
        "multi": isinstance(index, pd.MultiIndex),
        "dtype": str(index.dtype),
    }


def _index(spec: dict) -> pd.Index:
    values = [_decode(v) for v in spec["values"]]
    names = [_decode(n) for n in spec["names"]]
    if spec["multi"]:
        if not values:
            return pd.MultiIndex.from_arrays([[] for _ in names], names=names)
        return pd.MultiIndex.from_tuples([tuple(v) for v in values], names=names)
    index = pd.Index(values, name=names[0], tupleize_cols=False)
    return _astype(index, spec["dtype"])


def _astype(obj, dtype: str):
    if dtype == "object" or str(obj.dtype) == dtype:
        return obj
    try:
        return obj.astype(dtype)
    except (TypeError, ValueError):  # a dtype this pandas does not know: keep what JSON gave
        return obj


def _encode(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v, where) for k, v in value.items()}
        return {"__items__": [[_encode(k, where), _encode(v, where)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_encode(v, where) for v in value]
    if isinstance(value, np.ndarray):
        return {
            "__ndarray__": [_encode(v, where) for v in value.tolist()],
            "dtype": str(value.dtype),
        }
    if isinstance(value, pd.DataFrame):
        return {
            "__dataframe__": {
                "index": _labels(value.index),
                "columns": _labels(value.columns),
                "data": [_encode(value.iloc[:, i].tolist(), where) for i in range(value.shape[1])],
                "dtypes": [str(d) for d in value.dtypes],
            }
        }
    if isinstance(value, pd.Series):
        return {
            "__series__": {
                "index": _labels(value.index),
                "name": _encode(value.name, where),
                "data": _encode(value.tolist(), where),
                "dtype": str(value.dtype),
            }
        }
    raise TypeError(
        f"{where} holds a {type(value).__name__}, which save_results cannot store; convert it to "
        "a number, string, list, dict, NumPy array or pandas DataFrame/Series first"
    )


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__float__" in value:
        return float(value["__float__"])
    if "__items__" in value:
        return {_hashable(_decode(k)): _decode(v) for k, v in value["__items__"]}
    if "__ndarray__" in value:
        return np.array(_decode(value["__ndarray__"]), dtype=value["dtype"])
    if "__dataframe__" in value:
        spec = value["__dataframe__"]
        columns = _index(spec["columns"])
        data = {i: _decode(col) for i, col in enumerate(spec["data"])}
        frame = pd.DataFrame(data, index=_index(spec["index"]))
        for i, dtype in enumerate(spec["dtypes"]):
            frame[i] = _astype(frame[i], dtype)
        frame.columns = columns
        return frame
    if "__series__" in value:
        spec = value["__series__"]
        series = pd.Series(_decode(spec["data"]), index=_index(spec["index"]), dtype=object)
        series.name = _hashable(_decode(spec["name"]))
        return _astype(series.infer_objects(), spec["dtype"])
    return {k: _decode(v) for k, v in value.items()}


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


def save_results(path: str | os.PathLike | None, **results: Any) -> Path | None:
    """Write a lesson's named results to ``path`` as JSON; do nothing when ``path`` is None.

    Parameters
    ----------
    path : str, path-like or None
        Where to write. ``None`` (a learner's run) writes nothing.
    **results
        The lesson's results by name: dicts, numbers, strings, lists, NumPy arrays, pandas
        Series and DataFrames (see the module docstring for what round-trips).

    Returns
    -------
    pathlib.Path or None
        The file written, or None.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "results.json")
    >>> turns = pd.DataFrame({"CV error": [0.05, 0.04]}, index=pd.Index([1, 2], name="turn"))
    >>> save_results(path, turns=turns, gains={"big": 0.04}).name
    'results.json'
    >>> back = load_results(path)
    >>> back["turns"].equals(turns), back["gains"]
    (True, {'big': 0.04})
    >>> save_results(None, turns=turns) is None  # a learner's run: nothing written
    True
    """
    if path is None:
        return None
    if not results:
        raise ValueError("save_results needs at least one named result, e.g. turns=turns")
    encoded = {name: _encode(value, f"result {name!r}") for name, value in results.items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"format": FORMAT, "version": VERSION, "results": encoded}, allow_nan=False)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # never leave a half-written file behind
    return path


def load_results(path: str | os.PathLike) -> dict[str, Any]:
    """Read results written by :func:`save_results` into a dict of name -> value.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "r.json")
    >>> _ = save_results(path, accuracy={"week 1": 0.99, "week 2": 0.93})
    >>> load_results(path)["accuracy"]["week 2"]
    0.93
    """
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not a results file (not valid JSON: {err})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path} is not a results file written by mlcourse.results.save_results")
    if document.get("version") != VERSION:
        raise ValueError(
            f"{path} has results format version {document.get('version')!r}; "
            f"this mlcourse reads version {VERSION}"
        )
    return {name: _decode(value) for name, value in document["results"].items()}
