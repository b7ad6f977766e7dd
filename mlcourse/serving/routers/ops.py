"""``GET /health`` and ``GET /metrics``: what operators and Prometheus read."""

from __future__ import annotations

import os

from fastapi import APIRouter
from fastapi.responses import Response

from mlcourse.serving.dependencies import State
from mlcourse.serving.schemas import HealthResponse, QueueStatus

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=HealthResponse)
async def health(state: State) -> HealthResponse:
    """Liveness: the version this worker serves, its queue, every worker, and the limits."""
    handle = state.predictor.handle
    return HealthResponse(
        status="ok",
        pid=os.getpid(),
        model_version=handle.version,
        created=handle.metadata.created,
        input=handle.metadata.input,
        classes=handle.contract.classes,
        decision_threshold=handle.contract.threshold,
        queue=QueueStatus(running=state.predictor.running, waiting=state.predictor.waiting),
        workers=[w for w, _ in state.deployment.workers()],
        limits=state.settings.limits(),
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def metrics(state: State) -> Response:
    """Prometheus text exposition (summed over all workers)."""
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
