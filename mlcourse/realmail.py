"""Real mail for lesson 7: each message of the SpamAssassin corpus as it was stored.

:func:`mlcourse.data.fetch_spamassassin` gives the corpus as the course's email table (subject,
sender, ``Received:`` lines, and a body with the HTML already stripped). Lesson 7 also needs
what that table drops: every header field and the HTML as it was sent. :func:`read_raw` reads
the stored bytes again, by message id, and :func:`html_part` takes the HTML out of a MIME
message. Which of these the model sees, and how, stays in the lesson's notebook.
:func:`author_tags` loads the tags the course's authors gave the lesson's real CV errors.

Examples
--------
>>> html_part(b"Content-Type: text/html\\n\\n<p>Cheap <b>pills</b></p>")
'<p>Cheap <b>pills</b></p>'
"""

from __future__ import annotations

import email
import email.policy
import os
from importlib import resources

import pandas as pd

from mlcourse.data._mail import _part_text

__all__ = ["AUTHOR_TAGS", "author_tags", "html_part", "read_raw"]

#: What each tag of :func:`author_tags` means (the tags a reader gave each error).
AUTHOR_TAGS = {
    "newsletter": "ham that reads like an advert: a newsletter, offer or announcement the "
    "recipient signed up for, or an advert a friend forwarded",
    "plain_spam": "spam written like ordinary mail, a newsletter or a business letter, with few "
    "of the words spam usually has",
    "short": "under about 300 characters of text: little for a bag of words to go on",
    "list_footer": "spam that came through a mailing list, so it carries the list's subject tag "
    "or footer, as the list's ham does",
    "html_only": "the content is in HTML or pictures; the text says only 'this is an HTML "
    "message' or a footer",
    "foreign": "not in English, or in a charset decoded into gibberish",
    "automated": "a bounce, a cron job's report, an out-of-office or renewal notice",
    "label_doubt": "a reader could defend the other label (the same sender's mail carries it "
    "elsewhere in the corpus)",
    "about_spam": "ham that discusses or quotes spam",
    "broken_mime": "header lines or MIME parts ended up in the body",
    "misspelled": "words disguised with spaces, digits or symbols",
}


def author_tags() -> pd.Series:
    """The tags the course's authors gave the CV errors of lesson 7's honest model, by message id.

    How the file was made: the authors ran ``notebooks/07_real_mail.ipynb`` with the seeds 0 to 4
    and took every message that the honest model (words plus the sender's headers) got wrong in
    cross-validation for at least one seed: 102 messages, 49 of them wrong for all five seeds.
    They read each one (subject, sender, content type and the start of the body) and gave it
    every tag of :data:`AUTHOR_TAGS` that applied, or none. The file is a tag file of the
    lesson-2 widget (:func:`mlcourse.errors.load_tags`), keyed by the message id that
    :func:`mlcourse.data.load_spamassassin` keeps (the hash of the message's file name), so a
    message's tags do not depend on the seed. It is one reading, by people who knew the labels,
    and a reference for automated runs; in class each learner tags their own errors.

    Returns
    -------
    pandas.Series
        ``;``-joined tags (``""``: none applied), indexed by message id, named ``tags``.

    Examples
    --------
    >>> tags = author_tags()
    >>> len(tags), int(tags.str.contains("newsletter").sum())
    (102, 38)
    """
    from mlcourse.errors import load_tags

    path = resources.files("mlcourse") / "assets" / "spamassassin_error_tags.csv"
    with resources.as_file(path) as file:
        return load_tags(file)


def html_part(raw: bytes) -> str:
    """The ``text/html`` parts of a raw RFC 822 message, decoded, as sent ("" if none).

    Base64 and quoted-printable are undone and the declared charset decoded (with the
    loader's fallbacks for wrong charsets); attachments are skipped.

    Examples
    --------
    >>> html_part(b"Subject: hi\\n\\nplain text only")
    ''
    """
    if not isinstance(raw, (bytes, bytearray)):
        raise TypeError(f"raw must be bytes, got {type(raw).__name__}")
    msg = email.message_from_bytes(bytes(raw), policy=email.policy.compat32)
    parts = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_type() != "text/html":
            continue
        try:
            attachment = part.get_content_disposition() == "attachment"
        except Exception:  # a header too broken to parse: read the part anyway
            attachment = False
        if not attachment:
            parts.append(_part_text(part))
    return "\n".join(parts)


def read_raw(mail: pd.DataFrame, data_home: str | os.PathLike | None = None) -> pd.Series:
    """The stored bytes of each message of ``mail`` (from ``fetch_spamassassin``), by id.

    The files are found in the data home (see :func:`mlcourse.data.fetch.find_spamassassin`),
    in either layout of the corpus.

    Parameters
    ----------
    mail : pandas.DataFrame
        The corpus table, indexed by message id.
    data_home : str or os.PathLike, default=None
        The data home, as for :func:`mlcourse.data.fetch_spamassassin`.

    Returns
    -------
    pandas.Series of bytes
        Indexed like ``mail``, named ``raw``.

    Raises
    ------
    OSError
        If the corpus is not in the data home.
    KeyError
        If a message of ``mail`` has no file there.

    Examples
    --------
    >>> from mlcourse.data import fetch_spamassassin
    >>> mail = fetch_spamassassin()  # doctest: +SKIP
    >>> read_raw(mail).iloc[0][:5]  # doctest: +SKIP
    b'From '
    """
    from mlcourse.data.fetch import _unavailable, find_spamassassin, get_data_home
    from mlcourse.data.loaders import _message_id

    if not isinstance(mail, pd.DataFrame):
        raise TypeError(f"mail must be a pandas DataFrame, got {type(mail).__name__}")
    folder = find_spamassassin(data_home)
    if folder is None:
        raise OSError(_unavailable(get_data_home(data_home), "read_raw needs it"))
    files = {}
    for collection in sorted(folder.iterdir()):
        if not collection.is_dir():
            continue
        for file in collection.iterdir():
            if file.name.startswith(".") or file.name == "cmds" or file.suffix == ".json":
                continue
            files[_message_id(file.name)] = file
    missing = [i for i in mail.index if i not in files]
    if missing:
        raise KeyError(f"{len(missing)} message(s) of mail have no file in {folder}: {missing[:3]}")
    return pd.Series([files[i].read_bytes() for i in mail.index], index=mail.index, name="raw")
