"""Repository-wide test settings."""

from __future__ import annotations

import os

# Lessons that save the learner's work next to the notebook (lesson 2's tag file) write to a
# scratch file instead during automated runs, so a learner's own file can neither break
# `make test` nor be touched by it. Kernels started by nbval inherit this.
os.environ.setdefault("MLCOURSE_AUTOMATED", "1")
