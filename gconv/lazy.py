"""Attributes of a package that import their module on first use, so that heavy dependencies load only then."""
from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_getattr(package: str, modules: set[str] = frozenset(), names: dict[str, str] | None = None) -> Callable:
    """A module-level __getattr__ for package: a name in modules is that submodule; a name in names is the
    attribute of that name in the submodule it maps to.

    >>> getattr_ = lazy_getattr("gconv", {"equivalence"})
    >>> getattr_("equivalence").__name__
    'gconv.equivalence'
    """
    names = names or {}

    def __getattr__(name: str):
        if name in modules:
            return importlib.import_module(f".{name}", package)
        if name in names:
            return getattr(importlib.import_module(f".{names[name]}", package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
