r"""A faster ``transform`` for scikit-learn's ``CountVectorizer``, for the inference server.

It gives the same matrix as ``CountVectorizer.transform``, bit for bit.

Why: ``CountVectorizer.transform`` finds tokens with a regular expression and counts them in a
Python loop, one dictionary look-up per token. On lesson 5's emails (about 680 characters and
110 tokens each) that is about 98% of the pipeline's ``predict_proba`` time, and it caps one
server worker near 20,000 emails per second.

How, for the configuration the course uses (see :func:`fast_transformer` for the exact list):

- **ASCII documents** (``str.isascii`` is free in CPython): one ``bytes.translate`` maps every
  byte that is not a word character (``[0-9A-Za-z_]``) to a space and, with ``lowercase=True``,
  upper case to lower case. ``bytes.split()`` then yields the maximal runs of word characters,
  which is exactly what the default token pattern ``(?u)\b\w\w+\b`` matches, except runs of one
  character, which the pattern skips; the look-up table never contains those, so they are not
  counted either.
- **Other documents** go through the vectoriser's own analyser, so Unicode rules stay
  scikit-learn's.
- Token ids come from ``dict.get`` mapped in C, and numpy builds the sparse matrix.

Anything else (n-grams, character analysers, a custom tokenizer, preprocessor or token pattern,
a subclass, inputs that are not strings) is not accelerated: :func:`fast_transformer` returns
``None`` and the server calls scikit-learn as it is. The server also compares both paths on a
probe set whenever it loads a model, and keeps scikit-learn's path if they differ.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["FastCountTransform", "fast_pipeline", "fast_transformer", "probe_texts", "same_output"]

DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"

#: Texts the server runs through both paths when it loads a model (see :func:`probe_texts`).
PROBE_TEXTS: tuple[str, ...] = (
    "",
    "warm-up",
    "Subject: WIN a FREE prize!!! Click http://example.com/claim?id=42_x now",
    "snake_case, CamelCase, UPPER, a b c 1 22 333 _ __ x_ 4u",
    "tabs\tand\nnew\r\nlines\x0bvertical\x0cfeed\x00nul\x7fdel",
    "Ünïcödé naïve café ÉTÉ straße ﬁne ǅemal İstanbul ΣΊΣΥΦΟΣ",
    "mixed ascii and ünïcode: résumé_v2 café123 日本語のメール ١٢٣ x²",
    "emoji 🎉 party 🎉🎉 and zero\u200bwidth and nbsp\u00a0space",
    "punctuation-only: !!! ??? ... --- ''' \"\"\" ((( )))",
)


def _ascii_table(lowercase: bool) -> bytes:
    word = re.compile(r"\w")
    table = bytearray(b" " * 256)
    for b in range(128):
        c = chr(b)
        if word.fullmatch(c):
            table[b] = ord(c.lower()) if lowercase else b
    return bytes(table)


class FastCountTransform:
    """The same output as ``vectorizer.transform(docs)``, faster. Build it with
    :func:`fast_transformer`, which checks that the vectoriser qualifies."""

    def __init__(self, vectorizer: Any):
        self.vectorizer = vectorizer
        self._analyze = vectorizer.build_analyzer()
        self._table = _ascii_table(bool(vectorizer.lowercase))
        stop = vectorizer.get_stop_words() or frozenset()
        # the analyser never yields a one-character token or a stop word: leave them out, so a
        # user-given vocabulary holding one cannot be counted here either
        lookup = {
            str(k): int(v)
            for k, v in vectorizer.vocabulary_.items()
            if len(k) >= 2 and k not in stop
        }
        # keyed by UTF-8 bytes: ASCII documents give bytes tokens, the analyser's str tokens are
        # encoded. (Not both kinds in one dict: "ab" and b"ab" hash alike and collide.)
        self._lookup = {k.encode("utf-8", "surrogatepass"): v for k, v in lookup.items()}.get
        self.n_features = len(vectorizer.vocabulary_)
        self._binary = bool(vectorizer.binary)
        self._dtype = vectorizer.dtype

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        """Token counts of ``docs`` (a list of str) as a CSR matrix with sorted indices."""
        if isinstance(docs, str) or not all(isinstance(d, str) for d in docs):
            return self.vectorizer.transform(docs)  # scikit-learn's own error or handling
        table, analyze = self._table, self._analyze
        tokens = [
            doc.encode("ascii").translate(table).split()
            if doc.isascii()
            else [token.encode("utf-8", "surrogatepass") for token in analyze(doc)]
            for doc in docs
        ]
        n = len(docs)
        lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=n)
        flat = list(itertools.chain.from_iterable(tokens))
        ids = np.fromiter(
            map(self._lookup, flat, itertools.repeat(-1)), dtype=np.int64, count=len(flat)
        )
        known = ids >= 0
        # row i's known tokens are known[start_i:end_i]; count them with one cumulative sum
        known_before = np.concatenate(([0], np.cumsum(known)))
        indptr = known_before[np.concatenate(([0], np.cumsum(lengths)))]
        X = sp.csr_matrix(
            (np.ones(int(indptr[-1]), dtype=self._dtype), ids[known], indptr),
            shape=(n, self.n_features),
        )
        X.sum_duplicates()  # adds up repeated tokens and sorts the indices, as sklearn does
        if self._binary:
            X.data.fill(1)
        return X


def fast_transformer(vectorizer: Any) -> FastCountTransform | None:
    """A :class:`FastCountTransform` for ``vectorizer``, or None if it does not qualify.

    It qualifies when it is exactly a fitted ``CountVectorizer`` (not a subclass) with
    ``input="content"``, ``analyzer="word"``, ``ngram_range=(1, 1)``, the default
    ``token_pattern``, no ``preprocessor`` or ``tokenizer``, and ``strip_accents`` None,
    ``"ascii"`` or ``"unicode"`` (all three leave ASCII text as it is). ``lowercase``,
    ``binary``, ``dtype``, ``stop_words`` and the vocabulary may be anything. A
    ``TfidfTransformer`` after it in a pipeline is fine; a ``TfidfVectorizer`` is not
    accelerated.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import CountVectorizer
    >>> docs = ["Free PRIZE, click now", "lunch at noon?", "naïve café prize"]
    >>> vec = CountVectorizer().fit(docs)
    >>> fast = fast_transformer(vec)
    >>> (fast.transform(docs) != vec.transform(docs)).nnz
    0
    >>> fast_transformer(CountVectorizer(ngram_range=(1, 2)).fit(docs)) is None
    True
    """
    from sklearn.feature_extraction.text import CountVectorizer

    if type(vectorizer) is not CountVectorizer or not hasattr(vectorizer, "vocabulary_"):
        return None
    qualifies = (
        vectorizer.input == "content"
        and vectorizer.analyzer == "word"
        and tuple(vectorizer.ngram_range) == (1, 1)
        and vectorizer.token_pattern == DEFAULT_TOKEN_PATTERN
        and vectorizer.preprocessor is None
        and vectorizer.tokenizer is None
        and vectorizer.strip_accents in (None, "ascii", "unicode")
    )
    return FastCountTransform(vectorizer) if qualifies else None


def fast_pipeline(model: Any) -> tuple[FastCountTransform, Any] | None:
    """For a pipeline that starts with a qualifying ``CountVectorizer``: the fast transform and
    the rest of the pipeline (``model[1:]``), so that ``rest.predict_proba(fast.transform(X))``
    equals ``model.predict_proba(X)``. None for any other model."""
    from sklearn.pipeline import Pipeline

    if type(model) is not Pipeline or len(model.steps) < 2:
        return None
    fast = fast_transformer(model.steps[0][1])
    if fast is None:
        return None
    return fast, model[1:]


def probe_texts(vectorizer: Any, n_words: int = 400) -> list[str]:
    """:data:`PROBE_TEXTS` plus texts made of the vocabulary's words, in several cases and
    separators, so that the probe has many hits as well as misses."""
    words = sorted(map(str, vectorizer.vocabulary_))[:n_words]
    texts = list(PROBE_TEXTS)
    for sep in (" ", ",", "_", "-", "\n", "é"):
        texts.append(sep.join(words))
        texts.append(sep.join(w.upper() for w in words[::3]))
        texts.append(sep.join(w.title() for w in words[1::3]) + sep + words[0])
    return texts


def same_output(
    fast: FastCountTransform, texts: Sequence[str], slow: Callable[[Any], Any] | None = None
) -> bool:
    """Whether ``fast.transform(texts)`` equals the vectoriser's own ``transform`` exactly."""
    slow = slow or fast.vectorizer.transform
    a, b = fast.transform(list(texts)), slow(list(texts))
    return a.shape == b.shape and a.dtype == b.dtype and (a != b).nnz == 0
