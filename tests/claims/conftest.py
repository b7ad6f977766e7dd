"""Run a lesson notebook for a seed and hand its results to the claims tests.

Each lesson notebook (``notebooks/0N_*.ipynb``) has one cell tagged ``parameters`` (papermill's
convention) holding ``SEED = 0``, the sizes a test may shrink and ``RESULTS_PATH = None``; its
last code cell saves the lesson's named results with :func:`mlcourse.results.save_results` when
``RESULTS_PATH`` is set. Here papermill executes the notebook itself, in a fresh kernel, for one
seed and set of parameters, into a temporary folder, and the results come back with
:func:`mlcourse.results.load_results`. The claims tests assert on those results only: no lesson
code is retyped under ``tests/``.

- ``SEEDS`` (0 to 4; the environment variable ``MLCOURSE_CLAIM_SEEDS="100 101 102"`` replaces
  them, for a held-out check) are the seeds every claims test runs.
- Seed 0 runs the notebook exactly as a learner gets it (no parameter but ``RESULTS_PATH``
  changed): this run replaces nbval for ``notebooks/``. Other seeds also pass ``SHRINK[lesson]``,
  parameters the lesson's parameters cell documents as not changing a claim.
- A run fails on any cell error (with the seed and the traceback); ``assert_clean`` fails on any
  stderr output (warnings included), which JupyterLab would show a learner in red.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from mlcourse.results import load_results

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SEEDS = [int(s) for s in os.environ.get("MLCOURSE_CLAIM_SEEDS", "0 1 2 3 4").split()]
CELL_TIMEOUT = 600  # seconds; a lesson cell takes under 10 s on an idle machine
# Parameters that seeds other than 0 shrink, per lesson: only those the lesson's parameters cell
# documents as not changing a claim. benchmarks/notebooks.py --seeds uses the same table.
SHRINK: dict[str, dict[str, Any]] = {
    "04_transfer_learning": {"SIZES": [25, 500], "CURVE_SEEDS": 1},
    "05_deployment": {"LOAD_SECONDS": 0.3},
}

# Assertion messages print results tables whole, never with "..." for the middle columns.
pd.set_option("display.width", 250)
pd.set_option("display.max_columns", None)

_RUNS: dict[tuple, LessonRun | BaseException] = {}


@dataclass
class LessonRun:
    """One executed lesson: its seed, parameters, results and the executed notebook."""

    lesson: str
    seed: int
    parameters: dict[str, Any]
    results: dict[str, Any]
    notebook: nbformat.NotebookNode = field(repr=False)
    seconds: float = 0.0

    def __getitem__(self, name: str) -> Any:
        try:
            return self.results[name]
        except KeyError:
            raise KeyError(
                f"{self.lesson} (seed {self.seed}) saved no result {name!r}; it saved "
                f"{sorted(self.results)}: check the notebook's last cell"
            ) from None

    def __str__(self) -> str:
        return f"{self.lesson} seed {self.seed}"


def execute_lesson(lesson: str, seed: int, **parameters: Any) -> LessonRun:
    """Execute ``notebooks/<lesson>.ipynb`` with papermill for ``seed``; return its results.

    Runs are cached for the test session, failures included, so every test of a seed shares
    one run.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    key = (lesson, seed, tuple(sorted((k, repr(v)) for k, v in parameters.items())))
    if key not in _RUNS:
        source = NOTEBOOKS / f"{lesson}.ipynb"
        out = Path(tempfile.mkdtemp(prefix=f"{lesson}-seed{seed}-"))
        results_path = out / "results.json"
        params = {"SEED": seed, **parameters, "RESULTS_PATH": str(results_path)}
        start = time.perf_counter()
        committed = seed == 0 and not parameters  # the site reuses this run, figures described
        log = _site().figure_log(out / source.name)
        try:
            with _site().recording_figures(log) if committed else contextlib.nullcontext():
                nb = papermill.execute_notebook(
                    str(source),
                    str(out / source.name),
                    parameters=params,
                    cwd=str(NOTEBOOKS),  # as in JupyterLab: the notebook's own folder
                    kernel_name="python3",
                    progress_bar=False,
                    log_output=False,
                    request_save_on_cell_execute=False,
                    execution_timeout=CELL_TIMEOUT,
                )
            if not results_path.is_file():
                raise AssertionError(
                    f"{lesson} (seed {seed}) ran but saved no results to RESULTS_PATH: its last "
                    "code cell must call save_results(RESULTS_PATH, ...)"
                )
            _RUNS[key] = LessonRun(
                lesson, seed, params, load_results(results_path), nb, time.perf_counter() - start
            )
        except PapermillExecutionError as err:
            _RUNS[key] = AssertionError(
                f"{lesson} (seed {seed}, parameters {parameters or 'as committed'}) failed in "
                f"cell {err.cell_index}: {err.ename}: {err.evalue}\n"
                + re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(err.traceback))[-3000:]
            )
        except BaseException as err:  # noqa: BLE001 (cached, then raised for every test)
            _RUNS[key] = err
        if committed and isinstance(_RUNS[key], LessonRun):
            _keep_for_site(source, out / source.name)
    run = _RUNS[key]
    if isinstance(run, BaseException):
        raise run
    return run


