"""Fixtures for the forensics tests: natural pictures, manipulated ones, a window with heatmap layers on."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from forensics_helpers import jpeg_roundtrip  # noqa: F401 - used by fixtures below
from helpers import ROOT
from PIL import Image

sys.path.insert(0, str(ROOT / "training" / "detector"))


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    import skimage.data

    return skimage.data.astronaut()


@pytest.fixture(scope="session")
def coffee() -> np.ndarray:
    import skimage.data

    return skimage.data.coffee()


@pytest.fixture
def ela_splice(tmp_path, astronaut, coffee) -> tuple[Path, tuple[int, int, int, int]]:
    """A JPEG picture with a never-compressed piece of another picture pasted in, saved as PNG."""
    img = jpeg_roundtrip(astronaut, 90).copy()
    box = (300, 40, 460, 200)
    img[40:200, 300:460] = coffee[:160, :160]
    path = tmp_path / "ela-splice.png"
    Image.fromarray(img).save(path)
    return path, box


@pytest.fixture
def make_window(make_window):
    """A main window whose opened images get their heatmaps as overlay layers."""
    return lambda: make_window(heatmaps=True)
