"""A self-check quiz for the end of each lesson: multiple choice, explanations, a score.

Each question has radio buttons for its options and a *Check* button. Checking locks the
answer, says whether it was right, shows the explanation and updates the score; *Start over*
clears everything. All of it works from the keyboard: Tab moves between the controls, the arrow
keys choose an option, Enter or Space presses a button.

Without a running kernel (a notebook viewed on the web, exported to HTML, or printed) the quiz
shows as Markdown: the questions and options, with each answer and explanation folded away in a
``<details>`` block, so nobody sees the answers by accident. Widgets carry stable CSS classes
(``mlc-quiz-*``) for the browser tests.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as widgets

__all__ = ["Question", "Quiz"]

_KEYS = ("question", "options", "answer", "explanation")
_LETTERS = "ABCDEFGHIJ"


@dataclass(frozen=True)
class Question:
    """One multiple-choice question: its text, 2 to 10 options, the right one, and why.

    ``answer`` is the 0-based index of the right option. :class:`Quiz` also accepts a plain
    mapping with the same keys (``question``, ``options``, ``answer``, ``explanation``), where
    ``answer`` may be the text of the right option.
    """

    question: str
    options: tuple[str, ...]
    answer: int
    explanation: str

    @property
    def correct(self) -> str:
        return self.options[self.answer]


def _text(value, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{what} is empty")
    return value.strip()


def _question(item, number: int) -> Question:
    where = f"question {number}"
    if isinstance(item, Question):
        item = {k: getattr(item, k) for k in _KEYS}
    if not isinstance(item, Mapping):
        raise TypeError(
            f"{where} must be a dict with keys {list(_KEYS)} (or a Question), "
            f"got {type(item).__name__}"
        )
    missing = [k for k in _KEYS if k not in item]
    unknown = sorted(set(item) - set(_KEYS), key=str)
    if unknown:
        raise ValueError(f"{where} has unknown key(s) {unknown}; the keys are {list(_KEYS)}")
    if missing:
        raise ValueError(f"{where} is missing {missing}; the keys are {list(_KEYS)}")
    text = _text(item["question"], f"{where}'s text")
    options = item["options"]
    if isinstance(options, str) or not isinstance(options, Sequence):
        raise TypeError(f"{where}'s options must be a list of strings, got {options!r}")
    options = tuple(_text(o, f"an option of {where}") for o in options)
    if not 2 <= len(options) <= len(_LETTERS):
        raise ValueError(f"{where} needs 2 to {len(_LETTERS)} options, got {len(options)}")
    if len(set(options)) != len(options):
        raise ValueError(f"{where} has the same option twice")
    answer = item["answer"]
    if isinstance(answer, str):
        if answer.strip() not in options:
            raise ValueError(f"{where}'s answer {answer!r} is not one of its options")
        answer = options.index(answer.strip())
    elif isinstance(answer, bool) or not isinstance(answer, int):
        raise TypeError(
            f"{where}'s answer must be the index of the right option (0 for the first) "
            f"or its text, got {answer!r}"
        )
    elif not 0 <= answer < len(options):
        raise ValueError(
            f"{where}'s answer {answer} is not an option index: use 0 to {len(options) - 1} "
            "(0 is the first option)"
        )
    explanation = _text(item["explanation"], f"{where}'s explanation")
    return Question(text, options, int(answer), explanation)


def _inline(text: str) -> str:
    """Escape ``text`` for HTML, keeping `code` spans as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


