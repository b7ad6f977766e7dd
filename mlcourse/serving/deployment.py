"""Which model serves: deploy at start, swap, rollback, and follow the registry's pointer.

The registry's ``current.json`` (see :mod:`mlcourse.serving.registry`) is the single source of
truth. A swap or rollback, in whichever worker receives it, runs under the registry's lock:
it reads the pointer, picks the target *inside* the lock (two concurrent rollbacks go back two
steps, or one succeeds and the other gets 409), loads and checks the model, then moves the
pointer. Every other worker polls the pointer (``watch_interval``, 0.2 s) and loads the new
version in a background thread; the admin request waits until every live worker serves it
(each worker records what it serves in a small status file), at most ``FOLLOW_TIMEOUT``.
A version that fails any check is refused with a 4xx and the old model keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mlcourse.serving.metrics import Metrics
from mlcourse.serving.predictor import ModelHandle, Predictor
from mlcourse.serving.registry import (
    MODEL_FILE,
    PENDING_FILE,
    POINTER_FILE,
    ModelLoadError,
    _read_metadata,
    clear_pending,
    list_versions,
    load_version,
    pointer_lock,
    read_pointer,
    write_pending,
    write_pointer,
)
from mlcourse.serving.schemas import Pointer, SwapResponse, WorkerStatus
from mlcourse.serving.settings import Settings

__all__ = ["Deployment", "deploy_at_start", "follow_at_start"]

FOLLOW_TIMEOUT = 5.0
logger = logging.getLogger("mlcourse.serving")


def deploy_at_start(settings: Settings) -> ModelHandle:
    """Load the version to serve first and point the registry at it.

    ``settings.version`` if given, else the registry's current version (so a rollback
    survives a restart), else the newest.
    """
    registry = settings.registry
    list_versions(registry)  # a clear error if the folder is missing
    with pointer_lock(registry):
        pointer = read_pointer(registry)
        version = settings.version
        if version is None and pointer is not None:
            if (registry / pointer.version / MODEL_FILE).is_file():
                version = pointer.version
        loaded = load_version(registry, version, max_bytes=settings.max_model_bytes)
        handle = ModelHandle.from_loaded(loaded, serial=0)  # probed before it is deployed
        if pointer is None or pointer.version != loaded.version:
            pointer = write_pointer(registry, loaded.version, pointer)
    return dataclasses.replace(handle, serial=pointer.serial)


def follow_at_start(settings: Settings) -> ModelHandle:
    """A worker's first model: whatever the pointer names now (the supervisor deployed it)."""
    pointer = read_pointer(settings.registry)
    if pointer is None:
        return deploy_at_start(settings)
    loaded = load_version(settings.registry, pointer.version, max_bytes=settings.max_model_bytes)
    return ModelHandle.from_loaded(loaded, serial=pointer.serial)


