"""ipywidgets for the course's hands-on steps.

- :class:`ErrorTagger` (lesson 2): read misclassified examples one at a time and tag them.
The augmentation preview (lesson 3) and the self-check :class:`Quiz` live in their own modules.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pandas as pd

from mlcourse.errors import (
    DEFAULT_TAGS,
    EMAIL_FIELDS,
    _atomic_write,
    _format_tag_file,
    _join,
    load_tags,
    normalize_tag,
    tally_tags,
)

# Lesson 3's augmentation preview lives in its own module (it needs no error-analysis code);
# it is re-exported here so every widget of the course is found in mlcourse.widgets.
from mlcourse.widgets_augment import AugmentPreview  # noqa: E402
from mlcourse.widgets_quiz import Question, Quiz  # noqa: E402

__all__ = ["AugmentPreview", "ErrorTagger", "Question", "Quiz"]

_RESULT_COLUMNS = ("true", "pred", "score")
_N_SHORTCUTS = 9


class ErrorTagger(widgets.VBox):
    """Tag misclassified examples by hand, one at a time, with a live tally and autosave.

    Shows one example (for an email: subject, sender, the routing hops, the body, and what the
    model said), a toggle per tag (several may apply: categories overlap), a box to add a new
    tag, *Previous*/*Next*, a progress count and a live tally. Every change is saved at once to
    ``path`` (a CSV, see :func:`mlcourse.errors.save_tags`), so closing the notebook loses
    nothing: create the tagger again with the same ``path`` and it resumes at the first example
    not yet tagged.

    An example counts as tagged as soon as you toggle a tag on it or press *Next* on it (with no
    toggle on, it means "none of these apply").

    Keyboard: Tab moves between the controls and Space or Enter presses the focused one. In the
    *keys* box, type tag numbers (``1`` to ``9``, as shown on the toggles), ``n`` for next and
    ``p`` for previous, then Enter: ``"2 5 n"`` toggles tags 2 and 5 and moves on.

    The file is never overwritten silently: a file that is not a tag file, is damaged or was
    written for another sample raises ``ValueError`` here and is left unchanged, and if the file
    changes on disk while you tag (another notebook tagging into it, say), saving stops and the
    status line says so.

    Parameters
    ----------
    examples : DataFrame
        The examples to tag, from :func:`mlcourse.errors.sample_errors`; the index names them.
    tags : iterable of str, default=mlcourse.errors.DEFAULT_TAGS
        The toggles to start with. Tags found in the file at ``path`` are added.
    path : str or path-like, optional
        The tag file: loaded if it exists, then kept up to date. ``None`` keeps tags in memory.
    labels : mapping, optional
        Display names of the labels, for example ``{0: "ham", 1: "spam"}``.
    fields : list of str, optional
        The columns to show. Default: subject, sender, received and body when present, otherwise
        every column but ``true``, ``pred`` and ``score``.

    Attributes
    ----------
    toggles : dict of str to ToggleButton
        One per tag. ``toggles["pharma"].value = True`` tags the current example.
    next_button, prev_button, add_button : Button
    new_tag, key_box : Text
    progress, tally_html, status, example_html : HTML

    Examples
    --------
    >>> import pandas as pd
    >>> sample = pd.DataFrame({"subject": ["Cheap med1cine", "Lunch?"], "body": ["...", "..."],
    ...                        "true": [1, 0], "pred": [0, 1], "score": [0.3, 0.8]})
    >>> tagger = ErrorTagger(sample, tags=["pharma", "misspelled"])
    >>> tagger.toggles["pharma"].value = True
    >>> tagger.toggles["misspelled"].value = True
    >>> tagger.next_button.click()
    >>> tagger.tags.to_dict()
    {0: 'misspelled;pharma'}
    >>> tagger.progress.value
    '<b>1 / 2 tagged</b> · showing example 2 of 2'
    """

    def __init__(
        self,
        examples: pd.DataFrame,
        *,
        tags: Iterable[str] = DEFAULT_TAGS,
        path=None,
        labels: Mapping | None = None,
        fields: list[str] | None = None,
    ):
        if not isinstance(examples, pd.DataFrame):
            raise TypeError(f"examples must be a pandas DataFrame, got {type(examples).__name__}")
        if len(examples) == 0:
            raise ValueError("examples is empty: there is nothing to tag")
        if examples.index.has_duplicates:
            raise ValueError("examples has duplicate index labels; each example needs its own id")
        if isinstance(tags, str):
            raise TypeError("tags must be a list of tag names, not a single string")
        self.examples = examples
        self.labels = dict(labels or {})
        if fields is None:
            fields = [c for c in EMAIL_FIELDS if c in examples.columns] or [
                c for c in examples.columns if c not in _RESULT_COLUMNS
            ]
        unknown = [f for f in fields if f not in examples.columns]
        if unknown:
            raise ValueError(f"fields {unknown} are not columns of examples")
        self.fields = list(fields)
        self._ids = list(examples.index)
        self._tags: dict = {}
        self._names: list[str] = []
        self._updating = False
        self.path = None if path is None else Path(path)
        self._disk_text: str | None = None
        self.save_error: str | None = None

        # Controls
        self.example_html = widgets.HTML().add_class("mlc-example")
        self.progress = widgets.HTML().add_class("mlc-progress")
        self.toggles: dict[str, widgets.ToggleButton] = {}
        self._toggle_box = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self._toggle_box.add_class("mlc-tags")
        self.prev_button = widgets.Button(
            description="Previous", icon="arrow-left", tooltip="Previous example (keys: p)"
        ).add_class("mlc-prev")
        self.next_button = widgets.Button(
            description="Next",
            icon="arrow-right",
            button_style="primary",
            tooltip="Record the toggles for this example and show the next (keys: n)",
        ).add_class("mlc-next")
        self.new_tag = widgets.Text(
            placeholder="new tag, e.g. fake_invoice", layout=widgets.Layout(width="16em")
        ).add_class("mlc-new-tag")
        self.add_button = widgets.Button(
            description="Add tag", icon="plus", tooltip="Add the tag typed on the left"
        ).add_class("mlc-add-tag")
        self.key_box = widgets.Text(
            placeholder="keys: 1-9 toggle a tag, n next, p previous, then Enter",
            continuous_update=False,
            layout=widgets.Layout(width="30em"),
        ).add_class("mlc-keys")
        self.tally_html = widgets.HTML().add_class("mlc-tally")
        self.status = widgets.HTML().add_class("mlc-status")

        self.prev_button.on_click(lambda _b: self.previous())
        self.next_button.on_click(lambda _b: self.next())
        self.add_button.on_click(lambda _b: self._add_from_text())
        self.key_box.observe(self._on_keys, names="value")

        for name in tags:
            self._add_toggle(normalize_tag(name))
        self.position = 0
        if self.path is not None and self.path.exists():
            self._resume()
            untagged = [i for i, e in enumerate(self._ids) if e not in self._tags]
            self.position = untagged[0] if untagged else len(self._ids) - 1

        super().__init__(
            children=[
                self.progress,
                self.example_html,
                self._toggle_box,
                widgets.HBox([self.prev_button, self.next_button, self.key_box]),
                widgets.HBox([self.new_tag, self.add_button]),
                self.status,
                self.tally_html,
            ]
        )
        self.add_class("mlc-tagger")
        self._show()
        if self.path is not None and self._disk_text is not None:
            self._set_status(f"Resumed from {html.escape(str(self.path))}.")

    # ----------------------------------------------------------------------------------------
    # public API
    # ----------------------------------------------------------------------------------------

    @property
    def tags(self) -> pd.Series:
        """The tags so far: a Series named ``tags``, indexed by example, in sample order."""
        ids = [e for e in self._ids if e in self._tags]
        return pd.Series(
            [_join(self._tags[e]) for e in ids],
            index=pd.Index(ids, name=self.examples.index.name),
            name="tags",
            dtype=object,
        )

    @property
    def n_tagged(self) -> int:
        """How many examples are tagged."""
        return len(self._tags)

    def tally(self) -> pd.DataFrame:
        """The tally of the examples tagged so far (:func:`mlcourse.errors.tally_tags`)."""
        return tally_tags(self.tags.tolist(), n_errors=max(self.n_tagged, 1))

    def next(self) -> None:
        """Record the current toggles for this example and show the next one."""
        self._record()
        if self.position < len(self._ids) - 1:
            self.position += 1
            self._show()
        else:
            self._show()
            if self.n_tagged == len(self._ids):
                self._set_status("All examples tagged. The tally below is complete.")

    def previous(self) -> None:
        """Show the previous example (the current one is left as it is)."""
        if self.position > 0:
            self.position -= 1
            self._show()

    def go_to(self, position: int) -> None:
        """Show the example at ``position`` (0-based) in the sample."""
        if not 0 <= position < len(self._ids):
            raise IndexError(f"position must be between 0 and {len(self._ids) - 1}")
        self.position = int(position)
        self._show()

    def add_tag(self, name: str) -> str:
        """Add a toggle for a new tag; return its normalised name."""
        tag = normalize_tag(name)
        if tag not in self.toggles:
            self._add_toggle(tag)
        return tag

    # ----------------------------------------------------------------------------------------
    # internals
    # ----------------------------------------------------------------------------------------

    def _add_toggle(self, tag: str) -> None:
        if tag in self.toggles:
            return
        k = len(self._names) + 1
        label = f"{k} {tag}" if k <= _N_SHORTCUTS else tag
        toggle = widgets.ToggleButton(
            description=label,
            tooltip=f"Tag '{tag}'" + (f" (keys: {k})" if k <= _N_SHORTCUTS else ""),
            layout=widgets.Layout(width="auto"),
        )
        toggle.add_class("mlc-tag-toggle")
        toggle.add_class(f"mlc-tag-{tag}")
        toggle.observe(self._on_toggle, names="value")
        self.toggles[tag] = toggle
        self._names.append(tag)
        self._toggle_box.children = tuple(self._toggle_box.children) + (toggle,)

    def _resume(self) -> None:
        text = self.path.read_bytes().decode("utf-8-sig", errors="replace")
        loaded = load_tags(self.path)  # raises a clear ValueError on a bad file
        by_str = {str(e): e for e in self._ids}
        foreign = [e for e in loaded.index if str(e) not in by_str]
        if foreign:
            raise ValueError(
                f"{self.path} holds tags for {len(foreign)} example(s) that are not in this "
                f"sample (for example {foreign[0]!r}): it was written for another sample. Use the "
                "sample it was made for (same data, model and random_state), or give another "
                "path. The file was left unchanged."
            )
        for example, value in loaded.items():
            found = frozenset(t for t in value.split(";") if t)
            for tag in sorted(found - set(self.toggles)):
                self._add_toggle(tag)
            self._tags[by_str[str(example)]] = found
        self._disk_text = text

    def _current(self):
        return self._ids[self.position]

    def _record(self) -> None:
        chosen = frozenset(t for t, w in self.toggles.items() if w.value)
        self._tags[self._current()] = chosen
        self._save()
        self._refresh_counts()

    def _on_toggle(self, _change) -> None:
        if not self._updating:
            self._record()

    def _add_from_text(self) -> None:
        try:
            tag = self.add_tag(self.new_tag.value)
        except (TypeError, ValueError) as exc:
            self._set_status(html.escape(str(exc)), error=True)
            return
        self.new_tag.value = ""
        self._set_status(f"Added the tag '{html.escape(tag)}'.")

    def _on_keys(self, change) -> None:
        if self._updating or not change["new"].strip():
            return
        command = change["new"]
        self._updating = True
        try:
            self.key_box.value = ""
        finally:
            self._updating = False
        actions = []
        for token in command.replace(",", " ").split():
            if token.isdigit():
                actions.extend(int(ch) for ch in token)
            elif token.lower() in ("n", "p"):
                actions.append(token.lower())
            else:
                self._set_status(
                    f"Unknown key {html.escape(token)!r}: use tag numbers 1-9, n or p.", error=True
                )
                return
        for action in actions:
            if action == "n":
                self.next()
            elif action == "p":
                self.previous()
            elif 1 <= action <= min(len(self._names), _N_SHORTCUTS):
                toggle = self.toggles[self._names[action - 1]]
                toggle.value = not toggle.value
            else:
                self._set_status(f"There is no tag number {action}.", error=True)

    def _save(self) -> None:
        if self.path is None:
            return
        if self.save_error is not None:
            return  # stay stopped until the learner sorts the file out
        on_disk = None
        if self.path.exists():
            on_disk = self.path.read_bytes().decode("utf-8-sig", errors="replace")
        if on_disk is not None and on_disk != self._disk_text:
            self.save_error = (
                f"{self.path} changed on disk since this tagger last read or wrote it (another "
                "notebook or program?). Saving has stopped so it is not overwritten; your tags "
                "since then are in memory (tagger.tags). Save them elsewhere with "
                "mlcourse.errors.save_tags(tagger.tags, 'other.csv')."
            )
            self._set_status(html.escape(self.save_error), error=True)
            return
        text = _format_tag_file({e: self._tags[e] for e in self._ids if e in self._tags})
        _atomic_write(self.path, text)
        self._disk_text = text
        self._set_status(
            f"Saved {self.n_tagged} tagged example(s) to {html.escape(str(self.path))}."
        )

    def _set_status(self, message: str, *, error: bool = False) -> None:
        color = "#b00020" if error else "#555"
        self.status.value = f'<span style="color:{color}">{message}</span>'

    def _label(self, value) -> str:
        return html.escape(str(self.labels.get(value, value)))

    def _show(self) -> None:
        row = self.examples.iloc[self.position]
        parts = []
        for field in self.fields:
            value = html.escape(str(row[field]))
            if field == "received":
                hops = value.count("\n") + 1
                parts.append(
                    f"<div><b>Received</b> ({hops} hops, newest first):"
                    f'<pre style="margin:0.2em 0;white-space:pre-wrap">{value}</pre></div>'
                )
            elif field == "body":
                parts.append(
                    '<div><b>Body:</b><div style="white-space:pre-wrap;max-height:14em;'
                    f'overflow:auto;border:1px solid #ddd;padding:0.3em">{value}</div></div>'
                )
            else:
                parts.append(f"<div><b>{html.escape(field.capitalize())}:</b> {value}</div>")
        verdict = []
        if "true" in row.index:
            verdict.append(f"label: <b>{self._label(row['true'])}</b>")
        if "pred" in row.index:
            verdict.append(f"model said: <b>{self._label(row['pred'])}</b>")
        if "score" in row.index and not pd.isna(row["score"]):
            verdict.append(f"score {float(row['score']):.2f}")
        if verdict:
            parts.insert(0, f"<div>{' · '.join(verdict)}</div>")
        self.example_html.value = "".join(parts)

        current = self._tags.get(self._current(), frozenset())
        self._updating = True
        try:
            for tag, toggle in self.toggles.items():
                toggle.value = tag in current
        finally:
            self._updating = False
        self.prev_button.disabled = self.position == 0
        self._refresh_counts()

    def _refresh_counts(self) -> None:
        n = len(self._ids)
        mark = " (tagged)" if self._current() in self._tags else ""
        self.progress.value = (
            f"<b>{self.n_tagged} / {n} tagged</b> · showing example {self.position + 1} of {n}"
            + mark
        )
        if not self._tags:
            self.tally_html.value = "<b>Tally:</b> nothing tagged yet."
            return
        table = self.tally()
        rows = "".join(
            f"<tr><td>{html.escape(str(tag))}</td><td style='text-align:right'>{c}</td>"
            f"<td style='text-align:right'>{s:.0%}</td>"
            f"<td><span style='display:inline-block;background:#4c72b0;height:0.8em;"
            f"width:{s * 10:.1f}em'></span></td></tr>"
            for tag, c, s in zip(
                table.index, table["count"], np.asarray(table["share"]), strict=True
            )
        )
        self.tally_html.value = (
            f"<b>Tally</b> of {self.n_tagged} tagged example(s) (one may carry several tags):"
            f"<table><tr><th>tag</th><th>count</th><th>share</th><th></th></tr>{rows}</table>"
        )
