"""The model registry: one folder per version, audited loading, and the "current" pointer.

Layout::

    REGISTRY/v1/model.skops      the fitted model (skops: no pickle)
    REGISTRY/v1/metadata.json    version, created, input, training-data summary, metrics
    REGISTRY/current.json        the deployed version, a serial number and the rollback history
                                 (written by the server at start, on swaps and rollbacks)

Loading refuses, with a :class:`ModelLoadError` that says why, a file that decompresses to more
than ``max_bytes``, names a type outside :data:`TRUSTED_TYPES`, has a ``metadata.json`` that
does not fit :class:`~mlcourse.serving.schemas.ModelMetadata`, or whose structure fails
:func:`~mlcourse.serving.checks.check_model`. Sizes and types are read from the zip's directory
and schema before anything is loaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mlcourse.serving.audit import TRUSTED_TYPES, AuditError, audit_file
from mlcourse.serving.checks import Contract, ModelCheckError, check_model
from mlcourse.serving.schemas import InputSpec, ModelMetadata, Pointer

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process only
    fcntl = None

__all__ = [
    "TRUSTED_TYPES",
    "LoadedModel",
    "ModelLoadError",
    "list_versions",
    "load_model",
    "load_version",
    "pointer_lock",
    "read_pointer",
    "save_model",
    "write_pointer",
]

MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
POINTER_FILE = "current.json"
PENDING_FILE = ".pending.json"  # a swap in progress: other workers may start loading it
LOCK_FILE = ".lock"
MAX_METADATA_BYTES = 1024 * 1024
MAX_MODEL_BYTES = 128 * 1024 * 1024
_VERSION_RE = re.compile(r"^v([0-9]{1,9})$")


class ModelLoadError(ValueError):
    """A version that cannot be served; ``status`` is the HTTP status a swap answers with."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LoadedModel:
    """A model that passed every check, with its metadata and its :class:`Contract`."""

    version: str
    model: Any
    metadata: ModelMetadata
    contract: Contract


def _version_number(name: str) -> int:
    match = _VERSION_RE.match(name) if isinstance(name, str) else None
    if match is None:
        raise ValueError(f"a model version looks like 'v1', 'v2', ...; got {name!r}")
    return int(match.group(1))


def list_versions(registry: str | os.PathLike) -> list[str]:
    """Return the versions in ``registry`` that hold a model file, oldest first.

    Examples
    --------
    >>> import tempfile
    >>> list_versions(tempfile.mkdtemp())
    []
    """
    registry = Path(registry)
    if not registry.is_dir():
        raise ValueError(f"registry folder {str(registry)!r} does not exist")
    found = [
        p.name
        for p in registry.iterdir()
        if _VERSION_RE.match(p.name) and (p / MODEL_FILE).is_file()
    ]
    return sorted(found, key=_version_number)


def _input_spec(contract: Contract) -> InputSpec:
    return InputSpec(kind=contract.kind, n_features=contract.n_features)


