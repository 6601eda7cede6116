"""Box tracks: a box corrected on one frame, and the track follows (keyframes, as annotation tools do).

A tracker (grounding on a video) gives a box per frame for each object, all with the object's
``track_id``. When a person corrects the box on one frame, that box becomes a *keyframe* of the track
(``Box.keyframe``), and the correction — how the box was moved and scaled relative to what was stored
there — is carried to the following frames of the same track: in full up to the next keyframe of the
track, blended linearly to nothing on the way to it, or in full up to the track's end when there is
none. Earlier frames, keyframes and other tracks are never changed.

The offset is measured in the box's own width and height, so a correction keeps its meaning as the
object grows or shrinks in later frames (for boxes of one size it is the same offset in pixels).

Nothing here knows of Qt: the canvas uses it for its edits, and a plugin's command line can use it
through :mod:`studio.api`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from studio.document.clips import Box

__all__ = ["delete_track", "keyframes", "propagate_correction", "track_frames"]

DECIMALS = 4  # carried boxes are rounded to 1/10000 pixel: no 29.999999999 from the blending


def track_frames(boxes: Sequence[Box], track_id: int) -> dict[int, int]:
    """Frame → index in ``boxes`` of the track's box on that frame (the first, should there be two)."""
    found: dict[int, int] = {}
    for index, box in enumerate(boxes):
        if box.track_id == track_id and box.frame is not None:
            found.setdefault(box.frame, index)
    return found


def keyframes(boxes: Sequence[Box], track_id: int) -> list[int]:
    """The frames where the track has a keyframe (a box placed or corrected by hand), in order."""
    return sorted({b.frame for b in boxes if b.track_id == track_id and b.frame is not None and b.keyframe})


def _carry(box: Box, old: Box, new: Box, weight: float) -> Box:
    """``box`` moved and scaled by ``weight`` (0..1) of the change from ``old`` to ``new``."""
    (ocx, ocy), (ncx, ncy), (cx, cy) = old.centre, new.centre, box.centre
    sides = []
    for o_side, n_side, side, o_c, n_c, c in ((old.width, new.width, box.width, ocx, ncx, cx),
                                              (old.height, new.height, box.height, ocy, ncy, cy)):
        if o_side > 0:  # offset and scale relative to the box's own size
            centre = c + weight * (n_c - o_c) / o_side * side
            length = side * (1.0 + weight * (n_side / o_side - 1.0))
        else:  # a box of no width (or height): the change in pixels
            centre = c + weight * (n_c - o_c)
            length = side + weight * (n_side - o_side)
        length = max(0.0, length)
        sides.append((round(centre - length / 2, DECIMALS), round(centre + length / 2, DECIMALS)))
    (x0, x1), (y0, y1) = sides
    return replace(box, x0=x0, y0=y0, x1=x1, y1=y1)


def propagate_correction(boxes: Sequence[Box], track_id: int, frame: int, new_box: Box) -> list[Box]:
    """``boxes`` with the track's box on ``frame`` replaced by ``new_box``, and the correction carried on.

    ``new_box`` is stored as a keyframe of track ``track_id`` on ``frame`` (its ``frame``,
    ``track_id`` and ``keyframe`` are set; its label and score are kept). Each later box of the track
    is moved and scaled as the box on ``frame`` was — relative to its own size — with the weight
    ``(next_key - f) / (next_key - frame)`` when the track has a keyframe ``next_key`` after ``frame``
    (frames from it on are unchanged), and 1 up to the track's last box when it has none.

    The result keeps the order and indices of ``boxes`` (a box is appended only when the track had no
    box on ``frame``, in which case there is nothing to carry). ``boxes`` itself is not changed.
    """
    frame = int(frame)
    out = list(boxes)
    corrected = replace(new_box, frame=frame, track_id=track_id, keyframe=True)
    frames = track_frames(out, track_id)
    index = frames.get(frame)
    if index is None:
        out.append(corrected)
        return out
    old = out[index]
    out[index] = corrected
    later = [k for k in keyframes(out, track_id) if k > frame]
    next_key = later[0] if later else None
    for f, i in sorted(frames.items()):
        if f <= frame:
            continue
        if next_key is not None and f >= next_key:
            break
        weight = 1.0 if next_key is None else (next_key - f) / (next_key - frame)
        out[i] = _carry(out[i], old, corrected, weight)
    return out


def delete_track(boxes: Sequence[Box], track_id: int) -> list[Box]:
    """``boxes`` without any box of track ``track_id`` (on every frame)."""
    return [b for b in boxes if b.track_id != track_id]
