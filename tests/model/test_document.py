"""The document model: layers, undo/redo, compositing, the timeline. No Qt here."""

import subprocess
import sys

import numpy as np
import pytest

from studio.document import Box, BoxClip, Document, FramesClip, Ingredient, Layer, Record, ScoreClip, StillClip
from studio.document.layers import composite


def solid(colour, size=(8, 6)):
    w, h = size
    return np.full((h, w, 3), colour, np.uint8)


def test_add_move_rename_delete_with_undo_redo():
    doc = Document()
    a = doc.add_layer(Layer(solid((255, 0, 0)), name="a"))
    b = doc.add_layer(Layer(solid((0, 255, 0)), name="b"))
    assert [l.name for l in doc.layers] == ["a", "b"]
    assert doc.active_layer is b
    doc.move_layer(b, 0)
    assert [l.name for l in doc.layers] == ["b", "a"]
    doc.set_layer(a, name="renamed", opacity=0.25, visible=False)
    assert (a.name, a.opacity, a.visible) == ("renamed", 0.25, False)
    doc.remove_layer(b)
    assert doc.layers == [a]
    assert doc.undo() == "Delete layer 'b'"
    assert [l.name for l in doc.layers] == ["b", "renamed"]
    doc.undo()
    assert (a.name, a.opacity, a.visible) == ("a", 1.0, True)
    doc.undo()
    assert [l.name for l in doc.layers] == ["a", "b"]
    doc.redo()
    assert [l.name for l in doc.layers] == ["b", "a"]
    doc.undo(), doc.undo(), doc.undo()
    assert doc.layers == []
    assert doc.undo() is None


def test_new_edit_clears_redo():
    doc = Document()
    layer = doc.add_layer(Layer(solid(0), name="x"))
    doc.set_layer(layer, name="y")
    doc.undo()
    assert doc.undo_stack.can_redo
    doc.set_layer(layer, name="z")
    assert not doc.undo_stack.can_redo


def test_opacity_is_clamped_and_unknown_property_refused():
    doc = Document()
    layer = doc.add_layer(Layer(solid(0)))
    doc.set_layer(layer, opacity=3)
    assert layer.opacity == 1.0
    with pytest.raises(ValueError):
        doc.set_layer(layer, pixels=None)


def test_composite_respects_order_visibility_opacity_and_skips_masks():
    red = Layer(solid((255, 0, 0)), name="red")
    blue = Layer(solid((0, 0, 255)), name="blue", opacity=0.5)
    mask = Layer(np.full((6, 8), 255, np.uint8), kind="mask")
    out = composite([red, blue, mask])
    assert tuple(out[0, 0]) == (128, 0, 128, 255)
    blue.visible = False
    assert tuple(composite([red, blue, mask])[0, 0]) == (255, 0, 0, 255)


def test_layer_normalises_pixels():
    assert Layer(np.zeros((4, 5), np.uint8)).pixels.shape == (4, 5, 4)
    assert Layer(np.ones((4, 5, 3), np.float32)).pixels[0, 0, 0] == 255
    assert Layer(np.full((4, 5), 65535, np.uint16)).pixels[0, 0, 0] == 255
    assert Layer(np.zeros((4, 5, 4), np.uint8), kind="mask").pixels.shape == (4, 5)
    with pytest.raises(ValueError):
        Layer(np.zeros((4, 5, 2), np.uint8))


