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
def make_lab(tmp_path):
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
            ["make", "lab"],
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
        assert token, f"no URL with a token in make lab's output:\n{log.read_text()[-3000:]}"
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
        assert page.get_by_text("Start here: how this course works").count()
    finally:
        context.close()