def save_model(
    model: Any,
    registry: str | os.PathLike,
    *,
    version: str | None = None,
    data_summary: dict | None = None,
    metrics: dict | None = None,
    created: str | None = None,
) -> str:
    """Save a fitted model as a new version of ``registry`` and return the version name.

    Writes ``REGISTRY/vN/model.skops`` (skops, no pickle) and ``REGISTRY/vN/metadata.json``,
    both at once or not at all. The model must pass the same checks as at load time (trusted
    types, structure), so a version that gets registered can be served.

    Parameters
    ----------
    model : estimator
        A fitted scikit-learn estimator or pipeline (types in :data:`TRUSTED_TYPES`).
    registry : path
        The registry folder (created if missing).
    version : str, optional
        ``"vN"``; by default one more than the newest version.
    data_summary, metrics : dict, optional
        What the model was trained on and how it scored (JSON-serialisable).
    created : str, optional
        ISO timestamp; by default now (UTC).

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.dummy import DummyClassifier
    >>> model = DummyClassifier().fit([[0.0], [1.0]], [0, 1])
    >>> save_model(model, tempfile.mkdtemp(), metrics={"accuracy": 0.5})
    'v1'
    """
    import skops.io as sio

    if not hasattr(model, "predict"):
        raise TypeError(f"model must be a fitted estimator with predict(); got {type(model)!r}")
    try:
        contract = check_model(model)
    except ModelCheckError as exc:
        raise ModelLoadError(f"the server would refuse this model: {exc}") from None
    registry = Path(registry)
    registry.mkdir(parents=True, exist_ok=True)
    existing = list_versions(registry)
    if version is None:
        version = f"v{_version_number(existing[-1]) + 1 if existing else 1}"
    _version_number(version)
    if version in existing or (registry / version).exists():
        raise ValueError(f"version {version!r} already exists in {str(registry)!r}")
    metadata = ModelMetadata(
        version=version,
        created=created or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        model=type(model).__name__,
        input=_input_spec(contract),
        data_summary=data_summary or {},
        metrics=metrics or {},
    )
    with tempfile.TemporaryDirectory(dir=registry, prefix=".tmp-") as tmp:
        tmp_model = Path(tmp) / MODEL_FILE
        sio.dump(model, tmp_model)
        try:
            untrusted = sorted(set(audit_file(tmp_model, MAX_MODEL_BYTES)) - TRUSTED_TYPES)
        except AuditError as exc:
            raise ModelLoadError(f"the server would refuse this model: {exc}") from None
        if untrusted:
            raise ModelLoadError(
                f"the server would refuse this model: types {untrusted} are not in "
                "mlcourse.serving.TRUSTED_TYPES"
            )
        text = metadata.model_dump_json(indent=2, exclude_none=True)
        (Path(tmp) / METADATA_FILE).write_text(text + "\n")
        os.replace(tmp, registry / version)  # appears complete or not at all
        os.mkdir(tmp)  # TemporaryDirectory cleans up a folder at its old name
    return version


