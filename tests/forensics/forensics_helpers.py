"""Helpers for the forensics tests (a module of its own: every test folder has a conftest)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def jpeg_roundtrip(img: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"))
