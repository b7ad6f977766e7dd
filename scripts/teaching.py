"""Keep the teacher's guide (``docs/teaching.md``) in step with the lesson notebooks.

Usage: ``python scripts/teaching.py [--check] [GUIDE]``

The notebooks are the one source of truth. The guide copies each lesson's learning objectives
between markers::

    <!-- objectives 01_iterative_loop (copied from the notebook by scripts/teaching.py) -->
    1. describe the loop: ...
    <!-- /objectives -->

This script rewrites those blocks from the notebooks' objectives cells; ``--check`` only reports
the blocks that differ (exit code 1 if any does). ``tests/docs/test_teaching.py`` runs the same
check, and also checks that every section the guide cites as ``§ *heading text*`` is a heading of
its lesson's notebook.

The helpers here (``objectives``, ``headings``, ``code_hash``, ``cell_sections``) are shared
with ``benchmarks/notebooks.py --write-guide``, which records each lesson's timings and the hash
of its code cells in ``docs/teaching-timings.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "teaching.md"
NOTEBOOKS = ROOT / "notebooks"
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
ITEM = re.compile(r"^\s*\d+\.\s+")
BLOCK = re.compile(
    r"(?P<open><!-- objectives (?P<name>\d\d_\w+)[^>]*-->\n)(?P<body>.*?)"
    r"(?P<close><!-- /objectives -->)",
    re.S,
)
CITE = re.compile(r"§ \*((?:[^*\n]|\n(?!\s*\n))+)\*(?:\s+of\s+lesson\s+(\d))?")
TIMING_ROW = re.compile(r"^\| (\d\d_\w+) \|(.*)\| `([0-9a-f]{16})` \|$", re.M)
TIMINGS = ROOT / "docs" / "teaching-timings.md"
BENCHMARK = "python benchmarks/notebooks.py --write-guide docs/teaching-timings.md"
OBJECTIVES_START = re.compile(r"\*\*Learning objectives\.\*\*|By the end of this page", re.I)


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def headings(path: Path) -> list[str]:
    """The text of every Markdown heading of a notebook, in order (code blocks skipped)."""
    nb = _read(path)
    texts = [FENCE.sub("", c.source) for c in nb.cells if c.cell_type == "markdown"]
    return [m.group(1).strip() for text in texts for m in HEADING.finditer(text)]


def objectives(path: Path) -> list[str]:
    """The numbered learning objectives of a notebook, one string per item, spaces collapsed.

    They are the numbered list that follows "**Learning objectives.**" (or, on the start page,
    "By the end of this page") in the first Markdown cell that has it.
    """
    for cell in _read(path).cells:
        if cell.cell_type != "markdown":
            continue
        match = OBJECTIVES_START.search(cell.source)
        if not match:
            continue
        items: list[str] = []
        for line in cell.source[match.end() :].splitlines():
            if ITEM.match(line):
                items.append(ITEM.sub("", line).strip())
            elif items and line.startswith((" ", "\t")) and line.strip():
                items[-1] += " " + line.strip()
            elif items and not line.strip():
                break
        if items:
            return [" ".join(item.split()) for item in items]
    raise ValueError(f"{path.name}: no numbered list after 'Learning objectives' in any cell")


def code_hash(path: Path) -> str:
    """A short hash of a notebook's code cells (sources only: outputs and metadata ignored)."""
    sources = [c.source for c in _read(path).cells if c.cell_type == "code"]
    return hashlib.sha256(json.dumps(sources).encode()).hexdigest()[:16]


def cell_sections(nb) -> list[str]:
    """For each cell of a notebook (index aligned), the last heading above it ("" if none)."""
    current, out = "", []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = HEADING.findall(FENCE.sub("", cell.source))
            current = found[-1].strip() if found else current
        out.append(current)
    return out


def unanswered_exercises(path: Path) -> list[str]:
    """The "Your turn" sections of a notebook with no ``<details>`` answer before the next
    heading of the same or a higher level."""
    parts: list[tuple[int, str, str]] = []  # (level, heading, the Markdown under it)
    for cell in _read(path).cells:
        if cell.cell_type != "markdown":
            continue
        text = FENCE.sub("", cell.source)
        pieces = re.split(r"^(#{1,6})\s+(.+?)\s*#*\s*$", text, flags=re.M)
        if parts:
            parts[-1] = (parts[-1][0], parts[-1][1], parts[-1][2] + pieces[0])
        for i in range(1, len(pieces), 3):
            parts.append((len(pieces[i]), pieces[i + 1].strip(), pieces[i + 2]))
    found = []
    for k, (level, heading, body) in enumerate(parts):
        if not heading.startswith("Your turn"):
            continue
        for deeper_level, _, deeper in parts[k + 1 :]:
            if deeper_level <= level:
                break
            body += deeper
        if "<details" not in body:
            found.append(heading)
    return found


