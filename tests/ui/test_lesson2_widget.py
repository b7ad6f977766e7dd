"""Lesson 2 in a real JupyterLab: click a tag toggle and Next, and the live tally changes."""

from __future__ import annotations

import re

from .lab import error_outputs, open_notebook, run_notebook

NOTEBOOK = "notebooks/02_error_analysis.ipynb"
ACTIVE = re.compile(r"\bmod-active\b")  # ipywidgets marks a toggle that is on


def test_tagging_widget_updates_the_tally(page, lab):
    from playwright.sync_api import expect

    run_notebook(page, lab, NOTEBOOK)

    tagger = page.locator(".mlc-tagger")
    expect(tagger).to_have_count(1)
    tagger.scroll_into_view_if_needed()
    tally, progress = page.locator(".mlc-tally"), page.locator(".mlc-progress")
    expect(tally).to_contain_text("nothing tagged yet")
    expect(progress).to_contain_text("0 / ")
    # The example is readable: subject, sender and the routing hops are shown.
    expect(page.locator(".mlc-example")).to_contain_text("Subject:")
    expect(page.locator(".mlc-example")).to_contain_text("Received")

    # Mouse: switch a tag on; the tally updates at once, before Next.
    page.locator("button.mlc-tag-misspelled").click()
    expect(page.locator("button.mlc-tag-misspelled")).to_have_class(ACTIVE)
    expect(tally).to_contain_text("misspelled")
    expect(progress).to_contain_text("1 / ")
    page.locator("button.mlc-next").click()
    expect(progress).to_contain_text("showing example 2")
    expect(page.locator("button.mlc-tag-misspelled")).not_to_have_class(ACTIVE)

    # Keyboard: focus a toggle and press Space; then Next with Enter.
    page.locator("button.mlc-tag-pharma").focus()
    page.keyboard.press("Space")
    expect(tally).to_contain_text("pharma")
    expect(progress).to_contain_text("2 / ")
    page.locator("button.mlc-next").focus()
    page.keyboard.press("Enter")
    expect(progress).to_contain_text("showing example 3")

    # The shortcut box: "1 n" toggles tag 1 (pharma) and moves on.
    keys = page.locator(".mlc-keys input")
    keys.fill("1 n")
    keys.press("Enter")
    expect(progress).to_contain_text("3 / ")
    expect(progress).to_contain_text("showing example 4")
    expect(tally).to_contain_text("of 3 tagged")
    assert not error_outputs(page)

    # Close the notebook's page and open it again (the kernel keeps running), then run the
    # widget's cell: the tagger resumes from its file, with the tags and the position kept.
    open_notebook(page, lab, NOTEBOOK)
    cell = page.locator(".jp-CodeCell", has_text="tagger = ErrorTagger(")
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    expect(progress).to_contain_text("3 / ", timeout=30_000)
    expect(progress).to_contain_text("showing example 4")
    expect(page.locator(".mlc-status")).to_contain_text("Resumed")
    expect(tally).to_contain_text("pharma")
    assert not error_outputs(page)
