"""An inference server for scikit-learn models: FastAPI + uvicorn, with a skops model registry.

It is real software an app can call, and what lesson 5 teaches with. The package follows
FastAPI's "bigger applications" layout:

=====================  =================================================================
``settings``           :class:`Settings`: every option and limit, one object for the CLI,
                       :func:`create_app` and :class:`ServerProcess`
``registry``           :func:`save_model`, :func:`load_model`, :func:`list_versions`: versions on
                       disk, checked loading (audit, metadata schema, structure), the
                       ``current.json`` pointer
``audit``              a model file's decompressed size and types, before it is loaded
``checks``             the structural check of every model before it serves
``schemas``            pydantic models of every body (``/openapi.json`` is built from them)
``predictor``          the model handle and the micro-batcher (inference off the event loop)
``deployment``         deploy at start, swap, rollback, and workers following the pointer
``routers/``           ``predict`` (``POST /predict``), ``ops`` (``/health``, ``/metrics``),
                       ``admin`` (``/admin/*``, token checked by a dependency)
``metrics``            Prometheus, by route template (multiprocess mode with workers)
``logs``               the rotating, private, multi-process-safe prediction log
``limits``             header/body size limits and timeouts
``errors``             exception handlers: one readable ``detail`` for every error
``dependencies``       the serving state and admin authentication, for ``Depends``
``app``                :func:`create_app`
``server``             :func:`run`: uvicorn in one process, or one worker
``workers``            the supervisor of ``serve --workers N``
``process``            :class:`ServerProcess`: the server as a subprocess on a free port
``loadtest``           :func:`load_test`, :class:`BackgroundLoad`: a loopback load generator
=====================  =================================================================

Endpoints: ``POST /predict`` (``{"instances": [...]}``), ``GET /health``, ``GET /metrics``,
``GET /admin/versions``, ``POST /admin/swap`` (``{"version": "v2"}``), ``POST /admin/rollback``.
``GET /openapi.json`` documents each body and error.
"""

from mlcourse._lazy import lazy_exports

# Submodules load on first use: the CLI's other commands need none of FastAPI's imports.
_EXPORTS = {
    "TRUSTED_TYPES": "registry",
    "BackgroundLoad": "loadtest",
    "LoadTestResult": "loadtest",
    "ModelLoadError": "registry",
    "PredictionLogHandler": "logs",
    "ServerProcess": "process",
    "Settings": "settings",
    "create_app": "app",
    "list_versions": "registry",
    "load_model": "registry",
    "load_test": "loadtest",
    "run": "server",
    "save_model": "registry",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
