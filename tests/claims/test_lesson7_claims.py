"""Lesson 7's claims, checked on the notebook's own results for each seed.

``notebooks/07_real_mail.ipynb`` runs on the real SpamAssassin corpus, the same for every seed:
the seed drives the CV folds and any sampling. Without the corpus in the data home the tests
skip and say why (``spamassassin_corpus`` in ``tests/conftest.py``); ``MLCOURSE_REQUIRE_CORPUS=1``
(set by ``.ci/run``) turns that skip into a failure. The notebook saves ``quirks``,
``encodings`` (lesson 1's binary vs counts), ``turns`` (one row per turn of the loop),
``leak`` (header models with and without the collection's fields), the error analysis
(``tagged``, ``tally``, ``fix``), the disguise turn (``disguised``, ``disguise_turn``), the
learning ``curve``, ``drift``, ``trade_off`` and the lesson-5 server's ``served_answers``.
"""

from __future__ import annotations

import pytest

from .conftest import assert_clean, lesson_runs

pytestmark = [pytest.mark.claims, pytest.mark.usefixtures("spamassassin_corpus")]

run = lesson_runs("07_real_mail")


def test_the_notebook_runs_without_errors_or_warnings(run):
    assert_clean(run)


def _cv(run, turn):
    return run["turns"].loc[turn, "CV error"]


def test_the_corpus_has_the_quirks_the_lesson_names(run):
    quirks = run["quirks"]
    assert quirks["messages"] == 6046, f"seed {run.seed}: {quirks['messages']} messages, not 6,046"
    for quirk in (
        "copies (same subject and body as an earlier message)",
        "with HTML",
        "declared charset not ASCII or UTF-8",
    ):
        assert quirks[quirk] > 0, f"seed {run.seed}: no message shows the quirk {quirk!r}"


def test_the_baseline_is_good_but_not_perfect(run):
    train, cv = run["encodings"].loc["binary", ["train error", "CV error"]]
    assert cv < 0.05, f"seed {run.seed}: baseline CV error {cv:.2%}, not small"
    assert cv > 2 * train, f"seed {run.seed}: CV error {cv:.2%} not clearly above train {train:.2%}"


def test_html_mail_takes_more_than_its_share_of_the_errors(run):
    by_html = run["by_html"]
    share, errors = by_html.loc["HTML", "share of mail"], by_html.loc["HTML", "share of the errors"]
    assert errors > share, f"seed {run.seed}: HTML is {share:.1%} of mail, {errors:.1%} of errors"
    assert by_html.loc["HTML", "CV error"] > by_html.loc["plain text", "CV error"], (
        f"seed {run.seed}: HTML mail is not the harder kind:\n{by_html}"
    )


def test_html_markup_hardly_moves_the_overall_cv_error(run):
    turns = run["turns"]["CV error"]
    base, html = turns["0 baseline: words"], turns["1 + HTML markup (undone)"]
    assert abs(html - base) < 0.004, (
        f"seed {run.seed}: the markup moves the CV error from {base:.2%} to {html:.2%}; the "
        "lesson says it hardly moves it (within a few messages)"
    )


def test_the_senders_headers_beat_the_words_alone(run):
    turns = run["turns"]["CV error"]
    assert turns["2 + sender's headers"] < turns["0 baseline: words"], (
        f"seed {run.seed}: the sender's headers do not lower the CV error:\n{run['turns']}"
    )


def test_headers_alone_score_too_well(run):
    leak = run["leak"]
    alone = leak.loc["headers alone", "all header fields (leaky)"]
    words = run["encodings"].loc["binary", "CV error"]
    assert alone < 1.5 * words, (
        f"seed {run.seed}: headers alone {alone:.2%} vs words {words:.2%}: the check that "
        "should look too good to be true does not"
    )


def test_the_heaviest_spam_header_words_include_collection_fields(run):
    heaviest = set(run["spammiest_headers"])
    named = {"x-keywords", "delivered-to", "list-id:sightings"}  # the prose's examples
    assert len(heaviest & named) >= 2, (
        f"seed {run.seed}: the heaviest spam header words {sorted(heaviest)} hold fewer than two "
        f"of the collection fields the lesson names {sorted(named)}"
    )


def test_removing_the_leaky_fields_raises_the_header_models_error(run):
    alone = run["leak"].loc["headers alone"]
    leaky, honest = alone["all header fields (leaky)"], alone["sender's fields only (honest)"]
    assert honest > 1.5 * leaky, (
        f"seed {run.seed}: headers alone, honest {honest:.2%} vs leaky {leaky:.2%}: the lesson "
        "says removing the collection's fields makes the header model about twice as bad"
    )


def test_beside_the_words_the_leaky_fields_add_almost_nothing(run):
    both = run["leak"].loc["words + headers"]
    leaky, honest = both["all header fields (leaky)"], both["sender's fields only (honest)"]
    assert abs(honest - leaky) < 0.0025, (
        f"seed {run.seed}: words + headers, honest {honest:.2%} vs leaky {leaky:.2%}: the lesson "
        "says the two are within a few messages of each other"
    )


def test_the_later_collection_scores_worse_than_cv_promised(run):
    drift = run["drift"]
    cv, later = drift["CV error, earlier collection"], drift["error on the later collection"]
    assert later > 2 * cv, (
        f"seed {run.seed}: later collection {later:.2%} vs CV on the earlier {cv:.2%}: "
        "no clear drop"
    )


