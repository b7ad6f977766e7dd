"""Data for the course: seeded synthetic corpora, and loaders for real corpora.

Everything here runs offline, except :func:`fetch_spamassassin` the first time (it downloads
and caches the corpus). The synthetic corpora exist because the lessons need ground truth
that real corpora do not carry: which family each spam email came from (for error analysis), or
how much bias was put into a decision about people (for the fairness audit).

================================  ==========================================================
:func:`make_spam_emails`          seeded spam/ham emails with headers and hidden categories
:func:`email_text`                one string per email (headers and body) for vectorisers
:func:`load_sms_spam`             the SMS Spam Collection's tab-separated file
:func:`load_spamassassin`         a folder of raw RFC 822 messages (SpamAssassin layout)
:func:`fetch_spamassassin`        the SpamAssassin corpus, downloaded once and cached
:func:`get_data_home`             the cache folder (``MLCOURSE_DATA``, ``~/mlcourse_data``)
:func:`make_applicants`           seeded applicants with a sensitive attribute (lesson 6)
:func:`make_spoken_commands`      seeded spoken-command-like audio clips (lesson 3)
:func:`make_real_world_digits`    digits redrawn by another pen, hand and scanner (lesson 3)
:func:`disguise`                  an attacker's look-alike disguise of chosen words (lesson 6)
================================  ==========================================================
"""

from __future__ import annotations

from mlcourse._lazy import lazy_exports

_EXPORTS = {
    "make_spam_emails": "emails",
    "email_text": "emails",
    "EMAIL_COLUMNS": "emails",
    "SPAM_CATEGORIES": "emails",
    "HAM_CATEGORIES": "emails",
    "load_sms_spam": "loaders",
    "load_spamassassin": "loaders",
    "fetch_spamassassin": "fetch",
    "get_data_home": "fetch",
    "make_applicants": "applicants",
    "make_spoken_commands": "audio",
    "make_real_world_digits": "digits",
    "disguise": "adversary",
}

__all__ = sorted(_EXPORTS)


# Submodules load on first use, so lessons pay only for what they import.
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
