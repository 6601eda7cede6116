"""numpy ↔ Qt image conversions."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap


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


def to_pixmap(pixels: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(to_qimage(pixels))


def from_qimage(image: QImage) -> np.ndarray:
    """A QImage as an RGBA uint8 array."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h = image.width(), image.height()
    buffer = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    return buffer.reshape(h, image.bytesPerLine())[:, : w * 4].reshape(h, w, 4).copy()


def thumbnail(pixels: np.ndarray, side: int = 96) -> QPixmap:
    from PySide6.QtCore import Qt

    return to_pixmap(pixels).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                    Qt.TransformationMode.SmoothTransformation)
