"""Each lesson notebook is also its slideshow: one source, slide metadata on every cell.

``python scripts/slides.py mark notebooks/NN_*.ipynb`` sets ``metadata.slideshow.slide_type`` on
every cell from the lesson's structure (the cell sources are never changed):

- a cell with a ``#``/``##`` heading starts a slide, one with ``###`` (or deeper) a sub-slide;
- a short lead-in (a slide of at most ``LEAD_LINES`` lines so far) and the code cell after it
  share a slide: the code comes in as a fragment, if the two hold at most ``MAX_SLIDE_LINES``;
- prose after prose stays on its slide while the slide's prose is at most ``PROSE_LINES`` lines;
  anything else (prose after code, long prose, a code cell after a long explanation) starts its
  own sub-slide: one idea per slide;
- the parameters cell, the imports, the quiz's code (it needs a live kernel) and the cell that saves
  the lesson's results for the tests are skipped; answers (``<details>``) and "Going further"
  sections become speaker notes.

The notebook's ``rise`` metadata gets the deck's settings for RISE, the live slideshow in
JupyterLab (``RISE``; keys already there are kept): reveal.js's "white" theme (RISE's default
theme fetches fonts from Google, which fails offline), the same slide size, sub-slides that scroll.

A cell whose slide type was set by hand (in JupyterLab's property inspector, or RISE) is kept, so
a teacher can curate. The tool records its own choice next to it (``slideshow.auto``); a cell whose
``slide_type`` differs from that record, or that has no record, was curated by hand. Re-running
the tool is safe: it recomputes only its own choices and writes nothing when nothing changed.

``python scripts/slides.py check notebooks/*.ipynb`` prints each lesson's slides and fails if a
cell has no slide type or a slide of several cells is longer than ``MAX_SLIDE_LINES``.

``python scripts/slides.py build [--out build/slides] [NOTEBOOK ...]`` (``make slides``) renders
each lesson, executed, as a reveal.js slideshow that works offline: the runs are the ones
``make site`` makes and caches (``scripts/site.py``), reveal.js is the npm copy in
``slides/node_modules`` (``npm ci --prefix slides``), the template is ``slides/mlcourse.html.j2``.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import re
import shutil
import struct
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "slides"  # the template, its CSS, and reveal.js from npm
REVEAL = KIT / "node_modules" / "reveal.js"
SLIDE_SIZE = (1280, 800)
# Figures are shown 1.5 times their size in the notebook (the course's 10 pt text at 100 dpi
# becomes about 21 px on a 1280x800 slide), or as large as fits on the slide if that is smaller.
FIGURE_ZOOM, FIGURE_BOX = 1.5, (1216, 680)
RISE = {
    "theme": "white",
    "transition": "none",
    "scroll": True,
    "width": SLIDE_SIZE[0],
    "height": SLIDE_SIZE[1],
    "center": False,
    "slideNumber": "c/t",
}

# One slide at the deck's fonts (28 px prose, 20 px code on a 1280x800 slide) holds about 22 lines
# of prose or 30 of code, before its outputs. A slide of several cells stays within 24 source
# lines; a single cell longer than that (the lessons have some) gets its own slide and scrolls.
MAX_SLIDE_LINES = 24
PROSE_LINES = 14  # a source line of prose wraps to about 1.4 lines at 28 px
LEAD_LINES = 8
SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def n_lines(cell) -> int:
    """Non-blank source lines: what the cell puts on a slide (before its outputs)."""
    return sum(1 for line in _source(cell).splitlines() if line.strip())


def heading(cell) -> tuple[int, str, bool] | None:
    """The cell's highest heading: (level, text, whether it is the cell's first line)."""
    if cell.cell_type != "markdown":
        return None
    lines = [line for line in _source(cell).splitlines() if line.strip()]
    found = [
        (len(m.group(1)), m.group(2), i == 0)
        for i, line in enumerate(lines)
        if (m := HEADING.match(line))
    ]
    return min(found, key=lambda h: h[0]) if found else None


def _is_skipped_code(cell) -> bool:
    src = _source(cell)
    if "parameters" in cell.metadata.get("tags", []):
        return True  # papermill's parameters: plumbing, not an idea
    if "from mlcourse.results import save_results" in src:
        return True  # saves the lesson's results for the claims tests
    if "from mlcourse.widgets import Quiz" in src:
        return True  # the quiz's definition; it is live only with a kernel
    code = [
        line
        for line in src.splitlines()
        if line.strip() and not line.lstrip().startswith("#") and not line.startswith(" ")
    ]
    imports = [line for line in code if re.match(r"(import|from)\s", line)]
    return bool(code) and len(imports) >= 0.6 * len(code)  # the lesson's imports


def hand_set(cell) -> str | None:
    """The slide type a person chose for this cell, or None if the tool owns it."""
    show = cell.metadata.get("slideshow", {})
    kind = show.get("slide_type")
    if kind is None or show.get("auto") == kind:
        return None
    return kind


@dataclass
class _Deck:
    """The state of the slide being filled while the tool walks the cells."""

    lines: int = 0
    has_code: bool = False
    notes_level: int | None = None  # inside a "Going further" section at this heading level
    started: bool = False

    def place(self, kind: str, cell) -> None:
        if kind in ("slide", "subslide") or not self.started and kind in ("fragment", "-"):
            self.lines, self.has_code, self.started = 0, False, True
        if kind in ("slide", "subslide", "fragment", "-"):
            self.lines += n_lines(cell)
            self.has_code |= cell.cell_type == "code"


def _decide(cell, deck: _Deck, first: bool) -> str:
    n = n_lines(cell)
    head = heading(cell)
    if head is not None and deck.notes_level is not None and head[0] <= deck.notes_level:
        deck.notes_level = None  # the "Going further" section ended
    if head is not None and "going further" in head[1].lower():
        deck.notes_level = head[0]
        if head[2]:
            return "notes"
    if cell.cell_type == "code" and _is_skipped_code(cell):
        return "skip"
    if deck.notes_level is not None:
        return "notes" if cell.cell_type == "markdown" else "skip"
    if cell.cell_type == "markdown" and _source(cell).lstrip().startswith("<details"):
        return "notes"  # an answer: the teacher's, not the audience's
    if first or not deck.started:
        return "slide"
    if head is not None:
        return "slide" if head[0] <= 2 else "subslide"
    if deck.has_code:
        return "subslide"
    if cell.cell_type == "code":
        lead_in = 0 < deck.lines <= LEAD_LINES and deck.lines + n <= MAX_SLIDE_LINES
        return "fragment" if lead_in else "subslide"
    return "-" if deck.lines + n <= PROSE_LINES else "subslide"


def mark_cells(cells) -> list[str]:
    """Set every cell's slide type in place (hand-set ones kept); return the types."""
    deck = _Deck()
    kinds = []
    for i, cell in enumerate(cells):
        kind = hand_set(cell)
        if kind is None:
            kind = _decide(cell, deck, first=i == 0)
            cell.metadata["slideshow"] = {"slide_type": kind, "auto": kind}
        elif heading(cell) is not None:
            _decide(cell, deck, first=i == 0)  # keep track of "Going further" sections
        deck.place(kind, cell)
        kinds.append(kind)
    return kinds


