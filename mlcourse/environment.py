"""Is this the environment the course was tested in? Compare installed versions with the lock.

The course pins every library in ``requirements/lock-py3XX.txt``; ``make lab`` and ``make test``
build ``.venv`` from it. A learner who runs the notebooks elsewhere (VS Code, a Lab they already
had) may have other versions. :func:`check_environment` says plainly which of the course's key
libraries differ and what to do about it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd

KEY_LIBRARIES = (
    "numpy",
    "scipy",
    "scikit-learn",
    "pandas",
    "matplotlib",
    "ipywidgets",
    "jinja2",
    "skops",
    "fairlearn",
    "fastapi",
    "uvicorn",
    "jupyterlab",
    "nbgrader",
)
OPTIONAL = {"jupyterlab", "nbgrader"}  # the Lab and the grader: not needed to run a lesson
FIX = (
    "To get the tested versions, run `make lab` in the course folder: it builds `.venv` from the "
    "lock and opens the course with it (`make test` then checks everything)."
)


def lock_path(root: Path | None = None) -> Path:
    """The lock file for this Python, in the course's ``requirements/`` folder."""
    root = Path(__file__).resolve().parents[1] if root is None else Path(root)
    tag = "310" if sys.version_info < (3, 11) else "311"
    return root / "requirements" / f"lock-py{tag}.txt"


def read_lock(path: Path) -> dict[str, str]:
    """``{name: version}`` from a pip-freeze style lock file (names normalised)."""
    pins = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_norm(name)] = version.split(";", 1)[0].strip()
    return pins


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@dataclass
class EnvironmentReport:
    """The comparison: a table (library, installed, locked, status) and a plain verdict."""

    table: pd.DataFrame
    lock: Path | None

    @property
    def ok(self) -> bool:
        """True when every required library is installed at its locked version."""
        required = self.table[~self.table["library"].isin(OPTIONAL)]
        return bool((required["status"] == "as locked").all())

    @property
    def message(self) -> str:
        if self.lock is None:
            return "No lock file was found next to mlcourse, so versions cannot be compared. " + FIX
        differ = self.table[self.table["status"] != "as locked"]
        required = differ[~differ["library"].isin(OPTIONAL)]
        if required.empty:
            extra = "" if differ.empty else " (the Lab and grader differ; lessons don't use them)"
            return f"Your environment matches the course's lock{extra}. You are set."
        names = ", ".join(
            f"{r.library} {r.installed or 'missing'} (course: {r.locked})"
            for r in required.itertuples()
        )
        return (
            f"{len(required)} librar{'y differs' if len(required) == 1 else 'ies differ'} from "
            f"the versions the course was tested with: {names}. Lessons may still run, but a "
            f"number or a plot can differ from what the text says, or a cell can fail. {FIX}"
        )

    def __str__(self) -> str:
        return f"{self.message}\n\n{self.table.to_string(index=False)}"

    def _repr_html_(self) -> str:
        return f"<p>{self.message}</p>" + self.table.to_html(index=False)


def check_environment(lock: str | Path | None = None) -> EnvironmentReport:
    """Compare the installed versions of the course's key libraries with the lock file.

    Parameters
    ----------
    lock : path, optional
        The lock file; by default ``requirements/lock-py3XX.txt`` of the course folder that this
        ``mlcourse`` comes from.

    Returns
    -------
    EnvironmentReport
        ``.table`` lists each library with its installed and locked version and a status
        ("as locked", "differs", "missing"); ``.ok`` and ``.message`` say what to do.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from importlib.metadata import version
    >>> lock = pathlib.Path(tempfile.mkdtemp()) / "lock.txt"
    >>> _ = lock.write_text(f"numpy=={version('numpy')}\\npandas==0.0.1\\n")
    >>> report = check_environment(lock)
    >>> report.table.set_index("library").loc[["numpy", "pandas"], "status"].tolist()
    ['as locked', 'differs']
    >>> report.ok
    False
    """
    path = Path(lock) if lock is not None else lock_path()
    pins = read_lock(path) if path.is_file() else {}
    rows = []
    for name in KEY_LIBRARIES:
        installed, locked = _installed(name), pins.get(_norm(name))
        if installed is None:
            status = "missing"
        elif locked is None or installed == locked:
            status = "as locked" if locked is not None else "not in the lock"
        else:
            status = "differs"
        rows.append({"library": name, "installed": installed, "locked": locked, "status": status})
    table = pd.DataFrame(rows)
    if not path.is_file():
        return EnvironmentReport(table, None)
    return EnvironmentReport(table, path)
