"""Keep identities across frames: boxes found frame by frame become tracks with stable ids.

A small SORT-style tracker: each track predicts its next box with a constant velocity; boxes of the
new frame are assigned to tracks by the Hungarian method on ``1 - IoU`` (plus a centre-distance term
for fast or small objects), only between boxes answering the same query; a track missing for more
than ``max_gap`` frames ends. Pure numpy/scipy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .types import Found

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.api import lazy_numpy as np

Xyxy = tuple[float, float, float, float]


def iou(a: Xyxy, b: Xyxy) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class _Track:
    id: int
    label: str
    box: Xyxy
    velocity: Xyxy = (0.0, 0.0, 0.0, 0.0)
    last_frame: int = 0
    attributes: dict = field(default_factory=dict)

    def predict(self, frame: int) -> Xyxy:
        dt = frame - self.last_frame
        return tuple(b + v * dt for b, v in zip(self.box, self.velocity, strict=True))  # type: ignore[return-value]


class Tracker:
    """Feed it each frame's boxes in order; it returns each box's track id."""

    def __init__(self, max_gap: int = 8, max_cost: float = 1.3) -> None:
        self.max_gap = max_gap
        self.max_cost = max_cost
        self.tracks: list[_Track] = []
        self.next_id = 1

    def _cost(self, track: _Track, found: Found, frame: int) -> float:
        if track.label != found.label:
            return float("inf")
        pred = track.predict(frame)
        overlap = iou(pred, found.box)
        diag = max(1.0, float(np.hypot(pred[2] - pred[0], pred[3] - pred[1])))
        dx = (pred[0] + pred[2] - found.box[0] - found.box[2]) / 2
        dy = (pred[1] + pred[3] - found.box[1] - found.box[3]) / 2
        cost = (1.0 - overlap) + 0.5 * float(np.hypot(dx, dy)) / diag
        for key in ("kind", "colour"):  # the built-in model says what each box is: a change is a new object
            if key in track.attributes and key in found.attributes and track.attributes[key] != found.attributes[key]:
                cost += 1.0
        return cost

    def update(self, frame: int, found: list[Found]) -> list[int]:
        from scipy.optimize import linear_sum_assignment

        live = [t for t in self.tracks if frame - t.last_frame <= self.max_gap]
        ids = [0] * len(found)
        if live and found:
            cost = np.array([[self._cost(t, f, frame) for f in found] for t in live], dtype=np.float64)
            big = 1e6
            rows, cols = linear_sum_assignment(np.where(np.isfinite(cost), cost, big))
            for r, c in zip(rows, cols, strict=True):
                if cost[r, c] <= self.max_cost:
                    t, f = live[r], found[c]
                    dt = max(1, frame - t.last_frame)
                    new_v = tuple((n - o) / dt for n, o in zip(f.box, t.box, strict=True))
                    v = [0.5 * a + 0.5 * b for a, b in zip(t.velocity, new_v, strict=True)]
                    t.velocity = (v[0], v[1], v[2], v[3])
                    t.box, t.last_frame, t.attributes = f.box, frame, dict(f.attributes)
                    ids[c] = t.id
        for c, f in enumerate(found):
            if ids[c] == 0:
                t = _Track(self.next_id, f.label, f.box, last_frame=frame, attributes=dict(f.attributes))
                self.next_id += 1
                self.tracks.append(t)
                ids[c] = t.id
        self.tracks = [t for t in self.tracks if frame - t.last_frame <= self.max_gap]
        return ids