def _read_metadata(folder: Path, version: str) -> ModelMetadata:
    path = folder / METADATA_FILE
    try:
        size = path.stat().st_size
        if size > MAX_METADATA_BYTES:
            raise ModelLoadError(
                f"refusing {version}: {METADATA_FILE} is {size:,} bytes (at most 1 MiB)"
            )
        data = json.loads(path.read_bytes())
    except ModelLoadError:
        raise
    except FileNotFoundError:
        raise ModelLoadError(f"refusing {version}: {METADATA_FILE} is missing") from None
    except (OSError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ModelLoadError(
            f"refusing {version}: {METADATA_FILE} is not valid JSON ({reason})"
        ) from None
    if not isinstance(data, dict):
        raise ModelLoadError(f"refusing {version}: {METADATA_FILE} is not a JSON object")
    try:
        metadata = ModelMetadata.model_validate(data)
    except (ValidationError, RecursionError) as exc:
        raise ModelLoadError(
            f"refusing {version}: {METADATA_FILE} is invalid ({_first_error(exc)})"
        ) from None
    return metadata.model_copy(update={"version": version})  # the folder name is authoritative


def _first_error(exc: Exception) -> str:
    if not isinstance(exc, ValidationError):
        return "nested too deeply"
    errors = exc.errors(include_input=False, include_url=False)
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    more = f", and {len(errors) - 1} more" if len(errors) > 1 else ""
    return f"{loc}: {first['msg']}{more}"


def load_version(
    registry: str | os.PathLike, version: str | None = None, *, max_bytes: int = MAX_MODEL_BYTES
) -> LoadedModel:
    """Load and check ``version`` (default: the newest) of ``registry``.

    Raises
    ------
    ModelLoadError
        With ``status`` 404 if the version does not exist, 422 for every other refusal.
    """
    import skops.io as sio

    registry = Path(registry)
    versions = list_versions(registry)
    if version is None:
        if not versions:
            raise ModelLoadError(f"registry {str(registry)!r} holds no model version", 404)
        version = versions[-1]
    if not isinstance(version, str) or not _VERSION_RE.match(version):
        raise ModelLoadError(f"a model version looks like 'v1', 'v2', ...; got {version!r}")
    folder = registry / version
    path = folder / MODEL_FILE
    if not path.is_file():
        raise ModelLoadError(
            f"version {version!r} not found in the registry (have {versions})", 404
        )
    try:
        untrusted = sorted(set(audit_file(path, max_bytes)) - TRUSTED_TYPES)
    except AuditError as exc:
        raise ModelLoadError(f"refusing {version}: {exc}") from None
    if untrusted:
        raise ModelLoadError(
            f"refusing {version}: {path.name} names untrusted types {untrusted}; only audited "
            "types (mlcourse.serving.TRUSTED_TYPES) are loaded"
        )
    metadata = _read_metadata(folder, version)
    try:
        model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    except Exception as exc:  # a damaged archive can fail in many ways; all mean "refuse"
        raise ModelLoadError(f"refusing {version}: cannot load {path.name} ({exc!r})") from None
    try:
        contract = check_model(model)
    except ModelCheckError as exc:
        raise ModelLoadError(f"refusing {version}: {exc}") from None
    spec = _input_spec(contract)
    if metadata.input is None:
        metadata = metadata.model_copy(update={"input": spec})
    elif metadata.input.kind != spec.kind or (
        spec.kind == "numeric" and metadata.input.n_features != spec.n_features
    ):
        raise ModelLoadError(
            f"refusing {version}: {METADATA_FILE} says the input is {metadata.input.model_dump()}"
            f" but the model takes {spec.model_dump()}"
        )
    return LoadedModel(version, model, metadata, contract)


def load_model(
    registry: str | os.PathLike, version: str | None = None, *, max_bytes: int = MAX_MODEL_BYTES
) -> tuple[Any, dict]:
    """Load ``version`` (default: the newest) from ``registry``; return ``(model, metadata)``.

    The same checks as the server's (see :func:`load_version`); nothing is unpickled.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.dummy import DummyClassifier
    >>> registry = tempfile.mkdtemp()
    >>> _ = save_model(DummyClassifier().fit([[0.0], [1.0]], [0, 1]), registry)
    >>> model, metadata = load_model(registry)
    >>> metadata["version"], metadata["input"]
    ('v1', {'kind': 'numeric', 'n_features': 1})
    """
    loaded = load_version(registry, version, max_bytes=max_bytes)
    return loaded.model, loaded.metadata.model_dump(mode="json", exclude_none=True)


# ---- the "current" pointer ---------------------------------------------------------------------


@contextlib.contextmanager
def pointer_lock(registry: str | os.PathLike) -> Iterator[None]:
    """Hold the registry's lock (across processes): swaps and rollbacks run one at a time."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(Path(registry) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # the kernel releases it if this process dies
        yield
    finally:
        os.close(fd)


def read_pointer(registry: str | os.PathLike, name: str = POINTER_FILE) -> Pointer | None:
    """The registry's ``current.json``, or ``None`` if there is none (or it is unreadable)."""
    try:
        data = (Path(registry) / name).read_bytes()
        if len(data) > MAX_METADATA_BYTES:
            return None
        return Pointer.model_validate_json(data)
    except (OSError, ValidationError):
        return None


def _write_atomic(registry: Path, name: str, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=registry, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, registry / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def write_pending(registry: str | os.PathLike, version: str, serial: int) -> None:
    """Announce a swap in progress (``.pending.json``): followers may start loading it early."""
    pending = Pointer(version=version, serial=serial, updated=_now())
    _write_atomic(Path(registry), PENDING_FILE, pending.model_dump_json())


def clear_pending(registry: str | os.PathLike) -> None:
    with contextlib.suppress(OSError):
        os.unlink(Path(registry) / PENDING_FILE)


def write_pointer(
    registry: str | os.PathLike,
    version: str,
    previous: Pointer | None,
    *,
    history: list[str] | None = None,
) -> Pointer:
    """Point ``current.json`` at ``version`` (atomically; hold :func:`pointer_lock`).

    ``history`` is where rollbacks go; by default the previous history plus the previous
    version (a swap). The serial number grows by one.
    """
    if history is None:
        history = [] if previous is None else [*previous.history, previous.version]
    pointer = Pointer(
        version=version,
        serial=(previous.serial + 1) if previous is not None else 1,
        history=history[-100:],
        updated=_now(),
    )
    _write_atomic(Path(registry), POINTER_FILE, pointer.model_dump_json(indent=2) + "\n")
    return pointer
