"""A seeded generator of realistic, synthetic spam and ham emails.

Why synthetic? The lessons need ground truth that real corpora do not carry: every email here
knows which family produced it (``category``) and which human-recognisable traits it has
(``traits``: pharma, deliberate misspellings, unusual routing, phishing, image-only, ...).
Lesson 2 uses them to stand in for a human tagging errors, and the claim tests use them to check
that "fixing the biggest group gains most" really holds. Real corpora load into the same shape
with :func:`mlcourse.data.load_sms_spam` and :func:`mlcourse.data.load_spamassassin`.

What makes it realistic enough to teach with:

- a Zipf-like vocabulary of several thousand words (common words, topic words, and a long tail
  of rare words and names), so the top-10,000-word features of lesson 1 make sense;
- spam comes in campaigns of near-duplicates, as it does in real mail streams;
- spam families a person can recognise: pharma, replica watches, prizes, phishing for
  passwords, image-only spam (almost no text), and spam that reads like ordinary mail but is
  routed through unusual hosts; a share of pharma, watch and prize spam misspells its words on
  purpose ("med1cine", "w4tches") to slip past filters;
- ham families that overlap with spam: newsletters and shop receipts that say "free" and "buy",
  and genuine password-reset notices;
- about 1% label noise, as in any hand-labelled corpus.

A bag-of-words logistic regression scores about 95-97% on cross-validation with a few thousand
emails, more data keeps helping, and the remaining errors fall into groups worth studying.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

__all__ = [
    "EMAIL_COLUMNS",
    "HAM_CATEGORIES",
    "SPAM_CATEGORIES",
    "email_text",
    "make_spam_emails",
]

EMAIL_COLUMNS = ["subject", "sender", "received", "body", "label", "category", "traits"]

#: Spam families and their share of spam (before any ``shift``).
SPAM_CATEGORIES = {
    "pharma": 0.28,
    "watches": 0.14,
    "prize": 0.20,
    "phishing": 0.12,
    "image": 0.14,
    "routing": 0.12,
}
#: Ham families and their share of ham.
HAM_CATEGORIES = {
    "work": 0.32,
    "personal": 0.24,
    "newsletter": 0.18,
    "shopping": 0.14,
    "account": 0.12,
}

# The vocabulary is fixed (its own seed), so every corpus shares it whatever ``random_state``.
_VOCAB_SEED = 20240611

_COMMON = """the to and of a in you for is on that this it with your be at are we have from as
will can not our or if all by an please me my so but about would just more one any up do
what there get let when they like out time new know also been here some now was which see
us has had then them these next thank thanks need other only make want back going well
good week still today very way much could should day take over after before look help
really sure into because soon two three first last around same each while most both
""".split()

_TOPICS = {
    "work": """meeting project report deadline schedule agenda team review budget quarter
        client proposal slides draft notes minutes call conference office manager update
        status plan release milestone document spreadsheet presentation feedback approve
        sign contract invoice vendor colleague workshop training hiring interview""",
    "personal": """dinner weekend family photos birthday party trip holiday kids mom dad
        sister brother friends lunch coffee movie game beach garden house dog cat wedding
        visit flight hotel pictures music concert recipe cake yesterday tonight tomorrow""",
    "newsletter": """newsletter issue article readers community news edition subscribe
        unsubscribe events stories featured podcast blog research tips guide webinar
        highlights digest monthly weekly announcement members survey upcoming library""",
    "shopping": """order shipped delivery receipt tracking package item cart store purchase
        return refund invoice payment card shipping warehouse courier parcel confirmation
        size colour quantity total subtotal customer support""",
    "account": """account password reset security login sign verify email address settings
        device browser notification confirm access admin helpdesk profile username
        authentication code expire request ticket""",
    "pharma": """medicine pharmacy prescription pills tablets doctor health cheap generic
        dosage online drugstore pain relief weight loss capsules treatment shipping
        discreet brand meds supplement order""",
    "watches": """watches replica luxury designer swiss handbags brand quality copy style
        collection gold silver elegant bracelet leather wrist exclusive classic gift
        authentic look""",
    "prize": """winner congratulations prize claim lottery selected reward cash million
        jackpot lucky draw award bonus gift voucher free winning notification
        beneficiary transfer funds""",
    "phishing": """account password verify suspended login security confirm bank unusual
        activity update details credentials locked restore immediately urgent access
        identity billing information click link""",
    "crypto": """crypto token airdrop wallet presale blockchain coin staking defi mint
        election president campaign memecoin launch whitelist exchange listing rally
        holders pump""",
}

_PROMO = "free buy offer sale discount save deal now limited today exclusive".split()
_SPAM_PUSH = "click now urgent act offer free limited guaranteed instant best cheap".split()

# Deliberate misspellings: spammers swap letters for look-alike digits and symbols.
_LEET = {"a": "4@", "e": "3", "i": "1!|l", "o": "0", "s": "5$z", "l": "1|", "t": "7+"}

_HAM_DOMAINS = [
    "examplecorp.com",
    "northwind.example",
    "contoso.example",
    "uni-research.edu",
    "mailbox.example",
    "postbox.example",
    "newsdaily.example",
    "shopfast.example",
]
_RELAYS = ["mx1", "mx2", "smtp", "relay", "mail", "out"]
_SPAM_TLDS = ["biz", "info", "top", "xyz", "click", "ru", "cn", "work"]


def _build_tail(rng: np.random.Generator, size: int) -> list[str]:
    """Rare words and names: pronounceable, unique, drawn once with the vocabulary seed."""
    onsets = "b c d f g h j k l m n p r s t v w z br cl dr fl gr pl st tr sh ch th".split()
    vowels = "a e i o u ai ea ou io".split()
    codas = ["", "", "n", "r", "s", "l", "t", "m", "nd", "st", "rk"]
    words: set[str] = set()
    while len(words) < size:
        k = rng.integers(2, 4)
        w = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(k)) + rng.choice(codas)
        words.add(w)
    return sorted(words)


_vrng = np.random.default_rng(_VOCAB_SEED)
_TAIL = np.array(_build_tail(_vrng, 6000))
_vrng.shuffle(_TAIL)  # rank in the Zipf law must not follow the alphabet
_COMMON_ARR = np.array(_COMMON)
_TOPIC_WORDS = {k: v.split() for k, v in _TOPICS.items()}
# Zipf law: the word of rank r has weight 1 / r**s. Sampled through cumulative sums, which is
# much faster than passing p= to Generator.choice on every call.
_TAIL_CDF = np.cumsum(1.0 / np.arange(1, len(_TAIL) + 1) ** 1.1)
_TAIL_CDF /= _TAIL_CDF[-1]
_COMMON_CDF = np.cumsum(1.0 / np.arange(1, len(_COMMON) + 1) ** 0.9)
_COMMON_CDF /= _COMMON_CDF[-1]
_NAMES = [str(w).capitalize() for w in _TAIL[-120:]]


def _zipf(rng: np.random.Generator, words: np.ndarray, cdf: np.ndarray, size: int) -> list[str]:
    return words[np.searchsorted(cdf, rng.random(size))].tolist()


def _pick(rng: np.random.Generator, seq) -> str:
    return seq[int(rng.integers(len(seq)))]


def _misspell(word: str, rng: np.random.Generator) -> str:
    """Disguise a word the way spammers do ("medicine" -> "m3d_iic1ne").

    Look-alike digits and symbols, doubled letters and underscores give so many variants that
    most appear only once: a bag-of-words model cannot learn them, a normaliser can undo them.
    """
    out = []
    for ch in word:
        if ch in _LEET and rng.random() < 0.7:
            ch = _pick(rng, _LEET[ch])
        elif rng.random() < 0.12:
            ch = ch * 2
        out.append(ch)
        if rng.random() < 0.1:
            out.append("_")
    return "".join(out).strip("_") or word


def _words(rng: np.random.Generator, topic: list[str], n: int, topic_share: float) -> list[str]:
    n_topic = rng.binomial(n, topic_share)
    n_tail = rng.binomial(n - n_topic, 0.25)
    n_common = n - n_topic - n_tail
    out = [topic[i] for i in rng.integers(len(topic), size=n_topic)]
    out += _zipf(rng, _TAIL, _TAIL_CDF, n_tail)
    out += _zipf(rng, _COMMON_ARR, _COMMON_CDF, n_common)
    rng.shuffle(out)
    return out


def _sentences(words: list[str], rng: np.random.Generator) -> str:
    parts, i = [], 0
    while i < len(words):
        k = int(rng.integers(6, 14))
        chunk = words[i : i + k]
        parts.append(chunk[0].capitalize() + " " + " ".join(chunk[1:]) + ".")
        i += k
    return " ".join(parts)


def _ip(rng: np.random.Generator, private: bool) -> str:
    if private:
        return f"10.{rng.integers(0, 256)}.{rng.integers(0, 256)}.{rng.integers(1, 255)}"
    a, b, c = rng.integers(0, 256, size=3)
    return f"{rng.integers(23, 223)}.{a}.{b}.{c}"


def _received(rng: np.random.Generator, domain: str, unusual: bool) -> str:
    """Routing headers, newest first, as they appear in a raw message."""
    hops = []
    if unusual:
        # Open relays, dynamic residential addresses and HELO names that don't match.
        n = int(rng.integers(4, 8))
        for _ in range(n - 1):
            ip = _ip(rng, private=False)
            host = rng.choice(
                [
                    f"unknown [{ip}]",
                    f"dsl-{ip.replace('.', '-')}.dyn.pool.example",
                    f"{_pick(rng, _TAIL)}.{_pick(rng, _SPAM_TLDS)} (unknown [{ip}])",
                ]
            )
            hops.append(f"from {host} by {_pick(rng, _TAIL)}.{_pick(rng, _SPAM_TLDS)} with SMTP")
    else:
        n = int(rng.integers(2, 4))
        for _ in range(n - 1):
            relay = f"{_pick(rng, _RELAYS)}.{domain}"
            hops.append(
                f"from {relay} ({relay} [{_ip(rng, private=True)}]) by "
                f"{_pick(rng, _RELAYS)}.examplecorp.com with ESMTPS"
            )
    hops.append(f"from localhost by {_pick(rng, _RELAYS)}.examplecorp.com with LMTP")
    return "\n".join(hops)


def _make_one(
    cat: str, is_spam: bool, rng: np.random.Generator, template: dict | None, misspelled: bool
):
    traits: list[str] = []
    if is_spam and rng.random() < 0.5:
        domain = f"{_pick(rng, _TAIL)}{rng.integers(10, 99)}.{_pick(rng, _SPAM_TLDS)}"
    else:
        domain = str(_pick(rng, _HAM_DOMAINS))
    sender_name = str(_pick(rng, _NAMES)).lower()
    sender = f"{sender_name}@{domain}"
    unusual = False

    if cat == "image":
        # Text rendered into an attached picture: the body is almost empty.
        traits.append("image")
        subject = str(rng.choice(["hi", "hello", "re: your request", "look", "for you", "info"]))
        body = f'<img src="cid:{_pick(rng, _TAIL)}{rng.integers(100, 999)}.png"> ' + " ".join(
            _zipf(rng, _TAIL, _TAIL_CDF, int(rng.integers(0, 4)))
        )
        unusual = rng.random() < 0.3
    elif cat == "routing":
        # Reads like ordinary mail; only the route it took gives it away.
        traits.append("unusual_routing")
        unusual = True
        topic = _TOPIC_WORDS[str(rng.choice(["work", "personal", "shopping"]))]
        words = _words(rng, topic, int(rng.integers(25, 70)), 0.3)
        subject = " ".join(rng.choice(topic, size=int(rng.integers(2, 4))))
        body = _sentences(words, rng)
        if rng.random() < 0.4:
            body += f" See http://{_pick(rng, _TAIL)}.{_pick(rng, _SPAM_TLDS)}/"
    else:
        topic = _TOPIC_WORDS[cat]
        if template is not None:
            # A member of a campaign: the template with a few words changed.
            words = list(template["words"])
            share = 0.3
            for i in rng.choice(len(words), size=max(1, int(len(words) * share)), replace=False):
                words[i] = _zipf(rng, _TAIL, _TAIL_CDF, 1)[0]
            subject = template["subject"]
        else:
            share = {"newsletter": 0.2, "shopping": 0.25, "account": 0.3}.get(cat, 0.3)
            words = _words(rng, topic, int(rng.integers(30, 110)), share)
            subject = " ".join(rng.choice(topic, size=int(rng.integers(2, 5))))
        if is_spam:
            traits.append(cat)
            words += list(rng.choice(_SPAM_PUSH, size=int(rng.integers(1, 4))))
            if misspelled:
                traits.append("misspelled")
                words = [_misspell(w, rng) if w in topic or w in _SPAM_PUSH else w for w in words]
                subject = " ".join(_misspell(w, rng) for w in subject.split())
            unusual = rng.random() < 0.12
        elif cat in ("newsletter", "shopping") and rng.random() < 0.5:
            traits.append("promo_words")
            words += list(rng.choice(_PROMO, size=int(rng.integers(2, 6))))
            rng.shuffle(words)
        body = _sentences(words, rng)
        if cat in ("personal", "newsletter") and rng.random() < 0.3:
            # Ham has pictures too: photos from friends, a newsletter's banner.
            body = f'<img src="cid:{_pick(rng, _TAIL)}{rng.integers(100, 999)}.png"> ' + body
        if cat == "personal" and rng.random() < 0.25:
            # A quick note with a photo: little text, like image spam.
            subject = str(rng.choice(["hi", "hello", "look", "for you", "photos"]))
            body = f'<img src="cid:{_pick(rng, _TAIL)}{rng.integers(100, 999)}.jpg"> ' + _sentences(
                _words(rng, topic, int(rng.integers(3, 12)), 0.3), rng
            )
        if cat == "phishing" and rng.random() < 0.6:
            body += (
                f" Verify here: http://{_pick(rng, _TAIL)}-secure.{_pick(rng, _SPAM_TLDS)}/login"
            )
    if unusual and "unusual_routing" not in traits:
        traits.append("unusual_routing")
    return {
        "subject": subject.capitalize(),
        "sender": sender,
        "received": _received(rng, domain, unusual),
        "body": body,
        "category": cat,
        "traits": traits,
    }


def _check_fraction(name: str, value, *, upper: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not 0.0 <= float(value) <= upper:
        raise ValueError(f"{name} must be between 0 and {upper}, got {value}")
    return float(value)


def make_spam_emails(
    n_samples: int = 4000,
    *,
    spam_fraction: float = 0.4,
    label_noise: float = 0.01,
    shift: float = 0.0,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Generate a seeded corpus of synthetic spam and ham emails.

    Parameters
    ----------
    n_samples : int, default=4000
        Number of emails.
    spam_fraction : float, default=0.4
        Share of spam before label noise.
    label_noise : float, default=0.01
        Share of emails whose label is flipped, as by a tired human labeller. Flipped emails
        carry the trait ``"mislabeled"``.
    shift : float, default=0.0
        Share of spam that comes from a new campaign (``category="crypto"``) whose vocabulary
        the rest of the corpus never uses, sent through ordinary-looking senders and routes: the
        "something new happened in the world" shift of lesson 5. ``0`` gives the usual stream
        (and the same emails as before for a given seed).
    random_state : int or None, default=0
        Seed. The same seed gives the same corpus.

    Returns
    -------
    pandas.DataFrame
        One row per email with columns ``subject``, ``sender``, ``received`` (the ``Received:``
        hops, newest first, one per line), ``body``, ``label`` (1 spam, 0 ham, after noise),
        ``category`` (the hidden family that generated it) and ``traits`` (``;``-joined traits
        a person could tag, which overlap: ``"pharma;misspelled"``).

    Examples
    --------
    >>> from mlcourse.data import make_spam_emails
    >>> emails = make_spam_emails(200, random_state=0)
    >>> emails.shape
    (200, 7)
    >>> sorted(emails["label"].unique().tolist())
    [0, 1]
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
        raise TypeError(f"n_samples must be an int, got {type(n_samples).__name__}")
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2, got {n_samples}")
    spam_fraction = _check_fraction("spam_fraction", spam_fraction)
    label_noise = _check_fraction("label_noise", label_noise, upper=0.5)
    shift = _check_fraction("shift", shift)
    rng = np.random.default_rng(random_state)

    n_spam = int(round(n_samples * spam_fraction))
    spam_cats = list(SPAM_CATEGORIES)
    spam_p = np.array(list(SPAM_CATEGORIES.values()))
    spam_p = spam_p / spam_p.sum()
    ham_cats = list(HAM_CATEGORIES)
    ham_p = np.array(list(HAM_CATEGORIES.values()))
    ham_p = ham_p / ham_p.sum()

    rows = []
    campaigns: dict[str, list[dict]] = {}
    for i in range(n_samples):
        is_spam = i < n_spam
        if is_spam:
            cat = "crypto" if rng.random() < shift else str(rng.choice(spam_cats, p=spam_p))
        else:
            cat = str(rng.choice(ham_cats, p=ham_p))
        template = None
        # Misspelled spam is hash-busted: fresh random text every time, so no campaign.
        misspelled = cat in ("pharma", "watches", "prize") and rng.random() < 0.5
        if is_spam and not misspelled and cat in ("pharma", "watches", "prize", "phishing"):
            # Campaigns: most spam belongs to one of a few dozen templates per family.
            pool = campaigns.setdefault(cat, [])
            if not pool or rng.random() < 0.3:
                topic = _TOPIC_WORDS[cat]
                pool.append(
                    {
                        "words": _words(rng, topic, int(rng.integers(25, 80)), 0.25),
                        "subject": " ".join(rng.choice(topic, size=int(rng.integers(2, 5)))),
                    }
                )
            template = pool[int(rng.integers(len(pool)))]
        if cat == "crypto":
            # The new campaign is written to look like ordinary mail (ham senders and routes,
            # no pushy words): only its new vocabulary tells it apart, which a model trained
            # before it appeared has never seen.
            row = _make_one(cat, False, rng, None, False)
            row["traits"] = ["crypto"]
        else:
            row = _make_one(cat, is_spam, rng, template, misspelled)
        row["label"] = int(is_spam)
        rows.append(row)

    flip = rng.random(n_samples) < label_noise
    for row, f in zip(rows, flip):
        if f:
            row["label"] = 1 - row["label"]
            row["traits"] = row["traits"] + ["mislabeled"]
        row["traits"] = ";".join(row["traits"])

    df = pd.DataFrame(rows, columns=EMAIL_COLUMNS)
    order = rng.permutation(n_samples)
    return df.iloc[order].reset_index(drop=True)


def email_text(emails: pd.DataFrame, *, headers: bool = True) -> pd.Series:
    """Join each email into one string, the way a vectoriser should see it.

    Parameters
    ----------
    emails : pandas.DataFrame
        Output of :func:`make_spam_emails` (or a loader): needs ``subject`` and ``body``, and
        ``sender`` and ``received`` when ``headers=True``.
    headers : bool, default=True
        Include the ``From:`` and ``Received:`` headers. With ``False``, only subject and body.

    Returns
    -------
    pandas.Series of str

    Examples
    --------
    >>> from mlcourse.data import make_spam_emails, email_text
    >>> text = email_text(make_spam_emails(5, random_state=1), headers=False)
    >>> text.str.startswith("Subject: ").all()
    np.True_
    """
    if not isinstance(emails, pd.DataFrame):
        raise TypeError(f"emails must be a pandas DataFrame, got {type(emails).__name__}")
    needed = ["subject", "body"] + (["sender", "received"] if headers else [])
    missing = [c for c in needed if c not in emails.columns]
    if missing:
        raise ValueError(f"emails is missing column(s) {missing}; expected {needed}")
    text = "Subject: " + emails["subject"].astype(str) + "\n\n" + emails["body"].astype(str)
    if headers:
        received = emails["received"].astype(str).str.replace("\n", "\nReceived: ", regex=False)
        text = "From: " + emails["sender"].astype(str) + "\nReceived: " + received + "\n" + text
    return text.rename("text")
