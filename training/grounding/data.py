"""Training scenes for the built-in grounding model: shapes-world pictures drawn with variations
that other renderers make (resolutions, aspect ratios, exact or CSS-like colours, hard or
anti-aliased edges, slight rotations, free positions and sizes, noise, blur, JPEG), with the
targets of a CenterNet-style detector."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from studio.world import sample_scene
from studio.world.render import _unit_polygon  # the world's own shape geometry
from studio.world.vocab import BACKGROUNDS, COLOURS, SIZE_RADIUS

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from plugins.grounding.letterbox import letterbox  # noqa: E402
from plugins.grounding.shapesnet import COLOURS as NET_COLOURS  # noqa: E402
from plugins.grounding.shapesnet import INPUT, KINDS, STRIDE  # noqa: E402

ALT_COLOURS: dict[str, list[tuple[int, int, int]]] = {
    "red": [(255, 0, 0), (200, 0, 0), (230, 40, 40)],
    "green": [(0, 128, 0), (0, 255, 0), (50, 205, 50), (34, 139, 34)],
    "blue": [(0, 0, 255), (65, 105, 225), (0, 0, 200), (30, 144, 255)],
    "yellow": [(255, 255, 0), (255, 215, 0), (240, 230, 60)],
    "purple": [(128, 0, 128), (160, 32, 240), (148, 0, 211), (128, 0, 255)],
    "orange": [(255, 165, 0), (255, 140, 0), (255, 120, 0)],
    "white": [(255, 255, 255), (250, 250, 250), (240, 240, 240)],
}


@dataclass
class DrawnShape:
    kind: str
    colour: str
    rgb: tuple[float, float, float]
    cx: float  # pixels
    cy: float
    radius: float  # pixels
    angle: float = 0.0  # degrees
    aspect: float = 1.0


def _polygon(shape: DrawnShape) -> np.ndarray | None:
    poly = _unit_polygon(shape.kind)
    if poly is None:
        return None
    p = poly.copy()
    p[:, 0] *= shape.aspect
    a = np.deg2rad(shape.angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return p @ rot.T


def alpha_of(shape: DrawnShape, w: int, h: int, ss: int, hard: bool) -> np.ndarray:
    canvas = np.zeros((h * ss, w * ss), dtype=np.uint8)
    centre = np.array([shape.cx * ss - 0.5, shape.cy * ss - 0.5])
    r = shape.radius * ss
    shift = 4
    poly = _polygon(shape)
    if poly is None:
        c = tuple(int(round(v * 16)) for v in centre)
        axes = (int(round(r * shape.aspect * 16)), int(round(r * 16)))
        cv2.ellipse(canvas, c, axes, shape.angle, 0, 360, 255, -1, cv2.LINE_8, shift)
    else:
        pts = np.round((poly * r + centre) * 16).astype(np.int32)
        cv2.fillPoly(canvas, [pts], 255, cv2.LINE_8, shift)
    small = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    return (small > 0.5).astype(np.float32) if hard else small


def _extent(shape: DrawnShape) -> tuple[float, float, float, float]:
    poly = _polygon(shape)
    if poly is None:
        rx, ry = shape.radius * shape.aspect, shape.radius
        return (shape.cx - rx, shape.cy - ry, shape.cx + rx, shape.cy + ry)
    p = poly * shape.radius
    return (shape.cx + p[:, 0].min(), shape.cy + p[:, 1].min(), shape.cx + p[:, 0].max(), shape.cy + p[:, 1].max())


def _shape_rgb(rng: np.random.Generator, colour: str) -> tuple[float, float, float]:
    u = rng.random()
    if u < 0.55:
        base = np.array(COLOURS[colour], dtype=np.float32)
    elif u < 0.8:
        alts = ALT_COLOURS[colour]
        base = np.array(alts[int(rng.integers(len(alts)))], dtype=np.float32)
    else:
        base = np.array(COLOURS[colour], dtype=np.float32) + rng.uniform(-30, 30, 3)
    return tuple(np.clip(base, 0, 255).tolist())  # type: ignore[return-value]


def _background(rng: np.random.Generator) -> tuple[str | None, np.ndarray]:
    u = rng.random()
    if u < 0.78:
        name = list(BACKGROUNDS)[int(rng.integers(len(BACKGROUNDS)))]
        alt = {"black": [(0, 0, 0)], "white": [(255, 255, 255)], "gray": [(128, 128, 128), (90, 90, 90)]}[name]
        if rng.random() < 0.3:
            rgb = np.array(alt[int(rng.integers(len(alt)))], dtype=np.float32)
        else:
            rgb = np.array(BACKGROUNDS[name], dtype=np.float32) + rng.uniform(-10, 10)
        return name, np.clip(rgb, 0, 255)
    return None, rng.uniform(0, 255, 3).astype(np.float32)


def sample_drawn(rng: np.random.Generator) -> tuple[int, int, str | None, np.ndarray, list[DrawnShape], bool]:
    """(width, height, background name, background rgb, shapes, gradient)."""
    side = int(rng.choice([48, 64, 64, 64, 96, 128, 128, 160, 200, 256]))
    if rng.random() < 0.15:
        ratio = float(rng.uniform(0.6, 1.7))
        w, h = (side, max(32, round(side / ratio))) if ratio > 1 else (max(32, round(side * ratio)), side)
    else:
        w = h = side
    bg_name, bg = _background(rng)
    shapes: list[DrawnShape] = []
    u = rng.random()
    n = 0 if u < 0.04 else 1 if u < 0.45 else 2 if u < 0.72 else 3 if u < 0.92 else int(rng.integers(4, 6))
    world_like = w == h and rng.random() < 0.6 and n <= 3 and bg_name is not None
    if world_like and n > 0:
        scene = sample_scene(rng, n_shapes=n, size=w)
        for s in scene.shapes:
            cx, cy = s.resolved_center()
            shapes.append(DrawnShape(s.kind, s.colour, (0, 0, 0), cx * w, cy * h, s.radius_fraction * w))
    else:
        boxes: list[tuple[float, float, float, float]] = []
        for _ in range(n):
            for _attempt in range(20):
                kind = KINDS[int(rng.integers(len(KINDS)))]
                colour = NET_COLOURS[int(rng.integers(len(NET_COLOURS)))]
                if rng.random() < 0.6:
                    size = "small" if rng.random() < 0.5 else "large"
                    r = SIZE_RADIUS[size] * rng.uniform(0.8, 1.2) * min(w, h)
                else:
                    r = rng.uniform(0.06, 0.3) * min(w, h)
                r = max(r, 3.5)
                shape = DrawnShape(kind, colour, (0, 0, 0), rng.uniform(0, w), rng.uniform(0, h), r)
                x0, y0, x1, y1 = _extent(shape)
                if x0 < 1 or y0 < 1 or x1 > w - 1 or y1 > h - 1:
                    continue
                if any(x0 - 1 < b[2] and b[0] < x1 + 1 and y0 - 1 < b[3] and b[1] < y1 + 1 for b in boxes):
                    continue
                boxes.append((x0, y0, x1, y1))
                shapes.append(shape)
                break
    # colours, rotation and aspect
    for s in shapes:
        for _ in range(10):
            rgb = _shape_rgb(rng, s.colour)
            if float(np.sqrt(((np.array(rgb) - bg) ** 2).sum())) > 90 and not (s.colour == bg_name):
                break
            s.colour = NET_COLOURS[int(rng.integers(len(NET_COLOURS)))]
        s.rgb = rgb
        if rng.random() < 0.25:
            s.angle = float(rng.uniform(-12, 12))
        if rng.random() < 0.2:
            s.aspect = float(rng.uniform(0.85, 1.15))
    return w, h, bg_name, bg, shapes, bool(rng.random() < 0.08)


Xyxy = tuple[float, float, float, float]


def draw(rng: np.random.Generator) -> tuple[np.ndarray, list[DrawnShape], list[Xyxy], np.ndarray]:
    """A picture (uint8 RGB), its shapes, their pixel boxes (x1/y1 exclusive) and the union mask."""
    w, h, _, bg, shapes, gradient = sample_drawn(rng)
    img = np.empty((h, w, 3), dtype=np.float32)
    img[:] = bg
    if gradient:
        other = np.clip(bg + rng.uniform(-50, 50, 3), 0, 255)
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        img = img * (1 - t) + other * t
    hard = bool(rng.random() < 0.25)
    ss = max(1, min(4, 640 // max(w, h)))
    boxes = []
    mask = np.zeros((h, w), dtype=np.float32)
    for s in shapes:
        a = alpha_of(s, w, h, ss, hard)
        img = img * (1 - a[..., None]) + np.array(s.rgb, dtype=np.float32) * a[..., None]
        ys, xs = np.nonzero(a > 0.5)
        if len(xs):
            boxes.append((float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)))
        else:
            boxes.append((0.0, 0.0, 0.0, 0.0))
        mask = np.maximum(mask, a)
    if rng.random() < 0.4:
        img = img + rng.normal(0, rng.uniform(1, 8), img.shape)
    out = np.clip(np.round(img), 0, 255).astype(np.uint8)
    if rng.random() < 0.15:
        out = cv2.GaussianBlur(out, (3, 3), rng.uniform(0.3, 1.0))
    if rng.random() < 0.3:
        ok, enc = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 96))])
        out = cv2.imdecode(enc, cv2.IMREAD_COLOR)[..., ::-1].copy()
    return out, shapes, boxes, mask


def targets(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One training example: the letterboxed input and the CenterNet targets on the stride grid."""
    img, shapes, boxes, mask = draw(rng)
    inp, lb = letterbox(img, INPUT)
    g = INPUT // STRIDE
    heat = np.zeros((g, g), dtype=np.float32)
    reg = np.zeros((5, g, g), dtype=np.float32)  # wh (input px / INPUT), offset (cells), weight
    kind = np.full((g, g), -1, dtype=np.int64)
    colour = np.full((g, g), -1, dtype=np.int64)
    ys, xs = np.mgrid[0:g, 0:g].astype(np.float32)
    for s, b in zip(shapes, boxes, strict=True):
        if b[2] <= b[0]:
            continue
        x0, y0, x1, y1 = lb.to_input(b)
        cx, cy = (x0 + x1) / 2 / STRIDE, (y0 + y1) / 2 / STRIDE
        bw, bh = (x1 - x0) / STRIDE, (y1 - y0) / STRIDE
        sx, sy = max(0.5, bw / 6), max(0.5, bh / 6)
        gauss = np.exp(-((xs - cx + 0.5) ** 2) / (2 * sx * sx) - ((ys - cy + 0.5) ** 2) / (2 * sy * sy))
        heat = np.maximum(heat, gauss)
        ix, iy = min(g - 1, int(cx)), min(g - 1, int(cy))
        reg[:, iy, ix] = ((x1 - x0) / INPUT, (y1 - y0) / INPUT, cx - ix, cy - iy, 1.0)
        heat[iy, ix] = 1.0
        # attribute labels on the centre cell and its neighbours
        r = 1
        kind[max(0, iy - r) : iy + r + 1, max(0, ix - r) : ix + r + 1] = KINDS.index(s.kind)
        colour[max(0, iy - r) : iy + r + 1, max(0, ix - r) : ix + r + 1] = NET_COLOURS.index(s.colour)
    m = cv2.resize(mask, (lb.width, lb.height)) if mask.shape != (lb.height, lb.width) else mask
    m_in = cv2.resize(m, None, fx=lb.scale, fy=lb.scale, interpolation=cv2.INTER_AREA)
    full = np.zeros((INPUT, INPUT), dtype=np.float32)
    hh, ww = min(m_in.shape[0], INPUT - lb.pad_y), min(m_in.shape[1], INPUT - lb.pad_x)
    full[lb.pad_y : lb.pad_y + hh, lb.pad_x : lb.pad_x + ww] = m_in[:hh, :ww]
    mask_t = cv2.resize(full, (g, g), interpolation=cv2.INTER_AREA)
    return {"image": inp, "heat": heat, "reg": reg, "kind": kind, "colour": colour, "mask": mask_t}
