"""Timeline edits on typed clips: trim, move, split, duplicate, reorder, keys, frame ↔ layer — each undoable."""

import numpy as np
import pytest

from studio.document import Box, BoxClip, BoxLayer, Document, FramesClip, Layer, ScoreClip, StillClip
from studio.errors import BadInputError


def numbered(n: int, size: int = 8) -> list[np.ndarray]:
    return [np.full((size, size, 3), i, np.uint8) for i in range(n)]


def shown(doc: Document, frame: int) -> int | None:
    pixels = doc.timeline.frame_at(frame)
    return None if pixels is None else int(pixels[0, 0, 0])


def test_trim_moves_in_and_out_points_and_undoes():
    doc = Document()
    clip = FramesClip(name="c", frames=numbered(10))
    doc.add_clip(clip)
    doc.trim_clip(clip, in_point=3)  # the rest stays where it was on the timeline
    assert clip.start == 3 and shown(doc, 3) == 3 and shown(doc, 2) is None and doc.timeline.duration == 10
    doc.trim_clip(clip, out_point=7)
    assert doc.timeline.duration == 7 and shown(doc, 6) == 6 and shown(doc, 7) is None
    doc.undo()
    assert clip.out == 10 and doc.timeline.duration == 10
    doc.undo()
    assert clip.in_point == 0 and clip.start == 0 and shown(doc, 0) == 0
    doc.redo()
    assert clip.in_point == 3 and clip.start == 3
    with pytest.raises(BadInputError):
        doc.trim_clip(clip, in_point=5, out_point=5)
    with pytest.raises(BadInputError):
        doc.trim_clip(clip, out_point=11)


def test_a_still_holds_longer_when_trimmed_past_its_duration():
    doc = Document()
    still = StillClip(name="title", image=np.full((4, 4, 3), 200, np.uint8), duration=5)
    doc.add_clip(still)
    doc.trim_clip(still, out_point=12)
    assert doc.timeline.duration == 12 and shown(doc, 11) == 200
    doc.undo()
    assert still.duration == 5 and doc.timeline.duration == 5


def test_move_along_and_across_tracks():
    doc = Document()
    a = FramesClip(name="a", frames=numbered(4))
    doc.add_clip(a)
    upper = doc.add_track("video", "Upper")
    doc.move_clip(a, 10, upper)
    assert a.start == 10 and upper.clips == [a] and doc.timeline.tracks[0].clips == []
    assert shown(doc, 12) == 2
    doc.undo()
    assert a.start == 0 and doc.timeline.tracks[0].clips == [a] and upper.clips == []
    score_track = doc.add_track("score")
    with pytest.raises(ValueError):
        doc.move_clip(a, 0, score_track)
    assert a.start == 0 and doc.timeline.tracks[0].clips == [a]  # a refused edit changes nothing
    with pytest.raises(BadInputError):
        doc.move_clip(a, -1)


def test_split_at_the_playhead_makes_two_clips_sharing_the_source():
    doc = Document()
    clip = FramesClip(name="c", frames=numbered(10))
    doc.add_clip(clip)
    doc.timeline.seek(4)
    left, right = doc.split_clip(clip)
    assert (left.in_point, left.out, left.start) == (0, 4, 0)
    assert (right.in_point, right.out, right.start) == (4, 10, 4)
    assert right.frames[0] is left.frames[0] and right.id != left.id  # pictures shared, not copied
    assert [shown(doc, f) for f in range(10)] == list(range(10))
    doc.move_clip(right, 20)
    assert shown(doc, 20) == 4 and shown(doc, 5) is None
    doc.undo()
    doc.undo()
    assert doc.timeline.tracks[0].clips == [clip] and clip.out == 10
    with pytest.raises(BadInputError, match="not inside"):
        doc.split_clip(clip, 0)


def test_per_clip_frame_rates_are_timed_in_seconds():
    doc = Document()
    doc.timeline.fps = 24
    fast = FramesClip(name="48fps", frames=numbered(48), frame_rate=48)
    doc.add_clip(fast)
    assert fast.length(24) == 24  # one second either way
    assert shown(doc, 1) == 2 and shown(doc, 23) == 46
    slow = FramesClip(name="12fps", frames=numbered(12), frame_rate=12, start=-1)
    doc.add_clip(slow)
    assert slow.start == 24 and doc.timeline.duration == 48 and shown(doc, 25) == 0 and shown(doc, 26) == 1


def test_duplicate_reorder_and_cover():
    doc = Document()
    base = FramesClip(name="base", frames=numbered(6))
    doc.add_clip(base)
    twin = doc.duplicate_clip(base)
    assert twin.start == 6 and twin.frames[0] is base.frames[0] and doc.timeline.duration == 12
    top = doc.add_track("video", "Top")
    cover = StillClip(name="cover", image=np.full((8, 8, 3), 99, np.uint8), duration=3)
    doc.add_clip(cover, top)
    assert shown(doc, 1) == 99  # the higher video track covers the lower one
    doc.move_track(top, 0)
    assert doc.timeline.tracks[0] is top and shown(doc, 1) == 1
    doc.undo()
    assert doc.timeline.tracks[-1] is top and shown(doc, 1) == 99


def test_keys_hold_text_and_interpolate_numbers():
    doc = Document()
    doc.set_key("prompt", 0, "a red circle")
    doc.set_key("prompt", 8, "a blue square")
    assert doc.timeline.value_at("prompt", 7) == "a red circle"
    assert doc.timeline.value_at("prompt", 30) == "a blue square"
    doc.set_key("strength", 0, 0.0, interpolation="linear")
    doc.set_key("strength", 10, 1.0)
    assert doc.timeline.value_at("strength", 5) == pytest.approx(0.5)
    doc.undo()
    assert doc.timeline.value_at("strength", 5) == 0.0
    doc.remove_key("prompt", 8)
    assert doc.timeline.value_at("prompt", 30) == "a red circle"
    assert doc.timeline.value_at("missing", 3, default="x") == "x"


