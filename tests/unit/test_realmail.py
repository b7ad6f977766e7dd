"""mlcourse.realmail: the HTML of a raw message, each corpus message's stored bytes, and the
authors' tags of lesson 7's errors."""

from __future__ import annotations

import base64

import pandas as pd
import pytest

from mlcourse.realmail import AUTHOR_TAGS, author_tags, html_part, read_raw

MULTIPART = b"""From: a@example.com
Subject: offer
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="XX"

--XX
Content-Type: text/plain; charset=us-ascii

Cheap pills
--XX
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<p><font color=3D"red">Cheap</font> pills =E9t=E9</p>
--XX
Content-Type: text/html; name="offer.html"
Content-Disposition: attachment; filename="offer.html"

<p>attached, not the message</p>
--XX--
"""


def test_html_part_decodes_the_html_and_skips_attachments():
    assert html_part(MULTIPART) == '<p><font color="red">Cheap</font> pills été</p>'


def test_html_part_undoes_base64():
    body = base64.b64encode(b"<b>hi</b>")
    raw = b"Content-Type: text/html\nContent-Transfer-Encoding: base64\n\n" + body
    assert html_part(raw) == "<b>hi</b>"


def test_html_part_of_plain_mail_is_empty():
    assert html_part(b"Subject: x\n\nno markup here") == ""


def test_html_part_rejects_text():
    with pytest.raises(TypeError, match="bytes"):
        html_part("<p>a str</p>")


def test_read_raw_rejects_a_non_table():
    with pytest.raises(TypeError, match="DataFrame"):
        read_raw(["7c53336b37003a9286aba55d2945844c"])


def test_read_raw_without_a_corpus_says_how_to_get_it(tmp_path):
    mail = pd.DataFrame({"label": [0]}, index=["abc"])
    with pytest.raises(OSError, match="npm"):
        read_raw(mail, data_home=tmp_path)


def test_read_raw_names_missing_messages(tmp_path):
    folder = tmp_path / "spamassassin"
    for name in ("easy_ham", "easy_ham_2", "hard_ham", "spam", "spam_2"):
        (folder / name).mkdir(parents=True)
        (folder / name / "00002.ffffffffffffffffffffffffffffffff").write_bytes(b"Subject: x\n\n")
    md5 = "7c53336b37003a9286aba55d2945844c"
    (folder / "easy_ham" / f"00001.{md5}").write_bytes(b"Subject: hi\n\nbody")
    mail = pd.DataFrame({"label": [0, 1]}, index=[md5, "nothere"])
    with pytest.raises(KeyError, match="nothere"):
        read_raw(mail, data_home=tmp_path)
    assert read_raw(mail.iloc[:1], data_home=tmp_path).tolist() == [b"Subject: hi\n\nbody"]


def test_read_raw_gives_every_message_of_the_real_corpus(spamassassin_corpus):
    from mlcourse.data import load_spamassassin

    mail = load_spamassassin(spamassassin_corpus / "hard-ham-1")
    raw = read_raw(mail, data_home=spamassassin_corpus.parent)
    assert raw.index.equals(mail.index) and len(raw) == 250
    assert all(r[:5] in (b"From ", b"Retur") or b"\n\n" in r for r in raw)


def test_the_authors_tags_ship_with_the_package_and_use_only_documented_tags():
    tags = author_tags()
    assert len(tags) == 102 and tags.index.is_unique
    assert tags.index.str.fullmatch(r"[0-9a-f]{32}").all(), "tags are keyed by message id"
    used = {t for value in tags for t in value.split(";") if t}
    assert used <= set(AUTHOR_TAGS), f"undocumented tags: {sorted(used - set(AUTHOR_TAGS))}"
    assert set(AUTHOR_TAGS) <= used, f"documented but unused: {sorted(set(AUTHOR_TAGS) - used)}"


def test_the_authors_tags_name_messages_of_the_real_corpus(spamassassin_corpus):
    from mlcourse.data import load_spamassassin

    mail = load_spamassassin(spamassassin_corpus)
    tags = author_tags()
    missing = tags.index.difference(mail.index)
    assert missing.empty, f"{len(missing)} tagged ids are not in the corpus: {list(missing[:3])}"
    hard_ham = mail.loc[tags.index[tags.str.contains("newsletter")], "category"]
    assert (hard_ham == "hard_ham").mean() > 0.5, "most newsletters the authors tagged are hard ham"
