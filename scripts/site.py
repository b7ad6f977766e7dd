"""Build the course's website: every lesson executed fresh, rendered by Sphinx + myst-nb, offline.

Usage: ``python scripts/site.py [--out build/site] [--reuse DIR] [--jobs N]`` (``make site``).

1. Execute each notebook of ``notebooks/`` with papermill at its committed parameters, two at a
   time. A run is reused when ``--reuse`` (default ``build/lesson-runs``, where the claims tests
   leave their seed-0 runs) holds one for the same notebook and the same ``mlcourse`` code.
2. Turn live widgets into static snapshots: a widget with a Markdown or HTML fallback (the quiz)
   shows that; any other shows a note to open the notebook in JupyterLab.
3. Stage the executed lessons, the assignments' student versions and a landing page with the
   course map, and run ``sphinx-build``. Each page links its notebook for download.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
WIDGET = "application/vnd.jupyter.widget-view+json"
STATIC_NOTE = (
    '<p class="admonition note"><em>An interactive widget is here in the notebook. '
    "Download the notebook and open it in JupyterLab to use it.</em></p>"
)


def run_key(notebook: Path) -> str:
    """What a run depends on: the notebook's text and every file of mlcourse it may read.

    That is the code, and also the figure style (``course.mplstyle``) and the assets (the
    pretrained weights, the authors' tag file), whose change changes what the run shows.
    """
    digest = hashlib.sha256(notebook.read_bytes())
    for path in sorted((ROOT / "mlcourse").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def figure_log(executed: Path) -> Path:
    """Where the figures of an executed notebook are described (``scripts/figure_recorder.py``)."""
    return executed.with_suffix(".figures.jsonl")


@contextlib.contextmanager
def recording_figures(log: Path):
    """Kernels started inside this block describe each figure they render in ``log``."""
    with tempfile.TemporaryDirectory() as ipython:
        startup = Path(ipython) / "profile_default" / "startup"
        startup.mkdir(parents=True)
        shutil.copy(Path(__file__).with_name("figure_recorder.py"), startup / "00-figures.py")
        log.write_text("")
        saved = {k: os.environ.get(k) for k in ("IPYTHONDIR", "MLCOURSE_FIGURE_LOG")}
        os.environ.update(IPYTHONDIR=ipython, MLCOURSE_FIGURE_LOG=str(log))
        try:
            yield log
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def alt_text(figure: dict) -> str:
    """A figure's alt text from what it shows: its title, then its axes."""
    titles = [figure.get("suptitle", "")] + [ax["title"] for ax in figure.get("axes", [])]
    titles = [t for t in dict.fromkeys(titles) if t]
    axes = [
        f"{ax['ylabel']} against {ax['xlabel']}"
        for ax in figure.get("axes", [])
        if ax.get("axis_on") and ax.get("xlabel") and ax.get("ylabel")
    ]
    text = "; ".join(titles) or "Figure"
    if axes:
        text += " (" + "; ".join(dict.fromkeys(axes)) + ")"
    return "Figure: " + text


def add_alt_text(nb: nbformat.NotebookNode, figures: list[dict]) -> int:
    """Give each cell's figures alt text from the figure log; return how many cells got it."""
    by_cell: dict[int, list[dict]] = {}
    for figure in figures:
        if figure.get("cell") is not None:
            by_cell.setdefault(figure["cell"], []).append(figure)
    n = 0
    for cell in nb.cells:
        shown = by_cell.get(cell.get("execution_count") or -1)
        if cell.cell_type != "code" or not shown:
            continue
        has_image = any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        if has_image:
            alt = " / ".join(dict.fromkeys(alt_text(f) for f in shown))
            cell.metadata.setdefault("mystnb", {}).setdefault("image", {})["alt"] = alt
            n += 1
    return n


def execute(notebook: Path, out: Path) -> float:
    """Execute ``notebook`` into ``out`` at its committed parameters; return the seconds taken."""
    import papermill

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, recording_figures(figure_log(out)):
        parameters = {"RESULTS_PATH": str(Path(tmp) / "results.json")}
        has_parameters = any(
            "parameters" in c.get("metadata", {}).get("tags", [])
            for c in nbformat.read(notebook, as_version=4).cells
        )
        papermill.execute_notebook(
            str(notebook),
            str(out),
            parameters=parameters if has_parameters else {},
            cwd=str(notebook.parent),
            kernel_name="python3",
            progress_bar=False,
            request_save_on_cell_execute=False,
            execution_timeout=600,
        )
    return time.perf_counter() - start


def static_widgets(nb: nbformat.NotebookNode) -> int:
    """Replace widget views by their static fallback; return how many were replaced.

    Also drops the cell of parameters that papermill injected (the notebook's own parameters
    cell, with the committed values, stays).
    """
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    n = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET not in data:
                continue
            n += 1
            del data[WIDGET]
            if not ({"text/markdown", "text/html", "image/png"} & set(data)):
                data["text/html"] = STATIC_NOTE
    nb.metadata.pop("widgets", None)
    return n


def course_map(lessons: list[Path]) -> str:
    """The landing page: what the course is, and a table of its lessons and assignments."""
    rows = []
    for path in lessons:
        nb = nbformat.read(path, as_version=4)
        title = nb.cells[0].source.splitlines()[0].lstrip("# ").strip()
        rows.append(f"| [{title}](lessons/{path.stem}.ipynb) |")
    assignments = sorted((ROOT / "assignments").glob("a*/*.ipynb"))
    arows = [f"- [{p.parent.name}](assignments/{p.parent.name}.ipynb)" for p in assignments]
    toc = "\n".join(f"lessons/{p.stem}" for p in lessons)
    atoc = "\n".join(f"assignments/{p.parent.name}" for p in assignments)
    return f"""# mlcourse

A JupyterLab course on the *process* of machine-learning development: the iterative loop, error
analysis, adding data, transfer learning, deployment, fairness, and the whole process on real mail.
These pages show each lesson as it ran when the site was built. To run them yourself, clone the
repository and type `make lab` (see the README), or download a notebook from its page.

## Course map

| Lesson |
|---|
{chr(10).join(rows)}

## Assignments (student versions)

Each lesson has an nbgrader assignment. These are the blank student versions; your instructor
releases them on the course's JupyterHub, or you can download them here.

{chr(10).join(arows)}

```{{toctree}}
:hidden:
:caption: Lessons

{toc}
```

```{{toctree}}
:hidden:
:caption: Assignments

{atoc}
```
"""


def download_cell(name: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(
        f"{{download}}`Download this notebook <../downloads/{name}>` (without outputs) to run "
        "it in JupyterLab."
    )


def _execute_job(args: tuple[str, str]) -> float:
    """Execute into a scratch file, and into the cache only if the run succeeded (papermill
    writes the notebook even when a cell fails)."""
    out = Path(args[1])
    scratch = out.with_name(f"running-{out.name}")
    seconds = execute(Path(args[0]), scratch)
    figure_log(scratch).replace(figure_log(out))
    scratch.replace(out)
    return seconds


def build(out: Path, reuse: Path, jobs: int) -> dict[str, float]:
    """Build the site into ``out``; return the execution seconds per notebook (0 if reused)."""
    stage = ROOT / "build" / "site-src"
    shutil.rmtree(stage, ignore_errors=True)
    for sub in ("lessons", "assignments", "downloads"):
        (stage / sub).mkdir(parents=True)
    shutil.copy(ROOT / "site" / "conf.py", stage / "conf.py")
    shutil.copytree(ROOT / "site" / "_static", stage / "_static")
    lessons = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    cache = ROOT / "build" / "site-cache"
    cache.mkdir(parents=True, exist_ok=True)
    executed, todo, seconds = {}, [], {}
    for path in lessons:
        key = f"{path.stem}-{run_key(path)}.ipynb"
        for candidate in (reuse / key, cache / key):
            if candidate.is_file() and figure_log(candidate).is_file():
                executed[path.stem] = candidate
                seconds[path.stem] = 0.0
                break
        else:
            executed[path.stem] = cache / key
            todo.append((str(path), str(cache / key)))
    if todo:
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo)))) as pool:
            for (src, _), s in zip(todo, pool.map(_execute_job, todo)):
                seconds[Path(src).stem] = s
    for path in lessons:
        nb = nbformat.read(executed[path.stem], as_version=4)
        figures = [json.loads(line) for line in figure_log(executed[path.stem]).open()]
        add_alt_text(nb, figures)
        static_widgets(nb)
        nb.cells.insert(1, download_cell(path.name))
        nbformat.write(nb, stage / "lessons" / path.name)
        clean = nbformat.read(path, as_version=4)
        nbformat.write(clean, stage / "downloads" / path.name)
    for path in sorted((ROOT / "assignments").glob("a*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        name = f"{path.parent.name}.ipynb"
        shutil.copy(path, stage / "downloads" / name)
        nb.cells.insert(1 if nb.cells else 0, download_cell(name))
        nbformat.write(nb, stage / "assignments" / name)
    (stage / "index.md").write_text(course_map(lessons))
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", "2", str(stage), str(out)],
        check=True,
    )
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--reuse", type=Path, default=ROOT / "build" / "lesson-runs")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    seconds = build(args.out.resolve(), args.reuse.resolve(), args.jobs)
    for name, s in seconds.items():
        print(f"{name:28s} {'reused' if s == 0 else f'{s:6.1f} s'}")
    print(f"site built in {time.perf_counter() - start:.0f} s: {args.out / 'index.html'}")
    print(json.dumps({"seconds": round(time.perf_counter() - start, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