def mark(path: str | Path) -> bool:
    """Mark a notebook in place; return True if the file changed."""
    path = Path(path)
    before = path.read_text()
    nb = nbformat.read(path, as_version=4)
    mark_cells(nb.cells)
    rise = nb.metadata.setdefault("rise", {})
    for key, value in RISE.items():
        rise.setdefault(key, value)
    nbformat.validate(nb)
    after = nbformat.writes(nb) + "\n"
    if after != before:
        path.write_text(after)
    return after != before


@dataclass
class Slide:
    """One slide (or sub-slide) of the deck: the indices of its visible cells."""

    cells: list[int] = field(default_factory=list)
    lines: int = 0


def slides(cells) -> list[Slide]:
    """The deck as nbconvert and RISE build it: skip and notes cells take no room on a slide."""
    deck: list[Slide] = []
    for i, cell in enumerate(cells):
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind in ("skip", "notes"):
            continue
        if kind in ("slide", "subslide") or not deck:
            deck.append(Slide())
        deck[-1].cells.append(i)
        deck[-1].lines += n_lines(cell)
    return deck


def problems(nb) -> list[str]:
    """What makes a notebook a poor slideshow: unmarked cells, crowded slides."""
    out = []
    for i, cell in enumerate(nb.cells):
        kind = cell.metadata.get("slideshow", {}).get("slide_type")
        if kind not in SLIDE_TYPES:
            out.append(f"cell {i} has slide_type {kind!r}; run `python scripts/slides.py mark`")
    for s in slides(nb.cells):
        if len(s.cells) > 1 and s.lines > MAX_SLIDE_LINES:
            out.append(
                f"the slide of cells {s.cells} has {s.lines} source lines (at most "
                f"{MAX_SLIDE_LINES}): make one of them a sub-slide"
            )
    return out


