"""Loaders for two real spam corpora, into the same table as :func:`make_spam_emails`.

The lessons run on the seeded synthetic corpus, because it knows the hidden family of every
email. These loaders let a learner repeat a lesson on real mail afterwards: both return exactly
the columns of :data:`mlcourse.data.EMAIL_COLUMNS`, so :func:`mlcourse.data.email_text` and the
lesson pipelines work on them unchanged.

Neither corpus ships with mlcourse and nothing here downloads anything: fetch the files once,
by hand, and pass their local path.

- The **SMS Spam Collection** (Almeida and Gómez Hidalgo, 2011): 5,574 text messages, one per
  line, ``ham<TAB>text`` or ``spam<TAB>text``. From the UCI Machine Learning Repository,
  https://archive.ics.uci.edu/dataset/228/sms+spam+collection (unzip it; the file is called
  ``SMSSpamCollection``).
- The **SpamAssassin public corpus**: about 6,000 raw emails in folders ``easy_ham/``,
  ``easy_ham_2/``, ``hard_ham/``, ``spam/`` and ``spam_2/``, one message per file. From
  https://spamassassin.apache.org/old/publiccorpus/ (extract each ``.tar.bz2`` into one folder).

What real corpora cannot give you: the generator's ``category`` is the hidden family that made
each email and ``traits`` lists what a person would tag. Real mail carries neither, so
``traits`` is always ``""``; ``category`` is ``"unknown"`` for SMS, and for SpamAssassin the
name of the folder the message came from (``"easy_ham"``, ``"hard_ham"``, ``"spam_2"``, ...),
which is the corpus's own coarse grouping and a useful first cut for error analysis (hard ham is
hard on purpose). It is not a spam family: to group real errors by family, tag them by hand, as
lesson 2 does.
"""

from __future__ import annotations

import email
import email.policy
import html
import os
import re
from email.headerregistry import Address
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from .emails import EMAIL_COLUMNS

__all__ = ["load_sms_spam", "load_spamassassin"]

SMS_URL = "https://archive.ics.uci.edu/dataset/228/sms+spam+collection"
SPAMASSASSIN_URL = "https://spamassassin.apache.org/old/publiccorpus/"

_SMS_LABELS = {"ham": 0, "spam": 1}
# A folder's name says its label when "spam" or "ham" is a whole word of it:
# "spam", "spam_2", "easy_ham", "20030228_hard_ham" -- but not "graham".
_FOLDER_LABEL = re.compile(r"(?:^|[^a-z])(spam|ham)(?:[^a-z]|$)")
_ARCHIVE_SUFFIXES = (".tar", ".tar.bz2", ".tbz", ".tbz2", ".tar.gz", ".tgz", ".zip", ".bz2")
# Tried in order when the declared charset is missing, unknown or wrong. latin-1 decodes any
# byte, so decoding never fails; cp1252 first because "smart quotes" (0x91-0x94) are common.
_FALLBACK_CHARSETS = ("utf-8", "cp1252", "latin-1")


def _check_path(path) -> Path:
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    return Path(path).expanduser()


def _decode(data: bytes, charset: str | None = None) -> str:
    """Bytes to text, leniently: the declared charset, then utf-8, cp1252 and latin-1."""
    candidates = ([charset] if charset else []) + list(_FALLBACK_CHARSETS)
    for cs in candidates:
        try:
            return data.decode(cs)
        except (LookupError, UnicodeDecodeError):  # unknown charset name, or wrong charset
            continue
    raise AssertionError("unreachable: latin-1 decodes every byte")  # pragma: no cover


