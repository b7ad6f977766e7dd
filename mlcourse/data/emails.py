"""A seeded generator of realistic, synthetic spam and ham emails.

Why synthetic? The lessons need ground truth that real corpora do not carry: every email here
knows which family produced it (``category``) and which human-recognisable traits it has
(``traits``). Lesson 2 uses them to stand in for a human tagging errors, and the claim tests use
them to check the lessons' stories. Real corpora load into the same shape with
:func:`mlcourse.data.load_sms_spam` and :func:`mlcourse.data.load_spamassassin`.

What makes it realistic enough to teach with, and hard enough that no fix is built in:

- bodies are sentences from templates per family (shared across families where real mail
  shares them: a phishing mail and a password reset both talk about "security" and "account")
  mixed with sentences from a Zipf law over several thousand words, so the top-10,000-word
  features of lesson 1 make sense;
- spam comes in campaigns of near-duplicates, as in real mail streams;
- spam families a person can recognise: pharma, replica watches, prizes, phishing, image spam
  (a picture and almost no text), and scams that read like ordinary mail. Families overlap: a
  pharma mail may be misspelled on purpose (with look-alike digits, accents or Cyrillic
  letters) and sent from a home computer, image spam may be phishing;
- routes a person can read in the ``Received:`` headers: spam often comes from home computers
  (dynamic host names, no reverse DNS), through relays in rare top-level domains, from senders
  unrelated to the relays. No list of names gives it away: top-level domains and host names come
  from open, generated sets. And ham has unusual routes too: mailing lists, forwarding, small
  company servers, people on hotel Wi-Fi;
- ham that overlaps with spam: newsletters and shop mail that say "free" and "buy", genuine
  password resets, photos with a line of text;
- about 1% label noise, as in any hand-labelled corpus.

``traits`` records what each email shows, as a careful reader would tag it: the spam family
(``pharma``, ``watches``, ``prize``, ``phishing``), ``image``, ``misspelled``,
``unusual_routing`` (the route shows a hop with no reverse DNS, a dynamic-looking host or a rare
top-level domain, whether spam or ham), for ham ``promo_words``, ``photo`` (a picture with a
line of text or none), ``mailing_list``, ``forwarded``, ``small_server`` and ``travelling``,
``crypto`` for the drift campaign, and ``mislabeled`` for flipped labels.

A bag-of-words logistic regression on subject and body scores about 94-96% on
cross-validation with a few thousand emails; its errors fall into overlapping groups of
different sizes (unusual routes, image spam, genuine photos, wrong labels, ...), and none of
the fixes a learner can write removes them all.
"""

from __future__ import annotations

import numbers
import random

import numpy as np
import pandas as pd

from . import _mailtext as mt
from . import _routes as rt

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
    "pharma": 0.27,
    "watches": 0.12,
    "prize": 0.18,
    "phishing": 0.12,
    "image": 0.18,
    "routing": 0.11,
}
#: Ham families and their share of ham.
HAM_CATEGORIES = {
    "work": 0.32,
    "personal": 0.24,
    "newsletter": 0.18,
    "shopping": 0.14,
    "account": 0.12,
}


def _cum(table: dict) -> tuple[list, list[float]]:
    total, cum = 0.0, []
    for v in table.values():
        total += v
        cum.append(total)
    return list(table), [c / total for c in cum]


# How mail of each family travels (route kinds of mlcourse.data._routes, with their shares).
_HAM_ROUTES = {
    "work": _cum({"internal": 45, "org": 43, "travelling": 4, "forwarded": 4, "small_server": 4}),
    "personal": _cum(
        {"provider": 74, "org": 10, "travelling": 4, "forwarded": 6, "small_server": 6}
    ),
    "newsletter": _cum({"list": 55, "org": 45}),
    "shopping": _cum({"org": 94, "small_server": 6}),
    "account": _cum({"org": 100}),
}
_SPAM_ROUTES = _cum({"provider": 44, "compromised": 38, "botnet": 9, "relays": 5, "own_domain": 4})
_SCAM_ROUTES = _cum({"botnet": 55, "relays": 35, "own_domain": 10})  # the "routing" family
_ROUTE_TRAITS = {
    "list": "mailing_list",
    "forwarded": "forwarded",
    "small_server": "small_server",
    "travelling": "travelling",
}
_WORLD = rt.World()
_TOPICAL = ("pharma", "watches", "prize", "phishing")


def _sentences(r: random.Random, family: str, n: int, slots: mt.Slots) -> list[str]:
    templates = mt.TEMPLATES[family]
    return [t.format_map(slots) for t in r.sample(templates, min(n, len(templates)))]


def _assemble(r: random.Random, core: list[str], topic: list[str], n_fill: int) -> str:
    """Greeting, the core sentences with ``n_fill`` filler sentences mixed in, a sign-off."""
    slots = mt.Slots(r, topic)
    parts = list(core)
    for _ in range(n_fill):
        parts.insert(r.randrange(len(parts) + 1), mt.filler(r, topic, r.randrange(5, 13)))
    if r.random() < 0.5:
        parts.insert(0, r.choice(mt.TEMPLATES["open"]).format_map(slots))
    if r.random() < 0.5:
        parts.append(r.choice(mt.TEMPLATES["close"]).format_map(slots))
    return " ".join(parts)


