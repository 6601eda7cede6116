"""Classical image analysis: read a (generated) shapes-world image back into attributes.

Used by the prompt-adherence benchmark. Steps: the background colour from the border
pixels; the foreground as pixels far from that colour; the largest foreground blob; its
colour (median of its inner pixels, nearest named colour); its kind from contour geometry
(solidity for the star, polygon vertex count and fill of the minimum-area rectangle /
enclosing circle for the others); its position from the centroid on a 3x3 grid; its size
from its area relative to what the kind covers at each size word.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from studio.world.render import shape_extent
from studio.world.vocab import BACKGROUNDS, CELL_TO_POSITION, COLOURS, SIZE_RADIUS

_UNIT_AREA = {"circle": np.pi, "square": 4 * 0.82**2, "triangle": 1.299 * 1.12**2, "star": None}


@dataclass(frozen=True)
class Analysis:
    """Attributes read from an image (``None`` where no shape was found)."""

    background: str
    kind: str | None
    colour: str | None
    size: str | None
    position: str | None
    area: float = 0.0
    centroid: tuple[float, float] | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "background": self.background,
            "kind": self.kind,
            "colour": self.colour,
            "size": self.size,
            "position": self.position,
        }


def _nearest(rgb: np.ndarray, table: dict[str, tuple[int, int, int]]) -> str:
    names = list(table)
    ref = np.asarray([table[n] for n in names], dtype=np.float32)
    return names[int(np.argmin(((ref - rgb[None].astype(np.float32)) ** 2).sum(axis=1)))]


def background_colour(image: np.ndarray) -> tuple[str, np.ndarray]:
    """Named background and the measured median border colour."""
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]).astype(np.float32)
    median = np.median(border, axis=0)
    return _nearest(median, BACKGROUNDS), median


def foreground_mask(image: np.ndarray, bg_rgb: np.ndarray, threshold: float = 60.0) -> np.ndarray:
    """uint8 mask of pixels farther than ``threshold`` (RGB distance) from the background."""
    dist = np.sqrt(((image.astype(np.float32) - bg_rgb[None, None]) ** 2).sum(axis=2))
    dist = cv2.GaussianBlur(dist, (3, 3), 0.6)  # tolerate pixel noise of generated images
    return (dist > threshold).astype(np.uint8)


def largest_blob(mask: np.ndarray) -> np.ndarray | None:
    """The largest 8-connected component of ``mask`` (uint8 0/1), or ``None``."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return (labels == best).astype(np.uint8)


def classify_kind(blob: np.ndarray) -> str:
    """Shape kind from the contour of a 0/1 blob mask (upsampled for stable geometry)."""
    big = cv2.resize(blob * 255, None, fx=4, fy=4, interpolation=cv2.INTER_LINEAR)
    big = (big > 127).astype(np.uint8)
    contours, _ = cv2.findContours(big, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    contour = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(contour)
    hull_area = cv2.contourArea(cv2.convexHull(contour))
    solidity = area / max(hull_area, 1e-6)
    if solidity < 0.85:
        return "star"
    (_, _), (w, h), _ = cv2.minAreaRect(contour)
    rect_fill = area / max(w * h, 1e-6)
    (_, _), radius = cv2.minEnclosingCircle(contour)
    circle_fill = area / max(np.pi * radius * radius, 1e-6)
    perimeter = cv2.arcLength(contour, True)
    vertices = len(cv2.approxPolyDP(contour, 0.04 * perimeter, True))
    if rect_fill < 0.66 or (vertices == 3 and circle_fill < 0.6):
        return "triangle"
    if circle_fill > 0.8 and vertices > 4:
        return "circle"
    if rect_fill > 0.88 and vertices <= 5:
        return "square"
    # Ambiguous blobs: the closest reference on (rect_fill, circle_fill).
    refs = {"circle": (0.785, 1.0), "square": (1.0, 0.637), "triangle": (0.5, 0.413)}
    return min(refs, key=lambda k: (refs[k][0] - rect_fill) ** 2 + (refs[k][1] - circle_fill) ** 2)


def _size_threshold(kind: str, image_size: int) -> float:
    """Area (pixels) halfway (geometrically) between a small and a large shape of ``kind``."""
    areas = []
    for word in ("small", "large"):
        r = SIZE_RADIUS[word] * image_size
        dx0, dy0, dx1, dy1 = shape_extent(kind, r)
        unit = _UNIT_AREA[kind]
        areas.append(unit * r * r if unit is not None else 0.37 * (dx1 - dx0) * (dy1 - dy0))
    return float(np.sqrt(areas[0] * areas[1]))


def analyze(image: np.ndarray) -> Analysis:
    """Read background, kind, colour, size and position of the largest shape in ``image``
    (``(H, W, 3)`` uint8 RGB)."""
    image = np.asarray(image)[..., :3]
    background, bg_rgb = background_colour(image)
    mask = foreground_mask(image, bg_rgb)
    blob = largest_blob(mask)
    h, w = image.shape[:2]
    if blob is None or blob.sum() < max(4, h * w // 1000):
        return Analysis(background, None, None, None, None)
    inner = cv2.erode(blob, np.ones((3, 3), np.uint8))
    pixels = image[(inner if inner.sum() >= 4 else blob).astype(bool)]
    colour = _nearest(np.median(pixels.astype(np.float32), axis=0), COLOURS)
    kind = classify_kind(blob)
    ys, xs = np.nonzero(blob)
    cx, cy = float(xs.mean()) + 0.5, float(ys.mean()) + 0.5
    col = min(2, int(cx * 3 / w))
    row = min(2, int(cy * 3 / h))
    area = float(blob.sum())
    size = "large" if area > _size_threshold(kind, w) else "small"
    return Analysis(background, kind, colour, size, CELL_TO_POSITION[(col, row)], area, (cx, cy))


__all__ = ["Analysis", "analyze", "background_colour", "classify_kind", "foreground_mask", "largest_blob"]