def notebook_path(name: str) -> Path:
    return NOTEBOOKS / f"{name}.ipynb"


def parse_blocks(text: str) -> dict[str, list[str]]:
    """The objectives copied into the guide, by notebook name."""
    out = {}
    for m in BLOCK.finditer(text):
        items = [ITEM.sub("", line).strip() for line in m["body"].splitlines() if ITEM.match(line)]
        out[m["name"]] = [" ".join(item.split()) for item in items]
    return out


def lesson_sections(text: str) -> list[tuple[str, str | None, str]]:
    """Split the guide at its H2 headings: (heading, notebook named by its objectives, body)."""
    parts = re.split(r"^## ", FENCE.sub("", text), flags=re.M)
    out = []
    for part in parts[1:]:
        title, _, body = part.partition("\n")
        m = BLOCK.search(body)
        out.append((title.strip(), m["name"] if m else None, body))
    return out


def lesson_notebooks() -> list[Path]:
    """The course's notebooks, start page included (``notebooks/NN_*.ipynb``)."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def objectives_problems(text: str, notebooks: list[Path]) -> list[str]:
    """Lessons whose objectives are missing from the guide or differ from the notebook's."""
    copied = parse_blocks(text)
    found = []
    for path in notebooks:
        if path.stem not in copied:
            found.append(f"{path.stem}: no objectives block in the guide")
        elif copied[path.stem] != objectives(path):
            found.append(f"{path.stem}: the guide's objectives differ from the notebook's")
    return found


def citation_problems(text: str) -> list[str]:
    """Sections cited as ``§ *heading*`` that are not headings of their lesson's notebook.

    In a lesson's section of the guide (the H2 section holding its objectives block) a citation
    names a heading of that lesson; ``§ *heading* of lesson N`` names one of lesson N anywhere.
    """
    found = []
    cache: dict[str, list[str]] = {}
    for title, name, body in lesson_sections(text):
        for m in CITE.finditer(body):
            heading, lesson = " ".join(m.group(1).split()), m.group(2)  # may wrap lines
            if lesson is not None:
                paths = sorted(NOTEBOOKS.glob(f"0{lesson}_*.ipynb"))
                target = paths[0].stem if paths else f"lesson {lesson}"
            elif name is None:
                found.append(f"§ *{heading}* in '{title}': say which lesson ('of lesson N')")
                continue
            else:
                target = name
            path = notebook_path(target)
            if target not in cache:
                cache[target] = headings(path) if path.is_file() else []
            if heading not in cache[target]:
                found.append(f"§ *{heading}* (in '{title}') is not a heading of {target}")
    return found


def timings_problems(text: str, notebooks: list[Path]) -> list[str]:
    """Lessons whose recorded code hash is missing or differs from the notebook's code now."""
    recorded = {m.group(1): m.group(3) for m in TIMING_ROW.finditer(text)}
    found = []
    for path in notebooks:
        now = code_hash(path)
        if path.stem not in recorded:
            found.append(f"{path.stem}: no timings recorded; run `{BENCHMARK}`")
        elif recorded[path.stem] != now:
            found.append(
                f"{path.stem}: its code changed since it was timed (hash {recorded[path.stem]}"
                f" recorded, {now} now); re-time it on an idle machine with `python"
                f" benchmarks/notebooks.py notebooks/{path.name} --write-guide"
                " docs/teaching-timings.md` and commit docs/teaching-timings.md"
            )
    return found


def sync(text: str) -> str:
    """The guide with every objectives block rewritten from its notebook."""

    def replace(m: re.Match) -> str:
        items = objectives(notebook_path(m["name"]))
        body = "".join(f"{i}. {item}\n" for i, item in enumerate(items, 1))
        return m["open"] + body + m["close"]

    return BLOCK.sub(replace, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("guide", nargs="?", type=Path, default=GUIDE)
    parser.add_argument("--check", action="store_true", help="report, do not rewrite")
    args = parser.parse_args(argv)
    text = args.guide.read_text(encoding="utf-8")
    new = sync(text)
    if args.check:
        stale = [
            name
            for name, items in parse_blocks(text).items()
            if items != objectives(notebook_path(name))
        ]
        for name in stale:
            print(f"{args.guide}: the objectives of {name} differ from the notebook's")
        return 1 if stale else 0
    if new != text:
        args.guide.write_text(new, encoding="utf-8")
        print(f"rewrote the objectives in {args.guide}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