def _site():
    """``scripts/site.py``, the website's builder, which reuses the seed-0 runs."""
    global _SITE
    if _SITE is None:
        spec = importlib.util.spec_from_file_location("_site", NOTEBOOKS.parent / "scripts/site.py")
        _SITE = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_SITE)
    return _SITE


_SITE = None


def _keep_for_site(source: Path, executed: Path) -> None:
    """Leave a run of the notebook as committed where the site reuses it (``build/lesson-runs``)."""
    keep = NOTEBOOKS.parent / "build" / "lesson-runs"
    keep.mkdir(parents=True, exist_ok=True)
    name = f"{source.stem}-{_site().run_key(source)}.ipynb"
    shutil.copy(_site().figure_log(executed), _site().figure_log(keep / name))
    shutil.copy(executed, keep / name)


def parameters_for(lesson: str, seed: int) -> dict[str, Any]:
    """The parameters the claims tests pass besides SEED and RESULTS_PATH: none for seed 0 (the
    notebook as committed), ``SHRINK[lesson]`` for the others."""
    return {} if seed == 0 else dict(SHRINK.get(lesson, {}))


def lesson_runs(lesson: str):
    """A module-scoped fixture: ``lesson`` executed for each seed in ``SEEDS``."""

    @pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
    def run(request) -> LessonRun:
        return execute_lesson(lesson, request.param, **parameters_for(lesson, request.param))

    return run


def all_lesson_runs(lesson: str):
    """A module-scoped fixture: the list of ``lesson``'s runs over all of ``SEEDS``, for claims
    stated over the seeds (a mean, or "in most seeds"). The runs are shared with
    :func:`lesson_runs`."""

    @pytest.fixture(scope="module")
    def runs() -> list[LessonRun]:
        return [execute_lesson(lesson, s, **parameters_for(lesson, s)) for s in SEEDS]

    return runs


def in_at_least(n_holding: int, k: int) -> bool:
    """True when a claim holds in at least ``k`` of every 5 seeds of ``SEEDS``."""
    return n_holding >= k * len(SEEDS) / 5


def stderr_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Every stderr stream and error output of an executed notebook, with its cell index."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"cell {index}: {output.get('text', '')}")
            elif output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
    return found


def assert_clean(run: LessonRun) -> None:
    """The run wrote nothing to stderr: no warnings a learner would see in red."""
    found = stderr_outputs(run.notebook)
    assert not found, f"{run} writes to stderr (JupyterLab shows it in red):\n" + "\n".join(found)
