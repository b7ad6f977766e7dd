"""The teacher's guide (docs/teaching.md) and its timings (docs/teaching-timings.md) stay true.

The lesson notebooks are the one source of truth; these tests fail when the guide drifts from
them:

- each lesson's learning objectives in the guide are the notebook's own (``python
  scripts/teaching.py`` copies them again);
- every section the guide cites as ``§ *heading*`` is a heading of that lesson's notebook;
- the timings were measured on the notebook's current code: each lesson's recorded hash of its
  code cells equals the hash now (else re-run ``python benchmarks/notebooks.py --write-guide
  docs/teaching-timings.md``).

The checks themselves live in ``scripts/teaching.py``; the last tests show that each one fails
on a broken copy.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "teaching.md"
TIMINGS = ROOT / "docs" / "teaching-timings.md"
_spec = importlib.util.spec_from_file_location("teaching", ROOT / "scripts" / "teaching.py")
teaching = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(teaching)
NOTEBOOKS = teaching.lesson_notebooks()


def test_every_notebook_has_objectives_to_copy():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found"
    for path in NOTEBOOKS:
        assert len(teaching.objectives(path)) >= 3, (
            f"{path.name}: fewer than 3 numbered learning objectives found in its objectives cell"
        )


def test_the_guide_has_each_lessons_objectives_as_in_its_notebook():
    problems = teaching.objectives_problems(GUIDE.read_text(encoding="utf-8"), NOTEBOOKS)
    assert not problems, (
        "docs/teaching.md copies each lesson's learning objectives from its notebook: "
        + "; ".join(problems)
        + ". Run `python scripts/teaching.py` to copy them again (add an objectives block for a"
        " new lesson first), then reread that lesson's plans."
    )


def test_every_cited_section_is_a_heading_of_its_notebook():
    problems = teaching.citation_problems(GUIDE.read_text(encoding="utf-8"))
    assert not problems, (
        "docs/teaching.md cites sections by their heading text, which must exist in the "
        "notebook: " + "; ".join(problems) + ". A heading was renamed or removed: update the "
        "guide to the notebook's new heading."
    )


def test_the_timings_were_measured_on_the_current_code():
    assert TIMINGS.is_file(), f"no {TIMINGS.relative_to(ROOT)}: run `{teaching.BENCHMARK}`"
    problems = teaching.timings_problems(TIMINGS.read_text(encoding="utf-8"), NOTEBOOKS)
    assert not problems, "docs/teaching-timings.md is stale: " + "; ".join(problems)


def test_the_timings_name_sections_that_exist():
    text = TIMINGS.read_text(encoding="utf-8")
    rows = list(teaching.TIMING_ROW.finditer(text))
    assert rows, "docs/teaching-timings.md has no timing rows"
    for m in rows:
        path = teaching.notebook_path(m.group(1))
        cited = re.findall(r"§ (.+?): \d+\.\d(?=;| \|)", m.group(2))
        assert cited, f"{m.group(1)}: no slowest cells recorded"
        known = {h.replace("|", "/") for h in teaching.headings(path)} | {"(top)"}
        missing = [c for c in cited if c not in known]
        assert not missing, f"{m.group(1)}: timings name sections {missing} the notebook lacks"


def test_the_readme_points_teachers_to_the_guide():
    assert "docs/teaching.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_your_turn_has_an_answer_in_its_notebook():
    # The guide points to the notebooks' own answers rather than repeating them.
    missing = {p.stem: teaching.unanswered_exercises(p) for p in NOTEBOOKS}
    missing = {name: turns for name, turns in missing.items() if turns}
    assert not missing, (
        f"'Your turn' sections without a <details> answer: {missing}. docs/teaching.md says"
        " every exercise has its answer in the notebook: add one there, or write the answer in"
        " the guide's section for that lesson and say so."
    )


def test_the_guide_covers_every_your_turn_of_each_lesson():
    sections = {name: body for _, name, body in teaching.lesson_sections(GUIDE.read_text())}
    for path in NOTEBOOKS:
        turns = {h for h in teaching.headings(path) if h.startswith("Your turn")}
        body = " ".join(sections.get(path.stem, "").split())  # citations may wrap lines
        missing = sorted(t for t in turns if f"§ *{t}*" not in body)
        assert not missing, f"docs/teaching.md's section on {path.stem} never cites {missing}"


# The checks can fail: each one on a broken copy.


def test_an_exercise_without_an_answer_is_found(tmp_path):
    lesson = next(p for p in NOTEBOOKS if p.stem.startswith("02_"))
    nb = nbformat.read(lesson, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "### Your turn 2" in cell.source:
            cell.source = cell.source.split("<details>")[0]
    nbformat.write(nb, tmp_path / lesson.name)
    assert teaching.unanswered_exercises(tmp_path / lesson.name) == ["Your turn 2"]


def test_the_staleness_check_fails_when_a_code_cell_changes(tmp_path):
    lesson = NOTEBOOKS[1]
    copy = tmp_path / lesson.name
    shutil.copy(lesson, copy)
    recorded = f"| {lesson.stem} | 1.0 | x | 1 |  | `{teaching.code_hash(copy)}` |\n"
    assert teaching.timings_problems(recorded, [copy]) == []
    nb = nbformat.read(copy, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.source += "\nprint('one more line')"
    nbformat.write(nb, copy)
    problems = teaching.timings_problems(recorded, [copy])
    assert len(problems) == 1 and "`python benchmarks/notebooks.py notebooks/" in problems[0]


def test_outputs_and_metadata_do_not_make_a_lesson_stale(tmp_path):
    lesson = NOTEBOOKS[1]
    nb = nbformat.read(lesson, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
    cell.execution_count = 1
    cell.metadata["tags"] = [*cell.metadata.get("tags", []), "changed"]
    nbformat.write(nb, tmp_path / lesson.name)
    assert teaching.code_hash(tmp_path / lesson.name) == teaching.code_hash(lesson)


def test_the_checks_fail_on_a_wrong_heading_or_objective():
    text = GUIDE.read_text(encoding="utf-8")
    heading = teaching.headings(NOTEBOOKS[1])[3]
    assert f"§ *{heading}*" in text, "the guide should cite lesson 1's fourth heading"
    renamed = text.replace(f"§ *{heading}*", "§ *A heading nobody wrote*", 1)
    assert any("A heading nobody wrote" in p for p in teaching.citation_problems(renamed))
    objective = teaching.objectives(NOTEBOOKS[1])[0]
    changed = text.replace(objective, objective + " and more", 1)
    assert teaching.objectives_problems(changed, NOTEBOOKS[1:2]), "a changed objective passed"


def test_a_citation_that_wraps_a_line_is_checked_too():
    text = "# Guide\n\n## General\n\nSee § *Turn 2: more\n  data* of lesson 1.\n"
    assert teaching.citation_problems(text) == [
        "§ *Turn 2: more data* (in 'General') is not a heading of 01_iterative_loop"
    ]


@pytest.mark.parametrize("qualifier", [" of lesson 1", ""])
def test_a_citation_outside_a_lesson_must_say_which_lesson(qualifier):
    text = f"# Guide\n\n## General\n\nSee § *The loop*{qualifier}.\n"
    problems = teaching.citation_problems(text)
    assert bool(problems) == (qualifier == ""), problems
