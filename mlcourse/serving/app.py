"""``create_app``: the FastAPI application, assembled from the routers and middleware."""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from fastapi import FastAPI

from mlcourse.serving.dependencies import ServingState
from mlcourse.serving.deployment import Deployment, deploy_at_start, follow_at_start
from mlcourse.serving.errors import install_handlers
from mlcourse.serving.limits import BodyLimitMiddleware
from mlcourse.serving.logs import close_logger, prediction_logger
from mlcourse.serving.metrics import Metrics, MetricsMiddleware
from mlcourse.serving.predictor import Predictor
from mlcourse.serving.routers import admin, ops, predict
from mlcourse.serving.schemas import predict_request_model
from mlcourse.serving.settings import Settings

__all__ = ["create_app"]

DESCRIPTION = """Predictions from a scikit-learn model of an mlcourse registry.

Bad input gets a 4xx whose JSON `detail` says what is wrong. `/admin/*` needs
`Authorization: Bearer <token>`. Limits are in `GET /health` (`limits`)."""


def create_app(
    settings: Settings | str | os.PathLike,
    *,
    follow: bool = False,
    status_dir: str | os.PathLike | None = None,
    **overrides: Any,
) -> FastAPI:
    """Build the FastAPI app serving a registry.

    The first model is loaded and checked here (so a bad registry fails before the server
    starts) and the registry's pointer is set to it.

    Parameters
    ----------
    settings : Settings or path
        The server's :class:`~mlcourse.serving.settings.Settings`, or just a registry folder.
    follow : bool
        For a worker of ``serve --workers N``: serve what the registry's pointer names, never
        change it at start.
    status_dir : path, optional
        Where workers record what they serve (set by the supervisor).
    **overrides
        Settings fields to change, e.g. ``admin_token="s3cret"``.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.dummy import DummyClassifier
    >>> from mlcourse.serving import save_model
    >>> registry = tempfile.mkdtemp()
    >>> _ = save_model(DummyClassifier().fit([[0.0], [1.0]], [0, 1]), registry)
    >>> app = create_app(registry)
    >>> sorted(app.openapi()["paths"])[:3]
    ['/admin/rollback', '/admin/swap', '/admin/versions']
    """
    if not isinstance(settings, Settings):
        settings = Settings(registry=settings, **overrides)
    elif overrides:
        settings = settings.replace(**overrides)
    metrics = Metrics()
    handle = follow_at_start(settings) if follow else deploy_at_start(settings)
    log = None
    if settings.log_file is not None:
        log = prediction_logger(
            settings.log_file,
            max_bytes=settings.log_max_bytes,
            backups=settings.log_backups,
            on_error=metrics.log_errors.inc,
        )
    predictor = Predictor(
        handle,
        metrics=metrics,
        max_batch_instances=settings.max_batch_instances,
        log=log,
        log_inputs=settings.log_inputs,
        log_max_bytes=settings.log_max_bytes,
    )
    deployment = Deployment(settings, predictor, metrics, status_dir)
    state = ServingState(settings, metrics, predictor, deployment, log)
    contract = handle.contract

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        watcher = asyncio.get_running_loop().create_task(deployment.watch())
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            close(state)

    app = FastAPI(
        title="mlcourse inference server",
        description=DESCRIPTION,
        docs_url=None,  # the interactive pages load scripts from a CDN: offline, no
        redoc_url=None,
        lifespan=lifespan,
        strict_content_type=False,  # a JSON body without Content-Type is still read as JSON
    )
    app.state.serving = state
    install_handlers(app, n_features=contract.n_features)
    body = predict_request_model(
        contract.kind, contract.n_features, settings.max_instances, settings.max_text_chars
    )
    app.include_router(predict.build_router(body))
    app.include_router(ops.router)
    app.include_router(admin.router)
    # added last = outermost: metrics see every answer, including the limit middleware's
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout,
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=app.router.routes)
    return app


def close(state: ServingState) -> None:
    """Stop the model thread and close the log (the end of the app's lifespan)."""
    state.predictor.close()
    state.deployment.close()
    if state.prediction_log is not None:
        close_logger(state.prediction_log)