class Quiz(widgets.VBox):
    """A self-check quiz: multiple choice, explanations after each answer, and a score.

    Parameters
    ----------
    questions : sequence of dict or Question
        Each with ``question`` (text; `backticks` show as code), ``options`` (2 to 10
        strings), ``answer`` (the index of the right option, 0 for the first, or its text) and
        ``explanation`` (shown after answering, right or wrong). Bad input raises ``TypeError``
        or ``ValueError`` naming the question and the problem.
    title : str, default="Check yourself"
        The heading.

    Attributes
    ----------
    questions : tuple of Question
    choices : list of ToggleButtons
        One per question. ``quiz.choices[0].value = "an option"`` picks an option.
    check_buttons : list of Button
        ``quiz.check_buttons[0].click()`` checks the first question.
    feedback : list of HTML
    score_html : HTML
    reset_button : Button

    Examples
    --------
    >>> quiz = Quiz([
    ...     {"question": "Training error 1%, CV error 9%, human error 1%. What is high?",
    ...      "options": ["bias", "variance"], "answer": "variance",
    ...      "explanation": "The gap between training and CV error is the variance."},
    ... ])
    >>> quiz.choices[0].value = "variance"
    >>> quiz.check_buttons[0].click()
    >>> quiz.score, quiz.n_answered
    (1, 1)
    >>> print(quiz.to_markdown().splitlines()[0])
    **Check yourself** (1 question)
    """

    def __init__(self, questions, *, title: str = "Check yourself"):
        if isinstance(questions, (str, Mapping)) or not isinstance(questions, Sequence):
            raise TypeError(
                "questions must be a list of questions (dicts or Question objects), "
                f"got {type(questions).__name__}"
            )
        if not questions:
            raise ValueError("questions is empty: a quiz needs at least one question")
        self.questions = tuple(_question(q, i) for i, q in enumerate(questions, start=1))
        self.title = _text(title, "title")
        self._results: list[bool | None] = [None] * len(self.questions)

        self.choices, self.check_buttons, self.feedback = [], [], []
        boxes = []
        for i, q in enumerate(self.questions):
            prompt = widgets.HTML(f"<b>{i + 1}.</b> {_inline(q.question)}")
            # Buttons, not radio buttons: in a notebook, JupyterLab takes the arrow keys (they
            # move between cells), so a radio group cannot be changed from the keyboard. Tab
            # reaches each option button, and Space or Enter picks it.
            choice = widgets.ToggleButtons(
                options=list(q.options),
                value=None,
                style={"button_width": "auto"},
                tooltips=[f"Option {_LETTERS[k]}" for k in range(len(q.options))],
                layout=widgets.Layout(width="100%"),
            ).add_class("mlc-quiz-choice")
            check = widgets.Button(
                description="Check",
                disabled=True,
                tooltip="Pick an option first (Tab to it, Space), then press Check",
            ).add_class("mlc-quiz-check")
            note = widgets.HTML().add_class("mlc-quiz-feedback")
            choice.observe(lambda change, i=i: self._on_choice(i), names="value")
            check.on_click(lambda _b, i=i: self.check(i))
            self.choices.append(choice)
            self.check_buttons.append(check)
            self.feedback.append(note)
            boxes.append(widgets.VBox([prompt, choice, check, note]).add_class("mlc-quiz-question"))
        self.score_html = widgets.HTML().add_class("mlc-quiz-score")
        self.reset_button = widgets.Button(
            description="Start over", icon="undo", tooltip="Clear all answers"
        ).add_class("mlc-quiz-reset")
        self.reset_button.on_click(lambda _b: self.reset())
        header = widgets.HTML(f"<h3>{html.escape(self.title)}</h3>")
        super().__init__(children=[header, *boxes, self.score_html, self.reset_button])
        self.add_class("mlc-quiz")
        self._show_score()

    # ----------------------------------------------------------------------------------------
    @property
    def score(self) -> int:
        """How many questions were answered right."""
        return sum(r is True for r in self._results)

    @property
    def n_answered(self) -> int:
        """How many questions were checked."""
        return sum(r is not None for r in self._results)

    def check(self, i: int) -> bool:
        """Check question ``i`` (0-based) with its selected option; return whether it is right."""
        if not 0 <= i < len(self.questions):
            raise IndexError(
                f"there is no question {i}; questions are 0 to {len(self.questions) - 1}"
            )
        q, choice = self.questions[i], self.choices[i]
        if self._results[i] is not None:
            return self._results[i]
        if choice.value is None:
            self.feedback[i].value = "Pick an option first."
            return False
        right = choice.value == q.correct
        self._results[i] = right
        choice.disabled = True
        self.check_buttons[i].disabled = True
        verdict = (
            "<b>✓ Right.</b>"
            if right
            else f"<b>✗ Not quite.</b> The answer is <b>{_inline(q.correct)}</b>."
        )
        self.feedback[i].value = f"{verdict} {_inline(q.explanation)}"
        self._show_score()
        return right

    def reset(self) -> None:
        """Clear every answer and the score."""
        self._results = [None] * len(self.questions)
        for choice, check, note in zip(self.choices, self.check_buttons, self.feedback):
            choice.disabled = False
            choice.value = None
            check.disabled = True
            note.value = ""
        self._show_score()

    def to_markdown(self) -> str:
        """The quiz as Markdown: questions and options, answers folded in ``<details>``."""
        n = len(self.questions)
        lines = [f"**{self.title}** ({n} question{'s' if n > 1 else ''})", ""]
        for i, q in enumerate(self.questions, start=1):
            lines.append(f"{i}. {q.question}")
            lines += [f"   - {_LETTERS[k]}. {o}" for k, o in enumerate(q.options)]
            lines += [
                "",
                "   <details><summary>Answer</summary>",
                "",
                f"   **{_LETTERS[q.answer]}. {q.correct}**: {q.explanation}",
                "",
                "   </details>",
                "",
            ]
        return "\n".join(lines)

    # ----------------------------------------------------------------------------------------
    def _on_choice(self, i: int) -> None:
        if self._results[i] is None:
            self.check_buttons[i].disabled = self.choices[i].value is None
            self.check_buttons[i].tooltip = "Check this answer"
            self.feedback[i].value = ""

    def _show_score(self) -> None:
        n, done = len(self.questions), self.n_answered
        text = f"<b>Score: {self.score} / {n}</b>"
        if done < n:
            text += f" · {done} of {n} checked"
        else:
            text += " · all checked. Re-read the sections behind any you missed."
        self.score_html.value = text

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_mimebundle_(self, **kwargs):
        # With a kernel the widget view wins; without one, viewers fall back to the Markdown.
        data = super()._repr_mimebundle_(**kwargs) or {}
        questions = "; ".join(q.question for q in self.questions)
        data["text/plain"] = f"Quiz: {self.title} ({len(self.questions)} questions): {questions}"
        data["text/markdown"] = self.to_markdown()
        return data
