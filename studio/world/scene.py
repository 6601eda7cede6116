"""Scene description (plain dataclasses), random scene sampling and captions."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from studio.world.vocab import (
    BACKGROUNDS,
    COLOURS,
    KINDS,
    POSITION_PHRASES,
    POSITIONS,
    SIZE_RADIUS,
    SIZES,
)


@dataclass(frozen=True)
class Shape:
    """One shape of a scene.

    ``center`` is the shape's centre (its centroid) as fractions of the image side
    ``(x, y)``; ``None`` means the centre of the grid cell named by ``position``.
    ``scale`` multiplies the nominal radius of ``size`` (small jitter around 1.0).
    """

    kind: str
    colour: str
    size: str
    position: str
    center: tuple[float, float] | None = None
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if self.colour not in COLOURS:
            raise ValueError(f"unknown colour {self.colour!r}")
        if self.size not in SIZES:
            raise ValueError(f"unknown size {self.size!r}")
        if self.position not in POSITIONS:
            raise ValueError(f"unknown position {self.position!r}")

    @property
    def radius_fraction(self) -> float:
        """Nominal radius as a fraction of the image side."""
        return SIZE_RADIUS[self.size] * self.scale

    def resolved_center(self) -> tuple[float, float]:
        """The centre in image fractions, defaulting to the middle of the grid cell."""
        if self.center is not None:
            return self.center
        col, row = POSITIONS[self.position]
        return ((col + 0.5) / 3.0, (row + 0.5) / 3.0)

    def phrase(self) -> str:
        """E.g. ``"a large red circle in the top left"``."""
        return f"a {self.size} {self.colour} {self.kind} {POSITION_PHRASES[self.position]}"


@dataclass(frozen=True)
class Scene:
    """Shapes drawn in order over a flat background, rendered at ``size`` x ``size`` pixels."""

    shapes: tuple[Shape, ...]
    background: str = "black"
    size: int = 64

    def __post_init__(self) -> None:
        if self.background not in BACKGROUNDS:
            raise ValueError(f"unknown background {self.background!r}")
        object.__setattr__(self, "shapes", tuple(self.shapes))

    def attributes(self, index: int = 0) -> dict[str, str]:
        """What the analyzer reads back for shape ``index``: background, kind, colour, size, position."""
        shape = self.shapes[index]
        return {
            "background": self.background,
            "kind": shape.kind,
            "colour": shape.colour,
            "size": shape.size,
            "position": shape.position,
        }

    def with_shape(self, index: int, shape: Shape) -> Scene:
        """A copy with shape ``index`` replaced."""
        shapes = list(self.shapes)
        shapes[index] = shape
        return replace(self, shapes=tuple(shapes))


def caption(scene: Scene) -> str:
    """Describe a scene: ``"a small blue star in the bottom right and a large yellow square
    in the top left on a gray background"``."""
    parts = " and ".join(shape.phrase() for shape in scene.shapes)
    if not parts:
        return f"a {scene.background} background"
    return f"{parts} on a {scene.background} background"


def _choice(rng: np.random.Generator, items: list[str] | tuple[str, ...]) -> str:
    return items[int(rng.integers(len(items)))]


def _axis_ranges(
    kind: str, size: str, position: str, scale: float, image_size: int
) -> list[tuple[float, float, float]]:
    """Per axis (x, y): the (lo, mid, hi) range of centres inside the position's grid cell
    that keep the whole shape in frame."""
    from studio.world.render import shape_extent  # local import: render imports this module

    col, row = POSITIONS[position]
    (dx0, dy0, dx1, dy1) = shape_extent(kind, SIZE_RADIUS[size] * scale)
    third = 1.0 / 3.0
    margin = 1.5 / image_size
    cell_pad = 0.06 * third
    out = []
    for idx, lo_ext, hi_ext in ((col, dx0, dx1), (row, dy0, dy1)):
        lo = max(idx * third + cell_pad, -lo_ext + margin)
        hi = min((idx + 1) * third - cell_pad, 1.0 - hi_ext - margin)
        if hi < lo:  # cannot happen with the vocabulary's sizes; fall back to the clamp
            lo = hi = min(max((idx + 0.5) * third, -lo_ext + margin), 1.0 - hi_ext - margin)
        mid = min(max((idx + 0.5) * third, lo), hi)
        out.append((lo, mid, hi))
    return out


def cell_center(kind: str, size: str, position: str, scale: float = 1.0, image_size: int = 64) -> tuple[float, float]:
    """The centre of the position's grid cell, moved just enough to keep the shape in frame."""
    (_, mx, _), (_, my, _) = _axis_ranges(kind, size, position, scale, image_size)
    return (mx, my)


