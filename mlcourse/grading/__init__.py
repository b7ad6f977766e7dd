"""Grading mlcourse assignments with nbgrader (instructors only; learners never need this).

- :mod:`~mlcourse.grading.feedback`: feedback preprocessors (hidden tests never shown, output
  size limited).
- :mod:`~mlcourse.grading.sandbox`, :mod:`~mlcourse.grading.kernel`,
  :mod:`~mlcourse.grading.execute`: student code runs in a bubblewrap sandbox with resource
  limits, wherever autograding happens.
- :mod:`~mlcourse.grading.parallel`: ``python -m mlcourse autograde``, a whole class on every
  core into the one gradebook; :mod:`~mlcourse.grading.saving`, its one gradebook writer.
- :mod:`~mlcourse.grading.export`: grades out to Canvas and Moodle.

``nbgrader_config.py`` names these classes by their short paths (``mlcourse.grading.X``).
"""

from mlcourse.grading.execute import SandboxedExecute
from mlcourse.grading.export import CanvasExportPlugin, MoodleExportPlugin
from mlcourse.grading.feedback import HideHiddenTests, LimitOutputSize
from mlcourse.grading.kernel import SandboxedKernelManager
from mlcourse.grading.sandbox import Sandbox, SandboxUnavailable

__all__ = [
    "CanvasExportPlugin",
    "HideHiddenTests",
    "LimitOutputSize",
    "MoodleExportPlugin",
    "Sandbox",
    "SandboxUnavailable",
    "SandboxedExecute",
    "SandboxedKernelManager",
]
