"""Modules loaded on first use: the window appears before numpy (about 50 ms on a laptop) is imported.

``from studio.lazy import numpy as np`` gives an object that imports numpy the first time one of its
attributes is read, then holds numpy's names itself (no cost after that). Type checkers see the real
module (modules import it under ``TYPE_CHECKING``).
"""

from __future__ import annotations

import importlib
import types
from typing import Any


class LazyModule(types.ModuleType):
    """Stands for the module ``name`` until an attribute is read."""

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)
        return getattr(module, attr)


numpy = LazyModule("numpy")
