"""Repository-wide test settings."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Lessons that save the learner's work next to the notebook (lesson 2's tag file) write to a
# scratch file instead during automated runs, so a learner's own file can neither break
# `make test` nor be touched by it. Kernels started by the claims tests, nbval and the browser
# tests inherit this.
os.environ.setdefault("MLCOURSE_AUTOMATED", "1")

# Notebooks and doctests put their scratch files (registries, saved models, tag files) in the
# system temp folder. Point it at one folder per test process and remove that folder at exit,
# so a test run leaves nothing behind.
if "MLCOURSE_TEST_TMPDIR" not in os.environ:
    _scratch = tempfile.mkdtemp(prefix="mlcourse-tests-")
    os.environ["MLCOURSE_TEST_TMPDIR"] = os.environ["TMPDIR"] = _scratch
    tempfile.tempdir = None  # make this process re-read TMPDIR too
    atexit.register(shutil.rmtree, _scratch, ignore_errors=True)
