"""Helpers shared by the pixel analyses: block statistics, scaling, hot regions, display heatmaps."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.api import Finding, Heatmap, Signal

from .source import ImageSource, box_to_display, to_display

MAX_HEATMAP_SIDE = 1024  # heatmaps are stored at most this large; the canvas scales them up


@dataclass
class Analysis:
    """What one pixel analysis found, before it becomes a report section.

    ``heatmap`` is in stored orientation, at any resolution covering the whole
    analysed image; ``box`` (x0, y0, x1, y1) is in file pixels, stored orientation.
    """

    state: str
    summary: str
    findings: list[Finding] = field(default_factory=list)
    heatmap: np.ndarray | None = None
    heatmap_explanation: str = ""
    data: dict = field(default_factory=dict)
    box: tuple[float, float, float, float] | None = None
    maps: dict[str, np.ndarray] = field(default_factory=dict)  # intermediate maps other analyses may use
    signals: list[Signal] = field(default_factory=list)  # scored signals (see .signals)


def crop_to(a: np.ndarray, block: int) -> np.ndarray:
    h, w = a.shape[:2]
    return a[: h - h % block, : w - w % block]


def block_view(a: np.ndarray, block: int) -> np.ndarray:
    """``a`` (H×W) as (H/b, W/b, b*b) blocks, the edges that do not fill a block dropped."""
    a = crop_to(a, block)
    h, w = a.shape
    return a.reshape(h // block, block, w // block, block).swapaxes(1, 2).reshape(h // block, w // block, -1)


def block_mean(a: np.ndarray, block: int) -> np.ndarray:
    """Mean of each block×block block (float32); OpenCV's area resize is exact for whole blocks, and fast."""
    import cv2

    a = crop_to(a, block)
    h, w = a.shape
    if h < block or w < block:
        return np.zeros((h // block, w // block), np.float32)
    return cv2.resize(a.astype(np.float32, copy=False), (w // block, h // block), interpolation=cv2.INTER_AREA)


def scale01(values: np.ndarray, high: float, low: float = 0.0) -> np.ndarray:
    """Map ``low..high`` to 0..1, clipped."""
    span = max(float(high) - float(low), 1e-6)
    return np.clip((values.astype(np.float32) - low) / span, 0.0, 1.0)


def robust_z(values: np.ndarray) -> np.ndarray:
    """How many robust standard deviations (1.4826 × MAD) each value lies from the median."""
    med = float(np.median(values))
    mad = float(np.median(np.abs(values - med))) * 1.4826
    return (values - med) / max(mad, 1e-6)


def hot_region(values: np.ndarray, threshold: float, cell: float, min_cells: int = 4
               ) -> tuple[tuple[float, float, float, float], float, int] | None:
    """The largest connected area of ``values`` above ``threshold``: (box in pixels, mean value, cells).

    ``cell`` is the size in file pixels of one element of ``values``.
    """
    import cv2

    mask = (values >= threshold).astype(np.uint8)
    if not mask.any():
        return None
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count < 2:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    area = int(stats[best, cv2.CC_STAT_AREA])
    if area < min_cells:
        return None
    x, y, w, h = (int(v) for v in stats[best, :4])
    box = (x * cell, y * cell, (x + w) * cell, (y + h) * cell)
    return box, float(values[labels == best].mean()), area


def is_local(box: tuple[float, float, float, float], source: ImageSource, most: float = 0.5) -> bool:
    """Whether a box (file pixels) is a region rather than most of the picture."""
    w, h = source.size
    return (box[2] - box[0]) * (box[3] - box[1]) < most * w * h


def display_heatmap(name: str, values: np.ndarray, source: ImageSource, explanation: str) -> Heatmap:
    """A stored-orientation map as a :class:`Heatmap` in display orientation, at most MAX_HEATMAP_SIDE."""
    import cv2

    values = np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0)
    values = np.clip(values, 0.0, 1.0)
    h, w = values.shape
    if max(h, w) > MAX_HEATMAP_SIDE:
        f = MAX_HEATMAP_SIDE / max(h, w)
        values = cv2.resize(values, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    return Heatmap(name=name, values=to_display(values, source.orientation), explanation=explanation)


def display_box(box: tuple[float, float, float, float], source: ImageSource) -> list[int]:
    """A stored-orientation box in file pixels as displayed [x0, y0, x1, y1]."""
    x0, y0, x1, y1 = box_to_display(box, source.size, source.orientation)
    return [round(x0), round(y0), round(x1), round(y1)]


def describe_box(box: list[int], size: tuple[int, int]) -> str:
    x0, y0, x1, y1 = box
    w, h = size
    cx, cy = (x0 + x1) / 2 / w, (y0 + y1) / 2 / h
    vertical = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else "middle"
    horizontal = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "centre"
    where = "centre" if (vertical, horizontal) == ("middle", "centre") else f"{vertical} {horizontal}"
    return f"{x1 - x0}×{y1 - y0} px at ({x0}, {y0}), {where}"
