"""Prometheus metrics, and the middleware that counts every request by route template.

Labels only take values from small, fixed sets: the route *template* (``/predict``,
``/admin/swap``...; any unknown path is ``unmatched``), the status code, the model version and
the predicted class. A raw request path is never a label: 3,000 random 404s must not add 3,000
time series.

With ``serve --workers N`` every worker writes its samples to files in the folder named by
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode, set up by the supervisor),
and ``/metrics`` on any worker sums them over all workers.
"""

from __future__ import annotations

import os
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CLIENT_CLOSED", "Metrics", "MetricsMiddleware", "multiprocess_mode"]

#: Status recorded for a request whose client left before the answer (nginx's convention).
#: A client that hangs up mid-body is not a server error.
CLIENT_CLOSED = 499
UNMATCHED = "unmatched"


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class Metrics:
    """The server's metrics; one instance per app (or, across workers, per worker)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.multiprocess = multiprocess_mode()
        # in multiprocess mode samples go to files, and /metrics collects them fresh
        r = None if self.multiprocess else CollectorRegistry()
        self.registry = r
        self.requests = Counter(
            "mlcourse_requests",
            "HTTP requests by route template and status (499: the client left first)",
            ["endpoint", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "mlcourse_request_duration_seconds",
            "Time to answer /predict, from the request's head to the end of the answer",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=r,
        )
        self.predictions = Counter(
            "mlcourse_predictions",
            "Predictions by model version and predicted class",
            ["model_version", "predicted_class"],
            registry=r,
        )
        self.batch_size = Histogram(
            "mlcourse_batch_instances",
            "Instances per model call (micro-batches merge requests)",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096),
            registry=r,
        )
        self.swaps = Counter(
            "mlcourse_model_swaps",
            "Model changes by outcome (ok, refused, followed, follow_failed)",
            ["outcome"],
            registry=r,
        )
        self.serving = Gauge(
            "mlcourse_model_serving",
            "Worker processes serving each model version",
            ["version"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.log_errors = Counter(
            "mlcourse_prediction_log_errors", "Prediction-log writes that failed", registry=r
        )
        self.refused = Counter(
            "mlcourse_connections_refused",
            "Connections closed before a request reached the app, by reason",
            ["reason"],
            registry=r,
        )

    def now_serving(self, version: str, previous: str | None = None) -> None:
        if previous is not None and previous != version:
            self.serving.labels(previous).set(0)
        self.serving.labels(version).set(1)

    def render(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess

        if not self.multiprocess:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)


class MetricsMiddleware:
    """Pure ASGI middleware: count each request by route template and status.

    It sits outside FastAPI's exception handling, so it sees the status that was sent, and
    inside Starlette's error middleware, so an unhandled exception counts as 500.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: list | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes or []  # to name routes that are not FastAPI's (/openapi.json)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status: int | None = None
        left = False

        async def receive_() -> Message:
            nonlocal left
            message = await receive()
            if message["type"] == "http.disconnect" and status is None:
                left = True
            return message

        async def send_(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive_, send_)
        except Exception:
            status = status or 500
            raise
        finally:
            endpoint = self._template(scope)
            code = CLIENT_CLOSED if left else (status or 500)
            self.metrics.requests.labels(endpoint, str(code)).inc()
            if endpoint == "/predict":
                self.metrics.latency.observe(time.perf_counter() - t0)

    def _template(self, scope: Scope) -> str:
        route = scope.get("route")  # set by FastAPI's router on a match
        if route is None:
            from starlette.routing import Match

            route = next((r for r in self.routes if r.matches(scope)[0] != Match.NONE), None)
        return getattr(route, "path", None) or UNMATCHED
