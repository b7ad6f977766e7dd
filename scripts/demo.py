"""A lesson demo that never waits: run it before class in the very kernel the teacher will use.

Usage: ``python scripts/demo.py LESSON [--port N]`` (``make demo LESSON=3``).

It copies the lesson to ``notebooks/demo-NN_name.ipynb`` (git-ignored), starts the learner's
JupyterLab on 127.0.0.1, opens a session (and so a kernel) for the copy through the server's REST
API, and runs every cell in that kernel. It saves the outputs into the copy through the server,
as trusted (the teacher ran it, as if in Lab): JupyterLab renders a widget's output only in a
trusted notebook, and shows its text fallback otherwise. When it prints "ready", the teacher
opens the printed link: JupyterLab attaches to the same session, so every result is already on
screen, every variable is in the kernel (re-run any cell live), and every widget is live (its
widget manager restores the kernel's widgets when it connects).
Stop with Ctrl+C (the server and its kernel stop with it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


class _RunningKernel(AsyncKernelManager):
    """A kernel manager for a kernel that the Jupyter server started and owns (never stopped
    from here)."""

    @property
    def has_kernel(self) -> bool:
        return True

    async def _async_is_alive(self) -> bool:
        return True

    is_alive = _async_is_alive

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        return None  # the server's kernel: the teacher goes on with it


def lesson_path(lesson: str) -> Path:
    """``3`` or ``03`` or ``03_adding_data`` -> notebooks/03_adding_data.ipynb."""
    key = lesson.zfill(2) if lesson.isdigit() else lesson
    matches = sorted((ROOT / "notebooks").glob(f"{key}*.ipynb"))
    if len(matches) != 1:
        names = ", ".join(p.stem for p in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")))
        raise SystemExit(f"no single lesson matches {lesson!r}; the lessons are: {names}")
    return matches[0]


def _api(base: str, token: str, path: str, body: dict | None = None, method: str = "") -> dict:
    request = urllib.request.Request(
        f"{base}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        method=method or ("GET" if body is None else "POST"),
    )
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.loads(r.read())


def start_lab(port: int, token: str, runtime: Path, log) -> subprocess.Popen:
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(ROOT / "lab" / "learner"))
    env["JUPYTER_RUNTIME_DIR"] = str(runtime)
    if "JUPYTERLAB_WORKSPACES_DIR" not in env:
        # A fresh workspace of its own: the demo opens on its notebook alone (no tabs of an
        # earlier demo, each of which would start a kernel), and the teacher's everyday Lab
        # layout is left as it was.
        shutil.rmtree(runtime / "workspaces", ignore_errors=True)
        env["JUPYTERLAB_WORKSPACES_DIR"] = str(runtime / "workspaces")
    return subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={ROOT}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def demo_copy(notebook: Path) -> Path:
    """The pre-run copy, beside the lesson (same folder, so the same relative paths) and
    git-ignored: ``notebooks/demo-03_adding_data.ipynb``."""
    return notebook.with_name(f"demo-{notebook.name}")


def prerun(base: str, token: str, runtime: Path, notebook: Path) -> float:
    """Run ``notebook`` in the kernel of its server session; save it with outputs."""
    rel = notebook.relative_to(ROOT).as_posix()
    session = _api(
        base, token, "/api/sessions",
        {"path": rel, "name": notebook.name, "type": "notebook", "kernel": {"name": "python3"}},
    )  # fmt: skip
    kernel_id = session["kernel"]["id"]
    km = _RunningKernel(connection_file=str(runtime / f"kernel-{kernel_id}.json"))
    km.load_connection_file()
    (runtime / "kernel.pid").write_text(str(_kernel_pid(km)))  # see main()
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb, km=km, timeout=600, resources={"metadata": {"path": str(notebook.parent)}},
        store_widget_state=True,
    )  # fmt: skip
    start = time.perf_counter()
    asyncio.run(client.async_execute(cleanup_kc=True))
    save_trusted(base, token, rel, nb)
    return time.perf_counter() - start


def _kernel_pid(km: AsyncKernelManager) -> int:
    """The kernel's process id, asked silently (no cell, no history). The kernel leads its own
    process group; what it starts (joblib's worker processes) outlives its shutdown in it."""
    kc = BlockingKernelClient()
    kc.load_connection_info(km.get_connection_info())
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)  # the kernel was just started: its channels may lag
        expr = {"pid": "__import__('os').getpid()"}
        reply = kc.execute_interactive(
            "", silent=True, store_history=False, user_expressions=expr, timeout=120
        )
        return int(reply["content"]["user_expressions"]["pid"]["data"]["text/plain"])
    finally:
        kc.stop_channels()


def save_trusted(base: str, token: str, rel: str, nb: nbformat.NotebookNode) -> None:
    """Save ``nb`` at ``rel`` through the server, signed as trusted, as Lab's "Trust Notebook"
    does: every code cell marked trusted, and the server signs the notebook with its own key
    (nbformat's notary) as it saves. Unsigned, JupyterLab would show each widget's text
    fallback (``VBox(children=...)``) instead of the live widget, and sanitize HTML outputs."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata["trusted"] = True  # the server drops the flag once it has signed
    model = {"type": "notebook", "format": "json", "content": nb}
    _api(base, token, f"/api/contents/{urllib.parse.quote(rel)}", model, method="PUT")


def stop_group(pid_file: Path) -> None:
    """SIGTERM the process group led by the PID in ``pid_file`` (if any is left)."""
    try:
        os.killpg(int(pid_file.read_text()), signal.SIGTERM)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lesson", help="the lesson's number or name, for example 3")
    parser.add_argument("--port", type=int, default=8899)
    parser.add_argument("--runtime", type=Path, default=ROOT / "build" / "demo-runtime")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the server on kill too
    lesson = lesson_path(args.lesson)
    notebook = demo_copy(lesson)
    notebook.write_bytes(lesson.read_bytes())
    token, base = secrets.token_hex(16), f"http://127.0.0.1:{args.port}"
    args.runtime.mkdir(parents=True, exist_ok=True)
    (args.runtime / "kernel.pid").unlink(missing_ok=True)  # an earlier demo's: never signal it
    with open(args.runtime / "lab.log", "ab") as log:
        lab = start_lab(args.port, token, args.runtime, log)
    (args.runtime / "lab.pid").write_text(str(lab.pid))  # for whoever must stop it by PID
    try:
        for _ in range(600):
            try:
                _api(base, token, "/api/status")
                break
            except OSError:
                if lab.poll() is not None:
                    raise SystemExit(f"JupyterLab exited; see {args.runtime / 'lab.log'}") from None
                time.sleep(0.2)
        print(f"pre-running {notebook.name} in its own kernel...", flush=True)
        seconds = prerun(base, token, args.runtime, notebook)
        # nbclient sets SIGTERM back to its default as it finishes (asyncio's
        # remove_signal_handler): set ours again, or a kill would leave the Lab running.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        rel = notebook.relative_to(ROOT).as_posix()
        print(f"ready in {seconds:.0f} s: {base}/lab/tree/{rel}?token={token}", flush=True)
        print(f"(a copy with outputs, {notebook.name}; the lesson itself is unchanged)", flush=True)
        lab.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if lab.poll() is None:
            os.killpg(lab.pid, signal.SIGTERM)  # the server shuts its kernel down
            try:
                lab.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(lab.pid, signal.SIGKILL)
                lab.wait(timeout=10)
        stop_group(args.runtime / "kernel.pid")  # and what the kernel left behind
    return 0


if __name__ == "__main__":
    sys.exit(main())
