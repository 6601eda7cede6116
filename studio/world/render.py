"""Rasterise scenes to anti-aliased uint8 RGB images (numpy + OpenCV only).

Shapes are drawn on a 4x supersampled canvas and area-downsampled, which gives
anti-aliased edges with exact sub-pixel geometry.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from studio.world.scene import Scene, Shape, cell_center
from studio.world.vocab import BACKGROUNDS, COLOURS, POSITIONS

SUPERSAMPLE = 4

# Geometry in units of the shape's nominal radius r.
_SQUARE_HALF = 0.82
_TRIANGLE_R = 1.12
_STAR_R = 1.15
_STAR_INNER = 0.45


def _unit_polygon(kind: str) -> np.ndarray | None:
    """Vertices (N, 2) of a polygon kind for r = 1, centred on its centroid, y pointing down."""
    if kind == "square":
        h = _SQUARE_HALF
        return np.array([[-h, -h], [h, -h], [h, h], [-h, h]], dtype=np.float64)
    if kind == "triangle":
        angles = np.deg2rad([-90.0, 30.0, 150.0])
        return _TRIANGLE_R * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if kind == "star":
        angles = np.deg2rad(-90.0 + 36.0 * np.arange(10))
        radii = np.where(np.arange(10) % 2 == 0, _STAR_R, _STAR_R * _STAR_INNER)
        return np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)
    return None  # circle


def shape_extent(kind: str, radius: float) -> tuple[float, float, float, float]:
    """Extent ``(dx0, dy0, dx1, dy1)`` of a shape of ``radius`` around its centre (same units)."""
    poly = _unit_polygon(kind)
    if poly is None:
        return (-radius, -radius, radius, radius)
    lo = poly.min(axis=0) * radius
    hi = poly.max(axis=0) * radius
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def shape_bbox(shape: Shape, image_size: int, pad: float = 0.0) -> tuple[float, float, float, float]:
    """Geometric bounding box of a shape in pixels ``(x0, y0, x1, y1)``, grown by ``pad``."""
    cx, cy = shape.resolved_center()
    dx0, dy0, dx1, dy1 = shape_extent(shape.kind, shape.radius_fraction)
    s = float(image_size)
    return ((cx + dx0) * s - pad, (cy + dy0) * s - pad, (cx + dx1) * s + pad, (cy + dy1) * s + pad)


def shape_alpha(shape: Shape, image_size: int) -> np.ndarray:
    """Coverage of one shape as a float32 ``(H, W)`` array in [0, 1]."""
    ss = SUPERSAMPLE
    big = image_size * ss
    canvas = np.zeros((big, big), dtype=np.uint8)
    cx, cy = shape.resolved_center()
    # Continuous image coordinate X maps to supersampled pixel index X*ss - 0.5.
    centre = np.array([cx * big - 0.5, cy * big - 0.5])
    radius = shape.radius_fraction * big
    poly = _unit_polygon(shape.kind)
    shift = 4  # sub-pixel precision bits for OpenCV drawing
    if poly is None:
        c = tuple(int(round(v * (1 << shift))) for v in centre)
        cv2.circle(canvas, c, int(round(radius * (1 << shift))), 255, -1, cv2.LINE_8, shift)
    else:
        pts = np.round((poly * radius + centre) * (1 << shift)).astype(np.int32)
        cv2.fillPoly(canvas, [pts], 255, cv2.LINE_8, shift)
    small = cv2.resize(canvas, (image_size, image_size), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 255.0


def render(scene: Scene) -> np.ndarray:
    """Render a scene to an ``(H, W, 3)`` uint8 RGB image."""
    s = scene.size
    img = np.empty((s, s, 3), dtype=np.float32)
    img[:] = np.asarray(BACKGROUNDS[scene.background], dtype=np.float32)
    for shape in scene.shapes:
        alpha = shape_alpha(shape, s)[..., None]
        colour = np.asarray(COLOURS[shape.colour], dtype=np.float32)
        img = img * (1.0 - alpha) + colour * alpha
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Box:
    """Pixel bounding box of a rendered shape; ``x1``/``y1`` are exclusive."""

    label: str
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def xyxy(self) -> tuple[int, int, int, int]:
        return (self.x0, self.y0, self.x1, self.y1)


def boxes(scene: Scene, threshold: float = 0.5) -> list[Box]:
    """Bounding boxes of every shape (pixels covered more than ``threshold``), labelled
    like ``"red circle"``, in scene order."""
    out: list[Box] = []
    for shape in scene.shapes:
        ys, xs = np.nonzero(shape_alpha(shape, scene.size) > threshold)
        label = f"{shape.colour} {shape.kind}"
        if len(xs) == 0:
            out.append(Box(label, 0, 0, 0, 0))
            continue
        out.append(Box(label, int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
    return out


Point = tuple[float, float]


def _as_point(where: str | Point, shape: Shape, image_size: int) -> Point:
    """A position word (its cell centre, kept in frame) or an ``(x, y)`` fraction pair."""
    if isinstance(where, str):
        if where not in POSITIONS:
            raise ValueError(f"unknown position {where!r}")
        return cell_center(shape.kind, shape.size, where, shape.scale, image_size)
    return (float(where[0]), float(where[1]))


def render_motion(
    scene_or_shape: Scene | Shape,
    n_frames: int = 8,
    start: str | Point = "left",
    end: str | Point = "right",
    background: str = "black",
    size: int = 64,
) -> list[np.ndarray]:
    """Frames of a shape moving in a straight line from ``start`` to ``end``.

    With a :class:`Scene`, its first shape moves and the others stay still (the scene's
    background and size are used). Positions are position words or ``(x, y)`` fractions.
    """
    if isinstance(scene_or_shape, Scene):
        scene = scene_or_shape
    else:
        scene = Scene((scene_or_shape,), background, size)
    if not scene.shapes:
        raise ValueError("scene has no shape to move")
    mover = scene.shapes[0]
    p0 = _as_point(start, mover, scene.size)
    p1 = _as_point(end, mover, scene.size)
    frames = []
    for i in range(n_frames):
        t = i / max(n_frames - 1, 1)
        centre = (p0[0] + (p1[0] - p0[0]) * t, p0[1] + (p1[1] - p0[1]) * t)
        frames.append(render(scene.with_shape(0, replace(mover, center=centre))))
    return frames


__all__ = ["Box", "boxes", "render", "render_motion", "shape_alpha", "shape_bbox", "shape_extent"]
