"""mlcourse.results: what a lesson saves is what the claims tests read back."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlcourse.results import load_results, save_results


def roundtrip(tmp_path, **results):
    path = save_results(tmp_path / "sub" / "results.json", **results)
    assert path is not None and path.is_file()
    return load_results(path)


def test_dataframes_keep_index_columns_names_and_dtypes(tmp_path):
    frame = pd.DataFrame(
        {
            "CV error": [0.05, 0.04, float("nan")],
            "n": np.array([3000, 9000, 9000], dtype="int64"),
            "high bias": [False, True, False],
            "diagnosis": ["high variance", "high bias", "ok"],
        },
        index=pd.Index([1, 2, 3], name="turn"),
    )
    frame.columns.name = "measure"
    back = roundtrip(tmp_path, turns=frame)["turns"]
    pd.testing.assert_frame_equal(back, frame)


def test_multiindex_rows_and_columns(tmp_path):
    rows = pd.MultiIndex.from_product([[25, 500], [0, 1]], names=["size", "seed"])
    cols = pd.MultiIndex.from_tuples([("acc", "option 1"), ("acc", "option 2")])
    frame = pd.DataFrame(np.arange(8.0).reshape(4, 2), index=rows, columns=cols)
    pd.testing.assert_frame_equal(roundtrip(tmp_path, curve=frame)["curve"], frame)


def test_series_and_nested_values(tmp_path):
    series = pd.Series({"pretrained": 0.41, "random init": -0.01}, name="correlation")
    results = {
        "series": series,
        "nested": {"acc": {"week 1": np.float64(0.99)}, "counts": [np.int64(3), 4]},
        "by_seed": {0: "a", 1: "b"},  # non-string keys survive
        "array": np.array([[1, 2], [3, 4]], dtype="int32"),
        "inf": float("inf"),
        "flag": np.bool_(True),
    }
    back = roundtrip(tmp_path, **results)
    pd.testing.assert_series_equal(back["series"], series)
    assert back["nested"] == {"acc": {"week 1": 0.99}, "counts": [3, 4]}
    assert back["by_seed"] == {0: "a", 1: "b"}
    np.testing.assert_array_equal(back["array"], results["array"])
    assert back["array"].dtype == np.int32
    assert back["inf"] == float("inf") and back["flag"] is True


def test_the_file_is_strict_json(tmp_path):
    path = save_results(tmp_path / "r.json", x=float("nan"))
    document = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"bare {c}"))
    assert document["format"] == "mlcourse-results"


def test_none_path_writes_nothing(tmp_path):
    assert save_results(None, x=1) is None
    assert list(tmp_path.iterdir()) == []


def test_bad_input_is_explained(tmp_path):
    with pytest.raises(TypeError, match="result 'model' holds a object"):
        save_results(tmp_path / "r.json", model=object())
    with pytest.raises(ValueError, match="at least one named result"):
        save_results(tmp_path / "r.json")
    (tmp_path / "other.json").write_text('{"a": 1}')
    with pytest.raises(ValueError, match="not a results file"):
        load_results(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_results(tmp_path / "broken.json")
