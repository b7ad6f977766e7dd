"""The lesson-6 attacker: seeded, changes only the chosen words, beyond a simple normaliser."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
import pytest

from mlcourse.data import disguise

TEXT = "Click here to claim your cheap pills. CLICK now, cheap cheap!"
WORDS = ["click", "cheap", "claim"]


def test_only_the_chosen_words_change_and_every_one_does():
    out = disguise(TEXT, WORDS, random_state=0)
    assert re.sub(r"\W", "", out) != re.sub(r"\W", "", TEXT)
    for kept in ["here", "to", "your", "pills", "now"]:
        assert re.search(rf"\b{kept}\b", out), kept
    tokens = re.findall(r"\w+", out.lower())
    assert not set(WORDS) & set(tokens), "every occurrence is disguised, whatever its case"


def test_each_occurrence_gets_its_own_spelling():
    out = disguise(" ".join(["cheap"] * 30), ["cheap"], random_state=1)
    assert len(set(out.split())) > 15


def test_seeded_and_shaped_like_the_input():
    a = disguise([TEXT, TEXT], WORDS, random_state=3)
    assert a == disguise([TEXT, TEXT], WORDS, random_state=3)
    assert a != disguise([TEXT, TEXT], WORDS, random_state=4)
    s = pd.Series([TEXT, "nothing to see"], index=[7, 9])
    out = disguise(s, WORDS, random_state=0)
    assert isinstance(out, pd.Series) and list(out.index) == [7, 9]
    assert out[9] == "nothing to see"
    assert isinstance(disguise((TEXT,), WORDS, random_state=0), list)


def test_by_default_every_longer_word_is_disguised():
    out = disguise("an ox ate hay", random_state=0)
    assert out.split()[:2] == ["an", "ox"] and "ate" not in out and "hay" not in out


def test_the_map_is_wider_than_a_normaliser_of_digits_and_accents():
    # What a defender might write after seeing "cl1ck" and "prízé": undo digits, drop accents.
    undo = str.maketrans({"4": "a", "@": "a", "3": "e", "1": "i", "!": "i", "0": "o", "5": "s",
                          "$": "s", "7": "t", "_": ""})  # fmt: skip

    def simple_fold(text: str) -> str:
        text = unicodedata.normalize("NFKD", text.lower())
        return "".join(c for c in text if not unicodedata.combining(c)).translate(undo)

    out = disguise(" ".join(["click cheap claim"] * 100), WORDS, random_state=0)
    undone = re.findall(r"\w+", simple_fold(out))
    share = sum(w in WORDS for w in undone) / 300
    assert 0.1 < share < 0.9, f"the normaliser recovers {share:.0%}: some, not all"
    assert any(not c.isascii() for c in out), "Unicode look-alikes are part of the map"


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        ((TEXT, "click"), {}, TypeError, "list of words"),
        ((TEXT, []), {}, ValueError, "empty"),
        ((TEXT, WORDS), {"rate": 0}, ValueError, "rate"),
        ((TEXT, WORDS), {"rate": 1.5}, ValueError, "rate"),
        ((42, WORDS), {}, TypeError, "text must be"),
        (([TEXT, None], WORDS), {}, TypeError, "strings"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        disguise(*args, **kwargs)
