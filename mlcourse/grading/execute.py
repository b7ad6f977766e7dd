"""nbgrader's ``Execute`` preprocessor, with every kernel in the grading sandbox.

``nbgrader autograde``, the formgrader's Autograde button and ``python -m mlcourse autograde``
all run the preprocessors listed in ``c.Autograde.autograde_preprocessors``; listing
``mlcourse.grading.SandboxedExecute`` there instead of ``nbgrader.preprocessors.Execute`` puts
each of them in the sandbox (the Validate button, which students run on their own work, keeps
nbgrader's ``Execute``).

Beyond sandboxing, a submission that breaks a limit is still graded: when the kernel dies (CPU
time used up, ``os._exit``, a crash) the cell that killed it and every later code cell get an
error output saying what happened, so each test cell that did not run scores zero, and the
grades of the cells that ran are kept. nbgrader alone would drop the whole submission, or,
worse, give a test cell without output full marks. A cell that ran out of memory or time gets a
note naming the limit.
"""

from __future__ import annotations

import json
import os

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import Execute
from traitlets import default

from mlcourse.grading.kernel import SandboxedKernelManager
from mlcourse.grading.sandbox import Sandbox, SandboxUnavailable

__all__ = ["SandboxedExecute", "UNSAFE_NOTE"]

EVENTS_ENV = "MLCOURSE_GRADING_EVENTS"  # a JSON-lines file the parallel command reads
UNSAFE_NOTE = (
    "**Graded without a sandbox.** The instructor autograded this notebook with "
    "`Sandbox.unsafe` set: your code ran with the grader's files and network rather than in "
    "the isolated sandbox the course normally uses."
)


def _error(ename: str, message: str) -> NotebookNode:
    return NotebookNode(
        output_type="error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"]
    )


def _note(text: str) -> NotebookNode:
    return NotebookNode(output_type="stream", name="stderr", text=f"[grader] {text}\n")


class SandboxedExecute(Execute):
    """Execute a notebook for autograding inside the sandbox (see the module docstring)."""

    @default("shutdown_kernel")
    def _shutdown_kernel_default(self) -> str:
        # Once the last cell has answered, every output is in: stop the kernel at once. A
        # graceful shutdown waits about 0.4 s for the kernel to exit on its own, an idle core
        # per notebook; the sandbox's namespaces end the kernel's processes either way.
        return "immediate"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if not isinstance(km, SandboxedKernelManager) and not self._sandbox.unsafe:
            raise SandboxUnavailable(
                f"SandboxedExecute.kernel_manager_class is {type(km).__name__}, which does not "
                "sandbox student code; use mlcourse.grading.SandboxedKernelManager."
            )
        self._km = km
        return km

    def preprocess(self, nb, resources, retries=None):
        self._sandbox = Sandbox(parent=self)
        if not self._sandbox.unsafe:
            self._sandbox.check()  # refuse before any student code runs
        self._km = None
        self._death = None
        self._events = []
        self._notebook = resources.get("nbgrader", {}).get("notebook", "")
        try:
            nb, resources = super().preprocess(nb, resources, retries)
        finally:
            self._write_events()
        defused = getattr(self._km, "defused", [])
        if defused:
            self._event(None, "defused", f"removed links or special files: {defused}")
            self._write_events()
        if self._sandbox.unsafe:
            nb.cells.insert(0, new_markdown_cell(UNSAFE_NOTE))
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if self._death is not None:
            if cell.cell_type == "code":
                cell.outputs = [
                    _error("NotRun", f"this cell did not run because {self._death} earlier.")
                ]
                cell.execution_count = None
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._death = self._km.death_reason() if self._km is not None else "the kernel died"
            cell.outputs.append(
                _error(
                    "KernelDied",
                    f"{self._death} while running this cell. Nothing after it ran, so the "
                    "tests after it score zero.",
                )
            )
            self._event(index, "kernel_died", self._death)
            return cell, self.resources
        if cell.cell_type == "code":
            self._annotate(cell, index)
        return cell, resources

    def _annotate(self, cell, index: int) -> None:
        names = {o.get("ename") for o in cell.get("outputs", []) if o.output_type == "error"}
        if "MemoryError" in names and self._sandbox.memory_limit:
            limit = self._sandbox.memory_limit / 1024**3
            cell.outputs.append(
                _note(f"this cell ran out of memory: a submission may use at most {limit:g} GiB.")
            )
            self._event(index, "memory", f"MemoryError (limit {limit:g} GiB)")
        if "CellTimeoutError" in names:
            cell.outputs.append(
                _note(f"this cell was stopped after {self.timeout} s, the limit for one cell.")
            )
            self._event(index, "timeout", f"cell stopped after {self.timeout} s")

    def _event(self, cell: int | None, kind: str, message: str) -> None:
        self._events.append(
            {"notebook": self._notebook, "cell": cell, "kind": kind, "message": message}
        )

    def _write_events(self) -> None:
        path = os.environ.get(EVENTS_ENV)
        if path and self._events:
            with open(path, "a", encoding="utf-8") as fh:
                for event in self._events:
                    fh.write(json.dumps(event) + "\n")
        self._events = []
