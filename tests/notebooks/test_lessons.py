"""Each lesson notebook is the one source of its claims: checks of its structure and its prose.

- Every lesson (``notebooks/0N_*.ipynb``, N >= 1) has exactly one code cell tagged
  ``parameters`` near the top, with ``SEED = 0``, ``RESULTS_PATH = None`` and a comment for every
  other parameter; no other cell sets ``SEED``; no random number is drawn without a seed.
- Its last code cell saves its results with ``save_results(RESULTS_PATH, ...)``, and
  ``tests/claims`` runs it (``lesson_runs("<lesson>")``). No function a lesson defines is
  defined again under ``tests/``, and the claims tests import no model library: they assert on
  the notebook's results, they do not recompute them.
- Lesson prose types no measured number: a percentage, a decimal or a number with a unit in
  Markdown must be a *definition* (a size, a setting, a threshold of a rule) listed in
  ``DEFINITIONS``. A measured number is printed by a cell, or said qualitatively and asserted
  by the lesson's claims test.
- The start page, which makes no claims, runs clean (the lessons run in ``tests/claims``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(p for p in NOTEBOOKS.glob("0[1-9]_*.ipynb"))
CLAIMS = ROOT / "tests" / "claims"


def _lesson_param(path: Path):
    return pytest.param(path, id=path.stem)


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def test_every_lesson_is_found():
    assert len(LESSONS) >= 6, [p.name for p in LESSONS]


# --------------------------------------------------------------------------- parameters, results
@pytest.mark.parametrize("path", [_lesson_param(p) for p in LESSONS])
def test_one_parameters_cell_near_the_top(path: Path):
    code = _code_cells(nbformat.read(path, as_version=4))
    tagged = [i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} code cells tagged 'parameters', want 1"
    index = tagged[0]
    assert index <= 2, f"{path.name}: the parameters cell is code cell {index}; put it at the top"
    lines = code[index].source.splitlines()
    assert "SEED = 0" in [ln.split("#")[0].strip() for ln in lines], f"{path.name}: no SEED = 0"
    assert "RESULTS_PATH = None" in [ln.split("#")[0].strip() for ln in lines], (
        f"{path.name}: the parameters cell needs RESULTS_PATH = None"
    )
    for i, line in enumerate(lines):
        if re.match(r"[A-Z_][A-Z0-9_]* = ", line):
            documented = "#" in line or (i > 0 and lines[i - 1].lstrip().startswith("#"))
            assert documented, f"{path.name}: parameter line {line!r} has no comment saying why"
    for i, cell in enumerate(code):
        if i != index:
            assert not re.search(r"^SEED\s*=", cell.source, re.M), (
                f"{path.name}: code cell {i} sets SEED; only the parameters cell may"
            )


def test_tests_shrink_only_documented_parameters():
    from tests.claims.conftest import SHRINK

    for lesson, shrunk in SHRINK.items():
        nb = nbformat.read(NOTEBOOKS / f"{lesson}.ipynb", as_version=4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        names = set(re.findall(r"^([A-Z_][A-Z0-9_]*) = ", cell.source, re.M))
        assert set(shrunk) <= names - {"SEED", "RESULTS_PATH"}, (
            f"tests/claims shrinks {sorted(set(shrunk) - names)} in {lesson}, which its "
            "parameters cell does not define"
        )


UNSEEDED = [
    (re.compile(r"random_state\s*=\s*\d+\s*[,)]"), "a literal random_state (use SEED)"),
    (re.compile(r"\b(?:default_rng|RandomState)\(\s*\)"), "an RNG without a seed"),
    (re.compile(r"np\.random\.(?!default_rng|RandomState)[a-z_]+\("), "NumPy's global RNG"),
    (re.compile(r"^\s*(?:import random\b|from random import)", re.M), "the random module"),
    (re.compile(r"\bseed\s*=\s*\d+\s*[,)]"), "a literal seed (derive it from SEED)"),
]


@pytest.mark.parametrize("path", [_lesson_param(p) for p in LESSONS])
def test_every_random_number_follows_from_seed(path: Path):
    for i, cell in enumerate(_code_cells(nbformat.read(path, as_version=4))):
        for pattern, what in UNSEEDED:
            match = pattern.search(cell.source)
            assert not match, f"{path.name}, code cell {i}: {what}: {match.group(0)!r}"


@pytest.mark.parametrize("path", [_lesson_param(p) for p in LESSONS])
def test_last_code_cell_saves_the_results(path: Path):
    last = _code_cells(nbformat.read(path, as_version=4))[-1].source
    assert last.lstrip().startswith("#"), f"{path.name}: say in a comment what the last cell is for"
    assert "save_results(RESULTS_PATH," in last.replace("\n", "").replace("    ", ""), (
        f"{path.name}: the last code cell must call save_results(RESULTS_PATH, name=result, ...)"
    )


@pytest.mark.parametrize("path", [_lesson_param(p) for p in LESSONS])
def test_the_claims_tests_run_the_lesson(path: Path):
    number = path.name[1]
    test = CLAIMS / f"test_lesson{number}_claims.py"
    assert test.is_file(), f"{path.name} has no claims test {test.relative_to(ROOT)}"
    assert re.search(rf"lesson_runs\(\s*\"?{path.stem}|\"{path.stem}\"", test.read_text()), (
        f"{test.name} does not run {path.stem} with lesson_runs"
    )


def _lesson_functions() -> set[str]:
    names = set()
    for path in LESSONS:
        for cell in _code_cells(nbformat.read(path, as_version=4)):
            names |= set(re.findall(r"^def (\w+)\(", cell.source, re.M))
    return names


def test_no_lesson_code_is_retyped_under_tests():
    lesson_functions = _lesson_functions()
    assert len(lesson_functions) > 10, lesson_functions
    for path in sorted((ROOT / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text())
        defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        retyped = sorted(defined & lesson_functions)
        assert not retyped, (
            f"{path.relative_to(ROOT)} defines {retyped}, which a lesson notebook defines: "
            "assert on the notebook's saved results instead"
        )


def test_claims_tests_do_not_recompute():
    for path in sorted(CLAIMS.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                assert top not in {"sklearn", "fairlearn", "scipy"}, (
                    f"{path.name} imports {module}: claims tests read results, never fit models"
                )
                assert module not in {"mlcourse.data", "mlcourse.transfer", "mlcourse.errors"}, (
                    f"{path.name} imports {module}: claims tests read results, never rebuild data"
                )


# --------------------------------------------------------------------------- prose
# Numbers a lesson's Markdown may type, because they define something (a size, a setting, a
# rule's threshold, a citation) rather than report a measurement. Each entry is what the scanner
# below reports: a percentage, a decimal, or a number with the word after it.
DEFINITIONS = {
    "01_iterative_loop": {
        "3,000 emails",
        "10,000 most",
        "1 if",
        "5-fold",
        "1%",
        "6,000 emails",
        "6,000 more",
        "9,000 in",
        "9,000 emails",
        "0.5 so",  # the default threshold of a classifier
        "0.5",
    },
    "02_error_analysis": {
        "10,000 most",
        "100 tells",
        "10 already",
        "100%",
        "30%",
        "12 words",
        "20 anonymous",
        "10 emails",
        "5 and",
    },
    "03_adding_data": {
        "5 random",
        "300 labelled",
        "500 labelled",
        "3,200 unlabelled",
        "100 more",
        "100 random",
        "2,000 emails",
        "3-grams",
        "100 pool",
        "5 seeds",
        "3 rotated",
        "10°",
        "8x8 pixels",
        "6 is",
        "1 before",
        "9 is",
        "15°",
        "6 rotated",
        "60°",
        "0 to",
        "20 dB",
        "9 settings",
        "3-fold",
        "27 fits",
        "16 fits",
    },
    "04_transfer_learning": {
        "8x8 images",
        "720 original",
        "40 times",
        "30 classes",
        "3 upright",
        "3 mirrored",
        "30 digit",
        "172,800 training",
        "20 degrees",
        "25 to",
        "500 labelled",
        "64 inputs",
        "8x8 pixels",
        "64 ReLU",
        "30 outputs",
        "30-unit",
        "64 x",
        "325 parameters",
        "8,645 parameters",
        "100 epochs",
        "25 examples",
        "25 can",
        "4 sets",
        "2 sets",
        "5 seeds",
        "500 examples",
        "64 pixels",
        "64 weights",
        "8x8 image",
        "28x28 image",
        "784 pixels",
        "8x8",
        "28x28 with",
        "100 examples",
        "0.2 for",
        "5 classes",
    },
    "05_deployment": {
        "4xx",
        "97 %",
        "50 ms",
        "1 %",
        "100 emails",
        "1,000 emails",
        "300 emails",
        "10 bins",
        "0.1 stable",
        "0.1 to",
        "0.25 moderate",
        "0.25 large",
        "0.02 standard",
        "0.1 and",
        "0.25 rules",
        "5 runs",
        "300-email",
        "700 of",
        "90-minute",
        "1 to",
        "100 strings",
        "422 with",
        "0.1",
        "300 labelled",
        "10 connections",
        "50,000 characters",
        "10 spam",
        "0.5",
    },
    "06_fairness": {"29 CFR", "1607.4", "6 a", "2%"},
    "07_real_mail": {"10,000 most", "5-fold", "10 times", "1 and"},
}

_STRIP = [
    re.compile(r"```.*?```", re.S),  # code blocks: code, not prose
    re.compile(r"`[^`]*`"),  # inline code
    re.compile(r"<[^>]+>"),  # HTML tags (details/summary)
    re.compile(r"\]\([^)]*\)"),  # link targets
]
_LIST_NUMBER = re.compile(r"^(\s*(?:#+\s*)?)\d+\.\s", re.M)  # "1. item", "## 2. Section"
_NUMBER = r"(?<![\w.,/-])\d+(?:[,.]\d+)*"
_FOUND = re.compile(
    _NUMBER + r"(?:\s?%|x\d+(?:\s[A-Za-z]+)?|[ -]?[A-Za-zµ°]+)|(?<![\w.,/-])\d+\.\d+(?:\s[a-z]+)?"
)
# "lesson 2", "turn 3", "option 1", "week 4", "section 6", ...: references, not quantities.
_REFERENCE = re.compile(
    r"(?i:\b(?:lessons?|turns?|sections?|options?|weeks?|assignments?|exercises?|parts?|steps?"
    r"|tags?|seeds?|digits?))\s+$"
)


def numbers_in_prose(markdown: str) -> list[tuple[str, str]]:
    """(number with its unit or next word, context) for each number the prose types."""
    text = markdown
    for pattern in _STRIP:
        text = pattern.sub(" ", text)
    text = _LIST_NUMBER.sub(r"\1", text.replace("**", "").replace("*", ""))
    found = []
    for m in _FOUND.finditer(text):
        token = m.group(0)
        if "%" not in token and "." not in token and _REFERENCE.search(text[: m.start()]):
            continue
        context = " ".join(text[max(0, m.start() - 50) : m.end() + 30].split())
        found.append((token, context))
    return found


def test_the_scanner_finds_typed_results():
    found = [t for t, _ in numbers_in_prose("Accuracy falls from 0.99 to about 0.93, a 6% drop.")]
    assert found == ["0.99 to", "0.93", "6%"], found
    assert [t for t, _ in numbers_in_prose("It took 20 seconds; see lesson 2 and `C=0.1`.")] == [
        "20 seconds"
    ]


@pytest.mark.parametrize("path", [_lesson_param(p) for p in LESSONS])
def test_lesson_prose_types_only_defined_numbers(path: Path):
    allowed = DEFINITIONS.get(path.stem, set())
    nb = nbformat.read(path, as_version=4)
    typed, seen = [], set()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for token, context in numbers_in_prose(cell.source):
            seen.add(token)
            if token not in allowed:
                typed.append(f"cell {i}: {token!r} in '...{context}...'")
    assert not typed, (
        f"{path.name} types numbers that are not definitions. Print a measured number from a "
        "cell, or say it qualitatively and assert it in the claims test; if it defines "
        "something (a size, a setting), add it to DEFINITIONS:\n" + "\n".join(typed)
    )
    stale = sorted(allowed - seen)
    assert not stale, f"DEFINITIONS lists numbers {path.name} no longer types: {stale}"


# --------------------------------------------------------------------------- the start page
def test_start_page_runs_clean(tmp_path):
    """The start page has no claims; it runs here (the lessons run in tests/claims)."""
    import papermill

    out = papermill.execute_notebook(
        str(NOTEBOOKS / "00_start_here.ipynb"),
        str(tmp_path / "00_start_here.ipynb"),
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
        progress_bar=False,
        request_save_on_cell_execute=False,
        execution_timeout=300,
    )
    stderr = [
        o.get("text", o.get("evalue", ""))
        for c in out.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("name") == "stderr" or o.get("output_type") == "error"
    ]
    assert not stderr, f"00_start_here writes to stderr:\n{stderr}"
