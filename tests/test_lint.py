"""ruff (lint and format, configured in pyproject.toml) passes on the code and the notebooks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ["mlcourse", "tests", "notebooks", "solutions", "benchmarks", "scripts", "classroom"]


def _ruff() -> str:
    exe = Path(sys.executable).parent / "ruff"
    found = str(exe) if exe.exists() else shutil.which("ruff")
    if not found:
        pytest.fail("ruff is not installed; it is part of the [test] extra")
    return found


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(args):
    targets = [t for t in TARGETS if (ROOT / t).exists()]
    proc = subprocess.run([_ruff(), *args, *targets], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"ruff {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"