def _notebooks(args: list[str]) -> list[Path]:
    paths = []
    for arg in args:
        p = Path(arg)
        paths += [p] if p.suffix == ".ipynb" else sorted(p.glob("[0-9][0-9]_*.ipynb"))
    return paths


def _site():
    """scripts/site.py, whose executed runs the slides share (its name clashes with ``site``)."""
    spec = importlib.util.spec_from_file_location("_mlcourse_site", ROOT / "scripts" / "site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def executed_runs(lessons: list[Path], reuse: Path, jobs: int = 2) -> dict[str, Path]:
    """Each lesson executed at its committed parameters: a cached run if one matches, else a new
    one, cached in build/site-cache exactly as ``make site`` does (so each reuses the other's)."""
    site = _site()
    cache = ROOT / "build" / "site-cache"
    cache.mkdir(parents=True, exist_ok=True)
    runs, todo = {}, []
    for path in lessons:
        key = f"{path.stem}-{site.run_key(path)}.ipynb"
        found = [c for c in (reuse / key, cache / key) if c.is_file()]
        runs[path.stem] = found[0] if found else cache / key
        if not found:
            todo.append((str(path), str(cache / key)))
    if todo:
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo)))) as pool:
            for (src, _), seconds in zip(todo, pool.map(site._execute_job, todo)):
                print(f"executed {Path(src).name} in {seconds:.0f} s")
    return runs


def png_size(data: str) -> tuple[int, int, float]:
    """Width and height in pixels, and dots per inch (72 if unrecorded), of a base64 PNG."""
    raw = base64.b64decode(data)
    width, height = struct.unpack(">II", raw[16:24])
    at = raw.find(b"pHYs", 0, 4096)
    per_metre = struct.unpack(">I", raw[at + 4 : at + 8])[0] if at > 0 else 72 / 0.0254
    return width, height, per_metre * 0.0254


def size_figures(nb) -> list[float]:
    """Give each figure the width it has on a slide (``FIGURE_ZOOM``, within ``FIGURE_BOX``);
    return the zoom of each."""
    zooms = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "image/png" not in output.get("data", {}):
                continue
            width, height, _ = png_size(output["data"]["image/png"])
            zoom = min(FIGURE_ZOOM, FIGURE_BOX[0] / width, FIGURE_BOX[1] / height)
            output.setdefault("metadata", {}).setdefault("image/png", {})["width"] = round(
                width * zoom
            )
            zooms.append(zoom)
    return zooms


def figures_on_their_own(nb) -> int:
    """Move each shown figure to a sub-slide of its own, right after the code that drew it.

    A figure at a readable size (``FIGURE_BOX``) and the code above it do not fit on one slide
    together; on a projector the figure would run off the bottom. The code keeps its printed
    output; the figure follows on the next sub-slide, without the code. Only this rendering copy
    changes, never the lesson. Returns the number of figures moved.
    """
    cells, moved = [], 0
    for cell in nb.cells:
        cells.append(cell)
        kind = cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")
        if cell.cell_type != "code" or kind in ("skip", "notes"):
            continue
        figures = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        if not figures:
            continue
        cell.outputs = [o for o in cell.outputs if o not in figures]
        figure = nbformat.v4.new_code_cell(cell.source, outputs=figures)
        figure.id = f"{cell.get('id', 'cell')}-figure"[:64]
        figure.metadata["slideshow"] = {"slide_type": "subslide"}
        figure.metadata["transient"] = {"remove_source": True}
        cells.append(figure)
        moved += len(figures)
    nb.cells = cells
    return moved


