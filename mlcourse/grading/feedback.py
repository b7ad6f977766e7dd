"""Feedback preprocessors: hidden tests never shown, output size limited.

``nbgrader_config.py`` wires these classes into nbgrader (as ``mlcourse.grading.X``).
"""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from traitlets import Integer

__all__ = ["HideHiddenTests", "LimitOutputSize"]

_GRADER_NOTES = {  # error names mlcourse.grading.execute writes
    "KernelDied": "The kernel stopped while this test cell ran (a limit was reached or the code "
    "exited), so it scores zero.\n",
    "NotRun": "This test cell did not run because the kernel stopped earlier, so it scores zero.\n",
}

_HIDDEN_NOTE = (
    "A hidden test in this cell failed ({ename}). Hidden tests check cases beyond the visible "
    "ones; re-read the task and test your function on your own edge cases."
)


class HideHiddenTests(ClearHiddenTests):
    """Remove hidden tests from feedback, including from error tracebacks.

    nbgrader restores hidden tests before autograding, and the feedback HTML shows every cell as
    it ran. Removing the hidden region from the source is not enough: a failing cell's traceback
    quotes the lines around the failure, and anything a hidden test prints or displays may echo
    what it checks. For every cell that held hidden tests this keeps the visible source, drops
    all outputs and, if the cell failed, states which exception was raised (no traceback).
    """

    enforce_metadata = False

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or self.begin_test_delimeter not in cell.source:
            return cell, resources
        self._remove_hidden_test_region(cell)
        # Test cells print nothing when they pass, and whatever ran while hidden tests ran
        # (printed text, displayed values, the last expression's result) may echo them.
        # The grader's own errors (kernel died, cell not run) get fixed texts: their messages
        # are not echoed, since student code could raise an exception of the same name.
        cell.outputs = [
            NotebookNode(
                output_type="stream",
                name="stderr",
                text=_GRADER_NOTES.get(out.get("ename"))
                or _HIDDEN_NOTE.format(ename=out.get("ename", "error")) + "\n",
            )
            for out in cell.get("outputs", [])
            if out.get("output_type") == "error"
        ]
        return cell, resources


class LimitOutputSize(NbGraderPreprocessor):
    """Truncate very large text outputs (nbgrader's ``LimitOutput`` only counts lines).

    A single ``print("x" * 10**8)`` is one line; without this it would be stored whole in the
    autograded notebook and rendered whole into feedback.
    """

    max_chars = Integer(100_000, help="Largest text output kept per output").tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and len(out.get("text", "")) > self.max_chars:
                out["text"] = out["text"][: self.max_chars] + "\n... Output truncated ...\n"
            data = out.get("data", {})
            for mime, value in list(data.items()):
                if isinstance(value, str) and len(value) > self.max_chars:
                    data[mime] = value[: self.max_chars] + "\n... Output truncated ..."
        return cell, resources
