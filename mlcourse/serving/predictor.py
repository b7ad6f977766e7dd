"""The model handle and the micro-batcher.

A :class:`ModelHandle` is one loaded, checked model; a swap replaces the whole handle (one
reference assignment), so a batch always runs on one model. The :class:`Predictor` merges the
requests that arrive while a batch runs into the next batch (dynamic micro-batching: many
single-instance requests share one vectorised ``predict_proba`` call), and runs every batch in
its model thread, never on the event loop, so ``/health`` and new requests are answered while
a batch runs.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from mlcourse.serving.checks import Contract
from mlcourse.serving.metrics import Metrics
from mlcourse.serving.registry import LoadedModel, ModelLoadError
from mlcourse.serving.schemas import ModelMetadata

__all__ = ["ModelHandle", "Predictor"]


@dataclass(frozen=True)
class ModelHandle:
    """One loaded model; replaced as a whole on a swap (never mutated)."""

    version: str
    serial: int  # the registry pointer's serial when this model was deployed
    model: Any
    metadata: ModelMetadata
    contract: Contract

    @classmethod
    def from_loaded(cls, loaded: LoadedModel, serial: int) -> ModelHandle:
        handle = cls(loaded.version, serial, loaded.model, loaded.metadata, loaded.contract)
        handle.probe()
        return handle

    def predict(self, instances: list) -> tuple[list, list | None]:
        """Predictions (and probabilities) for validated instances."""
        X = instances if self.contract.kind == "text" else np.asarray(instances, dtype=float)
        model = self.model
        if self.contract.classes is not None and hasattr(model, "predict_proba"):
            proba = model.predict_proba(X)
            classes = self.contract.classes
            if self.contract.threshold is not None:  # a FixedThresholdClassifier's own rule
                chosen = (proba[:, 1] >= self.contract.threshold).astype(int)
            else:
                chosen = proba.argmax(axis=1)
            preds = [classes[i] for i in chosen.tolist()]
            probs = proba[:, 1].tolist() if proba.shape[1] == 2 else proba.tolist()
            return preds, probs
        return np.asarray(model.predict(X)).tolist(), None

    def probe(self) -> None:
        """Run the model once on a harmless sample; refuse it if that fails."""
        sample: list = (
            ["warm-up"] if self.contract.kind == "text" else [[0.0] * self.contract.n_features]
        )
        try:
            _, probs = self.predict(sample)
        except Exception as exc:
            raise ModelLoadError(
                f"refusing {self.version}: it fails on a sample ({exc!r})"
            ) from None
        if probs is not None and not np.isfinite(np.asarray(probs, dtype=float)).all():
            raise ModelLoadError(f"refusing {self.version}: it gives non-finite probabilities")


class Predictor:
    """Serve predictions from the current :class:`ModelHandle`, in micro-batches.

    Parameters
    ----------
    handle : ModelHandle
        The first model.
    metrics : Metrics
    max_batch_instances : int
        At most this many instances per model call (one request is never split).
    log : logging.Logger, optional
        Where prediction records go (:func:`mlcourse.serving.logs.prediction_logger`).
    log_inputs : bool
        Put each raw input in its record.
    log_max_bytes : int
        The log's rotation size: a record is kept below it (an input that would not fit is left
        out of its line, and the line says so).
    """

    def __init__(
        self,
        handle: ModelHandle,
        *,
        metrics: Metrics,
        max_batch_instances: int = 4096,
        log: logging.Logger | None = None,
        log_inputs: bool = False,
        log_max_bytes: int = 20_000_000,
    ):
        self.handle = handle
        self.metrics = metrics
        self.max_batch_instances = max_batch_instances
        self.log = log
        self.log_inputs = log_inputs
        self._line_limit = log_max_bytes // 4
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlcourse-model")
        self._pending: collections.deque = collections.deque()
        self._draining = False
        self.running = 0  # instances in the model thread now
        self.waiting = 0  # instances queued for the next batch
        metrics.now_serving(handle.version)

    def install(self, handle: ModelHandle) -> None:
        """Serve ``handle`` from the next batch on (a batch already running finishes as it was)."""
        previous, self.handle = self.handle, handle  # atomic: one reference assignment
        self.metrics.now_serving(handle.version, previous.version)

    async def predict(self, instances: list, request_id: str) -> tuple[list, list | None, str]:
        """Queue validated ``instances``; return ``(predictions, probabilities, version)``."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append(((instances, request_id), future))
        self.waiting += len(instances)
        if not self._draining:
            self._draining = True
            loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch, futures, n = [], [], 0
                while self._pending and (
                    not batch or n + len(self._pending[0][0][0]) <= self.max_batch_instances
                ):
                    item, future = self._pending.popleft()
                    batch.append(item)
                    futures.append(future)
                    n += len(item[0])
                self.waiting -= n
                self.running = n
                try:
                    results = await loop.run_in_executor(self._executor, self._run, batch)
                except Exception as exc:  # pragma: no cover - _run returns errors per request
                    results = [exc] * len(futures)
                finally:
                    self.running = 0
                for future, result in zip(futures, results, strict=True):
                    if future.done():  # the request was cancelled meanwhile
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._draining = False

    def _run(self, batch: list) -> list:
        """In the model thread: one model call for the whole batch, or one per request if a
        request breaks the batch (so only that request fails)."""
        handle = self.handle  # read once: the whole batch uses one model
        instances = [x for item in batch for x in item[0]]
        try:
            preds, probs = handle.predict(instances)
        except Exception as exc:
            if len(batch) == 1:
                return [exc]
            return [self._run([item])[0] for item in batch]
        self.metrics.batch_size.observe(len(instances))
        out, start = [], 0
        for inst, request_id in batch:
            stop = start + len(inst)
            p = None if probs is None else probs[start:stop]
            out.append((preds[start:stop], p, handle.version))
            if self.log is not None:
                self._log(request_id, handle.version, inst, preds[start:stop], p)
            start = stop
        for cls, count in collections.Counter(map(str, preds)).items():
            self.metrics.predictions.labels(handle.version, cls).inc(count)
        return out

    def _log(self, request_id: str, version: str, inst: list, preds: list, probs) -> None:
        ts = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        chunk: list[str] = []
        size = 0
        for i, x in enumerate(inst):
            record = {
                "ts": ts,
                "request_id": request_id,
                "model_version": version,
                "index": i,
                "prediction": preds[i],
                "score": probs[i] if probs is not None and not isinstance(probs[i], list) else None,
                "input_length": len(x),
            }
            line = json.dumps({**record, "input": x} if self.log_inputs else record)
            if len(line) >= self._line_limit:  # ASCII (json escapes the rest): chars = bytes
                line = json.dumps({**record, "input": None, "input_dropped": "too long to log"})
            if chunk and size + len(line) + 1 > self._line_limit:
                self.log.info("\n".join(chunk))
                chunk, size = [], 0
            chunk.append(line)
            size += len(line) + 1
        if chunk:
            self.log.info("\n".join(chunk))

    def close(self) -> None:
        self._executor.shutdown(wait=True)
