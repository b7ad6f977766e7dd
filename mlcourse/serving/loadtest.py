"""A bounded loopback load generator: throughput and latency percentiles of ``/predict``.

:func:`load_test` keeps a number of keep-alive connections busy for a while, with a raw asyncio
HTTP/1.1 client (an ordinary client would mostly measure itself), and records every request.
:class:`BackgroundLoad` keeps that traffic running while a ``with`` block does something else
(a model swap, say). Both only send to loopback addresses.
"""

from __future__ import annotations

import asyncio
import collections
import json
import math
import re
import socket
import threading
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["BackgroundLoad", "LoadTestResult", "load_test"]


@dataclass
class LoadTestResult:
    """What :func:`load_test` measured. Latencies in milliseconds."""

    concurrency: int
    requests: int
    failed: int
    seconds: float
    instances_per_request: int
    latencies_ms: np.ndarray = field(repr=False)
    statuses: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def instances_per_s(self) -> float:
        return self.requests_per_s * self.instances_per_request

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if len(self.latencies_ms) else math.nan

    def summary(self) -> dict:
        """One row for a table."""
        return {
            "connections": self.concurrency,
            "instances/request": self.instances_per_request,
            "requests": self.requests,
            "failed": self.failed,
            "requests/s": round(self.requests_per_s, 1),
            "instances/s": round(self.instances_per_s, 1),
            "p50 ms": round(self.percentile(50), 2),
            "p90 ms": round(self.percentile(90), 2),
            "p99 ms": round(self.percentile(99), 2),
        }


_VERSION_BYTES = re.compile(rb'"model_version": ?"([^"]{1,64})"')


async def _load(host, port, path, bodies, concurrency, max_requests, duration, timeout, stop):
    request_heads = [
        (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(b)}\r\n\r\n"
        ).encode()
        + b
        for b in bodies
    ]
    latencies: list[float] = []
    statuses: collections.Counter = collections.Counter()
    versions: collections.Counter = collections.Counter()
    counter = iter(range(max_requests))
    failed = 0
    t_end = time.perf_counter() + duration

    async def worker(w: int) -> None:
        nonlocal failed
        reader = writer = None
        try:
            for i in counter:
                if time.perf_counter() > t_end or (stop is not None and stop.is_set()):
                    return
                req = request_heads[(w + i) % len(request_heads)]
                t0 = time.perf_counter()
                try:
                    if writer is None:
                        reader, writer = await asyncio.wait_for(
                            asyncio.open_connection(host, port), timeout
                        )
                        sock = writer.get_extra_info("socket")
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    writer.write(req)
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
                    status = int(head[9:12])
                    m = re.search(rb"(?i)content-length: *(\d+)", head)
                    body = await asyncio.wait_for(reader.readexactly(int(m.group(1))), timeout)
                except (
                    OSError,
                    asyncio.IncompleteReadError,
                    asyncio.TimeoutError,
                    asyncio.LimitOverrunError,
                    ValueError,
                    AttributeError,
                ):
                    failed += 1
                    statuses["error"] += 1
                    if writer is not None:
                        writer.close()
                    reader = writer = None
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[status] += 1
                if status >= 400:
                    failed += 1
                else:
                    vm = _VERSION_BYTES.search(body)
                    if vm:
                        versions[vm.group(1).decode()] += 1
        finally:
            if writer is not None:
                writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    seconds = time.perf_counter() - t0
    return latencies, statuses, versions, failed, seconds


def load_test(
    url: str,
    instances: list,
    *,
    batch_size: int = 1,
    concurrency: int = 10,
    duration: float = 2.0,
    max_requests: int = 100_000,
    timeout: float = 10.0,
    stop: threading.Event | None = None,
) -> LoadTestResult:
    """Send ``/predict`` requests to a loopback server for a bounded time; measure them.

    Each of ``concurrency`` connections sends requests one after the other (keep-alive), each
    with ``batch_size`` instances taken in turn from ``instances``, until ``duration`` seconds
    or ``max_requests`` requests, or until ``stop`` is set (from another thread). A raw asyncio
    HTTP/1.1 client keeps the load generator cheap (an ordinary client would measure itself).
    Runs in its own thread, so it also works inside Jupyter's event loop.

    Examples
    --------
    >>> result = load_test(server.url, ["hello"], concurrency=10, duration=1)  # doctest: +SKIP
    >>> result.summary()["p99 ms"]  # doctest: +SKIP
    """
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"load_test only sends to a loopback http:// address; got {url!r}")
    if not isinstance(instances, list) or not instances:
        raise ValueError("instances must be a non-empty list")
    for name, value in [("batch_size", batch_size), ("concurrency", concurrency)]:
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    if not 0 < duration <= 600:
        raise ValueError(f"duration must be in (0, 600] seconds; got {duration}")
    bodies = []
    n_bodies = max(1, min(64, len(instances) // batch_size))
    for k in range(n_bodies):
        batch = [instances[(k * batch_size + j) % len(instances)] for j in range(batch_size)]
        bodies.append(json.dumps({"instances": batch}).encode())
    path = (parts.path.rstrip("/") or "") + "/predict"
    box: dict = {}

    def target() -> None:
        try:
            box["result"] = asyncio.run(
                _load(
                    parts.hostname,
                    parts.port or 80,
                    path,
                    bodies,
                    concurrency,
                    max_requests,
                    duration,
                    timeout,
                    stop,
                )
            )
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target, name="mlcourse-load-test")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    latencies, statuses, versions, failed, seconds = box["result"]
    return LoadTestResult(
        concurrency=concurrency,
        requests=sum(statuses.values()),
        failed=failed,
        seconds=seconds,
        instances_per_request=batch_size,
        latencies_ms=np.asarray(latencies),
        statuses=dict(statuses),
        versions=dict(versions),
    )


class BackgroundLoad:
    """Keep :func:`load_test` traffic running while a ``with`` block runs (e.g. a model swap).

    The load stops when the block ends (or after ``max_duration`` seconds); the measurements
    are then in ``.result``.

    Examples
    --------
    >>> with BackgroundLoad(server.url, texts, concurrency=8) as load:  # doctest: +SKIP
    ...     httpx.post(server.url + "/admin/swap", json={"version": "v2"}, headers=admin)
    >>> load.result.failed, load.result.versions  # doctest: +SKIP
    (0, {'v1': 1890, 'v2': 2210})
    """

    def __init__(
        self, url: str, instances: list, *, concurrency: int = 8, max_duration: float = 60.0, **kw
    ):
        self._kwargs = dict(concurrency=concurrency, duration=max_duration, **kw)
        self._args = (url, instances)
        self._stop = threading.Event()
        self._box: dict = {}
        self._thread: threading.Thread | None = None
        self.result: LoadTestResult | None = None

    def _run(self) -> None:
        try:
            self._box["result"] = load_test(*self._args, stop=self._stop, **self._kwargs)
        except BaseException as exc:  # re-raised in __exit__
            self._box["error"] = exc

    def __enter__(self) -> BackgroundLoad:
        self._thread = threading.Thread(target=self._run, name="mlcourse-background-load")
        self._thread.start()
        time.sleep(0.2)  # let the connections open before the block starts
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(0.2)  # some traffic after the block, too
        self._stop.set()
        self._thread.join()
        if "error" in self._box:
            raise self._box["error"]
        self.result = self._box["result"]
