"""Lesson 1 in a real JupyterLab: the self-check quiz at the end renders and checks an answer."""

from __future__ import annotations

from .lab import error_outputs, run_notebook

NOTEBOOK = "notebooks/01_iterative_loop.ipynb"


def test_quiz_checks_an_answer_and_keeps_score(page, lab):
    from playwright.sync_api import expect

    run_notebook(page, lab, NOTEBOOK)

    quiz = page.locator(".mlc-quiz")
    expect(quiz).to_have_count(1)
    quiz.scroll_into_view_if_needed()
    first = quiz.locator(".mlc-quiz-question").first
    check = first.locator("button.mlc-quiz-check")
    expect(check).to_be_disabled()  # nothing picked yet
    first.locator(".mlc-quiz-choice button", has_text="variance").first.click()
    expect(check).to_be_enabled()
    check.click()
    expect(first.locator(".mlc-quiz-feedback")).to_contain_text("Right")
    expect(quiz.locator(".mlc-quiz-score")).to_contain_text("Score: 1 /")

    # Keyboard: the last question, a wrong answer; the right one is named in the feedback.
    last = quiz.locator(".mlc-quiz-question").last
    last.locator(".mlc-quiz-choice button", has_text="below 0.5").click()
    last_check = last.locator("button.mlc-quiz-check")
    # The kernel enables Check after the choice; a disabled button takes no focus (under load
    # the Enter went nowhere).
    expect(last_check).to_be_enabled()
    last_check.focus()
    expect(last_check).to_be_focused()
    page.keyboard.press("Enter")
    expect(last.locator(".mlc-quiz-feedback")).to_contain_text("above 0.5")
    expect(quiz.locator(".mlc-quiz-score")).to_contain_text("Score: 1 /")
    assert not error_outputs(page)
