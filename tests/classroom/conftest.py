"""Fixtures for the classroom tests: a real JupyterHub with real Unix users (root only).

Where a classroom cannot be made here (not root, not Linux, no bubblewrap, no proxy, no PAM)
the tests skip and say why. ``.ci/run`` sets ``MLCOURSE_REQUIRE_CLASSROOM=1``, which turns that
skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import sys
import time

import pytest

from tests.classroom.hub import KIT, Classroom


def classroom_problem() -> str:
    """Why no classroom can be made here ("" when one can)."""
    if not sys.platform.startswith("linux"):
        return f"the classroom kit needs Linux (Unix users, PAM); this is {sys.platform}"
    if os.geteuid() != 0:
        return "the classroom tests create Unix users, so they must run as root (CI does)"
    for tool in ("useradd", "userdel", "groupadd", "groupdel", "usermod", "chpasswd"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (package passwd)"
    if not os.path.exists("/etc/pam.d/login"):
        return "PAM's 'login' service (/etc/pam.d/login) is missing (package login)"
    chp = KIT / "node_modules" / ".bin" / "configurable-http-proxy"
    if not chp.exists() and shutil.which("configurable-http-proxy") is None:
        return (
            "configurable-http-proxy is not installed: `npm ci --prefix classroom` (make test "
            "does it when npm is there)"
        )
    from tests.grading.course import sandbox_problem

    problem = sandbox_problem()
    if problem:
        return f"no grading sandbox: {problem}"
    return ""


def require_classroom() -> None:
    problem = classroom_problem()
    if problem:
        if os.environ.get("MLCOURSE_REQUIRE_CLASSROOM") == "1":
            pytest.fail(f"MLCOURSE_REQUIRE_CLASSROOM=1 but no classroom here: {problem}")
        pytest.skip(f"no classroom here: {problem}")


@pytest.fixture(scope="module")
def room():
    """A set-up course with an instructor and three students, and its hub running."""
    require_classroom()
    classroom = Classroom.create()
    start = time.monotonic()
    try:
        proc = classroom.run_setup()
        assert proc.returncode == 0, f"setup_course.py failed:\n{proc.stdout}\n{proc.stderr}"
        classroom.setup_output = proc.stdout
        classroom.set_passwords()
        classroom.start_hub()
        classroom.start_seconds = time.monotonic() - start  # set-up script, passwords, hub
        yield classroom
    finally:
        classroom.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Mark a test whose call failed, for test_round's step fixture."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        item.call_failed = True


@pytest.fixture(scope="module")
def browser(request):
    """Debian's headless Chromium (Playwright), or a skip (a failure in CI) without it."""
    from tests.ui.lab import CHROMIUM

    if not os.path.exists(CHROMIUM):
        reason = "Debian's chromium is not installed (apt-get install -y chromium)"
        required = ("MLCOURSE_REQUIRE_BROWSER", "MLCOURSE_REQUIRE_CLASSROOM")
        if any(os.environ.get(v) == "1" for v in required):
            pytest.fail(reason + ", and CI requires the classroom's browser steps")
        pytest.skip(reason)
    return request.getfixturevalue("chromium")  # tests/conftest.py: one per process


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    yield page
    context.close()
