"""Images and attacks shared by the watermark tests (plain functions; fixtures are in conftest.py)."""

from __future__ import annotations

import io

import cv2
import numpy as np
from helpers import MEDIA
from PIL import Image

PAYLOAD = bytes.fromhex("0123456789abcdef")


def load_rgb(name: str) -> np.ndarray:
    with Image.open(MEDIA / name) as im:
        return np.asarray(im.convert("RGB"))


def jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    with Image.open(buffer) as im:
        return np.asarray(im.convert("RGB"))


def resize(pixels: np.ndarray, factor: float) -> np.ndarray:
    h, w = pixels.shape[:2]
    return cv2.resize(pixels, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA)


def centre_crop(pixels: np.ndarray, fraction: float) -> np.ndarray:
    h, w = pixels.shape[:2]
    dy, dx = round(h * fraction / 2), round(w * fraction / 2)
    return pixels[dy:h - dy, dx:w - dx]


def rotate(pixels: np.ndarray, degrees: float) -> np.ndarray:
    h, w = pixels.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(pixels, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
