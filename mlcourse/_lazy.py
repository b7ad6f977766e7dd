"""Lazy package attributes (PEP 562): a package's names import their submodule on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable, Callable]:
    """A package's ``__getattr__`` and ``__dir__`` for ``exports``, a map of name to submodule.

    Examples
    --------
    >>> getattr_, dir_ = lazy_exports("mlcourse.data", {"make_applicants": "applicants"})
    >>> getattr_("make_applicants").__module__
    'mlcourse.data.applicants'
    >>> "make_applicants" in dir_()
    True
    """
    module = importlib.import_module(package)

    def __getattr__(name: str):
        if name in exports:
            return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*vars(module), *exports})

    return __getattr__, __dir__
