"""Shared fixtures: an isolated config directory, apps, and sample images."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# The ML stack is imported once, here, on the main thread. Importing diffusers/transformers for the first time in
# a job's worker thread while Qt runs the main thread crashed the test process now and then (a segfault inside
# the import; see the closing note of 2026-12-01 — to be fixed in the app, not only here).
import diffusers.pipelines.stable_diffusion  # noqa: E402, F401
from helpers import THIRDPARTY


@pytest.fixture(autouse=True)
def collect_garbage_on_the_main_thread():
    """Once a window has switched automatic collection off (``studio.gui.gcguard``), collect between tests here."""
    yield
    import gc

    if gc.isenabled():
        return
    from studio.gui import gcguard

    if gcguard._guard is not None:
        try:
            gcguard._guard.check()
            return
        except RuntimeError:  # its application is gone
            pass
    gc.collect()


@pytest.fixture(autouse=True)
def isolated_config(tmp_path_factory, monkeypatch):
    """Every test gets its own settings, cache and data directories."""
    base = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("STUDIO_DATA_DIR", str(base / "data"))
    return base


@pytest.fixture
def make_app():
    """Build a fresh StudioApp (plugins from entry points) per call."""
    from studio.application import StudioApp

    def make(**kwargs):
        return StudioApp(**kwargs)

    return make


@pytest.fixture
def thirdparty(monkeypatch):
    """Make the third-party example plugin (and a broken entry point) installed."""
    monkeypatch.syspath_prepend(str(THIRDPARTY))
    import importlib

    importlib.invalidate_caches()
    yield THIRDPARTY
    sys.modules.pop("studio_example_plugin", None)


@pytest.fixture
def gradient() -> np.ndarray:
    """A 64×48 RGB gradient with a bright square: easy to check after edits."""
    y, x = np.mgrid[0:48, 0:64]
    img = np.dstack([x * 4, y * 5, (x + y) * 2]).astype(np.uint8)
    img[10:20, 30:40] = 250
    return img


@pytest.fixture
def png_file(tmp_path, gradient) -> Path:
    from PIL import Image

    path = tmp_path / "gradient.png"
    Image.fromarray(gradient).save(path)
    return path


@pytest.fixture
def make_window(qtbot):
    """Build a fresh main window per call (closed by pytest-qt after the test; its jobs cancelled).

    ``heatmaps``: whether an opened image's forensic heatmaps arrive as overlay layers (off by default,
    since most tests count layers).
    """
    from studio.application import StudioApp
    from studio.gui.mainwindow import MainWindow

    windows = []

    def make(app=None, heatmaps=False, size=(1400, 900)):
        window = MainWindow(app or StudioApp())
        window.confirm_close = False
        window.heatmaps_on_open = heatmaps
        if size is not None:  # the offscreen screen is 800×800: most tests want a desktop-sized window
            window.resize(*size)
            window.size_docks()
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        for job in window.runner.jobs:
            job.cancel()
