"""Motion in the shapes world: clips of one shape moving one way, their captions, and reading the
motion back from frames (for training a motion module and measuring it)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from studio.world.analyze import analyze
from studio.world.render import render
from studio.world.scene import Scene, cell_center, sample_shape
from studio.world.vocab import BACKGROUNDS

#: direction word -> (dx, dy) on the 3x3 grid
DIRECTIONS: dict[str, tuple[int, int]] = {
    "right": (1, 0), "left": (-1, 0), "up": (0, -1), "down": (0, 1),
}
#: where a shape starts and ends for each direction (a row or column chosen at random)
_PATHS = {
    "right": [("left", "right"), ("top left", "top right"), ("bottom left", "bottom right")],
    "left": [("right", "left"), ("top right", "top left"), ("bottom right", "bottom left")],
    "up": [("bottom", "top"), ("bottom left", "top left"), ("bottom right", "top right")],
    "down": [("top", "bottom"), ("top left", "bottom left"), ("top right", "bottom right")],
}


@dataclass(frozen=True)
class MotionClip:
    frames: list[np.ndarray]
    caption: str
    direction: str
    kind: str
    colour: str
    size: str
    background: str


def motion_caption(size: str, colour: str, kind: str, direction: str, background: str) -> str:
    """``"a small red circle moving right on a black background"``."""
    return f"a {size} {colour} {kind} moving {direction} on a {background} background"


def sample_motion(rng: np.random.Generator, n_frames: int = 16, image_size: int = 64,
                  direction: str | None = None) -> MotionClip:
    """A clip of one shape crossing the picture in one direction."""
    direction = direction or list(DIRECTIONS)[int(rng.integers(len(DIRECTIONS)))]
    background = list(BACKGROUNDS)[int(rng.integers(len(BACKGROUNDS)))]
    start, end = _PATHS[direction][int(rng.integers(3))]
    shape = sample_shape(rng, image_size, background, start, jitter=False)
    p0 = cell_center(shape.kind, shape.size, start, shape.scale, image_size)
    p1 = cell_center(shape.kind, shape.size, end, shape.scale, image_size)
    frames = []
    for i in range(n_frames):
        t = i / max(n_frames - 1, 1)
        centre = (p0[0] + (p1[0] - p0[0]) * t, p0[1] + (p1[1] - p0[1]) * t)
        frames.append(render(Scene((replace(shape, center=centre),), background, image_size)))
    return MotionClip(frames, motion_caption(shape.size, shape.colour, shape.kind, direction, background), direction,
                      shape.kind, shape.colour, shape.size, background)


@dataclass(frozen=True)
class MotionReading:
    """What the analyzer reads back from a clip."""

    direction: str | None  # the net direction of the shape's centroid, None when it barely moved or vanished
    displacement: tuple[float, float]  # centroid end - start, in picture widths/heights
    kinds: list[str | None]  # per frame
    colours: list[str | None]
    present: list[bool]
    flicker: float  # mean frame-to-frame change of background pixels (0..255)


def read_motion(frames: list[np.ndarray], min_travel: float = 0.15) -> MotionReading:
    """Track the largest shape frame by frame: direction, kinds, colours, presence and background flicker."""
    readings = [analyze(f) for f in frames]
    h, w = frames[0].shape[:2]
    cents = [(r.centroid[0] / w, r.centroid[1] / h) if r.centroid else None for r in readings]
    seen = [c for c in cents if c is not None]
    direction = None
    disp = (0.0, 0.0)
    if len(seen) >= 2:
        disp = (seen[-1][0] - seen[0][0], seen[-1][1] - seen[0][1])
        if max(abs(disp[0]), abs(disp[1])) >= min_travel:
            if abs(disp[0]) >= abs(disp[1]):
                direction = "right" if disp[0] > 0 else "left"
            else:
                direction = "down" if disp[1] > 0 else "up"
    # flicker: change of pixels that are background in both frames (far from every shape)
    changes = []
    from studio.world.analyze import background_colour, foreground_mask

    for a, b in zip(frames, frames[1:], strict=False):
        _, bg_a = background_colour(a)
        _, bg_b = background_colour(b)
        both = (foreground_mask(a, bg_a) == 0) & (foreground_mask(b, bg_b) == 0)
        if both.any():
            diff = np.abs(a.astype(np.float32) - b.astype(np.float32)).mean(axis=2)
            changes.append(float(diff[both].mean()))
    return MotionReading(direction, disp, [r.kind for r in readings], [r.colour for r in readings],
                         [r.kind is not None for r in readings], float(np.mean(changes)) if changes else 0.0)


def sample_motion_frame(rng: np.random.Generator, image_size: int = 64) -> tuple[np.ndarray, str]:
    """One frame, at a random point of its path, of a clip :func:`sample_motion` could make, with the clip's
    caption (teaches a text-to-image model the motion words, as video frames teach AnimateDiff's base)."""
    direction = list(DIRECTIONS)[int(rng.integers(len(DIRECTIONS)))]
    background = list(BACKGROUNDS)[int(rng.integers(len(BACKGROUNDS)))]
    start, end = _PATHS[direction][int(rng.integers(3))]
    shape = sample_shape(rng, image_size, background, start, jitter=False)
    p0 = cell_center(shape.kind, shape.size, start, shape.scale, image_size)
    p1 = cell_center(shape.kind, shape.size, end, shape.scale, image_size)
    t = float(rng.random())
    centre = (p0[0] + (p1[0] - p0[0]) * t, p0[1] + (p1[1] - p0[1]) * t)
    frame = render(Scene((replace(shape, center=centre),), background, image_size))
    return frame, motion_caption(shape.size, shape.colour, shape.kind, direction, background)
