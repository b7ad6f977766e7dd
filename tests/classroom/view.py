"""Run a command in a mount namespace in which other users can reach this Python environment.

The classroom tests start real Unix users' servers from the environment the tests run in. On
machines where that environment sits in a private folder (a pyenv Python under root's 0700 home
folder, say), other users cannot start it. :func:`view_command` then wraps a command in
bubblewrap (as root, no user namespace: the command keeps root's powers) with an empty, readable
folder mounted over each private folder and only the environment's own folders bound back into
it, read-only. Nothing else of the private folder is visible, and nothing on the disk changes.
Where the environment is readable already, the command runs as it is.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

from mlcourse.grading.bwrap import _python_candidates


def private_ancestor(path: str) -> str | None:
    """The highest folder on the way to ``path`` that other users cannot enter, if any."""
    current = Path("/")
    for part in Path(path).parts[1:]:
        current = current / part
        try:
            mode = os.stat(current).st_mode
        except OSError:
            return None
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            return str(current)
    return None


def needed_paths() -> list[str]:
    """Folders the environment's Python needs (prefixes, site-packages, editable packages)."""
    paths = set(_python_candidates())
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    return sorted(paths)


def view_prefix() -> list[str]:
    """bwrap arguments that make :func:`needed_paths` reachable, or [] if they are already."""
    hidden: dict[str, list[str]] = {}
    for path in needed_paths():
        top = private_ancestor(path)
        if top is not None:
            hidden.setdefault(top, []).append(path)
    if not hidden:
        return []
    args = [shutil.which("bwrap") or "bwrap", "--dev-bind", "/", "/"]
    for top, paths in sorted(hidden.items()):
        args += ["--perms", "0755", "--tmpfs", top]
        made = {top}
        # bind each folder once: skip those inside another one that is bound already
        outer = [p for p in sorted(paths) if not any(p.startswith(q + os.sep) for q in paths)]
        for path in outer:
            for parent in reversed(Path(path).parents):
                if str(parent).startswith(top + os.sep) and str(parent) not in made:
                    args += ["--perms", "0755", "--dir", str(parent)]
                    made.add(str(parent))
            args += ["--ro-bind", path, path]
    return args + ["--"]


def view_command(cmd: list[str]) -> list[str]:
    return view_prefix() + cmd
