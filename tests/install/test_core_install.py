"""A learner's own install runs every lesson, and every lesson's figures are accessible.

This is the route of a learner who opens the notebooks in VS Code or in a Lab they already have:
no ``course`` or ``test`` extra. The test builds that environment in a scratch venv, pinned by the
lock as ``make`` pins the course's own, registers its kernel, and runs each lesson notebook in it
(seed 0, with the claims tests' shrunken sizes). A lesson that imports something only an extra
brings fails here with the missing module's name.

The same runs record each figure the lesson renders (``scripts/figure_recorder.py``, an
IPython start-up file), and the accessibility tests check them: a title, labelled axes, a
colour-blind-safe palette, and never colour alone to tell series apart.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.claims.conftest import SHRINK, stderr_outputs

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / f"lock-py{'310' if sys.version_info < (3, 11) else '311'}.txt"
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("0[1-9]_*.ipynb"))
KERNEL = "mlcourse-core"
FIGURES: dict[str, list[dict]] = {}  # lesson -> the figures its core-install run rendered
# Colour-blind-safe colours: matplotlib's "tableau-colorblind10" and the Okabe-Ito palette.
SAFE = {
    *("#006ba4 #ff800e #ababab #595959 #5f9ed1 #c85200 #898989 #a2c8ec #ffbc79 #cfcfcf".split()),
    *("#000000 #e69f00 #56b4e9 #009e73 #f0e442 #0072b2 #d55e00 #cc79a7 #ffffff".split()),
}


@pytest.fixture(scope="module")
def core_kernel(tmp_path_factory):
    """A venv with ``pip install . ipykernel`` (versions from the lock) and its Jupyter kernel."""
    tmp = tmp_path_factory.mktemp("core-install")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip>=23"], check=True)
    subprocess.run([*pip, "-c", str(LOCK), str(ROOT), "ipykernel"], check=True, cwd=tmp)
    prefix = tmp / "jupyter"
    subprocess.run(
        [python, "-m", "ipykernel", "install", "--prefix", str(prefix), "--name", KERNEL],
        check=True,
        capture_output=True,
    )
    extras = subprocess.run(
        [python, "-c", "import importlib.util as u; print([m for m in "
         "('nbgrader', 'jupyterlab', 'pytest', 'papermill') if u.find_spec(m)])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert extras == "[]", f"the core install should not bring the extras' packages: {extras}"
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    startup = tmp / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "figure_recorder.py", startup / "00-figures.py")
    mp.setenv("IPYTHONDIR", str(tmp / "ipython"))
    yield KERNEL
    mp.undo()


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_runs_with_only_the_core_dependencies(core_kernel, lesson, tmp_path, monkeypatch):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    params = {"SEED": 0, **SHRINK.get(lesson, {}), "RESULTS_PATH": str(tmp_path / "r.json")}
    log = tmp_path / "figures.jsonl"
    log.touch()
    monkeypatch.setenv("MLCOURSE_FIGURE_LOG", str(log))
    try:
        nb = papermill.execute_notebook(
            str(ROOT / "notebooks" / f"{lesson}.ipynb"),
            str(tmp_path / f"{lesson}.ipynb"),
            parameters=params,
            cwd=str(ROOT / "notebooks"),
            kernel_name=core_kernel,
            progress_bar=False,
            request_save_on_cell_execute=False,
            execution_timeout=600,
        )
    except PapermillExecutionError as err:
        pytest.fail(
            f"{lesson} fails after `pip install . ipykernel` in cell {err.cell_index}: "
            f"{err.ename}: {err.evalue}. If a module is missing, the lesson imports something "
            "that only an extra brings: declare it in pyproject.toml's core dependencies."
        )
    assert (tmp_path / "r.json").is_file(), f"{lesson} saved no results"
    errors = stderr_outputs(nb)
    assert not errors, f"{lesson} wrote to stderr in the core install:\n" + "\n".join(errors)
    FIGURES[lesson] = [json.loads(line) for line in log.read_text().splitlines()]


def _is_grey(colour: str) -> bool:
    return colour[1:3] == colour[3:5] == colour[5:7]


def figure_problems(figure: dict) -> list[str]:
    """What breaks the course's figure rules (see CONTRIBUTING.md, "Accessibility")."""
    if "error" in figure:
        return [f"the recorder failed: {figure['error']}"]
    where, found = f"figure in cell [{figure['cell']}]", []
    plotted = [ax for ax in figure["axes"] if ax["axis_on"] and not ax["images"]]  # not pictures
    shown = figure["axes"]
    if not figure["suptitle"] and not all(ax["title"] for ax in shown):
        found.append(f"{where}: no title (set a suptitle, or a title on every axes)")
    if plotted and not any(ax["xlabel"] for ax in plotted):
        found.append(f"{where}: no x-axis label")
    if plotted and not any(ax["ylabel"] for ax in plotted):
        found.append(f"{where}: no y-axis label")
    for i, ax in enumerate(figure["axes"]):
        for kind, colour, _, _ in ax["artists"]:
            if colour and colour not in SAFE and not _is_grey(colour):
                found.append(
                    f"{where}, axes {i}: {kind} colour {colour} is not in a colour-blind-safe "
                    "palette (start with plt.style.use('mlcourse.course'))"
                )
        for kind in ("line", "scatter", "bar"):
            looks = [(style, marker) for k, _, style, marker in ax["artists"] if k == kind]
            if len(looks) > 1 and len(set(looks)) < len(looks):
                found.append(
                    f"{where}, axes {i}: {len(looks)} {kind} series told apart by colour alone "
                    "(give each a different line style, marker or hatch)"
                )
    return found


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_figures_are_accessible(lesson):
    if lesson not in FIGURES:
        pytest.skip(f"{lesson} did not run in the core install (see the test above)")
    figures = FIGURES[lesson]
    problems = [p for figure in figures for p in figure_problems(figure)]
    assert not problems, f"{lesson}:\n" + "\n".join(dict.fromkeys(problems))
