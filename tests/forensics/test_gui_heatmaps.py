"""The GUI: an opened image's heatmaps arrive as overlay layers; a video's per-frame score as a timeline clip."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import MEDIA, ROOT

pytestmark = pytest.mark.gui


def overlays(window):
    return [layer for layer in window.doc.layers if layer.kind == "overlay"]


def test_heatmaps_arrive_as_overlay_layers(make_window, qtbot, ela_splice):
    path, (x0, y0, x1, y1) = ela_splice
    window = make_window()
    assert window.open_file(path)
    qtbot.waitUntil(lambda: len(overlays(window)) >= 4, timeout=30000)
    image = window.doc.layers[0]
    maps = overlays(window)
    assert window.doc.layers[1:1 + len(maps)] == maps  # right above the picture they describe
    assert all(m.name.endswith("(heatmap)") and m.pixels.shape == (512, 512, 4) for m in maps)
    assert [m.visible for m in maps] == [True] + [False] * (len(maps) - 1)
    assert window.doc.active_layer is image  # actions still apply to the picture
    ela = next(m for m in maps if m.name == "Error level (heatmap)")
    alpha = ela.pixels[..., 3].astype(float)
    inside, outside = alpha[y0:y1, x0:x1].mean(), np.delete(alpha, np.s_[y0:y1], axis=0).mean()
    assert inside > outside + 40  # the pasted region is the most opaque, brightest part of the overlay
    assert "Show the error level map in the analysis view" in window.report_panel.toPlainText()
    # toggling a heatmap changes what the canvas shows
    before = window.doc.flatten()
    window.doc.set_layer(maps[1], visible=True)
    assert not np.array_equal(before, window.doc.flatten())
    window.doc.undo()
    # one undo step takes every heatmap away, redo brings them back
    window.doc.undo()
    assert overlays(window) == [] and window.doc.layers == [image]
    window.doc.redo()
    assert overlays(window) == maps
    window.resize(1400, 900)
    qtbot.wait(50)
    shots = ROOT / "out" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(shots / "forensics-heatmaps.png"))


def test_heatmaps_can_be_switched_off(make_window, qtbot, ela_splice):
    path, _ = ela_splice
    window = make_window()
    window.heatmaps_on_open = False
    assert window.open_file(path)
    qtbot.waitUntil(lambda: "Error level analysis" in window.report_panel.toPlainText(), timeout=30000)
    assert overlays(window) == []


def test_video_score_track_on_the_timeline(make_window, qtbot):
    window = make_window()
    assert window.open_file(MEDIA / "legacy.mp4")
    timeline = window.doc.timeline
    qtbot.waitUntil(lambda: any(t.kind == "score" for t in timeline.tracks), timeout=60000)
    track = next(t for t in timeline.tracks if t.kind == "score")
    clip = track.clips[0]
    assert clip.kind == "score" and clip.length(timeline.fps) == 60 and clip.start == 0 and clip.fps == 30
    assert all(0.0 <= s <= 1.0 for s in clip.scores) and timeline.duration == 60
    assert "Video frames (upsampling traces)" in window.report_panel.toPlainText()


def test_heatmaps_never_reach_an_export_or_its_manifest(make_window, qtbot, tmp_path):
    """Issue 19: the visible 'Error level (heatmap)' overlay was composited into the signed PNG."""
    import json

    import c2pa

    from studio.document import Layer
    from studio.imageio import load_image

    window = make_window()
    source = MEDIA / "sample1.png"
    assert window.open_file(source)
    qtbot.waitUntil(lambda: len(overlays(window)) >= 1, timeout=60000)
    assert any(m.visible and m.name == "Error level (heatmap)" for m in overlays(window))
    assert not np.array_equal(window.doc.flatten(), window.doc.flatten_for_export())  # the canvas shows it
    dest = tmp_path / "export.png"
    window.export_to(dest, {"watermark": False}).join(60)  # the watermark would change pixels on purpose
    qtbot.waitUntil(dest.exists, timeout=10000)
    assert np.array_equal(load_image(dest).pixels, load_image(source).pixels)
    with c2pa.Reader(str(dest)) as reader:
        store = json.loads(reader.json())
    text = json.dumps(store["manifests"][store["active_manifest"]]).lower()
    assert "heatmap" not in text and "error level" not in text and "inspect." not in text
    manifest = store["manifests"][store["active_manifest"]]
    assert [i["title"] for i in manifest["ingredients"]] == ["sample1.png"]
    # several visible pictures: a composition of those pictures only
    window.doc.add_layer(Layer(np.zeros((8, 8, 3), np.uint8), name="sticker"))
    assert [i.title for i in window.export_record().ingredients] == ["sample1.png", "sticker"]
