"""A spammer's disguise for lesson 6's arms race: words hidden from a filter, readable to people.

A filter that counts words can be beaten by writing the words it relies on differently. The
defender in lesson 6 writes a normaliser to undo the disguise, but only from what they can see
in the attacked mail: they do not get the attacker's map. :func:`disguise` plays the attacker
with a wider map than any one normaliser knows (on purpose it is not listed in the
documentation): look-alike digits and symbols, accented letters, Cyrillic and Greek letters that
look Latin, and invisible characters inside words.
"""

from __future__ import annotations

import numbers
import random
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ._mailtext import _ASCII_LOOKALIKES, LOOKALIKES

__all__ = ["disguise"]

_UNICODE_LOOKALIKES = {k: "".join(c for c in v if not c.isascii()) for k, v in LOOKALIKES.items()}
_UNICODE_LOOKALIKES = {k: v for k, v in _UNICODE_LOOKALIKES.items() if v}
_INVISIBLE = "\u200b\u00ad\u2060"  # zero-width space, soft hyphen, word joiner


def _hide(word: str, r: random.Random, rate: float) -> str:
    """One disguised spelling of ``word``: never the word itself."""
    u = r.random()
    if u < 0.15 and len(word) > 2:  # invisible characters split the token, not the reading
        cut = r.randrange(1, len(word))
        return word[:cut] + r.choice(_INVISIBLE) + word[cut:]
    table = _ASCII_LOOKALIKES if u < 0.6 else _UNICODE_LOOKALIKES
    out = []
    for ch in word:
        options = table.get(ch.lower())
        out.append(r.choice(options) if options and r.random() < rate else ch)
    hidden = "".join(out)
    if hidden == word:  # nothing swapped: swap the first letter that has a look-alike
        for i, ch in enumerate(word):
            options = table.get(ch.lower())
            if options:
                return word[:i] + r.choice(options) + word[i + 1 :]
        return word[:1] + "\u200b" + word[1:]
    return hidden


def disguise(text, words: Iterable[str] | None = None, *, rate: float = 0.6, random_state=None):
    """Disguise ``words`` in ``text`` as a spammer would, so a word-counting filter misses them.

    Each occurrence gets its own spelling: look-alike digits and symbols (``"cl1ck"``), accented
    or Cyrillic and Greek look-alike letters (``"сlісk"``, which reads the same but is another
    word to a computer), or an invisible character inside the word. The text stays readable to
    a person. The full map is deliberately wider than the one a lesson's normaliser undoes.

    Parameters
    ----------
    text : str, list of str or pandas.Series of str
        The text(s) to disguise.
    words : iterable of str, optional
        The words to disguise, matched as whole words whatever their case (for example the
        filter's top spam words). By default every word of three letters or more.
    rate : float, default=0.6
        Share of the letters of a disguised word that are swapped for look-alikes (at least one
        always is).
    random_state : int, numpy.random.Generator or None, default=None
        Seed. The same seed gives the same disguise.

    Returns
    -------
    str, list of str or pandas.Series
        Like ``text``, disguised.

    Examples
    --------
    >>> from mlcourse.data import disguise
    >>> out = disguise("Click here for cheap pills", ["click", "cheap"], random_state=0)
    >>> out.split()[1:3], out.split()[4]
    (['here', 'for'], 'pills')
    >>> "click" in out.lower(), "cheap" in out.lower()
    (False, False)
    """
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 < rate <= 1:
        raise ValueError(f"rate must be a number in (0, 1], got {rate!r}")
    if words is None:
        pattern = re.compile(r"\b[^\W\d_]{3,}\b")
    else:
        if isinstance(words, str):
            raise TypeError("words must be a list of words, not one string; use [word]")
        words = sorted({str(w) for w in words if str(w).strip()}, key=len, reverse=True)
        if not words:
            raise ValueError("words is empty: give the words to disguise, or None for all")
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
    rng = np.random.default_rng(random_state)
    r = random.Random(int(rng.integers(2**63)))

    def one(t) -> str:
        if not isinstance(t, str):
            raise TypeError(f"text must be strings, got {type(t).__name__}")
        return pattern.sub(lambda m: _hide(m.group(0), r, float(rate)), t)

    if isinstance(text, str):
        return one(text)
    if isinstance(text, pd.Series):
        return text.map(one)
    if isinstance(text, (list, tuple)):
        return [one(t) for t in text]
    raise TypeError(
        f"text must be a string, a list of strings or a Series, got {type(text).__name__}"
    )
