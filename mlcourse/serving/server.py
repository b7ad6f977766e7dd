"""Running the app with uvicorn: one process, or one worker of ``serve --workers N``."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time

from mlcourse.serving.settings import Settings

__all__ = ["bind", "run", "uvicorn_config"]

logger = logging.getLogger("mlcourse.serving")


def configure_logging() -> None:
    """Server events (swaps, refusals, worker restarts) go to stderr, one line each."""
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("mlcourse serve: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A TCP socket bound to ``host:port`` (``port=0``: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:  # several workers, one socket each: the kernel spreads connections over them
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # Accepted connections inherit TCP_NODELAY: without it a response written in two parts
    # waits for the client's delayed ACK (about 40 ms on Linux).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def uvicorn_config(app, settings: Settings):
    """uvicorn's configuration from the settings: limits, timeouts, the guarded protocol."""
    import uvicorn

    from mlcourse.serving.limits import protocol_class

    metrics = app.state.serving.metrics
    return uvicorn.Config(
        app,
        loop="auto",  # uvloop when installed (a dependency on Linux and macOS)
        http=protocol_class(settings, metrics),
        access_log=False,
        log_level="warning",
        timeout_keep_alive=settings.keep_alive_timeout,
        limit_concurrency=settings.limit_concurrency,
        timeout_graceful_shutdown=5,
        backlog=2048,
        server_header=False,
    )


def watch_parent(server, parent: int) -> None:
    """Stop ``server`` when the process that started this one dies (no orphans)."""

    def watch() -> None:
        while not server.should_exit:
            if os.getppid() != parent:
                server.should_exit = True
                return
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True, name="mlcourse-parent-watch").start()


def url_of(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run(settings: Settings) -> None:
    """Serve until interrupted (what ``python -m mlcourse serve`` runs).

    With ``settings.workers > 1`` a supervisor process runs the workers
    (:func:`mlcourse.serving.workers.supervise`). The first line on stdout is
    ``mlcourse serve: <version> on http://HOST:PORT``, so a parent process can read the address.

    Examples
    --------
    >>> run(Settings(registry="models/", port=8000))  # doctest: +SKIP
    """
    import uvicorn

    configure_logging()
    if settings.workers > 1:
        from mlcourse.serving.workers import supervise

        supervise(settings)
        return
    from mlcourse.serving.app import create_app

    app = create_app(settings)
    sock = bind(settings.host, settings.port)
    server = uvicorn.Server(uvicorn_config(app, settings))
    if settings.exit_with_parent:
        watch_parent(server, os.getppid())
    version = app.state.serving.predictor.handle.version
    print(
        f"mlcourse serve: {version} on {url_of(settings.host, sock.getsockname()[1])}", flush=True
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def worker_main(settings: Settings, status_dir: str, sock: socket.socket | None) -> None:
    """One worker process of ``serve --workers N`` (started by the supervisor)."""
    import uvicorn

    from mlcourse.serving.app import create_app

    configure_logging()
    try:
        app = create_app(settings, follow=True, status_dir=status_dir)
    except (ValueError, OSError) as exc:
        logger.error("worker %d cannot start: %s", os.getpid(), exc)
        sys.exit(2)
    if sock is None:
        sock = bind(settings.host, settings.port, reuse_port=True)
    server = uvicorn.Server(uvicorn_config(app, settings))
    watch_parent(server, os.getppid())
    server.run(sockets=[sock])
