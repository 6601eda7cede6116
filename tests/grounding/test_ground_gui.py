"""Grounding in the window: words in, a box layer on the shape; a clip in, one box track per object."""

from helpers import write_rgb_clip
from PIL import Image

from studio.application import StudioApp
from studio.document import BoxClip, BoxLayer
from studio.world import Scene, Shape, render, render_motion
from studio.world.render import boxes as true_boxes

SCENE = Scene((Shape("star", "blue", "large", "top left"), Shape("circle", "red", "small", "bottom right")),
              "black", 128)


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def run_panel(window, qtbot, action_id, values):
    panel = window.action_panels[action_id]
    for name, value in values.items():
        editor = panel.editors[name]
        if hasattr(editor, "setPlainText"):
            editor.setPlainText(value)
        elif hasattr(editor, "findData") and editor.findData(value) >= 0:
            editor.setCurrentIndex(editor.findData(value))
        else:
            editor.setText(value)
    before = len(window.runner.jobs)
    panel.run_button.click()
    qtbot.waitUntil(lambda: len(window.runner.jobs) > before and window.runner.jobs[-1].state.done, timeout=60000)
    return window.runner.jobs[-1]


def test_find_objects_puts_an_editable_box_layer_on_the_shape(make_window, qtbot, tmp_path):
    path = tmp_path / "scene.png"
    Image.fromarray(render(SCENE)).save(path)
    window = make_window(StudioApp())
    assert window.open_file(path)
    job = run_panel(window, qtbot, "grounding.find", {"query": "the red circle"})
    assert job.state.value == "finished", job.error
    qtbot.waitUntil(lambda: any(isinstance(layer, BoxLayer) for layer in window.doc.layers))
    layer = next(layer for layer in window.doc.layers if isinstance(layer, BoxLayer))
    truth = {b.label: b.xyxy for b in true_boxes(SCENE)}
    assert len(layer.boxes) == 1 and layer.boxes[0].label == "the red circle"
    b = layer.boxes[0]
    assert iou((b.x0, b.y0, b.x1, b.y1), truth["red circle"]) >= 0.5
    assert layer not in window.doc.export_layers()  # an overlay, never part of an exported picture


def test_track_objects_on_a_clip_gives_one_track(make_window, qtbot, tmp_path):
    video = tmp_path / "moving.mp4"
    write_rgb_clip(video, render_motion(SCENE, 12, "top left", "top right"))
    window = make_window(StudioApp())
    assert window.open_file(video)
    clip = window.doc.timeline.clips[0]
    job = run_panel(window, qtbot, "grounding.track", {"query": "the blue star", "clip": clip.id})
    assert job.state.value == "finished", job.error
    qtbot.waitUntil(lambda: any(isinstance(c, BoxClip) for c in window.doc.timeline.clips))
    track = next(c for c in window.doc.timeline.clips if isinstance(c, BoxClip))
    assert len({b.track_id for b in track.boxes}) == 1
    assert len({b.frame for b in track.boxes}) == 12
