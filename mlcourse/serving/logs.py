"""The prediction log: JSON lines through the standard library's ``logging``.

:class:`PredictionLogHandler` is :class:`logging.handlers.RotatingFileHandler` with three
changes:

- the file is created (and kept) with mode 0600: it can hold raw email text;
- rotation counts bytes, not characters, and the current file's real size on disk, so a file
  never grows past ``maxBytes``: the log holds at most ``(backupCount + 1) * maxBytes`` bytes;
- several processes can share one file (``serve --workers N``): each record is written and
  each rotation done under an exclusive ``flock`` on a lock file next to the log, and a process
  that finds the file rotated by another reopens it. The kernel releases a ``flock`` when its
  process dies, so a worker killed mid-write cannot block the others (a lock in a
  ``multiprocessing.Queue`` would stay taken).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import logging.handlers
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process only
    fcntl = None

__all__ = ["PredictionLogHandler", "close_logger", "prediction_logger"]

_ids = itertools.count()


class PredictionLogHandler(logging.handlers.RotatingFileHandler):
    """A size-bounded, private, multi-process-safe rotating JSON-lines file.

    A record's message is one or more complete lines; a record that does not fit in the
    current file starts a new one. A record longer than ``max_bytes`` is refused (written
    nowhere, reported by :meth:`handleError`), since it could not be written within the bound.

    Examples
    --------
    >>> import logging, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "predictions.jsonl"
    >>> handler = PredictionLogHandler(path, max_bytes=10_000, backups=2)
    >>> handler.emit(logging.makeLogRecord({"msg": '{"a": 1}'}))
    >>> handler.close()
    >>> path.read_text(), oct(path.stat().st_mode & 0o777)
    ('{"a": 1}\\n', '0o600')
    """

    def __init__(self, path: str | os.PathLike, *, max_bytes: int = 20_000_000, backups: int = 3):
        if max_bytes < 1024:
            raise ValueError(f"max_bytes must be at least 1024; got {max_bytes}")
        if backups < 0:
            raise ValueError(f"backups must be >= 0; got {backups}")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_path = path.parent / f".{path.name}.lock"
        self._lock_fd: int | None = None
        super().__init__(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self.setFormatter(logging.Formatter("%(message)s"))

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with contextlib.suppress(OSError):  # an older, wider file: tighten it
            os.fchmod(fd, 0o600)
        return open(fd, "a", encoding="utf-8", newline="")  # noqa: SIM115 - closed by the handler

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if fcntl is None:  # pragma: no cover
            yield
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _reopen_if_rotated(self) -> None:
        if self.stream is None:
            self.stream = self._open()
            return
        try:
            same = os.path.samestat(os.stat(self.baseFilename), os.fstat(self.stream.fileno()))
        except FileNotFoundError:
            same = False
        if not same:  # another process rotated the file
            self.stream.close()
            self.stream = self._open()

    def shouldRollover(self, record: logging.LogRecord) -> bool:  # noqa: N802 - stdlib name
        return self._would_overflow(self._size(self._text(record)))

    def _would_overflow(self, n_bytes: int) -> bool:
        size = os.fstat(self.stream.fileno()).st_size  # the real size: other writers count
        return size > 0 and size + n_bytes > self.maxBytes

    def _text(self, record: logging.LogRecord) -> str:
        return self.format(record) + self.terminator

    @staticmethod
    def _size(text: str) -> int:
        return len(text) if text.isascii() else len(text.encode("utf-8"))

    def doRollover(self) -> None:  # noqa: N802 - stdlib name
        if self.backupCount == 0:  # the stdlib would reopen the same file and let it grow
            if self.stream:
                self.stream.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.baseFilename)
            self.stream = self._open()
        else:
            super().doRollover()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self._text(record)
            n_bytes = self._size(text)
            if n_bytes > self.maxBytes:
                raise ValueError(f"a log record of more than {self.maxBytes} bytes")
            with self._file_lock():
                self._reopen_if_rotated()
                if self._would_overflow(n_bytes):
                    self.doRollover()
                self.stream.write(text)
                self.stream.flush()
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        super().close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def prediction_logger(
    path: str | os.PathLike, *, max_bytes: int, backups: int, on_error=None
) -> logging.Logger:
    """A logger of its own (no propagation) writing to a :class:`PredictionLogHandler`.

    ``on_error()`` is called when a record cannot be written (a full disk, say): predictions
    go on, and the caller counts it.
    """
    logger = logging.getLogger(f"mlcourse.serving.predictions.{next(_ids)}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = PredictionLogHandler(path, max_bytes=max_bytes, backups=backups)
    if on_error is not None:
        handler.handleError = lambda record: on_error()
    logger.addHandler(handler)
    return logger


def close_logger(logger: logging.Logger) -> None:
    """Close and remove the handlers of a :func:`prediction_logger`."""
    for handler in list(logger.handlers):
        handler.close()
        logger.removeHandler(handler)
