"""One settings object for the server, shared by the command line, ``create_app`` and
``ServerProcess``.

Every option of ``python -m mlcourse serve`` is a field of :class:`Settings`: the command line is
generated from the fields (:func:`add_arguments`, :meth:`Settings.from_args`), and
:class:`~mlcourse.serving.process.ServerProcess` turns a :class:`Settings` back into a command
line (:meth:`Settings.to_args`). A limit added here reaches all three at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ADMIN_TOKEN_ENV", "Settings", "add_arguments"]

#: The environment variable the admin token is read from (the command line is visible to
#: other users of the machine, the environment is not).
ADMIN_TOKEN_ENV = "MLCOURSE_ADMIN_TOKEN"

MiB = 1024 * 1024


def _opt(default: Any, help: str, **extra: Any) -> Any:
    return field(default=default, metadata={"help": help, **extra})


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told. Immutable; derive variants with :meth:`replace`.

    Examples
    --------
    >>> s = Settings(registry="models", max_instances=500)
    >>> s.max_instances, s.workers
    (500, 1)
    >>> s.to_args()
    ['--registry', 'models', '--max-instances', '500']
    >>> Settings(registry="models", workers=0)
    Traceback (most recent call last):
    ...
    ValueError: workers must be at least 1; got 0
    """

    registry: Path = _opt(None, "registry folder (v1/, v2/, ... written by save_model)")
    host: str = _opt("127.0.0.1", "address to bind")
    port: int = _opt(8000, "port (0 picks a free one)", low=0, high=65535)
    version: str | None = _opt(
        None, "version to deploy at start (default: the registry's current one, else the newest)"
    )
    workers: int = _opt(1, "worker processes (each loads its own copy of the model)", low=1)
    admin_token: str | None = field(
        default=None,
        repr=False,
        metadata={"help": f"token for /admin/* (default: ${ADMIN_TOKEN_ENV}; prefer it)"},
    )
    log_file: Path | None = _opt(None, "JSON-lines prediction log (default: none)")
    log_inputs: bool = _opt(False, "also log raw inputs (personal data: off by default)")
    log_max_bytes: int = _opt(20_000_000, "rotate the log at this size", low=4096)
    log_backups: int = _opt(3, "rotated log files kept", low=0, high=1000)
    max_instances: int = _opt(1000, "instances per request (422 beyond)", low=1)
    max_body_bytes: int = _opt(4 * MiB, "request body limit (413 beyond)", low=1024)
    max_text_chars: int = _opt(50_000, "characters per text instance (422 beyond)", low=1)
    max_batch_instances: int = _opt(4096, "instances merged into one model call", low=1)
    max_header_bytes: int = _opt(16 * 1024, "request line and headers (431 beyond)", low=1024)
    header_timeout: float = _opt(10.0, "seconds to receive a request's head, else closed", low=0.1)
    body_timeout: float = _opt(30.0, "seconds to receive a request's body (408 beyond)", low=0.1)
    keep_alive_timeout: float = _opt(5.0, "seconds an idle keep-alive connection stays", low=0.1)
    limit_concurrency: int = _opt(1000, "connections per worker (503 beyond)", low=1)
    max_model_bytes: int = _opt(128 * MiB, "decompressed size of a model file", low=MiB)
    watch_interval: float = _opt(0.2, "seconds between checks of the current pointer", low=0.01)
    exit_with_parent: bool = _opt(False, argparse.SUPPRESS)

    def __post_init__(self) -> None:
        if self.registry is None:
            raise ValueError("registry is required")
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "registry", Path(self.registry))
        if self.log_file is not None:
            set_(self, "log_file", Path(self.log_file))
        set_(self, "admin_token", self.admin_token or None)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            kind = _kind(f)
            if value is None:
                continue
            if kind in (int, float):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError(f"{f.name} must be a number; got {value!r}")
                if kind is int and not isinstance(value, int):
                    raise ValueError(f"{f.name} must be an integer; got {value!r}")
                low, high = f.metadata.get("low"), f.metadata.get("high")
                if low is not None and value < low:
                    raise ValueError(f"{f.name} must be at least {low}; got {value}")
                if high is not None and value > high:
                    raise ValueError(f"{f.name} must be at most {high}; got {value}")
            elif kind is bool and not isinstance(value, bool):
                raise ValueError(f"{f.name} must be True or False; got {value!r}")

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Settings:
        """Build from what :func:`add_arguments` parsed."""
        values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls)}
        return cls(**values)

    def to_args(self) -> list[str]:
        """The command-line options that reproduce these settings (never the admin token)."""
        out: list[str] = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "admin_token" or (f.name != "registry" and value == f.default):
                continue
            flag = "--" + f.name.replace("_", "-")
            if _kind(f) is bool:
                out += [flag] if value else []
            else:
                out += [flag, str(value)]
        return out

    def limits(self) -> dict[str, int | float]:
        """The limits a client may want to know (shown by ``/health``)."""
        names = [
            "max_instances",
            "max_body_bytes",
            "max_text_chars",
            "max_header_bytes",
            "header_timeout",
            "body_timeout",
            "keep_alive_timeout",
            "limit_concurrency",
        ]
        return {name: getattr(self, name) for name in names}


def _kind(f: dataclasses.Field) -> type:
    """The field's base type, from its annotation string (``"int"``, ``"str | None"``...)."""
    name = str(f.type).split("|")[0].strip()
    return {"int": int, "float": float, "bool": bool, "Path": Path}.get(name, str)


def _number(kind: type, low: float | None, high: float | None):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__}; got {text!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"must be {bounds}; got {text}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one option per :class:`Settings` field to ``parser`` (``--max-instances`` ...)."""
    for f in dataclasses.fields(Settings):
        flag = "--" + f.name.replace("_", "-")
        kind, help_ = _kind(f), f.metadata["help"]
        default = f.default
        if f.name == "admin_token":
            default = os.environ.get(ADMIN_TOKEN_ENV)
        shown = f.name != "admin_token"  # a secret: never printed
        if shown and help_ is not argparse.SUPPRESS and kind is not bool and default is not None:
            help_ += f" (default {default})"
        if kind is bool:
            parser.add_argument(flag, action="store_true", help=help_)
        elif kind in (int, float):
            parse = _number(kind, f.metadata.get("low"), f.metadata.get("high"))
            parser.add_argument(flag, type=parse, default=default, help=help_)
        else:
            parser.add_argument(flag, default=default, required=f.name == "registry", help=help_)
