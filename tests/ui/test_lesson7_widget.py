"""Lesson 7 in a real JupyterLab, on the real corpus: the tagger shows a real CV error and its
tally responds, and the quiz renders."""

from __future__ import annotations

from .lab import error_outputs, run_notebook

NOTEBOOK = "notebooks/07_real_mail.ipynb"


def test_tagging_real_errors_updates_the_tally(page, lab, spamassassin_corpus):
    from playwright.sync_api import expect

    run_notebook(page, lab, NOTEBOOK)

    tagger = page.locator(".mlc-tagger")
    expect(tagger).to_have_count(1)
    tagger.scroll_into_view_if_needed()
    tally, progress = page.locator(".mlc-tally"), page.locator(".mlc-progress")
    expect(progress).to_contain_text("0 / ")
    expect(page.locator(".mlc-example")).to_contain_text("Subject:")  # a real message

    newsletter = page.locator("button.mlc-tag-newsletter")
    newsletter.click()
    expect(tally).to_contain_text("newsletter")
    expect(progress).to_contain_text("1 / ")
    page.locator("button.mlc-next").click()
    expect(progress).to_contain_text("showing example 2")

    expect(page.locator(".mlc-quiz")).to_have_count(1)
    assert not error_outputs(page)
