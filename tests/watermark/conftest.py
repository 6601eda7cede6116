"""Fixtures shared by the watermark tests."""

from __future__ import annotations

import numpy as np
import pytest
from wm_helpers import load_rgb


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """A natural photograph, 1024×683."""
    return load_rgb("sample1.png")
