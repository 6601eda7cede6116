"""Where Studio's own files are: the built-in models and data under ``assets/``."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def assets_dir() -> Path:
    """The ``assets`` folder: ``$STUDIO_ASSETS_DIR``, a frozen build's bundle, or the source tree.

    In an installed wheel the folder is the ``studio_assets`` package.
    """
    override = os.environ.get("STUDIO_ASSETS_DIR")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "assets"
    source = Path(__file__).resolve().parent.parent / "assets"
    if source.is_dir():
        return source
    import importlib.util

    spec = importlib.util.find_spec("studio_assets")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return source


def builtin_models_dir() -> Path:
    return assets_dir() / "models"