def test_timeline_frames_playhead_boxes_scores():
    doc = Document()
    t = doc.timeline
    t.fps = 12
    frames = [solid((i * 10, 0, 0)) for i in range(10)]
    t.add_clip(StillClip(name="title", image=solid((0, 0, 255)), duration=5))
    t.add_clip(FramesClip(name="clip", frames=frames, start=-1))
    t.add_clip(BoxClip(boxes=[Box(1, 1, 4, 4, "circle", frame=f) for f in range(15)], frame_count=15))
    t.add_clip(ScoreClip(scores=[0.1] * 15))
    assert [tr.kind for tr in t.tracks] == ["video", "overlay", "score"]
    assert t.duration == 15
    assert tuple(t.frame_at(2)[0, 0]) == (0, 0, 255)
    assert tuple(t.frame_at(7)[0, 0]) == (20, 0, 0)
    seen = []
    t.playhead_changed.connect(seen.append)
    t.seek(100)
    assert t.playhead == 14 and seen == [14]
    assert t.boxes_at()[0].label == "circle"
    with pytest.raises(ValueError):
        t.add_clip(ScoreClip(scores=[1.0]), track=t.tracks[0])


def test_record_round_trip():
    rec = Record.opened("/tmp/x.png", "ab" * 32)
    rec.params = {"steps": 3}
    back = Record.from_dict(rec.to_dict())
    assert back == rec
    assert back.ingredients[0].relationship == "parentOf"


