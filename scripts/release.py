"""Regenerate the student release in ``assignments/`` from the nbgrader source in ``solutions/``.

Usage: ``python scripts/release.py [ASSIGNMENT ...]`` (default: every folder in ``solutions/``),
or ``make assignments``. Runs ``nbgrader generate_assignment`` in a scratch copy of the course so
the instructor's real gradebook under ``grading/`` is never touched, then copies the release
back. ``tests/notebooks/test_release.py`` fails when the committed release is out of date.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def generate(names: list[str], root: Path = ROOT, out: Path | None = None) -> Path:
    """Generate the release of ``names`` from ``root/solutions`` into ``out`` (default: root)."""
    out = out or root / "assignments"
    with tempfile.TemporaryDirectory(prefix="mlcourse-release-") as tmp:
        course = Path(tmp)
        shutil.copy(root / "nbgrader_config.py", course)
        shutil.copytree(
            root / "solutions",
            course / "solutions",
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
        for name in names:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "nbgrader",
                    "generate_assignment",
                    name,
                    "--force",
                    "--log-level=WARN",
                ],
                cwd=course,
                check=True,
                # nbgrader runs `alembic` by name: it must be this environment's.
                env={
                    **os.environ,
                    "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                    f"{os.environ.get('PATH', '')}",
                },
            )
            dest = out / name
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(course / "assignments" / name, dest)
    return out


def all_assignments(root: Path = ROOT) -> list[str]:
    return sorted(
        p.name
        for p in (root / "solutions").iterdir()
        if p.is_dir() and not p.name.startswith((".", "_"))
    )


if __name__ == "__main__":
    names = sys.argv[1:] or all_assignments()
    generate(names)
    print("released:", ", ".join(names))