def jittered_center(
    rng: np.random.Generator, kind: str, size: str, position: str, scale: float, image_size: int
) -> tuple[float, float]:
    """A random centre inside the grid cell of ``position`` that keeps the shape in frame."""
    center = []
    for lo, mid, hi in _axis_ranges(kind, size, position, scale, image_size):
        # Jitter mostly near the cell's own centre so the grid cell is unambiguous.
        spread = min(mid - lo, hi - mid, 0.07)
        center.append(float(mid + rng.uniform(-spread, spread)))
    return (center[0], center[1])


def sample_shape(
    rng: np.random.Generator,
    image_size: int = 64,
    background: str | None = None,
    position: str | None = None,
    size: str | None = None,
    jitter: bool = True,
) -> Shape:
    """Sample a random shape; its colour never equals the background's name."""
    colours = [c for c in COLOURS if c != background]
    kind = _choice(rng, KINDS)
    colour = _choice(rng, colours)
    size = size or _choice(rng, SIZES)
    position = position or _choice(rng, tuple(POSITIONS))
    scale = float(rng.uniform(0.92, 1.08)) if jitter else 1.0
    center = jittered_center(rng, kind, size, position, scale, image_size) if jitter else None
    return Shape(kind, colour, size, position, center=center, scale=scale)


def sample_scene(
    rng: np.random.Generator,
    n_shapes: int | None = None,
    size: int = 64,
    max_shapes: int = 3,
    jitter: bool = True,
) -> Scene:
    """Sample a random scene of ``n_shapes`` shapes (random 1..max_shapes when ``None``).

    Shapes occupy distinct grid cells and never overlap (a large shape is made small, and
    finally dropped, when it cannot be placed without overlapping).
    """
    from studio.world.render import shape_bbox  # local import: render imports this module

    background = _choice(rng, tuple(BACKGROUNDS))
    n = int(n_shapes) if n_shapes is not None else int(rng.integers(1, max_shapes + 1))
    shapes: list[Shape] = []
    free_cells = list(POSITIONS)
    for _ in range(n):
        for attempt in range(12):
            position = _choice(rng, free_cells)
            forced_size = "small" if attempt >= 6 else None
            shape = sample_shape(rng, size, background, position, forced_size, jitter)
            box = shape_bbox(shape, size, pad=1.0)
            if all(not _overlap(box, shape_bbox(other, size, pad=1.0)) for other in shapes):
                shapes.append(shape)
                free_cells.remove(position)
                break
    return Scene(tuple(shapes), background, size)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


__all__ = ["Shape", "Scene", "caption", "cell_center", "jittered_center", "sample_scene", "sample_shape"]


def short_caption(scene: Scene, rng: np.random.Generator, keep: float = 0.5) -> tuple[str, dict[str, str]]:
    """A caption that leaves attributes out, as people write prompts: ``"a blue square"``,
    ``"a star on white"``, ``"a small circle on the left"``.

    One-shape scenes always name the kind; colour, size, position and background are each said with
    probability ``keep`` (the background as ``"on a white background"`` or ``"on white"``). Scenes of
    several shapes keep each shape's colour and kind (so they stay told apart) and drop sizes,
    positions and the background the same way. Returns the caption and the attributes it asks for
    (one-shape scenes; ``{}`` otherwise).
    """
    said_background = rng.random() < keep
    bg = ""
    if said_background:
        bg = f" on a {scene.background} background" if rng.random() < 0.6 else f" on {scene.background}"
    if len(scene.shapes) == 1:
        shape = scene.shapes[0]
        asked = {"kind": shape.kind}
        words = []
        if rng.random() < keep:
            words.append(shape.size)
            asked["size"] = shape.size
        if rng.random() < keep:
            words.append(shape.colour)
            asked["colour"] = shape.colour
        words.append(shape.kind)
        text = ("an " if words[0][0] in "aeiou" else "a ") + " ".join(words)
        if rng.random() < keep:
            text += " " + POSITION_PHRASES[shape.position]
            asked["position"] = shape.position
        if said_background:
            asked["background"] = scene.background
        return text + bg, asked
    parts = []
    for shape in scene.shapes:
        words = ([shape.size] if rng.random() < keep else []) + [shape.colour, shape.kind]
        part = ("an " if words[0][0] in "aeiou" else "a ") + " ".join(words)
        if rng.random() < keep:
            part += " " + POSITION_PHRASES[shape.position]
        parts.append(part)
    return " and ".join(parts) + bg, {}
