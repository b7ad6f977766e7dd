"""Fixtures for browser tests: a real JupyterLab and Debian's headless Chromium.

Without Chromium these tests skip with the reason. ``.ci/run`` installs Chromium and sets
``MLCOURSE_REQUIRE_BROWSER=1``, which turns that skip into a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .lab import CHROMIUM, start_lab

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/ui/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.ui)


def _require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = (
        "Debian's chromium is not installed (apt-get install -y chromium); browser tests need it"
    )
    if os.environ.get("MLCOURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " and MLCOURSE_REQUIRE_BROWSER=1 forbids skipping")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab on a free 127.0.0.1 port, serving a scratch copy of ``notebooks/``.

    The copy keeps files that lessons write (tag CSVs, saved models) out of the repo.
    """
    _require_browser()
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copytree(
        ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    server = start_lab(root, tmp_path_factory.mktemp("lab-state"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(request):
    _require_browser()
    return request.getfixturevalue("chromium")  # tests/conftest.py: one per process


@pytest.fixture
def page(browser, lab):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()
