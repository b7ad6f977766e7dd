"""``ServerProcess``: run ``python -m mlcourse serve`` as a subprocess on a free loopback port."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path
from typing import Any

from mlcourse.serving.settings import ADMIN_TOKEN_ENV, Settings

__all__ = ["ServerProcess"]

_LIVE: weakref.WeakSet = weakref.WeakSet()
_READY = re.compile(r"mlcourse serve: \S+ on (http://\S+)")


@atexit.register
def _stop_all() -> None:
    for server in list(_LIVE):
        server.stop()


class ServerProcess:
    """Run the server as a subprocess; stop it on :meth:`stop`, at exit, or if this process dies.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`. It listens on a free
    port of ``host`` (``127.0.0.1``); :attr:`url` is its address once started, and
    :meth:`start` returns when ``/health`` answers from every worker.

    Parameters
    ----------
    registry : path, optional
        The model registry (or give ``settings``).
    settings : Settings, optional
        The server's settings; the keyword arguments below override them.
    admin_token : str, optional
        Passed through the environment (not the command line, which other users can read).
    log_file, log_inputs, workers, **overrides
        Any :class:`~mlcourse.serving.settings.Settings` field, e.g. ``max_instances=500``.
    extra_args : sequence of str
        More command-line options, verbatim.
    startup_timeout : float
        Seconds to wait for the server (and all its workers) to answer.

    Examples
    --------
    >>> with ServerProcess("models/", admin_token="s3cret", workers=2) as server:  # doctest: +SKIP
    ...     httpx.post(server.url + "/predict", json={"instances": ["hello"]}).json()
    """

    def __init__(
        self,
        registry: str | os.PathLike | None = None,
        *,
        settings: Settings | None = None,
        extra_args: tuple[str, ...] | list[str] = (),
        startup_timeout: float = 60.0,
        **overrides: Any,
    ):
        if settings is None:
            if registry is None:
                raise ValueError("give a registry or settings")
            settings = Settings(registry=registry, **overrides)
        else:
            changes = dict(overrides, **({"registry": registry} if registry is not None else {}))
            settings = settings.replace(**changes)
        self.settings = settings.replace(port=0, exit_with_parent=True)
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.url: str | None = None
        self.process: subprocess.Popen | None = None
        self._out_dir: str | None = None

    @property
    def registry(self) -> Path:
        return self.settings.registry

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def output(self) -> str:
        """What the server printed (stdout and stderr)."""
        if self._out_dir is None:
            return ""
        path = Path(self._out_dir) / "server.out"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> ServerProcess:
        if self.process is not None:
            raise RuntimeError("server already started")
        cmd = [
            sys.executable,
            "-m",
            "mlcourse",
            "serve",
            *self.settings.to_args(),
            *self.extra_args,
        ]
        env = dict(os.environ)
        env.pop(ADMIN_TOKEN_ENV, None)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if self.settings.admin_token:
            env[ADMIN_TOKEN_ENV] = self.settings.admin_token
        self._out_dir = tempfile.mkdtemp(prefix="mlcourse-serve-")
        out = open(Path(self._out_dir) / "server.out", "wb")  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        finally:
            out.close()
        _LIVE.add(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def health(self, timeout: float = 5.0) -> dict:
        """``GET /health`` (one new connection, so any worker may answer)."""
        import httpx

        return httpx.get(self.url + "/health", timeout=timeout).json()

    def _wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with code {self.process.returncode}:\n{self.output()}"
                )
            match = _READY.search(self.output())
            if match:
                self.url = match.group(1)
                try:
                    health = self.health(timeout=2)
                    if len(health["workers"]) >= self.settings.workers:
                        return
                except (httpx.TransportError, ValueError, KeyError):
                    pass
            time.sleep(0.05)
        raise TimeoutError(
            f"the server did not start in {self.startup_timeout} s:\n{self.output()}"
        )

    def stop(self, timeout: float = 15.0) -> int | None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout`` s); return its exit code."""
        proc = self.process
        if proc is None:
            return None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        _LIVE.discard(self)
        if self._out_dir is not None:
            shutil.rmtree(self._out_dir, ignore_errors=True)
            self._out_dir = None
        return proc.returncode

    def __enter__(self) -> ServerProcess:
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "not started" if self.process is None else f"pid {self.pid}, {self.url}"
        return f"ServerProcess({str(self.registry)!r}, {state})"
