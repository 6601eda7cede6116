"""Shapes-world-like scenes drawn by other code (Pillow's ImageDraw, no anti-aliasing, CSS colours,
other proportions), to check the built-in grounding model beyond the world's own renderer."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

CSS = {"red": (255, 0, 0), "green": (0, 160, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0),
       "purple": (128, 0, 128), "orange": (255, 165, 0), "white": (255, 255, 255)}
BGS = {"black": (0, 0, 0), "gray": (128, 128, 128), "white": (255, 255, 255)}
KINDS = ("circle", "square", "triangle", "star")


def draw_scene(rng: np.random.Generator, side: int = 256, n: int | None = None):
    """(rgb, background, shapes) with shapes as dicts: kind, colour, size ("small"/"large"), box."""
    bg = list(BGS)[int(rng.integers(3))]
    img = Image.new("RGB", (side, side), BGS[bg])
    d = ImageDraw.Draw(img)
    n = n or int(rng.integers(1, 4))
    shapes: list[dict] = []
    cells = list(range(9))
    rng.shuffle(cells)
    for cell in cells[:n]:
        kind = KINDS[int(rng.integers(4))]
        colour = [c for c in CSS if c != bg][int(rng.integers(6))]
        size = "small" if rng.random() < 0.5 else "large"
        r = (0.10 if size == "small" else 0.20) * side * rng.uniform(0.9, 1.1)
        col, row = cell % 3, cell // 3
        cx = (col + 0.5) * side / 3
        cy = (row + 0.5) * side / 3
        cx = min(max(cx, r + 2), side - r - 2)
        cy = min(max(cy, r + 2), side - r - 2)
        if kind == "circle":
            pts = None
            d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=CSS[colour])
            box = (cx - r, cy - r, cx + r, cy + r)
        elif kind == "square":
            h = r * 0.85
            d.rectangle([cx - h, cy - h, cx + h, cy + h], fill=CSS[colour])
            box = (cx - h, cy - h, cx + h, cy + h)
        elif kind == "triangle":
            pts = [(cx, cy - r), (cx + r, cy + r * 0.8), (cx - r, cy + r * 0.8)]
            d.polygon(pts, fill=CSS[colour])
            box = (cx - r, cy - r, cx + r, cy + r * 0.8)
        else:
            pts = []
            for k in range(10):
                a = -math.pi / 2 + k * math.pi / 5
                rr = r if k % 2 == 0 else r * 0.4
                pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
            d.polygon(pts, fill=CSS[colour])
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            box = (min(xs), min(ys), max(xs), max(ys))
        overlap = any(not (box[2] < s["box"][0] or s["box"][2] < box[0] or box[3] < s["box"][1]
                           or s["box"][3] < box[1]) for s in shapes)
        if overlap:
            continue
        shapes.append({"kind": kind, "colour": colour, "size": size, "box": box, "cell": (col, row)})
    return np.asarray(img), bg, shapes
