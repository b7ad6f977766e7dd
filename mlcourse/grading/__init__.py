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

>>> from mlcourse.grading import Sandbox
>>> Sandbox.__module__
'mlcourse.grading.sandbox'
"""

from mlcourse._lazy import lazy_exports

# Imported on first use (PEP 562): these pull in nbgrader and nbclient, seconds of imports that
# ``python -m mlcourse autograde`` spends while its fork server imports them too, not before.
_EXPORTS = {
    "CanvasExportPlugin": "export",
    "HideHiddenTests": "feedback",
    "LimitOutputSize": "feedback",
    "MoodleExportPlugin": "export",
    "Sandbox": "sandbox",
    "SandboxUnavailable": "sandbox",
    "SandboxedExecute": "execute",
    "SandboxedKernelManager": "kernel",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