def test_box_tracks_keep_ids_and_edit_undoably():
    doc = Document()
    boxes = [Box(0, 0, 4, 4, "cat", 0.9, frame=f, track_id=1) for f in range(5)]
    clip = BoxClip(name="cats", boxes=boxes, frame_count=5)
    doc.add_clip(clip)
    assert clip.track_ids() == [1] and clip.next_track_id() == 2
    moved = [b.moved(2, 3) if b.frame == 2 else b for b in clip.boxes]
    doc.set_clip(clip, boxes=moved)
    assert doc.timeline.boxes_at(2)[0].x0 == 2 and doc.timeline.boxes_at(2)[0].track_id == 1
    doc.undo()
    assert doc.timeline.boxes_at(2)[0].x0 == 0
    layer = BoxLayer(name="found", boxes=[Box(1, 1, 5, 5, "dog")], canvas_size=(8, 8))
    doc.add_layer(layer)
    doc.set_layer(layer, boxes=[])
    assert layer.boxes == []
    doc.undo()
    assert layer.boxes[0].label == "dog"
    assert doc.flatten().shape == (8, 8, 4) or doc.layers == [layer]
    with pytest.raises(ValueError):
        doc.set_layer(Layer(np.zeros((2, 2, 3), np.uint8)), boxes=[])


def test_box_coordinates_are_checked_and_ordered():
    box = Box(5, 6, 1, 2, "x")
    assert (box.x0, box.y0, box.x1, box.y1) == (1, 2, 5, 6)
    with pytest.raises(ValueError):
        Box(float("nan"), 0, 1, 1)


def test_frame_to_layer_and_back():
    doc = Document()
    clip = FramesClip(name="gen", frames=numbered(6, 16))
    doc.add_clip(clip)
    doc.timeline.seek(3)
    layer = doc.frame_to_layer()
    assert layer.pixels[0, 0, 0] == 3 and layer.source == {"clip": clip.id, "frame": 3, "timeline_frame": 3}
    assert layer.record is not None and layer.record.ingredients[0].title == "gen"
    edited = layer.pixels.copy()
    edited[..., :3] = 77
    doc.set_pixels(layer, edited)
    doc.layer_to_frame(layer)  # a generated clip takes the picture in place of its frame
    assert shown(doc, 3) == 77 and shown(doc, 2) == 2
    doc.undo()
    assert shown(doc, 3) == 3


def test_layer_back_onto_a_video_goes_on_a_track_above(tmp_path):
    from helpers import write_test_video

    from studio.document import VideoClip
    from studio.video import VideoSource

    path = write_test_video(tmp_path / "v.mp4", frames=12)
    doc = Document()
    video = VideoClip(name="v", source=VideoSource(path))
    doc.add_clip(video)
    layer = doc.add_layer(Layer(np.full((256, 320, 3), 250, np.uint8), name="paint"))
    still = doc.layer_to_frame(layer, 5)
    assert isinstance(still, StillClip) and len(doc.timeline.tracks) == 2
    assert shown(doc, 5) == 250 and shown(doc, 6) != 250
    doc.undo()
    assert len(doc.timeline.tracks) == 1


def test_scores_on_the_timeline():
    doc = Document()
    doc.add_clip(ScoreClip(name="detector", scores=[0.1, 0.9], frame_rate=1))
    doc.timeline.fps = 2
    assert doc.timeline.scores_at(0) == {"detector": 0.1} and doc.timeline.scores_at(3) == {"detector": 0.9}


def test_an_edited_frame_comes_back_with_its_provenance():
    """img2img on a frame of a generated clip: the clip's record gains an edit step naming it, undoably."""
    from studio.document.provenance import TRAINED_ALGORITHMIC_MEDIA, Ingredient, Record

    doc = Document()
    made = Record(action="video.generate", title="a red circle moving right", c2pa_action="c2pa.created",
                  digital_source=TRAINED_ALGORITHMIC_MEDIA, params={"prompt": "a red circle moving right"})
    clip = FramesClip(name="gen", frames=numbered(6, 16), record=made)
    doc.add_clip(clip)
    doc.timeline.seek(2)
    frame = doc.frame_to_layer()
    img2img = Record(action="img2img", title="img2img: a blue circle", c2pa_action="c2pa.edited",
                     digital_source=TRAINED_ALGORITHMIC_MEDIA, params={"strength": 0.5},
                     ingredients=[Ingredient(title=frame.name, relationship="parentOf", record=frame.record)])
    edited = Layer(np.full((16, 16, 4), 90, np.uint8), name="img2img", record=img2img)
    doc.add_layer(edited)
    doc.layer_to_frame(edited)
    assert shown(doc, 2) == 90
    step = clip.record
    assert step.action == "timeline.replace_frame" and step.params["frame"] == 2
    assert step.ingredients[0].relationship == "parentOf" and step.ingredients[0].record is made
    assert step.ingredients[1].relationship == "componentOf" and step.ingredients[1].record is img2img
    assert step.uses_ai
    doc.undo()
    assert clip.record == made and shown(doc, 2) == 2
    # a frame that comes back unedited changes the pixels only
    plain = doc.frame_to_layer()
    doc.layer_to_frame(plain)
    assert clip.record == made
