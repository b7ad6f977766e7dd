"""The self-check quiz, driven from Python: choose, check, explanations, score, reset, fallback."""

from __future__ import annotations

import pytest

from mlcourse.widgets import Question, Quiz

QUESTIONS = [
    {
        "question": "Training error 1%, CV error 9%, human error 1%. The model has high ...",
        "options": ["bias", "variance", "both"],
        "answer": 1,
        "explanation": "The gap between training and CV error is the variance.",
    },
    {
        "question": "Which errors do you read in error analysis?",
        "options": ["training-set errors", "cross-validation errors"],
        "answer": "cross-validation errors",
        "explanation": "The model has seen its training emails; use `cross_val_predict`.",
    },
    Question(
        "A group is 30% of the errors. Fixing it gains ...",
        ("exactly 30% of the errors", "an estimate: measure it"),
        1,
        "The share is an estimate; a fix can help other groups or fail on its own.",
    ),
]


def test_choose_check_explain_and_score():
    quiz = Quiz(QUESTIONS)
    assert "Score: 0 / 3" in quiz.score_html.value and "0 of 3 checked" in quiz.score_html.value
    assert all(b.disabled for b in quiz.check_buttons), "nothing to check before a choice"

    quiz.choices[0].value = "variance"
    assert not quiz.check_buttons[0].disabled
    quiz.check_buttons[0].click()
    assert "Right" in quiz.feedback[0].value and "gap between training" in quiz.feedback[0].value
    assert quiz.choices[0].disabled and quiz.check_buttons[0].disabled  # the answer is locked
    assert (quiz.score, quiz.n_answered) == (1, 1)

    quiz.choices[1].value = "training-set errors"
    quiz.check_buttons[1].click()
    shown = quiz.feedback[1].value
    assert "Not quite" in shown and "<b>cross-validation errors</b>" in shown
    assert "<code>cross_val_predict</code>" in shown
    assert (quiz.score, quiz.n_answered) == (1, 2)
    quiz.choices[1].value = "cross-validation errors"  # a locked question cannot be re-scored
    assert quiz.check(1) is False and quiz.score == 1

    quiz.choices[2].value = "an estimate: measure it"
    quiz.check_buttons[2].click()
    assert "Score: 2 / 3" in quiz.score_html.value and "all checked" in quiz.score_html.value


def test_start_over_clears_everything():
    quiz = Quiz(QUESTIONS)
    quiz.choices[0].value = "bias"
    quiz.check_buttons[0].click()
    quiz.reset_button.click()
    assert (quiz.score, quiz.n_answered) == (0, 0)
    assert quiz.choices[0].value is None and not quiz.choices[0].disabled
    assert quiz.feedback[0].value == "" and quiz.check_buttons[0].disabled
    quiz.choices[0].value = "variance"
    assert quiz.check(0) is True


def test_checking_without_a_choice_asks_for_one():
    quiz = Quiz(QUESTIONS)
    assert quiz.check(0) is False
    assert "Pick an option" in quiz.feedback[0].value and quiz.n_answered == 0
    with pytest.raises(IndexError, match="no question 3"):
        quiz.check(3)


def test_keyboard_operable_controls_and_css_classes():
    quiz = Quiz(QUESTIONS)
    # Option buttons and Buttons (Tab, then Space or Enter) are native, focusable controls.
    assert type(quiz.choices[0]).__name__ == "ToggleButtons"  # JupyterLab keeps arrow keys
    assert type(quiz.check_buttons[0]).__name__ == "Button"
    assert "mlc-quiz" in quiz._dom_classes
    assert "mlc-quiz-check" in quiz.check_buttons[0]._dom_classes
    assert "mlc-quiz-score" in quiz.score_html._dom_classes


def test_static_rendering_hides_the_answers():
    quiz = Quiz(QUESTIONS, title="Lesson 1 check")
    md = quiz.to_markdown()
    assert md.startswith("**Lesson 1 check** (3 questions)")
    for q in quiz.questions:
        assert q.question in md and all(o in md for o in q.options)
    before_details = md.split("<details>")[0]
    assert "gap between training" not in before_details, "no explanation before the first fold"
    assert md.count("<details><summary>Answer</summary>") == 3
    assert "**B. variance**" in md
    bundle = quiz._repr_mimebundle_()
    assert bundle["text/markdown"] == md
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "variance" not in bundle["text/plain"].split(":", 1)[0]
    assert "Quiz: Lesson 1 check (3 questions)" in bundle["text/plain"]


def test_text_is_escaped():
    quiz = Quiz(
        [
            {
                "question": "<script>alert(1)</script> safe?",
                "options": ["<b>yes</b>", "no"],
                "answer": 1,
                "explanation": "a < b",
            }
        ]
    )
    shown = quiz.children[1].children[0].value
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    quiz.choices[0].value = "<b>yes</b>"
    quiz.check(0)
    assert "a &lt; b" in quiz.feedback[0].value and "&lt;b&gt;" not in quiz.feedback[0].value


def q(**change):
    return [{**QUESTIONS[0], **change}]


@pytest.mark.parametrize(
    ("questions", "exc", "match"),
    [
        ([], ValueError, "at least one question"),
        ("what?", TypeError, "list of questions"),
        (QUESTIONS[0], TypeError, "list of questions"),
        (["what?"], TypeError, "question 1 must be a dict"),
        ([{k: v for k, v in QUESTIONS[0].items() if k != "answer"}], ValueError, "missing"),
        (q(explaination="typo"), ValueError, "unknown key.*explaination"),
        (q(options=["only one"]), ValueError, "2 to 10 options"),
        (q(options="bias variance"), TypeError, "list of strings"),
        (q(options=["bias", "bias"]), ValueError, "same option twice"),
        (q(options=["bias", ""]), ValueError, "empty"),
        (q(answer=3), ValueError, "0 to 2"),
        (q(answer=True), TypeError, "index"),
        (q(answer="neither"), ValueError, "not one of its options"),
        (q(question="  "), ValueError, "question 1's text is empty"),
        (q(explanation=None), TypeError, "explanation must be a string"),
        ([QUESTIONS[0], {**QUESTIONS[0], "answer": 7}], ValueError, "question 2"),
    ],
)
def test_bad_questions_get_clear_errors(questions, exc, match):
    with pytest.raises(exc, match=match):
        Quiz(questions)