class Deployment:
    """Swaps, rollbacks and pointer-following for one app (one worker)."""

    def __init__(
        self,
        settings: Settings,
        predictor: Predictor,
        metrics: Metrics,
        status_dir: str | os.PathLike | None = None,
    ):
        self.settings = settings
        self.registry = Path(settings.registry)
        self.predictor = predictor
        self.metrics = metrics
        self.status_dir = None if status_dir is None else Path(status_dir)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlcourse-admin")
        self._locks: dict[int, asyncio.Lock] = {}
        self._failed_serial: int | None = None
        self._preload: tuple[int, str, asyncio.Future] | None = None
        self._moved_at = 0.0
        self._write_status()

    # ---- state ------------------------------------------------------------------------------
    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()  # one lock per event loop (TestClient makes several)
        return self._locks.setdefault(id(loop), asyncio.Lock())

    def _write_status(self) -> None:
        if self.status_dir is None:
            return
        handle = self.predictor.handle
        status = {"pid": os.getpid(), "model_version": handle.version, "serial": handle.serial}
        path = self.status_dir / f"{os.getpid()}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(status))
        os.replace(tmp, path)

    def workers(self) -> list[tuple[WorkerStatus, int]]:
        """``(status, serial)`` of every live worker (just this one without a supervisor)."""
        handle = self.predictor.handle
        if self.status_dir is None:
            return [(WorkerStatus(pid=os.getpid(), model_version=handle.version), handle.serial)]
        out = []
        for path in sorted(self.status_dir.glob("*.json")):
            try:
                data = json.loads(path.read_text())
                os.kill(int(data["pid"]), 0)  # still alive?
            except (OSError, ValueError, KeyError, TypeError):
                continue
            out.append(
                (WorkerStatus(pid=data["pid"], model_version=data["model_version"]), data["serial"])
            )
        return out

    def _install(self, handle: ModelHandle) -> None:
        previous = self.predictor.handle
        self.predictor.install(handle)
        self._write_status()
        logger.info(
            "worker %d: now serving %s (was %s)", os.getpid(), handle.version, previous.version
        )

    # ---- swap and rollback ------------------------------------------------------------------
    async def swap(self, version: str) -> SwapResponse:
        def choose(pointer: Pointer) -> tuple[str, list[str] | None]:
            if version not in list_versions(self.registry):
                raise ModelLoadError(
                    f"version {version!r} is not in the registry ({list_versions(self.registry)})",
                    404,
                )
            return version, None  # None: push the previous version onto the history

        return await self._change(choose)

    async def rollback(self) -> SwapResponse:
        def choose(pointer: Pointer) -> tuple[str, list[str] | None]:
            if not pointer.history:
                raise ModelLoadError("nothing to roll back to: no swap happened yet", 409)
            return pointer.history[-1], pointer.history[:-1]

        return await self._change(choose)

    async def _change(self, choose: Callable) -> SwapResponse:
        loop = asyncio.get_running_loop()
        async with self._lock():
            before = self.predictor.handle.version
            try:
                handle, previous = await loop.run_in_executor(
                    self._pool, self._change_locked, choose
                )
            except ModelLoadError as exc:
                self.metrics.swaps.labels("refused").inc()
                raise ModelLoadError(f"{exc}; still serving {before}", exc.status) from None
            if handle.serial != self.predictor.handle.serial:
                self._install(handle)
            self.metrics.swaps.labels("ok").inc()
        workers = await self._wait_for_workers(handle.serial)
        return SwapResponse(
            previous_version=previous,
            model_version=handle.version,
            workers=workers,
            followed_in=round(max(0.0, time.monotonic() - self._moved_at), 3),
        )

    def _change_locked(self, choose: Callable) -> tuple[ModelHandle, str]:
        """In the admin thread, holding the registry's lock across processes."""
        with pointer_lock(self.registry):
            current = self.predictor.handle
            pointer = read_pointer(self.registry) or Pointer(
                version=current.version, serial=current.serial, updated=""
            )
            version, history = choose(pointer)
            if version == pointer.version and history is None:  # already deployed
                if current.serial == pointer.serial:
                    self._moved_at = time.monotonic()
                    return current, pointer.version
                self._moved_at = time.monotonic()
                return self._load(version, pointer.serial), pointer.version
            write_pending(self.registry, version, pointer.serial + 1)
            try:
                handle = self._load(version, pointer.serial + 1)  # checked before the pointer moves
                write_pointer(self.registry, version, pointer, history=history)
                self._moved_at = time.monotonic()
            finally:
                clear_pending(self.registry)
            return handle, pointer.version

    def _load(self, version: str, serial: int) -> ModelHandle:
        loaded = load_version(self.registry, version, max_bytes=self.settings.max_model_bytes)
        ours, theirs = self.predictor.handle.contract, loaded.contract
        if (ours.kind, ours.n_features) != (theirs.kind, theirs.n_features):
            raise ModelLoadError(
                f"{version} takes {_describe(theirs)} but this server's API takes "
                f"{_describe(ours)}; clients would break. Serve it from a new server.",
                409,
            )
        return ModelHandle.from_loaded(loaded, serial)

    async def _wait_for_workers(self, serial: int) -> list[WorkerStatus]:
        deadline = time.monotonic() + FOLLOW_TIMEOUT
        while True:
            workers = self.workers()
            if all(s >= serial for _, s in workers) or time.monotonic() > deadline:
                return [w for w, _ in workers]
            await asyncio.sleep(0.02)

    # ---- following the pointer --------------------------------------------------------------
    async def watch(self) -> None:
        """Follow changes of the registry's pointer made by other workers (runs forever).

        A swap in progress is announced in ``.pending.json``: this worker starts loading that
        version at once, so it can switch as soon as the pointer moves.
        """
        seen: dict[str, tuple | None] = {POINTER_FILE: None, PENDING_FILE: None}
        while True:
            await asyncio.sleep(self.settings.watch_interval)
            changed = []
            for name in seen:
                try:
                    stat = os.stat(self.registry / name)
                    key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
                except OSError:
                    key = None
                if key != seen[name]:
                    seen[name] = key
                    changed.append(name)
            with contextlib.suppress(Exception):  # a bug here must not stop the watcher
                if PENDING_FILE in changed:
                    self._start_preload()
                if POINTER_FILE in changed:
                    await self._follow()

    def _start_preload(self) -> None:
        pending = read_pointer(self.registry, PENDING_FILE)
        if pending is None:  # the swap ended: keep a preload only if the pointer moved to it
            pointer = read_pointer(self.registry)
            if self._preload and (pointer is None or pointer.serial < self._preload[0]):
                self._preload = None
            return
        if pending.serial <= self.predictor.handle.serial:
            return
        if self._lock().locked() or (self._preload and self._preload[0] == pending.serial):
            return  # this worker is making the change, or already loading it
        future = asyncio.get_running_loop().run_in_executor(
            self._pool, self._load, pending.version, pending.serial
        )
        future.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved
        self._preload = (pending.serial, pending.version, future)

    async def _follow(self) -> None:
        pointer = read_pointer(self.registry)
        if pointer is None or pointer.serial <= self.predictor.handle.serial:
            return
        if pointer.serial == self._failed_serial:
            return
        loop = asyncio.get_running_loop()
        async with self._lock():
            if pointer.serial <= self.predictor.handle.serial:
                return  # this worker made the change itself
            preload, self._preload = self._preload, None
            try:
                if preload is not None and preload[:2] == (pointer.serial, pointer.version):
                    handle = await preload[2]  # loading started when the swap was announced
                else:
                    handle = await loop.run_in_executor(
                        self._pool, self._load, pointer.version, pointer.serial
                    )
            except ModelLoadError as exc:
                self._failed_serial = pointer.serial
                self.metrics.swaps.labels("follow_failed").inc()
                logger.error(
                    "worker %d cannot follow the registry to %s: %s",
                    os.getpid(),
                    pointer.version,
                    exc,
                )
                return
            self._install(handle)
            self.metrics.swaps.labels("followed").inc()

    def versions(self) -> list[dict]:
        out = []
        for version in list_versions(self.registry):
            try:
                meta = _read_metadata(self.registry / version, version)
                out.append(meta.model_dump(mode="json", exclude_none=True))
            except ModelLoadError as exc:
                out.append({"version": version, "error": str(exc)})
        return out

    def history(self) -> list[str]:
        pointer = read_pointer(self.registry)
        return [] if pointer is None else list(pointer.history)

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        if self.status_dir is not None:
            with contextlib.suppress(OSError):
                (self.status_dir / f"{os.getpid()}.json").unlink()


def _describe(contract) -> str:
    if contract.kind == "text":
        return "text"
    return f"rows of {contract.n_features} numbers"
