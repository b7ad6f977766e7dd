"""mlcourse._fast_text: the server's fast CountVectorizer transform gives scikit-learn's matrix."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from mlcourse._fast_text import (
    PROBE_TEXTS,
    fast_pipeline,
    fast_transformer,
    probe_texts,
    same_output,
)
from mlcourse.data import email_text, make_spam_emails

# Characters chosen to hit every rule: ASCII word characters of both cases, underscore and
# digits, ASCII punctuation and control characters, Unicode letters whose lower case differs
# in length or turns ASCII (Kelvin sign, dotted I), combining marks, non-ASCII digits and
# spaces, emoji, and a lone surrogate (JSON can carry one).
ALPHABET = (
    "abcxyzABCXYZ_0129 \t\n\r\x0b\x0c\x00\x7f!?.,-'\"/@#:;()"
    "éÉßİıK\u212aǅﬁΣσς\u0301\u0308١٢\u00a0\u2003\u200b日本🎉\ud800"
)
WORDS = ["ab", "free", "prize", "x", "a_b", "12", "naïve", "café", "ǆ", "ab_12", "the", "and"]

texts = st.lists(
    st.one_of(
        st.text(alphabet=ALPHABET, max_size=60),
        st.lists(st.sampled_from(WORDS + [" ", ",", "-", "É", "A"]), max_size=20).map("".join),
        st.text(max_size=30),
    ),
    min_size=1,
    max_size=12,
)
configs = st.fixed_dictionaries(
    {
        "lowercase": st.booleans(),
        "binary": st.booleans(),
        "dtype": st.sampled_from([np.int64, np.float64, np.float32, np.int32]),
        "stop_words": st.sampled_from([None, "english", ["free", "ab"]]),
        "strip_accents": st.sampled_from([None, "ascii", "unicode"]),
        "max_features": st.sampled_from([None, 5]),
    }
)
PROPERTY = settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.filterwarnings("ignore:Upper case characters found in vocabulary")
@PROPERTY
@given(train=texts, test=texts, config=configs)
def test_same_matrix_as_scikit_learn_on_any_text(train, test, config):
    vec = CountVectorizer(**config)
    try:
        vec.fit(train + WORDS)
    except ValueError:  # e.g. every word a stop word: nothing to compare
        return
    fast = fast_transformer(vec)
    assert fast is not None
    a, b = fast.transform(test), vec.transform(test)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert (a != b).nnz == 0, (test, config)
    assert a.has_sorted_indices and a.has_canonical_format


@pytest.mark.filterwarnings("ignore:Upper case characters found in vocabulary")
@PROPERTY
@given(test=texts, lowercase=st.booleans())
def test_a_given_vocabulary_with_one_letter_words_and_stop_words(test, lowercase):
    # sklearn never counts a one-character token or a stop word, even if the vocabulary has it
    vocabulary = ["a", "ab", "The", "the", "free", "É", "é_1", "x y", "_", "12", "日本"]
    vec = CountVectorizer(vocabulary=vocabulary, lowercase=lowercase, stop_words=["the"]).fit([])
    fast = fast_transformer(vec)
    assert (fast.transform(test) != vec.transform(test)).nnz == 0, test


def test_same_matrix_on_the_lesson_emails_and_probes():
    emails = make_spam_emails(600, random_state=3)
    vec = CountVectorizer(max_features=3000).fit(email_text(emails[:400]))
    fast = fast_transformer(vec)
    assert same_output(fast, email_text(emails[400:]).tolist())
    assert same_output(fast, probe_texts(vec))
    assert len(probe_texts(vec)) > len(PROBE_TEXTS)


def test_the_check_can_fail():
    # same_output must notice a different matrix, or the server's load-time check proves nothing
    vec = CountVectorizer().fit(["free prize now", "lunch at noon"])
    other = CountVectorizer(binary=True).fit(["free prize now", "lunch at noon"])
    fast = fast_transformer(vec)
    assert not same_output(fast, ["free free prize"], slow=other.transform)


@pytest.mark.parametrize(
    "vec",
    [
        CountVectorizer(ngram_range=(1, 2)),
        CountVectorizer(analyzer="char"),
        CountVectorizer(token_pattern=r"\b\w+\b"),
        CountVectorizer(tokenizer=str.split, token_pattern=None),
        CountVectorizer(preprocessor=str.upper),
        CountVectorizer(strip_accents=lambda s: s),
        TfidfVectorizer(),
        type("MyVectorizer", (CountVectorizer,), {})(),
    ],
    ids=["bigrams", "char", "pattern", "tokenizer", "preprocessor", "accents", "tfidf", "subclass"],
)
def test_other_vectorizers_are_left_to_scikit_learn(vec):
    vec.fit(["free prize now", "lunch at noon"])
    assert fast_transformer(vec) is None


def test_unfitted_and_non_text_input():
    assert fast_transformer(CountVectorizer()) is None
    vec = CountVectorizer().fit(["free prize now"])
    fast = fast_transformer(vec)
    with pytest.raises(ValueError, match="string object received"):
        fast.transform("free prize")  # scikit-learn's own message
    assert (fast.transform([b"free prize"]) != vec.transform([b"free prize"])).nnz == 0


def test_pipeline_split_predicts_the_same():
    emails = make_spam_emails(500, random_state=4)
    text = email_text(emails)
    model = make_pipeline(CountVectorizer(), TfidfTransformer(), LogisticRegression())
    model.fit(text[:300], emails["label"][:300])
    fast, rest = fast_pipeline(model)
    rest_proba = rest.predict_proba(fast.transform(text[300:].tolist()))
    np.testing.assert_array_equal(rest_proba, model.predict_proba(text[300:]))
    assert fast_pipeline(model[-1]) is None
    assert fast_pipeline(make_pipeline(TfidfVectorizer(), LogisticRegression())) is None