def _ham(cat: str, r: random.Random, kind: str | None = None) -> tuple[dict, list[str]]:
    topic = mt.TOPIC_WORDS[cat]
    if kind is None:
        kinds, cum = _HAM_ROUTES[cat]
        kind = r.choices(kinds, cum_weights=cum)[0]
    where = _WORLD.provider(r) if kind == "provider" else _WORLD.org(r)
    traits = [_ROUTE_TRAITS[kind]] if kind in _ROUTE_TRAITS else []
    org = rt.RECIPIENT if kind == "internal" else where["domain"]
    www = "www." if r.random() < 0.6 else ""
    url = f"{'https' if r.random() < 0.8 else 'http'}://{www}{org}/{r.choice(mt.SYLLABLES)[:6]}"
    slots = mt.Slots(r, topic, url)
    core = _sentences(r, cat, r.randrange(2, 7), slots)
    if cat in ("newsletter", "shopping") and r.random() < 0.5:
        traits.append("promo_words")
        for s in _sentences(r, "promo", r.randrange(1, 4), slots):
            core.insert(r.randrange(len(core) + 1), s)
    body = _assemble(r, core, topic, r.randrange(1, 4))
    subject = r.choice(mt.SUBJECTS[cat]).format_map(slots)
    if cat == "newsletter" and r.random() < 0.4:
        body = mt.image_tag(r, False) + " " + body  # a banner
    if cat == "personal":
        if r.random() < 0.3:
            body = mt.image_tag(r, False) + " " + body  # photos from friends
        elif r.random() < 0.3:
            # A photo with a line of text, or none: like image spam.
            traits.append("photo")
            subject = r.choice(["hi", "hello", "look", "for you", "photos", "from the weekend"])
            body = mt.image_tag(r, False)
            if r.random() < 0.45:
                body += " " + r.choice(mt.TEMPLATES["personal"]).format_map(slots)
    hops, signs = rt.ham_route(r, _WORLD, kind, where)
    if signs:
        traits.append("unusual_routing")
    user = r.choice(mt.NAMES).lower()
    if kind == "provider" and r.random() < 0.5:
        user += str(r.randrange(1, 99))
    return {
        "subject": subject,
        "sender": f"{user}@{org}",
        "received": rt.received(hops),
        "body": body,
    }, traits


