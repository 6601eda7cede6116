"""numpy ↔ Qt image conversions."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first
from PySide6.QtGui import QImage, QPixmap

# QImages made from arrays, keyed by the array's identity while the array lives. Worker threads
# fill it (a QImage may be built off the GUI thread), so the GUI thread only copies into a pixmap.
_CACHE: dict[tuple[int, int], tuple[weakref.ref[np.ndarray], QImage]] = {}


def to_qimage(pixels: np.ndarray) -> QImage:
    """An RGBA/RGB/gray uint8 array as a QImage (copied, so the array may change later)."""
    arr = np.ascontiguousarray(pixels)
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    h, w = arr.shape[:2]
    if arr.ndim == 2:
        image = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_Grayscale8)
    elif arr.shape[2] == 3:
        image = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_RGB888)
    else:
        image = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_RGBA8888)
    return image.copy()


def cached_qimage(pixels: np.ndarray, side: int = 0) -> QImage:
    """``to_qimage(pixels)`` (shrunk to ``side`` if given), remembered while ``pixels`` lives."""
    key = (id(pixels), side)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is pixels:
        return hit[1]
    if side:
        from PySide6.QtCore import Qt

        image = cached_qimage(pixels).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation)
    else:
        image = to_qimage(pixels)

    def forget(_ref: object, k: tuple[int, int] = key) -> None:
        _CACHE.pop(k, None)

    _CACHE[key] = (weakref.ref(pixels, forget), image)
    return image


def to_pixmap(pixels: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(cached_qimage(pixels))


def from_qimage(image: QImage) -> np.ndarray:
    """A QImage as an RGBA uint8 array."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h = image.width(), image.height()
    buffer = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    return buffer.reshape(h, image.bytesPerLine())[:, : w * 4].reshape(h, w, 4).copy()


def thumbnail(pixels: np.ndarray, side: int = 96) -> QPixmap:
    return QPixmap.fromImage(cached_qimage(pixels, side))
