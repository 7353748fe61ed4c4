"""Lazy module attributes: ``import ramen_edu`` (and ``ramen_edu.training``) stays fast, and a
command's ``-h`` never loads torch, because a public name imports its module on first use."""
from __future__ import annotations

import importlib
import sys


def lazy_getattr(module_name: str, table: dict[str, str]):
    """A module-level ``__getattr__`` for ``module_name``: ``table`` maps a public name to the module
    that defines it; the first access imports that module and caches the value on the package."""
    def __getattr__(name: str):
        if name in table:
            value = getattr(importlib.import_module(table[name]), name)
            setattr(sys.modules[module_name], name, value)
            return value
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
    return __getattr__
