"""Actions on timeline media in the window: a clip or the playhead's frame in, boxes, scores and clips out."""

import numpy as np
from fixture_plugins import media
from helpers import write_test_video

from studio.application import StudioApp
from studio.document import BoxClip, BoxLayer, FramesClip, ScoreClip


def window_with_video(make_window, tmp_path):
    app = StudioApp()
    app.host.register(media, "mediafix")
    window = make_window(app)
    path = write_test_video(tmp_path / "v.mp4", frames=24, fps=24)
    assert window.open_file(path)
    return window


def run_panel(window, qtbot, action_id, choose=None):
    panel = window.action_panels[action_id]
    if choose:
        for name, data in choose.items():
            combo = panel.editors[name]
            combo.setCurrentIndex(combo.findData(data))
    before = len(window.runner.jobs)
    panel.run_button.click()
    qtbot.waitUntil(lambda: len(window.runner.jobs) > before and window.runner.jobs[-1].state.done, timeout=30000)
    return window.runner.jobs[-1]


def test_a_clip_picked_on_the_timeline_gives_a_box_track_and_a_score_curve(make_window, qtbot, tmp_path):
    window = window_with_video(make_window, tmp_path)
    doc = window.doc
    video = doc.timeline.clips[0]
    doc.trim_clip(video, in_point=6)  # the clip now starts at frame 6 of the timeline
    panel = window.action_panels["mediafix.track"]
    labels = [panel.editors["clip"].itemText(i) for i in range(panel.editors["clip"].count())]
    assert labels == ["The whole timeline", "v.mp4 (frames 6–23)"]
    job = run_panel(window, qtbot, "mediafix.track", {"clip": video.id})
    assert job.state.value == "finished", job.error
    qtbot.waitUntil(lambda: len(doc.timeline.tracks) == 3)
    boxes = next(c for c in doc.timeline.clips if isinstance(c, BoxClip))
    scores = next(c for c in doc.timeline.clips if isinstance(c, ScoreClip))
    assert boxes.start == 6 and scores.start == 6 and boxes.frame_count == 18
    on_screen = doc.timeline.boxes_at(10)  # timeline frame 10 shows frame 10 of the file: the bar at x = 70
    assert len(on_screen) == 1 and on_screen[0].x0 == 70 and on_screen[0].track_id == 1
    doc.undo()  # one result, one undo step
    assert not any(isinstance(c, (BoxClip, ScoreClip)) for c in doc.timeline.clips)


def test_the_playhead_frame_as_input_and_boxes_as_a_vector_layer(make_window, qtbot, tmp_path):
    window = window_with_video(make_window, tmp_path)
    window.doc.timeline.seek(5)
    job = run_panel(window, qtbot, "mediafix.pick", {"frame": "@playhead"})
    assert job.state.value == "finished", job.error
    qtbot.waitUntil(lambda: len(window.doc.layers) == 2)
    picked = window.doc.layers[-2]
    box_layer = window.doc.layers[-1]
    assert picked.name == "picked" and isinstance(box_layer, BoxLayer)
    assert box_layer.boxes[0].x0 == 35 and box_layer.canvas_size == (320, 256)
    # a vector layer never becomes pixels of an export
    assert box_layer not in window.doc.export_layers()
    np.testing.assert_array_equal(window.doc.flatten_for_export(), picked.pixels)


def test_a_generated_clip_lands_on_the_timeline(make_window, qtbot, tmp_path, png_file):
    window = window_with_video(make_window, tmp_path)
    window.open_file(png_file)
    job = run_panel(window, qtbot, "mediafix.animate")
    assert job.state.value == "finished", job.error
    qtbot.waitUntil(lambda: len(window.doc.timeline.clips) == 2)
    made = window.doc.timeline.clips[-1]
    assert isinstance(made, FramesClip) and made.start == 24 and len(made.frames) == 8
    assert window.doc.timeline.duration == 24 + 8 * 3  # 8 frames at 8 fps on a 24 fps timeline


def test_no_picture_at_the_playhead_is_told_not_raised(make_window, qtbot):
    app = StudioApp()
    app.host.register(media, "mediafix")
    window = make_window(app)
    panel = window.action_panels["mediafix.pick"]
    assert panel.editors["frame"].count() == 0  # nothing to pick from
    panel.run_button.click()
    if window.runner.jobs:  # refused as a job that fails with a plain message, never a crash
        qtbot.waitUntil(lambda: window.runner.jobs[-1].state.done, timeout=10000)
        job = window.runner.jobs[-1]
        assert job.state.value == "failed" and "needs" in job.error