def _spam(cat: str, r: random.Random, campaigns: dict) -> tuple[dict, list[str]]:
    kinds, cum = _SCAM_ROUTES if cat == "routing" else _SPAM_ROUTES
    kind = r.choices(kinds, cum_weights=cum)[0]
    traits: list[str] = []
    if cat == "image":
        # A picture carries the message; the text is empty, a line, or decoy sentences.
        shown = r.choice(_TOPICAL) if r.random() < 0.4 else None
        topic = mt.TOPIC_WORDS[shown or "personal"]
        slots = mt.Slots(r, topic, rt.spam_url(r, _WORLD, shown or "image"))
        traits += ["image"] + ([shown] if shown else [])
        subject = r.choice(mt.SUBJECTS[shown or "image"]).format_map(slots)
        body = " ".join(mt.image_tag(r, True) for _ in range(1 + (r.random() < 0.2)))
        u = r.random()
        if u < 0.25:
            body += " " + r.choice(mt.TEMPLATES["image"]).format_map(slots)
        elif u < 0.5:  # decoy text, to look like a friend's photo
            decoy = mt.Slots(r, mt.TOPIC_WORDS["personal"])
            body += " " + " ".join(_sentences(r, "personal", r.randrange(1, 3), decoy))
    elif cat == "routing":
        # Reads like ordinary mail: a ham family's sentences, sometimes one of its own.
        ham = r.choices(["work", "personal", "shopping"], cum_weights=[0.55, 0.7, 1.0])[0]
        topic = mt.TOPIC_WORDS[ham]
        slots = mt.Slots(r, topic, rt.spam_url(r, _WORLD, "routing") if r.random() < 0.3 else "")
        core = _sentences(r, ham, r.randrange(1, 4), slots)
        for s in _sentences(r, "routing", (r.random() < 0.6) + (r.random() < 0.2), slots):
            core.insert(r.randrange(len(core) + 1), s)
        body = _assemble(r, core, topic, r.randrange(0, 2)).replace(" : ", " ")
        subject = r.choice(mt.SUBJECTS["routing" if r.random() < 0.25 else ham]).format_map(slots)
    else:
        traits.append(cat)
        topic = mt.TOPIC_WORDS[cat]
        slots = mt.Slots(r, topic, rt.spam_url(r, _WORLD, cat))
        misspelled = cat != "phishing" and r.random() < 0.4
        if misspelled:  # hash-busted: fresh text every time, no campaign
            core = _sentences(r, cat, r.randrange(1, 4), slots)
            core += [mt.filler(r, mt.TOPIC_WORDS["personal"], r.randrange(4, 10))]
            subject = r.choice(mt.SUBJECTS[cat]).format_map(slots)
        else:
            pool = campaigns.setdefault(cat, [])
            if not pool or r.random() < 0.3:
                keep = mt.Slots(r, topic, keep="xndkKu")  # fix the topic words, not the rest
                pool.append(
                    {
                        "core": [s.format_map(keep) for s in r.sample(mt.TEMPLATES[cat], 5)],
                        "subject": r.choice(mt.SUBJECTS[cat]).format_map(keep),
                    }
                )
            template = pool[r.randrange(len(pool))]
            core = [
                s.format_map(slots)
                if r.random() < 0.7
                else r.choice(mt.TEMPLATES[cat]).format_map(slots)
                for s in template["core"][: r.randrange(2, 6)]
            ]
            subject = template["subject"].format_map(slots)
        if cat == "phishing":
            core += _sentences(r, "account", r.randrange(0, 3), slots)
            r.shuffle(core)
        if r.random() < 0.5:
            core += _sentences(r, "push", r.randrange(1, 3), slots)
        body = _assemble(r, core, topic, r.randrange(0, 3))
        if misspelled:
            traits.append("misspelled")
            spammy = set(topic) | set(mt.PUSH)
            body = " ".join(
                mt.misspell(w, r)
                if len(w) > 3
                and "://" not in w
                and (w.lower().strip(".,!?:") in spammy or r.random() < 0.7)
                else w
                for w in body.split(" ")
            )
            subject = " ".join(mt.misspell(w, r) if len(w) > 3 else w for w in subject.split())
    org = None
    if kind in ("provider", "compromised"):  # a real account, its provider's servers
        org = _WORLD.provider(r) if kind == "provider" else r.choice(_WORLD.orgs)
        domain = org["domain"]
    elif kind in ("botnet", "relays") and r.random() < 0.6:
        domain = r.choice(_WORLD.orgs + _WORLD.providers)["domain"]  # a forged sender
    else:
        domain = rt.spam_domain(r)
    hops, signs = rt.spam_route(r, _WORLD, kind, domain, org)
    if signs:
        traits.append("unusual_routing")
    user = r.choice(mt.NAMES + mt.SYLLABLES[:200]).lower()
    email = {"subject": subject, "sender": f"{user}@{domain}", "received": rt.received(hops)}
    return {**email, "body": body}, traits


def _crypto(r: random.Random) -> tuple[dict, list[str]]:
    """The drift campaign: written to look like ordinary mail, in a vocabulary never seen."""
    row, _ = _ham("work", r, kind="provider" if r.random() < 0.5 else "org")
    topic = mt.TOPIC_WORDS["crypto"]
    slots = mt.Slots(r, topic, f"https://{r.choice(mt.SYLLABLES)}.{rt.common_tld(r)}/")
    core = _sentences(r, "crypto", r.randrange(2, 5), slots)
    core += _sentences(r, "work", r.randrange(0, 2), mt.Slots(r, mt.TOPIC_WORDS["work"]))
    row["subject"] = r.choice(mt.SUBJECTS["crypto"]).format_map(slots)
    row["body"] = _assemble(r, core, topic, r.randrange(0, 2))
    return row, ["crypto"]


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
        "something new happened in the world" shift of lesson 5.
    random_state : int or None, default=0
        Seed. The same seed gives the same corpus.

    Returns
    -------
    pandas.DataFrame
        One row per email with columns ``subject``, ``sender``, ``received`` (the ``Received:``
        hops, newest first, one per line), ``body``, ``label`` (1 spam, 0 ham, after noise),
        ``category`` (the hidden family that generated it) and ``traits`` (``;``-joined traits
        a person could tag, which overlap: ``"pharma;misspelled;unusual_routing"``).

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
    # Scalar draws come from Python's generator (much faster per call), seeded from ``rng``.
    r = random.Random(int(rng.integers(2**63)))

    n_spam = int(round(n_samples * spam_fraction))
    spam_cats, spam_cum = _cum(SPAM_CATEGORIES)
    ham_cats, ham_cum = _cum(HAM_CATEGORIES)
    rows = []
    campaigns: dict[str, list[dict]] = {}
    for i in range(n_samples):
        if i < n_spam:
            crypto = r.random() < shift
            cat = "crypto" if crypto else r.choices(spam_cats, cum_weights=spam_cum)[0]
            row, traits = _crypto(r) if crypto else _spam(cat, r, campaigns)
        else:
            cat = r.choices(ham_cats, cum_weights=ham_cum)[0]
            row, traits = _ham(cat, r)
        row.update(label=int(i < n_spam), category=cat, traits=traits)
        row["subject"] = row["subject"][:1].upper() + row["subject"][1:]
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