def show_quizzes(nb) -> int:
    """In the static slides, each quiz (skipped by RISE, where its widget cannot run) is a slide
    of its questions, with the answers folded (its Markdown fallback), without its code."""
    n = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and "from mlcourse.widgets import Quiz" in cell.source:
            if any("text/markdown" in o.get("data", {}) for o in cell.get("outputs", [])):
                cell.metadata["slideshow"] = {"slide_type": "subslide"}
                cell.metadata["transient"] = {"remove_source": True}
                n += 1
    return n


def exporter():
    """nbconvert's SlidesExporter with the course's offline template (slides/mlcourse.html.j2)."""
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.SlidesExporter.reveal_url_prefix = "_static/reveal.js"
    config.SlidesExporter.reveal_theme = "white"
    config.SlidesExporter.reveal_width = str(SLIDE_SIZE[0])
    config.SlidesExporter.reveal_height = str(SLIDE_SIZE[1])
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    config.SlidesExporter.extra_template_paths = [str(KIT)]
    config.SlidesExporter.template_file = "mlcourse.html.j2"
    return SlidesExporter(config=config)


def link_slides(html: str, folder: Path) -> str:
    """Point each link to another lesson's notebook at that lesson's slides."""

    def target(m: re.Match) -> str:
        found = (folder / f"{m.group(1)}.ipynb").is_file()
        return f'href="{m.group(1)}.slides.html"' if found else m.group(0)

    return re.sub(r'href="(\d\d_\w+)\.ipynb"', target, html)


def build(out: Path, lessons: list[Path], reuse: Path, jobs: int = 2) -> list[Path]:
    """Render ``lessons`` into ``out`` with reveal.js beside them; return the slide files."""
    if not (REVEAL / "dist" / "reveal.js").is_file():
        raise SystemExit(f"no reveal.js in {REVEAL}: run `npm ci --prefix slides` (make slides)")
    site = _site()
    runs = executed_runs(lessons, reuse, jobs)
    out.mkdir(parents=True, exist_ok=True)
    static = out / "_static" / "reveal.js"
    shutil.rmtree(static, ignore_errors=True)
    for part in ("dist", "plugin"):
        shutil.copytree(REVEAL / part, static / part)
    export, written = exporter(), []
    for path in lessons:
        nb = nbformat.read(runs[path.stem], as_version=4)
        site.static_widgets(nb)  # the quiz's fallback text; drops papermill's injected cell
        size_figures(nb)
        figures_on_their_own(nb)
        show_quizzes(nb)
        title = next((c.source.splitlines()[0].lstrip("# ") for c in nb.cells if c.source), "")
        nb.metadata["title"] = title or path.stem
        html, _ = export.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        html = link_slides(html, path.parent)
        target = out / f"{path.stem}.slides.html"
        target.write_text(html)
        written.append(target)
    links = "\n".join(
        f'<li><a href="{p.name}">{p.stem.removesuffix(".slides")}</a></li>' for p in written
    )
    (out / "index.html").write_text(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Slides</title>'
        f"</head><body><h1>The lessons as slides</h1><ul>{links}</ul></body></html>\n"
    )
    return written


def main(argv: list[str]) -> int:
    if argv[:1] == ["build"]:
        parser = argparse.ArgumentParser(prog="slides.py build")
        parser.add_argument("notebooks", nargs="*", default=[str(ROOT / "notebooks")])
        parser.add_argument("--out", type=Path, default=ROOT / "build" / "slides")
        parser.add_argument("--reuse", type=Path, default=ROOT / "build" / "lesson-runs")
        parser.add_argument("--jobs", type=int, default=2)
        args = parser.parse_args(argv[1:])
        for path in build(args.out, _notebooks(args.notebooks), args.reuse, args.jobs):
            print(f"wrote {path}")
        return 0
    if len(argv) < 2 or argv[0] not in ("mark", "check"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    verb, paths = argv[0], _notebooks(argv[1:])
    bad = 0
    for path in paths:
        if verb == "mark":
            print(f"{'marked' if mark(path) else 'unchanged'} {path}")
            continue
        nb = nbformat.read(path, as_version=4)
        deck = slides(nb.cells)
        long = [s for s in deck if s.lines > MAX_SLIDE_LINES]
        print(f"{path}: {len(deck)} slides, {len(long)} single cells over {MAX_SLIDE_LINES} lines")
        for problem in problems(nb):
            print(f"  {problem}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
