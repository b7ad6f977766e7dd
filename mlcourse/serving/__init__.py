"""An inference server for scikit-learn models: FastAPI + uvicorn, with a skops model registry.

It is real software an app can call, and what lesson 5 teaches with. The package follows
FastAPI's "bigger applications" layout:

=====================  =================================================================
``settings``           :class:`Settings`: every option and limit, one object for the CLI,
                       :func:`create_app` and :class:`ServerProcess`
``registry``           :func:`save_model`, :func:`load_model`, :func:`list_versions`: versions on
                       disk, audited loading (types, decompressed size, metadata schema),
                       the ``current.json`` pointer
``checks``             the structural check of every model before it serves
``schemas``            pydantic models of every body (``/openapi.json`` is built from them)
``predictor``          the model handle and the micro-batcher (inference off the event loop)
``deployment``         deploy at start, swap, rollback, and workers following the pointer
``routers/``           ``predict`` (``POST /predict``), ``ops`` (``/health``, ``/metrics``),
                       ``admin`` (``/admin/*``, token checked by a dependency)
``metrics``, ``logs``  Prometheus (multiprocess with workers), the rotating prediction log
``limits``             header/body size limits and timeouts
``app``                :func:`create_app`
``server``, ``workers``  :func:`run`: one process, or a supervisor and N workers
``process``            :class:`ServerProcess`: the server as a subprocess on a free port
``loadtest``           :func:`load_test`, :class:`BackgroundLoad`: a loopback load generator
=====================  =================================================================

Endpoints: ``POST /predict`` (``{"instances": [...]}``), ``GET /health``, ``GET /metrics``,
``GET /admin/versions``, ``POST /admin/swap`` (``{"version": "v2"}``), ``POST /admin/rollback``.
``GET /openapi.json`` documents each body and error.
"""

from mlcourse.serving.app import create_app
from mlcourse.serving.loadtest import BackgroundLoad, LoadTestResult, load_test
from mlcourse.serving.logs import PredictionLogHandler
from mlcourse.serving.process import ServerProcess
from mlcourse.serving.registry import (
    TRUSTED_TYPES,
    ModelLoadError,
    list_versions,
    load_model,
    save_model,
)
from mlcourse.serving.server import run
from mlcourse.serving.settings import Settings

__all__ = [
    "TRUSTED_TYPES",
    "BackgroundLoad",
    "LoadTestResult",
    "ModelLoadError",
    "PredictionLogHandler",
    "ServerProcess",
    "Settings",
    "create_app",
    "list_versions",
    "load_model",
    "load_test",
    "run",
    "save_model",
]