def _unescape_bytes(text: str) -> str:
    """Decode raw 8-bit bytes that the email parser kept as surrogate escapes."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return _decode(text.encode("utf-8", "surrogateescape"))


def _one_line(text: str) -> str:
    """Fold a header value onto one line with single spaces."""
    return " ".join(text.split())


def load_sms_spam(path: str | os.PathLike) -> pd.DataFrame:
    """Load the SMS Spam Collection (a tab-separated file) into the course's email table.

    Each line of the file is ``ham<TAB>text`` or ``spam<TAB>text``, with no header. The file is
    read as UTF-8, and any line that is not valid UTF-8 is decoded as cp1252 or latin-1 instead
    (the real file has a few such bytes). Blank lines are skipped. Quotes are ordinary
    characters: ``pandas.read_csv`` with its default quoting would merge lines that contain an
    unbalanced ``"`` and lose messages.

    Get the file from the UCI Machine Learning Repository,
    https://archive.ics.uci.edu/dataset/228/sms+spam+collection, and unzip it. Nothing is
    downloaded here.

    Parameters
    ----------
    path : str or os.PathLike
        The ``SMSSpamCollection`` file, or the folder that contains it.

    Returns
    -------
    pandas.DataFrame
        One row per message, in file order, with the columns of
        :func:`mlcourse.data.make_spam_emails`: ``body`` is the text, ``label`` is 1 for spam
        and 0 for ham, ``category`` is ``"unknown"`` (a real corpus has no hidden family), and
        ``subject``, ``sender``, ``received`` and ``traits`` are ``""`` (an SMS has no headers).

    Raises
    ------
    TypeError
        If ``path`` is not a str or path-like object.
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a line has no tab or an unknown label (the message gives file and line number), or
        the file holds no messages.

    Examples
    --------
    >>> from mlcourse.data import load_sms_spam, email_text
    >>> sms = load_sms_spam("SMSSpamCollection")  # doctest: +SKIP
    >>> sms.shape  # doctest: +SKIP
    (5574, 7)
    >>> sms["label"].mean().round(3)  # doctest: +SKIP
    np.float64(0.134)
    """
    file = _check_path(path)
    if file.is_dir() and (file / "SMSSpamCollection").is_file():
        file = file / "SMSSpamCollection"
    if not file.exists():
        raise FileNotFoundError(
            f"SMS Spam Collection file not found: {str(file)!r}. Download smsspamcollection.zip "
            f"from the UCI Machine Learning Repository ({SMS_URL}), unzip it and pass the path "
            "of the file 'SMSSpamCollection'."
        )
    if file.is_dir():
        raise FileNotFoundError(
            f"{str(file)!r} is a folder with no 'SMSSpamCollection' file in it; pass the path "
            "of the tab-separated file itself."
        )
    if file.name.lower().endswith(".zip"):
        raise ValueError(f"{file.name!r} is a zip archive: unzip it and pass 'SMSSpamCollection'.")

    rows = []
    lines = file.read_bytes().split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a UTF-8 byte-order mark, as some editors write
        line = _decode(raw.rstrip(b"\r"))
        if not line.strip():
            continue
        if "\t" not in line:
            raise ValueError(
                f"{file.name}, line {number}: no tab. Each line must be 'ham<TAB>text' or "
                f"'spam<TAB>text'; got {line[:60]!r}"
            )
        label, text = line.split("\t", 1)
        key = label.strip().lower()
        if key not in _SMS_LABELS:
            raise ValueError(
                f"{file.name}, line {number}: unknown label {label[:30]!r}; expected 'ham' or "
                "'spam' before the tab"
            )
        rows.append(
            {
                "subject": "",
                "sender": "",
                "received": "",
                "body": text.strip(),
                "label": _SMS_LABELS[key],
                "category": "unknown",
                "traits": "",
            }
        )
    if not rows:
        raise ValueError(f"{file.name}: the file holds no messages (it is empty or blank)")
    return pd.DataFrame(rows, columns=EMAIL_COLUMNS)


class _TextFromHTML(HTMLParser):
    """Collect the visible text of an HTML document (scripts and styles dropped)."""

    _SKIP = {"script", "style", "head", "title"}
    _BREAK = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def _html_to_text(markup: str) -> str:
    parser = _TextFromHTML()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    except Exception:  # pragma: no cover - HTMLParser is lenient; a crude fallback just in case
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)  # undoes base64 and quoted-printable
    if payload is None:  # pragma: no cover - only for multipart containers, which we skip
        return ""
    try:
        charset = part.get_content_charset()
    except Exception:  # a malformed Content-Type parameter
        charset = None
    return _decode(payload, charset).replace("\r\n", "\n").replace("\r", "\n")


def _body(msg: Message) -> str:
    """The text/plain parts, or failing that the text/html parts with tags stripped."""
    plain, markup = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            ctype = part.get_content_type()
            attachment = part.get_content_disposition() == "attachment"
        except Exception:  # pragma: no cover - defensive: a header too broken to parse
            ctype, attachment = "text/plain", False
        if attachment or part.get_content_maintype() != "text":
            continue
        if ctype == "text/html":
            markup.append(_part_text(part))
        else:  # text/plain, and unusual text/* types, which are readable as they are
            plain.append(_part_text(part))
    if any(p.strip() for p in plain):
        return "\n".join(p.strip() for p in plain if p.strip())
    return "\n".join(_html_to_text(m) for m in markup).strip()


def _header(msg: Message, name: str) -> list[str]:
    """All values of a header, decoded (RFC 2047) and folded to one line, leniently.

    Values are only decoded, never parsed as addresses or dates, so nothing is reformatted.
    """
    values = []
    for raw_name, raw_value in msg.raw_items():
        if raw_name.lower() != name.lower():
            continue
        raw_value = _unescape_bytes(str(raw_value))  # non-ASCII bytes sent without encoding
        try:
            value = str(msg.policy.header_factory("X-Unstructured", raw_value))
        except Exception:  # malformed encoded words and the like: keep the raw text
            value = raw_value
        values.append(_one_line(value))
    return values


def _sender(msg: Message) -> str:
    """The sender's address (the display name dropped, as in the generator)."""
    raw = [value for name, value in msg.raw_items() if name.lower() == "from"]
    if not raw:
        return ""
    try:
        header = msg.policy.header_factory("From", _unescape_bytes(str(raw[0])))
        # The first real address: "Doe, John <j@x>" (an unquoted comma) parses as two.
        for address in getattr(header, "addresses", ()):
            if isinstance(address, Address) and "@" in address.addr_spec:
                return _one_line(address.addr_spec)
    except Exception:  # an unparseable From: header is kept as it is, below
        pass
    return _header(msg, "From")[0]


