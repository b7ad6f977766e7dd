"""Structural checks of a loaded model, before it answers any request.

A file can pass the type audit and still be dangerous: scikit-learn trusts a fitted estimator's
attributes. A ``CountVectorizer`` whose ``vocabulary_`` points past the classifier's
coefficients makes the sparse product read out of bounds, and the process dies with SIGSEGV on
the first request. So every estimator the server accepts (the types in
:data:`mlcourse.serving.registry.TRUSTED_TYPES`) has a check here, and a pipeline is checked
step by step: each step's output width must be the next step's ``n_features_in_``. A
``FixedThresholdClassifier`` may wrap the whole model: its decision threshold on P(classes[1])
becomes part of the :class:`Contract`, and the server's predictions follow it.

:func:`check_model` raises :class:`ModelCheckError` (a ``ValueError``) with the reason, or
returns the model's :class:`Contract`: what it takes as input, and its classes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["Contract", "ModelCheckError", "check_model"]

TEXT = "text"  # the "width" of raw text input
MAX_NGRAM = 10  # longer n-grams make every request slow; no course model needs them
MAX_TOKEN_PATTERN = 1000


class ModelCheckError(ValueError):
    """A model whose structure is inconsistent (it could crash or mislead the server)."""


@dataclass(frozen=True)
class Contract:
    """What a model takes and returns: the API its server offers."""

    kind: str  # "text" or "numeric"
    n_features: int | None
    classes: list | None
    threshold: float | None = None  # predict classes[1] when P(classes[1]) >= threshold


def _fail(where: str, message: str) -> None:
    raise ModelCheckError(f"{where}: {message}")


def _int(where: str, value: Any, low: int = 0) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral) or value < low:
        _fail(where, f"expected an integer >= {low}; got {value!r}")
    return int(value)


def _array(where: str, value: Any, shape: tuple, *, finite: bool = True) -> np.ndarray:
    """``value`` must be a numeric ndarray of ``shape`` (``None`` in ``shape``: any size)."""
    if not isinstance(value, np.ndarray):
        _fail(where, f"expected an array; got {type(value).__name__}")
    if value.dtype.kind not in "biuf":
        _fail(where, f"expected numbers; got dtype {value.dtype}")
    if value.ndim != len(shape) or any(
        s is not None and s != n for s, n in zip(shape, value.shape)
    ):
        expected = tuple("*" if s is None else s for s in shape)
        _fail(where, f"has shape {value.shape}; expected {expected}")
    if finite and value.dtype.kind == "f" and not np.isfinite(value).all():
        _fail(where, "holds NaN or infinite values")
    return value


def _classes(where: str, est: Any) -> list:
    classes = getattr(est, "classes_", None)
    if not isinstance(classes, np.ndarray) or classes.ndim != 1 or len(classes) < 1:
        _fail(f"{where}.classes_", "expected a 1-D array of at least one class")
    out = classes.tolist()
    for c in out:
        if isinstance(c, float) and not np.isfinite(c):
            _fail(f"{where}.classes_", "holds NaN or infinite values")
        if not isinstance(c, (str, int, float, bool)):
            _fail(f"{where}.classes_", f"holds {type(c).__name__}; expected str or numbers")
    if len(set(out)) != len(out):
        _fail(f"{where}.classes_", "holds the same class twice")
    return out


def _n_in(where: str, est: Any) -> int:
    return _int(f"{where}.n_features_in_", getattr(est, "n_features_in_", None), low=1)


# ---- one check per trusted estimator: each returns (input width, output width) -----------------


def _vectorizer(where: str, est: Any) -> tuple:
    params = est.get_params(deep=False)
    if params["input"] != "content":
        _fail(where, f"input={params['input']!r}: the server only accepts input='content'")
    for name in ("preprocessor", "tokenizer"):
        if params[name] is not None:
            _fail(where, f"{name} must be None")
    if params["analyzer"] not in ("word", "char", "char_wb"):
        _fail(where, f"analyzer={params['analyzer']!r} is not a known analyzer")
    if params["strip_accents"] not in (None, "ascii", "unicode"):
        _fail(where, f"strip_accents={params['strip_accents']!r} is not known")
    ngram = params["ngram_range"]
    if not (
        isinstance(ngram, tuple)
        and len(ngram) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in ngram)
        and 1 <= ngram[0] <= ngram[1] <= MAX_NGRAM
    ):
        _fail(where, f"ngram_range={ngram!r}; expected 1 <= min <= max <= {MAX_NGRAM}")
    pattern = params["token_pattern"]
    if pattern is not None:
        if not isinstance(pattern, str) or len(pattern) > MAX_TOKEN_PATTERN:
            _fail(where, "token_pattern must be a short string")
        try:
            re.compile(pattern)
        except re.error as exc:
            _fail(where, f"token_pattern does not compile ({exc})")
    if not isinstance(params["lowercase"], bool):
        _fail(where, "lowercase must be True or False")
    try:
        numeric = np.dtype(params["dtype"]).kind in "iuf"
    except TypeError:
        numeric = False
    if not numeric:
        _fail(where, f"dtype={params['dtype']!r} is not numeric")
    vocabulary = getattr(est, "vocabulary_", None)
    if not isinstance(vocabulary, dict) or not vocabulary:
        _fail(f"{where}.vocabulary_", "expected a non-empty dict of term -> column")
    n = len(vocabulary)
    seen = np.zeros(n, dtype=bool)
    for term, index in vocabulary.items():
        if not isinstance(term, str):
            _fail(f"{where}.vocabulary_", f"term {term!r} is not a string")
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, Integral):
            _fail(f"{where}.vocabulary_", f"column of {term!r} is not an integer")
        if not 0 <= index < n:
            _fail(
                f"{where}.vocabulary_",
                f"column {int(index)} of {term!r} is outside [0, {n}): the next step would "
                "read past its coefficients",
            )
        if seen[index]:
            _fail(f"{where}.vocabulary_", f"column {int(index)} is used twice")
        seen[index] = True
    if hasattr(est, "_tfidf"):  # TfidfVectorizer
        _tfidf_transformer(f"{where}._tfidf", est._tfidf, n_in=n)
    return TEXT, n


def _tfidf_transformer(where: str, est: Any, n_in: int | None = None) -> tuple:
    params = est.get_params(deep=False)
    if params["norm"] not in (None, "l1", "l2"):
        _fail(where, f"norm={params['norm']!r} is not known")
    if hasattr(est, "n_features_in_") or n_in is None:
        n = _n_in(where, est)
    else:
        n = n_in  # inside a TfidfVectorizer, older scikit-learn sets no n_features_in_
    if n_in is not None and n != n_in:
        _fail(where, f"n_features_in_ is {n}; the vocabulary has {n_in} terms")
    if params["use_idf"]:
        _array(f"{where}.idf_", getattr(est, "idf_", None), (n,))
    return n, n


def _scaler(where: str, est: Any) -> tuple:
    n = _n_in(where, est)
    if type(est).__name__ == "MaxAbsScaler":
        required, optional = ["scale_", "max_abs_"], []
    else:  # StandardScaler: mean_ is None with with_mean=False, scale_ with with_std=False
        required, optional = [], ["scale_", "mean_", "var_"]
    for name in required + optional:
        value = getattr(est, name, None)
        if value is not None or name in required:
            _array(f"{where}.{name}", value, (n,))
    return n, n


def _linear(where: str, est: Any) -> tuple:
    classes = _classes(where, est)
    n = _n_in(where, est)
    rows = 1 if len(classes) == 2 else len(classes)
    if len(classes) < 2:
        _fail(f"{where}.classes_", "a linear classifier needs at least two classes")
    _array(f"{where}.coef_", getattr(est, "coef_", None), (rows, n))
    _array(f"{where}.intercept_", getattr(est, "intercept_", None), (rows,))
    return n, None


def _naive_bayes(where: str, est: Any) -> tuple:
    k, n = len(_classes(where, est)), _n_in(where, est)
    _array(f"{where}.feature_log_prob_", getattr(est, "feature_log_prob_", None), (k, n))
    _array(f"{where}.class_log_prior_", getattr(est, "class_log_prior_", None), (k,))
    _array(f"{where}.feature_count_", getattr(est, "feature_count_", None), (k, n))
    _array(f"{where}.class_count_", getattr(est, "class_count_", None), (k,))
    if hasattr(est, "feature_all_"):  # ComplementNB
        _array(f"{where}.feature_all_", est.feature_all_, (n,))
    return n, None


def _dummy(where: str, est: Any) -> tuple:
    k = len(_classes(where, est))
    _array(f"{where}.class_prior_", getattr(est, "class_prior_", None), (k,))
    if _int(f"{where}.n_outputs_", getattr(est, "n_outputs_", None), low=1) != 1:
        _fail(where, "only single-output models are served")
    n = getattr(est, "n_features_in_", None)
    return (None if n is None else _n_in(where, est)), None


def _pipeline(where: str, est: Any) -> tuple:
    steps = est.steps
    if not isinstance(steps, list) or not steps:
        _fail(where, "steps must be a non-empty list")
    width_in = width = None
    first = True
    for i, step in enumerate(steps):
        if not (isinstance(step, tuple) and len(step) == 2 and isinstance(step[0], str)):
            _fail(f"{where}.steps[{i}]", "expected a (name, estimator) pair")
        name, sub = step
        if sub is None or (isinstance(sub, str) and sub == "passthrough"):
            continue
        step_in, step_out = _check(f"{where}[{name!r}]", sub)
        if first:
            width_in, first = step_in, False
        elif step_in is not None and width is not None and step_in != width:
            _fail(
                f"{where}[{name!r}]",
                f"takes {_width(step_in)} but the previous step gives {_width(width)}",
            )
        if i < len(steps) - 1 and step_out is None:
            _fail(f"{where}[{name!r}]", "only the last step may be a classifier")
        width = step_out
    if not hasattr(steps[-1][1], "predict"):
        _fail(where, "the last step must be a classifier")
    return width_in, None


def _feature_union(where: str, est: Any) -> tuple:
    parts = est.transformer_list
    if not isinstance(parts, list) or not parts:
        _fail(where, "transformer_list must be a non-empty list")
    weights = est.transformer_weights
    if weights is not None and (
        not isinstance(weights, dict)
        or not all(isinstance(w, Real) and np.isfinite(w) for w in weights.values())
    ):
        _fail(where, "transformer_weights must map names to finite numbers")
    width_in, total = None, 0
    for i, part in enumerate(parts):
        if not (isinstance(part, tuple) and len(part) == 2 and isinstance(part[0], str)):
            _fail(f"{where}.transformer_list[{i}]", "expected a (name, transformer) pair")
        step_in, step_out = _check(f"{where}[{part[0]!r}]", part[1])
        if step_out is None:
            _fail(f"{where}[{part[0]!r}]", "a classifier cannot be a union part")
        if width_in is not None and step_in != width_in:
            _fail(where, f"parts take different inputs ({_width(width_in)}, {_width(step_in)})")
        width_in, total = step_in, total + step_out
    return width_in, total


def _fixed_threshold(where: str, est: Any) -> tuple:
    if where != "model":
        _fail(where, "a FixedThresholdClassifier must wrap the whole model, not be part of it")
    params = est.get_params(deep=False)
    if params["response_method"] not in ("auto", "predict_proba"):
        _fail(
            where,
            f"response_method={params['response_method']!r}: the server thresholds "
            "probabilities; use 'predict_proba'",
        )
    inner = vars(est).get("estimator_", params["estimator"])
    width_in, width_out = _check(f"{where}.estimator", inner)
    if width_out is not None or not hasattr(inner, "predict_proba"):
        _fail(f"{where}.estimator", "must be a classifier with predict_proba")
    classes = _classes(f"{where}.estimator", inner)
    if len(classes) != 2:
        _fail(where, f"a decision threshold needs two classes; the model has {len(classes)}")
    pos_label = params["pos_label"]
    if pos_label is not None and not (
        isinstance(pos_label, (str, int, float, bool, np.generic)) and pos_label == classes[1]
    ):
        _fail(
            where,
            f"pos_label={pos_label!r}: the server reports P({classes[1]!r}) and thresholds it; "
            "leave pos_label=None",
        )
    _threshold(where, params["threshold"])
    return width_in, None


def _threshold(where: str, value: Any) -> float:
    """The decision threshold on P(classes[1]): ``"auto"`` is 0.5 for probabilities."""
    if isinstance(value, str) and value == "auto":
        return 0.5
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        _fail(f"{where}.threshold", f"expected a number in [0, 1] or 'auto'; got {value!r}")
    if not (np.isfinite(value) and 0 <= value <= 1):
        _fail(f"{where}.threshold", f"a probability threshold must be in [0, 1]; got {value!r}")
    return float(value)


CHECKS = {
    "CountVectorizer": _vectorizer,
    "TfidfVectorizer": _vectorizer,
    "TfidfTransformer": _tfidf_transformer,
    "StandardScaler": _scaler,
    "MaxAbsScaler": _scaler,
    "LogisticRegression": _linear,
    "SGDClassifier": _linear,
    "MultinomialNB": _naive_bayes,
    "ComplementNB": _naive_bayes,
    "DummyClassifier": _dummy,
    "Pipeline": _pipeline,
    "FeatureUnion": _feature_union,
    "FixedThresholdClassifier": _fixed_threshold,
}


def _width(width: Any) -> str:
    return "raw text" if width == TEXT else f"{width} features"


def _check(where: str, est: Any) -> tuple:
    name = type(est).__name__
    check = CHECKS.get(name)
    if check is None or not type(est).__module__.startswith("sklearn."):
        _fail(where, f"no structural check for {type(est).__module__}.{name}; it is not served")
    _sparse_attributes(where, est)
    return check(where, est)


def _sparse_attributes(where: str, est: Any) -> None:
    """A sparse matrix among the fitted attributes must have in-bounds indices."""
    for name, value in vars(est).items():
        if sp.issparse(value):
            try:
                value.check_format(full_check=True)
            except ValueError as exc:
                _fail(f"{where}.{name}", f"is an inconsistent sparse matrix ({exc})")


def check_model(model: Any) -> Contract:
    """Check ``model``'s structure; return its :class:`Contract` or raise :class:`ModelCheckError`.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import CountVectorizer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> model = make_pipeline(CountVectorizer(), LogisticRegression())
    >>> model = model.fit(["cheap pills", "lunch on friday"], [1, 0])
    >>> check_model(model)
    Contract(kind='text', n_features=None, classes=[0, 1], threshold=None)
    >>> model[0].vocabulary_["cheap"] = 99
    >>> check_model(model)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mlcourse.serving.checks.ModelCheckError: model['countvectorizer'].vocabulary_: column 99 ...
    """
    width_in, width_out = _check("model", model)
    if width_out is not None or not hasattr(model, "predict"):
        _fail("model", "the model must end with a classifier")
    classes = _classes("model", model)
    threshold = None
    if type(model).__name__ == "FixedThresholdClassifier":
        threshold = _threshold("model", model.get_params(deep=False)["threshold"])
    if width_in == TEXT or width_in is None:  # None: a DummyClassifier takes anything
        return Contract("text", None, classes, threshold)
    return Contract("numeric", width_in, classes, threshold)
