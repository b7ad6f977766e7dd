"""The README's first Quick-start command, `make lab`, opens the course on its start page.

It must bind to 127.0.0.1 only and keep token authentication on.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .lab import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_lab(tmp_path, request):
    target = getattr(request, "param", "lab")
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    port = free_port()
    env = dict(os.environ)
    env.update(
        JUPYTER_PORT=str(port),
        BROWSER="true",  # don't launch a desktop browser from the test
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    log = tmp_path / "make-lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["make", target],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so we can stop make and Jupyter
        )
    try:
        token = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and token is None:
            assert proc.poll() is None, f"make lab exited early:\n{log.read_text()[-3000:]}"
            m = re.search(rf"http://127\.0\.0\.1:{port}/lab\S*\?token=([0-9a-f]+)", log.read_text())
            token = m.group(1) if m else None
            time.sleep(0.5)
        assert token, f"no URL with a token in make {target}'s output:\n{log.read_text()[-3000:]}"
        yield port, token, log
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen, timeout_s: float = 20) -> None:
    """Stop make *and* the Jupyter server it started (same process group), by group id.

    Waiting for make alone is not enough: the server can outlive it, so wait until the whole
    group is gone and kill what is left.
    """
    pgid = proc.pid
    os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        proc.poll()
        try:
            os.killpg(pgid, 0)  # raises once no process of the group is left
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


def test_make_lab_opens_the_start_page_with_a_token(make_lab, browser):
    from playwright.sync_api import expect

    port, token, log = make_lab
    text = log.read_text()
    assert f"http://127.0.0.1:{port}/lab" in text

    # Token authentication is on: the API refuses a request without it.
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=10)
    assert err.value.code in (401, 403)

    # The landing page is the course's start page.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}", timeout=10) as r:
        assert r.geturl().split("?")[0].endswith("/lab/tree/notebooks/00_start_here.ipynb")

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/?token={token}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        assert page.locator(".lm-TabBar-tab.lm-mod-current:has-text('00_start_here')").count()
        # markdown cells render after the first cell appears (CI once looked too soon, under load)
        expect(page.get_by_text("Start here: how this course works")).not_to_have_count(
            0, timeout=30_000
        )
    finally:
        context.close()


def _lab_ui(browser, port: int, token: str) -> dict[str, list[str]]:
    """What a user sees of nbgrader in the Lab: menu items, sidebars, toolbar, notifications."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(
            f"http://127.0.0.1:{port}/lab/tree/notebooks/00_start_here.ipynb?reset&token={token}"
        )
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        page.wait_for_selector(".jp-NotebookPanel-toolbar [title='Validate Assignment']")
        time.sleep(3)  # the news question, when enabled, arrives a moment after the page
        seen = {
            "sidebar": page.locator(".jp-SideBar .lm-TabBar-tab").evaluate_all(
                "tabs => tabs.map(t => t.getAttribute('title') || t.innerText)"
            ),
            "toolbar": page.locator(".jp-NotebookPanel-toolbar [title]").evaluate_all(
                "items => items.map(i => i.getAttribute('title'))"
            ),
            "notifications": page.locator(".Toastify__toast").all_inner_texts(),
        }
        page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')").click()
        seen["menu"] = [t for t in page.locator(".lm-Menu-itemLabel").all_inner_texts() if t]
        return seen
    finally:
        context.close()


def _status(url: str) -> int:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.mark.parametrize("make_lab", ["lab"], indirect=True)
def test_make_lab_is_a_learners_lab(make_lab, browser):
    port, token, _ = make_lab
    seen = _lab_ui(browser, port, token)
    assert seen["menu"] == ["Assignment List"], (
        f"a learner's Nbgrader menu should hold only the Assignment List, not {seen['menu']}: "
        "check lab/learner/labconfig/page_config.json"
    )
    assert not any("Create Assignment" in t for t in seen["sidebar"]), seen["sidebar"]
    assert "Validate Assignment" in seen["toolbar"], "learners validate their notebooks"
    assert not any("news" in n.lower() for n in seen["notifications"]), seen["notifications"]
    # The instructor's server extensions are off, not only hidden.
    assert _status(f"http://127.0.0.1:{port}/formgrader?token={token}") == 404


@pytest.mark.parametrize("make_lab", ["lab-instructor"], indirect=True)
def test_make_lab_instructor_has_the_instructors_tools(make_lab, browser):
    port, token, _ = make_lab
    seen = _lab_ui(browser, port, token)
    for item in ("Assignment List", "Course List", "Formgrader", "Create assignment"):
        assert item in seen["menu"], f"{item!r} missing from the instructor's menu {seen['menu']}"
    assert any("Create Assignment" in t for t in seen["sidebar"]), seen["sidebar"]
    assert not any("news" in n.lower() for n in seen["notifications"]), seen["notifications"]
    assert _status(f"http://127.0.0.1:{port}/formgrader?token={token}") in (200, 302)
