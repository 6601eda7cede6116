"""Fit any picture into the grounding network's square input, and map boxes back.

The picture keeps its aspect ratio; the rest of the square repeats the picture's border, so a flat
background stays flat. Pure numpy/OpenCV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Letterbox:
    """How a ``(height, width)`` picture sits in the ``side``×``side`` input."""

    scale: float
    pad_x: int
    pad_y: int
    width: int
    height: int
    side: int

    def to_input(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = box
        s = self.scale
        return (x0 * s + self.pad_x, y0 * s + self.pad_y, x1 * s + self.pad_x, y1 * s + self.pad_y)

    def to_picture(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A box in input pixels → picture pixels, clipped to the picture."""
        x0, y0, x1, y1 = box
        s = self.scale
        out = ((x0 - self.pad_x) / s, (y0 - self.pad_y) / s, (x1 - self.pad_x) / s, (y1 - self.pad_y) / s)
        return (min(max(out[0], 0.0), self.width), min(max(out[1], 0.0), self.height),
                min(max(out[2], 0.0), self.width), min(max(out[3], 0.0), self.height))


def letterbox(rgb: np.ndarray, side: int) -> tuple[np.ndarray, Letterbox]:
    """``(side, side, 3)`` uint8 input and the placement of ``rgb`` (``(H, W, 3)`` uint8) in it."""
    import cv2

    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    small = cv2.resize(np.ascontiguousarray(rgb[..., :3]), (nw, nh), interpolation=interp)
    pad_x, pad_y = (side - nw) // 2, (side - nh) // 2
    out = cv2.copyMakeBorder(small, pad_y, side - nh - pad_y, pad_x, side - nw - pad_x, cv2.BORDER_REPLICATE)
    return out, Letterbox(scale, pad_x, pad_y, w, h, side)
