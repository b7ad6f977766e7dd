"""Drive a real JupyterLab in Debian's headless Chromium (Playwright for Python).

Used by the fixtures in ``tests/ui/conftest.py`` and by each lesson's widget test. The browser is
the system's ``chromium`` (never a Playwright browser download).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STDERR = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"

# JupyterLab settings for tests: render every cell (no windowing, so every prompt is in the DOM)
# and never fetch news or updates (the machine has no network).
_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def _ephemeral_low(default: int = 32768) -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):  # not Linux: 32768 is below macOS's 49152 too
        return default


def free_port(low: int = 10000) -> int:
    """A free 127.0.0.1 port for a server a test starts, chosen below the ephemeral range.

    A port found by binding port 0 comes from the ephemeral range, which the system also hands
    to every kernel's ZMQ sockets and every outgoing connection: between this function closing
    it and the server binding it, a kernel started by another test worker can take it (CI once
    met a kernel's ZMQ greeting where JupyterLab should have answered). The system never hands
    out a port below that range by itself, so only a server choosing the same port at random
    could collide with ours.
    """
    high = _ephemeral_low()
    rng = random.SystemRandom()
    for _ in range(200) if high - low > 1000 else ():
        port = rng.randrange(low, high)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # no room below the range: let the system choose
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab server on 127.0.0.1, started by :func:`start_lab`."""

    proc: subprocess.Popen
    port: int
    token: str
    root: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, rel_path: str) -> str:
        return f"{self.base}/lab/tree/{rel_path}?reset&token={self.token}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@contextlib.contextmanager
def serve_folder(folder: Path):
    """``python -m http.server`` on a free 127.0.0.1 port serving ``folder``; yields its URL.

    The server is stopped (by its process) on exit.
    """
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port := free_port())],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base, timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def start_lab(root: Path, state: Path, timeout_s: float = 60) -> Lab:
    """Start ``jupyter lab`` serving ``root``, with all its state kept under ``state``."""
    settings = state / "settings"
    for rel, value in _SETTINGS.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    env = dict(os.environ)
    env.update(
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTER_CONFIG_DIR=str(state / "config"),
        MLCOURSE_AUTOMATED="1",
    )
    port, token = free_port(), secrets.token_hex(16)
    log = open(state / "lab.log", "wb")  # noqa: SIM115 (kept open for the server's lifetime)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",  # never move to another port without saying so
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--allow-root",  # CI runs as root
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    lab = Lab(proc=proc, port=port, token=token, root=root)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early; see {state / 'lab.log'}")
        try:
            with urllib.request.urlopen(f"{lab.base}/api/status?token={token}", timeout=2):
                return lab
        except http.client.HTTPException as exc:  # not HTTP: another program has the port
            lab.stop()
            raise RuntimeError(f"port {port} answers, but not as JupyterLab: {exc!r}") from exc
        except OSError:
            time.sleep(0.3)
    lab.stop()
    raise RuntimeError(f"JupyterLab did not answer within {timeout_s} s; see {state / 'lab.log'}")


def open_notebook(page, lab: Lab, rel_path: str, timeout_s: float = 90) -> None:
    """Open a notebook and wait until its kernel is connected and idle.

    The notebook's own indicator reads idle before a kernel is attached, and Run All clicked then
    opens a "Select Kernel" dialog and runs nothing; so wait for the status bar to report an idle
    kernel, and accept the preselected kernel if that dialog shows up.
    """
    page.goto(lab.url(rel_path))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout_s * 1000)
    dialog = page.locator(".jp-Dialog:has-text('Select Kernel')")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if dialog.count():
            dialog.locator(".jp-mod-accept").click()
        if page.locator("#jp-main-statusbar:has-text('| Idle')").count():
            return
        time.sleep(0.3)
    raise TimeoutError(f"{rel_path}: no idle kernel after {timeout_s} s")


def _menu(page, menu: str, item: str) -> None:
    page.locator(f".lm-MenuBar-itemLabel:text-is('{menu}')").click()
    page.locator(f".lm-Menu-itemLabel:text-is('{item}')").first.click()


def run_all_cells(page, timeout_s: float = 240) -> None:
    """Run > Run All Cells, then wait until every code cell has an execution count."""
    _menu(page, "Run", "Run All Cells")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        prompts = page.locator(".jp-NotebookPanel:visible .jp-CodeCell .jp-InputPrompt")
        texts = [t.strip() for t in prompts.all_inner_texts()]
        if texts and all(t.startswith("[") and t[1:-2].strip().isdigit() for t in texts):
            page.wait_for_selector(
                ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']",
                timeout=30_000,
            )
            return
        if page.locator(STDERR).count():  # a failing cell stops Run All: report it now
            return
        time.sleep(0.5)
    raise TimeoutError(f"cells still running after {timeout_s} s: {texts}")


def error_outputs(page) -> list[str]:
    """Text of every stderr/error output on the page (tracebacks and warnings alike)."""
    return page.locator(STDERR).all_inner_texts()


def run_notebook(page, lab: Lab, rel_path: str) -> None:
    """Open a notebook, run all its cells, and fail on any error output or unrendered widget."""
    open_notebook(page, lab, rel_path)
    run_all_cells(page)
    errors = error_outputs(page)
    assert not errors, f"{rel_path} shows error output in JupyterLab:\n" + "\n---\n".join(errors)
    # Widgets render as live views, not as their text fallback.
    fallback = page.locator(".jp-OutputArea-output:has-text('HBox(children=')")
    assert fallback.count() == 0, f"{rel_path}: a widget rendered as text (widget manager missing)"