def test_the_monitor_flags_the_later_collection(run):
    monitor = run["monitor"]
    for signal in ("score", "unknown words"):
        row = monitor.loc[signal]
        assert row["psi_level"] != "stable" and row["ks_p_value"] < 0.05, (
            f"seed {run.seed}: the monitor does not flag the {signal!r} signal:\n{monitor}"
        )


def test_retraining_on_recent_mail_lowers_the_error(run):
    retraining = run["retraining"]
    deployed = retraining["deployed model (earlier collection only)"]
    retrained = retraining["retrained with half of the later collection"]
    assert retrained < deployed, (
        f"seed {run.seed}: retrained {retrained:.2%} vs deployed {deployed:.2%} on the unseen half"
    )


def test_a_costly_false_positive_moves_the_threshold_up(run):
    trade_off = run["trade_off"]
    best = trade_off["cost"].idxmin()
    at_half = trade_off.loc[0.5]
    assert best > 0.5, f"seed {run.seed}: the cheapest threshold is {best}, not above 0.5"
    assert trade_off.loc[best, "ham lost"] < at_half["ham lost"], (
        f"seed {run.seed}: threshold {best} loses no fewer ham than 0.5:\n{trade_off}"
    )
    assert trade_off.loc[best, "cost"] < at_half["cost"], (
        f"seed {run.seed}: threshold {best} is not cheaper than 0.5:\n{trade_off}"
    )


def test_the_honest_model_reaches_the_issue_goal(run):
    accuracy = 1 - run["turns"].loc["2 + sender's headers", "CV error"]
    assert accuracy >= 0.985, (
        f"seed {run.seed}: honest CV accuracy {accuracy:.2%}, below the 98.5% goal (a textbook "
        "exercise's score on easy ham only; this corpus includes hard ham)"
    )


def test_the_authors_tags_cover_the_errors(run):
    tagged = run["tagged"]
    assert tagged["tagged"] >= 0.9 * tagged["errors"], (
        f"seed {run.seed}: only {tagged['tagged']} of {tagged['errors']} CV errors carry the "
        "authors' tags: tag the new errors (mlcourse/assets/spamassassin_error_tags.csv)"
    )


def test_newsletters_are_the_biggest_group_and_misspellings_nearly_absent(run):
    tally = run["tally"]
    assert tally.index[0] == "newsletter", f"seed {run.seed}: the biggest group is\n{tally}"
    assert tally.loc["newsletter", "share"] >= 0.25, f"seed {run.seed}:\n{tally}"
    assert tally.loc["plain_spam", "share"] >= 0.2, (
        f"seed {run.seed}: the lesson calls plain spam the second, mirror-image group:\n{tally}"
    )
    misspelled = tally["share"].get("misspelled", 0.0)
    assert misspelled < 0.05, f"seed {run.seed}: misspelled is {misspelled:.0%} of the errors"


def test_the_fix_repairs_part_of_its_group_breaks_others_and_hardly_moves_the_total(run):
    fix = run["fix"]
    before, after = fix.loc["turn 2"], fix.loc["turn 3"]
    assert after["error on the group"] < before["error on the group"] - 0.05, (
        f"seed {run.seed}: the weight does not repair part of the newsletter group:\n{fix}"
    )
    assert after["error on the group"] > 0.3, (
        f"seed {run.seed}: the lesson says the weight repairs part of the group, not most:\n{fix}"
    )
    assert after["spam let through"] > before["spam let through"], (
        f"seed {run.seed}: the lesson says the weight lets more spam through:\n{fix}"
    )
    assert after["ham lost"] < before["ham lost"], f"seed {run.seed}: no fewer ham lost:\n{fix}"
    assert abs(after["CV error"] - before["CV error"]) < 0.002, (
        f"seed {run.seed}: the lesson says the overall CV error hardly moves:\n{fix}"
    )


def test_real_disguises_are_rare_and_undoing_them_hardly_moves_the_error(run):
    disguised, turn = run["disguised"], run["disguise_turn"]
    assert (disguised.loc["spam"] > 0).all() and (disguised.loc["spam"] < 0.05).all(), (
        f"seed {run.seed}: the lesson says a few percent of the spam uses each trick:\n{disguised}"
    )
    before, after = turn.loc["turn 2", "CV error"], turn.loc["turn 4", "CV error"]
    assert abs(after - before) < 0.0015, (
        f"seed {run.seed}: undoing disguises moves the CV error from {before:.2%} to "
        f"{after:.2%}; the lesson says a few messages at most"
    )


def test_the_learning_curve_says_more_data(run):
    curve = run["curve"]
    cv, train = curve["CV error"], curve["train error"]
    assert cv.is_monotonic_decreasing and cv.iloc[-2] > cv.iloc[-1], (
        f"seed {run.seed}: the CV error is not still falling at the largest size:\n{curve}"
    )
    assert (train < 0.3 * cv).all(), (
        f"seed {run.seed}: the lesson says the training error stays near zero:\n{curve}"
    )


def test_the_server_answers_what_the_model_says(run):
    answers = run["served_answers"]
    gap = (answers["P(spam) from the server"] - answers["P(spam) in this notebook"]).abs().max()
    assert gap < 1e-6, f"seed {run.seed}: the server and the notebook disagree by {gap}:\n{answers}"
    assert answers["server says"].iloc[1] == 1, (
        f"seed {run.seed}: the served model lets the obvious new spam through:\n{answers}"
    )


def test_the_cheapest_threshold_is_inside_the_grid(run):
    trade_off = run["trade_off"]
    best = trade_off["cost"].idxmin()
    assert trade_off.index.min() < best < trade_off.index.max(), (
        f"seed {run.seed}: the cheapest threshold {best} is at the edge of the grid searched:\n"
        f"{trade_off}"
    )
