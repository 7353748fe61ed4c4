"""Auto-checks for the book's exercises: each runs the student's function on hand-made cases
and says which case fails and why. One submodule per chapter topic; names are found lazily so
``ramen_edu.exercises.check_x`` works without importing torch for a chapter that needs none.
"""
from __future__ import annotations

import importlib
import pkgutil


def __getattr__(name: str):
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module 'ramen_edu.exercises' has no attribute {name!r}")
