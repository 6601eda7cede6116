"""Fixtures for the Content Credentials tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import C2PA_SAMPLES, MEDIA

from studio.application import StudioApp


@pytest.fixture
def app():
    """An app with this plugin and the adjustments only: other plugins' export steps stay out of the way
    (the watermark step's part is tested with a stand-in)."""
    import importlib.metadata

    wanted = ("adjust", "credentials")
    eps = [ep for ep in importlib.metadata.entry_points(group="studio") if ep.name in wanted]
    return StudioApp(entry_points=eps)


@pytest.fixture
def pixels():
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:96, 0:128]
    img = np.dstack([x * 2, y * 2, (x + y)]).astype(np.uint8)
    img[20:40, 30:70] = rng.integers(0, 255, (20, 40, 3), dtype=np.uint8)
    return img


@pytest.fixture
def media() -> Path:
    return MEDIA


@pytest.fixture
def samples() -> Path:
    return C2PA_SAMPLES