def test_model_packages_never_import_qt():
    code = (
        "import sys\n"
        "import studio.document, studio.document.project, studio.jobs, studio.export, studio.cli,"
        " studio.application, studio.actions\n"
        "from studio.application import StudioApp\n"
        "StudioApp()\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'torch')))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_timeline_clips_are_added_and_deleted_with_undo_redo():
    doc = Document()
    frames = [np.full((8, 8, 3), i, np.uint8) for i in range(10)]
    video = FramesClip(name="video", frames=frames)
    track = doc.add_clip(video)
    score = ScoreClip(name="score", scores=[0.5] * 10)
    doc.add_clip(score)
    assert doc.timeline.duration == 10 and len(doc.timeline.tracks) == 2
    doc.timeline.seek(9)
    doc.undo()  # the score clip and the track made for it go
    assert [t.kind for t in doc.timeline.tracks] == ["video"]
    doc.undo()
    assert doc.timeline.tracks == [] and doc.timeline.duration == 0 and doc.timeline.playhead == 0
    assert doc.timeline.frame_at(0) is None
    doc.redo()
    assert doc.timeline.tracks == [track] and doc.timeline.frame_at(3)[0, 0, 0] == 3
    second = FramesClip(name="second", frames=frames[:4], start=-1)
    doc.add_clip(second)  # start -1: after the last clip of the track
    assert second.start == 10 and doc.timeline.duration == 14
    doc.remove_clip(video)
    assert track.clips == [second] and doc.timeline.frame_at(3) is None
    assert doc.undo_stack.undo_text == "Delete clip 'video'"
    doc.undo()
    assert track.clips == [video, second] and doc.timeline.frame_at(3)[0, 0, 0] == 3
    assert doc.modified


def test_analysis_overlays_are_shown_but_never_exported():
    """A forensic heatmap (its record says it is analysis) is on the canvas, never in the export or its record."""
    doc = Document()
    picture = doc.add_layer(Layer(solid((10, 20, 30)), name="photo.png", record=Record.opened("/tmp/photo.png")))
    heat = Record(action="inspect.heatmap", title="Error level", extra={"analysis": True})
    overlay = doc.add_layer(Layer(np.full((6, 8, 4), 200, np.uint8), name="Error level (heatmap)", kind="overlay",
                                  record=heat))
    assert overlay.is_analysis and not picture.is_analysis
    assert not np.array_equal(doc.flatten(), doc.flatten_for_export())  # the canvas shows it
    assert np.array_equal(doc.flatten_for_export(), composite([picture]))
    assert doc.export_layers() == [picture]
    assert doc.export_record() is picture.record  # one picture: its own record, no composition
    # an edit of a heatmap is analysis too; so is a record saved before the flag (the inspect. namespace)
    edited = Record(action="adjust.blur", ingredients=[Ingredient(title="h", relationship="parentOf", record=heat)])
    assert edited.is_analysis and Record(action="inspect.heatmap").is_analysis
    doc.add_layer(Layer(solid((0, 0, 0)), name="blurred heatmap", record=edited))
    other = doc.add_layer(Layer(solid((90, 0, 0), (4, 3)), name="sticker"))
    record = doc.export_record()
    assert [i.title for i in record.ingredients] == ["photo.png", "sticker"]
    assert doc.export_size == (8, 6)
    doc.remove_layer(picture)
    doc.remove_layer(other)
    assert doc.export_size is None and doc.export_layers() == []
    with pytest.raises(ValueError):
        doc.flatten_for_export()


def test_analysis_flag_survives_a_project_round_trip(tmp_path):
    from studio.document.project import load_project, save_project

    doc = Document()
    doc.add_layer(Layer(solid((10, 20, 30)), name="photo.png"))
    doc.add_layer(Layer(np.full((6, 8, 4), 200, np.uint8), kind="overlay", name="heat",
                        record=Record(action="inspect.heatmap", extra={"analysis": True})))
    back = load_project(save_project(doc, tmp_path / "p.studio"))
    assert [layer.is_analysis for layer in back.layers] == [False, True]
    assert [layer.name for layer in back.export_layers()] == ["photo.png"]


def test_generated_media_is_declared_through_edits_and_compositions():
    """An edit or composite of generated pixels declares compositeWithTrainedAlgorithmicMedia; guides do not."""
    from studio.actions import Action, ActionResult, OutputImage, Param
    from studio.document.provenance import source_from_ingredients
    from studio.jobs import attach_records

    generated = Record(action="generate", c2pa_action="c2pa.created", digital_source="trainedAlgorithmicMedia")
    photo = Record.opened("/tmp/photo.jpg")
    resized = Record(action="adjust.resize", c2pa_action="c2pa.resized",
                     ingredients=[Ingredient(title="g", relationship="parentOf", record=generated)])
    assert generated.uses_ai and resized.uses_ai and not photo.uses_ai
    deep = Record(action="crop", ingredients=[Ingredient(title="r", relationship="parentOf", record=resized)])
    assert deep.uses_ai  # at any depth
    assert source_from_ingredients([Ingredient("p", "componentOf", record=photo),
                                    Ingredient("r", "componentOf", record=resized)]) == \
        "compositeWithTrainedAlgorithmicMedia"
    assert source_from_ingredients([Ingredient("p", "componentOf", record=photo)]) is None
    # an input that only guided an action (a generated mask) puts no generated pixels into the result
    assert source_from_ingredients([Ingredient("p", "parentOf", record=photo),
                                    Ingredient("m", "inputTo", record=generated)]) is None

    # every job's output gets it, also when the plugin made its own record (even a wrong one)
    action = Action(id="t.edit", title="Edit", run=lambda ctx, params: iter(()),  # type: ignore[arg-type]
                    params=(Param("image", "image", required=True),))
    layer = Layer(solid(0), record=generated)
    result = ActionResult([OutputImage(layer.pixels), OutputImage(layer.pixels, record=Record(
        action="x", digital_source="humanEdits"))])
    attach_records(action, {"image": layer}, result)
    assert [i.record.digital_source for i in result.images] == ["compositeWithTrainedAlgorithmicMedia"] * 2
    plain = ActionResult([OutputImage(layer.pixels)])
    attach_records(action, {"image": Layer(solid(0), record=photo)}, plain)
    assert plain.images[0].record.digital_source is None
    # the document's composition record
    doc = Document()
    doc.add_layer(Layer(solid(0), name="photo", record=photo))
    assert doc.export_record() is photo
    doc.add_layer(Layer(solid(0), name="big", record=resized))
    assert doc.export_record().digital_source == "compositeWithTrainedAlgorithmicMedia"
    doc.set_layer(doc.layers[1], visible=False)
    doc.add_layer(Layer(solid(0), name="photo 2", record=Record.opened("/tmp/other.jpg")))
    assert doc.export_record().digital_source is None