def _folder_label(folder: Path, root: Path) -> tuple[int, str] | None:
    """Label and category from the nearest folder (up to ``root``) named spam or ham."""
    for directory in [folder, *folder.parents]:
        match = _FOLDER_LABEL.search(directory.name.lower())
        if match:
            return (1 if match.group(1) == "spam" else 0), directory.name
        if directory == root:
            break
    return None


def load_spamassassin(path: str | os.PathLike) -> pd.DataFrame:
    """Load a folder of raw emails laid out like the SpamAssassin public corpus.

    Every file below ``path`` is one RFC 822 message, and the name of the folder it sits in
    gives its label: a folder named ``spam``, ``spam_2``, ... holds spam, one named
    ``easy_ham``, ``hard_ham``, ... holds ham ("spam" or "ham" must be a whole word of the
    name, so ``graham/`` says nothing). The nearest such folder wins; ``path`` itself may be
    one. Files outside any labelled folder, hidden files and the corpus's ``cmds`` files are
    ignored. Messages are read in sorted path order.

    Messages are parsed with :mod:`email` (``policy=email.policy.default``). The body is the
    text of the ``text/plain`` parts (base64 and quoted-printable undone), or, for HTML-only
    mail, the ``text/html`` parts with tags stripped; attachments are skipped. Text is decoded
    with the declared charset and falls back to UTF-8, cp1252 and latin-1, so odd or wrong
    charsets never stop the load.

    Get the corpus from https://spamassassin.apache.org/old/publiccorpus/ and extract the
    archives (``tar xjf 20030228_spam.tar.bz2`` ...) into one folder. Nothing is downloaded
    here.

    Parameters
    ----------
    path : str or os.PathLike
        The folder that holds the corpus folders (or one corpus folder).

    Returns
    -------
    pandas.DataFrame
        One row per message, with the columns of :func:`mlcourse.data.make_spam_emails`:
        ``subject`` (decoded, one line), ``sender`` (the ``From:`` address), ``received`` (the
        ``Received:`` headers, newest first as in the message, one per line), ``body``,
        ``label`` (1 spam, 0 ham), ``category`` (the labelled folder's name, such as
        ``"hard_ham"``: the corpus's own grouping, not a hidden spam family) and ``traits``
        (``""``: real mail is not tagged).

    Raises
    ------
    TypeError
        If ``path`` is not a str or path-like object.
    FileNotFoundError
        If ``path`` does not exist.
    NotADirectoryError
        If ``path`` is a file (for example the unextracted ``.tar.bz2`` archive).
    ValueError
        If no labelled folder below ``path`` holds a message, or a message file is empty.

    Examples
    --------
    >>> from mlcourse.data import load_spamassassin, email_text
    >>> mail = load_spamassassin("spamassassin")  # doctest: +SKIP
    >>> mail.columns.tolist()  # doctest: +SKIP
    ['subject', 'sender', 'received', 'body', 'label', 'category', 'traits']
    >>> mail.groupby("category")["label"].mean()  # doctest: +SKIP
    category
    easy_ham    0.0
    hard_ham    0.0
    spam        1.0
    Name: label, dtype: float64
    >>> text = email_text(mail)  # doctest: +SKIP
    """
    root = _check_path(path).resolve()
    if not root.exists():
        raise FileNotFoundError(
            f"SpamAssassin corpus folder not found: {str(root)!r}. Download the archives from "
            f"{SPAMASSASSIN_URL}, extract them into one folder (it then holds easy_ham/, "
            "hard_ham/, spam/, ...) and pass that folder."
        )
    if not root.is_dir():
        hint = (
            " It looks like an archive: extract it first (tar xjf FILE) and pass the folder."
            if root.name.lower().endswith(_ARCHIVE_SUFFIXES)
            else ""
        )
        raise NotADirectoryError(
            f"{str(root)!r} is a file; pass the folder that holds easy_ham/, spam/, ...{hint}"
        )

    rows = []
    seen_folders = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        folder = Path(dirpath)
        seen_folders.append(folder)
        labelled = _folder_label(folder, root)
        if labelled is None:
            continue
        label, category = labelled
        for name in sorted(filenames):
            if name.startswith(".") or name == "cmds":
                continue
            file = folder / name
            data = file.read_bytes()
            if not data.strip():
                raise ValueError(
                    f"{file.relative_to(root)}: the message file is empty; delete it or replace "
                    "it with the raw message"
                )
            msg = email.message_from_bytes(data, policy=email.policy.default)
            subject = _header(msg, "Subject")
            rows.append(
                {
                    "subject": subject[0] if subject else "",
                    "sender": _sender(msg),
                    "received": "\n".join(_header(msg, "Received")),
                    "body": _body(msg),
                    "label": label,
                    "category": category,
                    "traits": "",
                }
            )
    if not rows:
        found = ", ".join(sorted(f.name + "/" for f in seen_folders[1:])[:8]) or "no subfolders"
        raise ValueError(
            f"no messages found in {str(root)!r} ({found}). Messages must sit in folders whose "
            "name says their label, such as easy_ham/, hard_ham/, spam/ or spam_2/"
        )
    return pd.DataFrame(rows, columns=EMAIL_COLUMNS)
