"""A box corrected on one frame, and its track follows: keyframes and the correction carried on (no Qt)."""

import numpy as np
import pytest

from studio.document import Box, BoxClip, Document, FramesClip, delete_track, propagate_correction
from studio.document.project import load_project, save_project
from studio.document.tracks import keyframes


def track(n=10, track_id=1, x=10.0, label="ball"):
    """A tracker's output: a 20×20 box moving 5 pixels right per frame."""
    return [Box(x + 5 * f, 10, x + 5 * f + 20, 30, label, 0.8, frame=f, track_id=track_id) for f in range(n)]


def test_the_correction_is_carried_to_the_end_of_the_track():
    boxes = track() + track(track_id=2, x=100, label="cup")
    before = list(boxes)
    out = propagate_correction(boxes, 1, 3, Box(35, 14, 55, 34, "ball", 0.8))  # moved by (10, 4)
    assert boxes == before  # not changed in place
    assert len(out) == len(boxes)
    assert out[3] == Box(35, 14, 55, 34, "ball", 0.8, frame=3, track_id=1, keyframe=True)
    for f in range(4, 10):  # every later frame moved by (10, 4), sizes kept
        assert (out[f].x0, out[f].y0, out[f].x1, out[f].y1) == (before[f].x0 + 10, 14, before[f].x1 + 10, 34)
        assert not out[f].keyframe and out[f].label == "ball" and out[f].score == 0.8
    assert out[:3] == before[:3]  # earlier frames unchanged
    assert out[10:] == before[10:]  # the other track unchanged
    assert keyframes(out, 1) == [3] and keyframes(out, 2) == []


def test_the_correction_blends_out_toward_the_next_keyframe():
    boxes = propagate_correction(track(), 1, 8, Box(50, 10, 70, 30, "ball"))  # a keyframe at 8 (where it was)
    assert boxes[8].keyframe
    out = propagate_correction(boxes, 1, 4, Box(50, 10, 70, 30, "ball"))  # frame 4: moved 20 right
    assert out[4].x0 == 50
    # 20 px at frame 4, 15 at 5, 10 at 6, 5 at 7, none at the keyframe 8 and after
    assert [out[f].x0 - boxes[f].x0 for f in range(4, 10)] == pytest.approx([20, 15, 10, 5, 0, 0])
    assert out[8:] == boxes[8:] and out[:4] == boxes[:4]


def test_a_scaled_box_scales_the_following_ones_about_their_centres():
    boxes = [Box(10 * f, 0, 10 * f + 20, 40, frame=f, track_id=7) for f in range(5)]
    out = propagate_correction(boxes, 7, 1, Box(5, -10, 35, 50))  # 1.5× wider and taller, same centre
    for f in range(2, 5):
        cx = 10 * f + 10
        assert (out[f].x0, out[f].x1, out[f].y0, out[f].y1) == pytest.approx((cx - 15, cx + 15, -10, 50))
    # an offset is measured in the box's own size: a box twice as large later moves twice as far
    grown = [Box(0, 0, 10, 10, frame=0, track_id=1), Box(0, 0, 20, 20, frame=1, track_id=1)]
    out = propagate_correction(grown, 1, 0, Box(5, 0, 15, 10))  # half a width to the right
    assert (out[1].x0, out[1].x1) == (10, 30)


def test_a_frame_without_a_box_of_the_track_gets_one_and_nothing_else_changes():
    boxes = track(4)
    out = propagate_correction(boxes, 1, 6, Box(0, 0, 5, 5, "ball"))
    assert out[:4] == boxes and out[4] == Box(0, 0, 5, 5, "ball", frame=6, track_id=1, keyframe=True)


def test_delete_track_removes_every_frame_of_it():
    boxes = track() + track(track_id=2)
    assert {b.track_id for b in delete_track(boxes, 1)} == {2}
    assert len(delete_track(boxes, 1)) == 10


def test_keyframes_are_saved_and_old_files_load(tmp_path):
    assert Box.from_dict({"x0": 1, "y0": 2, "x1": 3, "y1": 4, "frame": 0, "track_id": 1}).keyframe is False
    assert "keyframe" not in Box(0, 0, 1, 1).to_dict()  # unchanged boxes are written as before
    assert Box.from_dict(Box(0, 0, 1, 1, keyframe=True).to_dict()).keyframe is True
    doc = Document()
    doc.add_clip(FramesClip(frames=[np.zeros((40, 60, 3), np.uint8)] * 10))
    clip = BoxClip(name="Tracked", frame_count=10, canvas_size=(60, 40),
                   boxes=propagate_correction(track(), 1, 2, Box(30, 10, 50, 30, "ball")))
    doc.add_clip(clip)
    loaded = load_project(save_project(doc, tmp_path / "p.studio"))
    again = next(c for c in loaded.timeline.clips if isinstance(c, BoxClip))
    assert again.boxes == clip.boxes and again.canvas_size == (60, 40)
    assert [b.frame for b in again.boxes if b.keyframe] == [2]
