"""``serve --workers N``: a supervisor process that keeps N uvicorn workers running.

- **Sockets.** On Linux each worker listens on its own ``SO_REUSEPORT`` socket on the same
  port, so the kernel spreads new connections evenly (with one shared socket, the first
  worker to wake up would take a whole burst of connections). The supervisor keeps a bound
  socket to hold the port. Elsewhere the workers share one listening socket.
- **Metrics.** The supervisor creates a private folder for prometheus_client's multiprocess
  mode (``PROMETHEUS_MULTIPROC_DIR``, set before the workers start), and cleans up the
  live-gauge files of a worker that dies.
- **One log file.** Every worker appends to the same prediction log; writes and rotation are
  serialised by ``flock`` (see :mod:`mlcourse.serving.logs`).
- **Swaps.** Workers follow the registry's pointer (see :mod:`mlcourse.serving.deployment`).
- **A dead worker is replaced** within a fraction of a second, while the others keep
  answering. A worker that dies within 5 s of its start is restarted after a growing delay
  (1 s, 2 s, ... up to 30 s), so a broken registry does not make the supervisor spin.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from mlcourse.serving.deployment import deploy_at_start
from mlcourse.serving.server import bind, url_of, worker_main
from mlcourse.serving.settings import Settings

__all__ = ["supervise"]

logger = logging.getLogger("mlcourse.serving")
POLL = 0.1
YOUNG = 5.0  # a worker that dies younger than this is restarted after a delay
STARTUP_TIMEOUT = 300.0


class WorkerError(RuntimeError):
    """The workers could not start."""


class _Slot:
    def __init__(self) -> None:
        self.process: multiprocessing.process.BaseProcess | None = None
        self.started = 0.0
        self.failures = 0
        self.not_before = 0.0


def supervise(settings: Settings) -> None:
    """Run ``settings.workers`` workers until SIGTERM/SIGINT (or the parent dies)."""
    parent = os.getppid()
    handle = deploy_at_start(settings)  # a bad registry fails here, with its reason, exit 2
    version = handle.version
    del handle  # the workers load their own copies
    state = Path(tempfile.mkdtemp(prefix="mlcourse-serve-"))  # 0700: only this user
    status_dir, metrics_dir = state / "workers", state / "metrics"
    status_dir.mkdir()
    metrics_dir.mkdir()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    reuse_port = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")
    sock = bind(settings.host, settings.port, reuse_port=reuse_port)
    if not reuse_port:
        sock.listen(2048)
    port = sock.getsockname()[1]
    worker_settings = settings.replace(port=port)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited threads
    stop = threading.Event()

    def on_signal(signum, frame) -> None:
        stop.set()

    def orphaned() -> bool:
        return settings.exit_with_parent and os.getppid() != parent

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)

    def start(slot: _Slot) -> None:
        slot.process = context.Process(
            target=worker_main,
            args=(worker_settings, str(status_dir), None if reuse_port else sock),
            name="mlcourse-serve-worker",
        )
        slot.process.start()
        slot.started = time.monotonic()

    slots = [_Slot() for _ in range(settings.workers)]
    try:
        for slot in slots:
            start(slot)
        _wait_until_ready(slots, status_dir, lambda: stop.is_set() or orphaned())
    except BaseException:
        _stop_all(slots, status_dir, metrics_dir)
        sock.close()
        shutil.rmtree(state, ignore_errors=True)
        raise
    print(
        f"mlcourse serve: {version} on {url_of(settings.host, port)} ({settings.workers} workers)",
        flush=True,
    )
    try:
        while not stop.wait(POLL):
            if orphaned():
                break
            now = time.monotonic()
            for slot in slots:
                proc = slot.process
                if proc is not None and proc.exitcode is None:
                    continue
                if proc is not None:  # it died: clean up after it, decide when to restart
                    _forget(proc.pid, status_dir, metrics_dir)
                    young = now - slot.started < YOUNG
                    slot.failures = slot.failures + 1 if young else 0
                    slot.not_before = now + (min(30.0, 2.0 ** (slot.failures - 1)) if young else 0)
                    logger.warning(
                        "worker %d exited with code %s; starting a new one%s",
                        proc.pid,
                        proc.exitcode,
                        f" in {slot.not_before - now:.0f} s" if young else "",
                    )
                    slot.process = None
                if now >= slot.not_before:
                    start(slot)
    finally:
        _stop_all(slots, status_dir, metrics_dir)
        sock.close()
        shutil.rmtree(state, ignore_errors=True)


def _wait_until_ready(slots: list[_Slot], status_dir: Path, stopped) -> None:
    """Until every worker has loaded its model (it writes its status file then)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        ready = {p.stem for p in status_dir.glob("*.json")}
        if all(str(s.process.pid) in ready for s in slots):
            return
        dead = [s.process for s in slots if s.process.exitcode is not None]
        if dead:
            raise WorkerError(
                f"worker {dead[0].pid} exited with code {dead[0].exitcode} while starting "
                "(its message is above)"
            )
        if stopped():
            raise KeyboardInterrupt
        if time.monotonic() > deadline:
            raise WorkerError(f"the workers did not start within {STARTUP_TIMEOUT:.0f} s")
        time.sleep(0.05)


def _forget(pid: int, status_dir: Path, metrics_dir: Path) -> None:
    from prometheus_client import multiprocess

    with contextlib.suppress(OSError):
        (status_dir / f"{pid}.json").unlink()
    multiprocess.mark_process_dead(pid, str(metrics_dir))


def _stop_all(slots: list[_Slot], status_dir: Path, metrics_dir: Path) -> None:
    running = [s.process for s in slots if s.process is not None and s.process.exitcode is None]
    for proc in running:
        proc.terminate()  # SIGTERM: uvicorn finishes the requests in flight
    deadline = time.monotonic() + 10
    for proc in running:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.exitcode is None:
            proc.kill()
            proc.join(5)
    for slot in slots:
        if slot.process is not None:
            _forget(slot.process.pid, status_dir, metrics_dir)
