"""Box tracks on the canvas: a box corrected on one frame and the track follows; Delete box / Delete track;
boxes exported as COCO JSON from the layers panel and the timeline; a mask made from boxes by ``grounding.mask``."""

import json

import numpy as np
import pytest
from fixture_plugins import boxmask
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent

from studio.application import StudioApp
from studio.document import Box, BoxClip, BoxLayer, FramesClip, Layer, propagate_correction
from studio.gui.timelineedit import TRACK_HEIGHT


def view_pos(window, x, y):
    return window.canvas.mapFromScene(QPointF(x, y))


def drag(qtbot, viewport, start, end, steps=5):
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(viewport, QPoint(start.x() + (end.x() - start.x()) * i // steps,
                                         start.y() + (end.y() - start.y()) * i // steps))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)


def right_click_canvas(window, x, y, pick):
    """Right-click the canvas at picture pixel (x, y), choose the entry ``pick``; the entries offered."""
    offered = []

    def choose(menu, _pos):
        offered.extend(a.text() for a in menu.actions() if a.text())
        return next((a for a in menu.actions() if a.text() == pick), None)

    window.canvas.boxes.exec_menu = choose
    at = view_pos(window, x, y)
    window.canvas.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at,
                                                     window.canvas.viewport().mapToGlobal(at)))
    return offered


def choosing(pick, offered):
    def choose(menu, _pos):
        offered.extend(a.text() for a in menu.actions() if a.text())
        return next((a for a in menu.actions() if a.text() == pick), None)

    return choose


def drawn(window):
    """The boxes drawn on the canvas now, as (x0, y0, x1, y1, label text) in picture pixels."""
    out = []
    for item in window.canvas.boxes.items:
        r = item.mapRectToScene(item.rect())
        out.append((round(r.left(), 3), round(r.top(), 3), round(r.right(), 3), round(r.bottom(), 3),
                    item.label.text if item.label else ""))
    return sorted(out)


@pytest.fixture
def tracked(make_window, qtbot):
    """A 10-frame clip with a box track: a ball (20×20, moving 5 px right a frame) and a still cup."""
    window = make_window(StudioApp(entry_points=[]))
    doc = window.doc
    doc.timeline.fps = 10
    doc.add_clip(FramesClip(name="Frames", frames=[np.zeros((100, 160, 3), np.uint8)] * 10))
    boxes = [Box(10 + 5 * f, 10, 30 + 5 * f, 30, "ball", frame=f, track_id=1) for f in range(10)]
    boxes += [Box(120, 60, 150, 90, "cup", frame=f, track_id=2) for f in range(10)]
    clip = BoxClip(name="Tracked", frame_count=10, boxes=boxes, canvas_size=(160, 100))
    doc.add_clip(clip)
    doc.undo_stack.clear()
    window.canvas.set_zoom(2.0)
    window.canvas.centerOn(80, 50)
    qtbot.wait(10)
    return window, clip


def test_a_box_corrected_on_one_frame_and_the_track_follows(tracked, qtbot):
    window, clip = tracked
    doc = window.doc
    # a keyframe already at frame 7 (corrected there before, where the tracker had it)
    doc.set_clip(clip, boxes=propagate_correction(clip.boxes, 1, 7, clip.boxes[7]))
    doc.undo_stack.clear()
    before = list(clip.boxes)
    doc.timeline.seek(3)  # the ball is at x 25..45 on frame 3
    drag(qtbot, window.canvas.viewport(), view_pos(window, 35, 20), view_pos(window, 47, 24))  # 12 right, 4 down
    assert clip.boxes[3].x0 == pytest.approx(37, abs=0.6) and clip.boxes[3].keyframe
    dx, dy = clip.boxes[3].x0 - 25, clip.boxes[3].y0 - 10
    # what a user sees on the following frames: moved by the whole correction at first, less and less
    # on the way to the keyframe at 7, and not at all from it on
    for f, weight in ((4, 0.75), (5, 0.5), (6, 0.25), (7, 0.0), (9, 0.0)):
        doc.timeline.seek(f)
        ball = next(d for d in drawn(window) if "ball" in d[4])
        assert ball[:4] == pytest.approx((10 + 5 * f + weight * dx, 10 + weight * dy,
                                          30 + 5 * f + weight * dx, 30 + weight * dy), abs=1e-3), f
    doc.timeline.seek(2)  # the earlier frames are unchanged
    assert next(d for d in drawn(window) if "ball" in d[4])[:4] == (20, 10, 40, 30)
    assert clip.boxes[10:] == before[10:]  # the other track too
    doc.timeline.seek(3)  # the corrected box shows it is a keyframe
    assert next(d for d in drawn(window) if "ball" in d[4])[4] == "◆ ball"
    assert doc.undo_stack.undo_text == "Move box 'ball' on frame 3 and after"
    doc.undo()  # the whole propagation was one step
    assert clip.boxes == before


def test_resizing_a_box_scales_the_following_frames(tracked, qtbot):
    window, clip = tracked
    doc = window.doc
    doc.timeline.seek(0)
    next(i for i in window.canvas.boxes.items if i.box.label == "ball").setSelected(True)
    drag(qtbot, window.canvas.viewport(), view_pos(window, 30, 30), view_pos(window, 40, 40))  # bottom-right corner
    first = clip.boxes[0]
    assert (first.x0, first.y0, first.x1, first.y1) == pytest.approx((10, 10, 40, 40), abs=0.6)
    assert doc.undo_stack.undo_text.startswith("Resize")
    # every later frame: the same growth about the same point of the box (its top-left corner stays put)
    for f in (1, 5, 9):
        doc.timeline.seek(f)
        ball = next(d for d in drawn(window) if "ball" in d[4])
        assert ball[:4] == pytest.approx((first.x0 + 5 * f, first.y0, first.x1 + 5 * f, first.y1), abs=1e-3)


def test_delete_box_removes_one_frame_and_delete_track_the_whole_object(tracked, qtbot):
    window, clip = tracked
    doc = window.doc
    doc.timeline.seek(4)
    offered = right_click_canvas(window, 40, 20, "Delete box")
    assert "Delete track" in offered
    assert [b.frame for b in clip.boxes if b.track_id == 1] == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    assert len([b for b in clip.boxes if b.track_id == 2]) == 10
    doc.timeline.seek(6)
    right_click_canvas(window, 45, 20, "Delete track")
    assert {b.track_id for b in clip.boxes} == {2} and len(clip.boxes) == 10
    assert [d[4] for d in drawn(window)] == ["cup"]
    assert doc.undo_stack.undo_text == "Delete track 'ball'"
    doc.undo()  # one step brings the whole track back
    assert len([b for b in clip.boxes if b.track_id == 1]) == 9


def test_a_box_clip_exports_as_coco_json_from_the_timeline(tracked, qtbot, tmp_path):
    window, clip = tracked
    area = window.timeline.area
    window.docks["Timeline"].raise_()
    area.set_zoom(20.0)
    area.scroll_to(0)
    window.box_tools.ask_save_path = lambda title, suggested: str(tmp_path / "track")
    offered = []
    window.timeline.exec_menu = choosing("Export boxes as COCO JSON…", offered)
    g = area.geometry_now()
    track = window.doc.timeline.track_of(clip)
    at = QPoint(int(area.x_of(3)), int(g.row_top(g.row_of(track)) + TRACK_HEIGHT / 2))
    area.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, area.mapToGlobal(at)))
    assert "Export boxes as COCO JSON…" in offered
    data = json.loads((tmp_path / "track.json").read_text(encoding="utf-8"))
    assert data["videos"][0]["name"] == "Frames" and data["videos"][0]["frame_count"] == 10
    assert [i["frame_index"] for i in data["images"]] == list(range(10))
    assert {(i["width"], i["height"]) for i in data["images"]} == {(160, 100)}
    assert [c["name"] for c in data["categories"]] == ["ball", "cup"]
    on_frame_4 = [a for a in data["annotations"] if a["image_id"] == 5]
    assert [(a["track_id"], a["bbox"], a["category_id"]) for a in on_frame_4] == [
        (1, [30, 10, 20, 20], 1), (2, [120, 60, 30, 30], 2)]
    qtbot.waitUntil(lambda: any("COCO JSON" in n.text and n.level == "info" for n in window.notifier.notices))


def test_a_box_layer_exports_as_coco_json_from_the_layers_panel(make_window, qtbot, tmp_path):
    window = make_window(StudioApp(entry_points=[]))
    doc = window.doc
    doc.add_layer(Layer(np.zeros((200, 300, 3), np.uint8), name="street.png"))
    boxes = [Box(20, 30, 80, 90, "cat", 0.9), Box(150.5, 40, 250, 160, "dog", 0.75)]
    doc.add_layer(BoxLayer(name="Found", canvas_size=(300, 200), boxes=boxes))
    window.box_tools.ask_save_path = lambda title, suggested: str(tmp_path / "found.json")
    offered = []
    window.layers_panel.exec_menu = choosing("Export boxes as COCO JSON…", offered)
    lst = window.layers_panel.list
    window.layers_panel._context_menu(lst.visualItemRect(lst.item(0)).center())
    assert offered == ["Delete layer", "Export boxes as COCO JSON…"]  # no mask without a plugin for it
    data = json.loads((tmp_path / "found.json").read_text(encoding="utf-8"))
    assert data["images"] == [{"id": 1, "file_name": "street.png", "width": 300, "height": 200}]
    assert [(a["bbox"], a["score"], a["category_id"]) for a in data["annotations"]] == [
        ([20, 30, 60, 60], 0.9, 1), ([150.5, 40, 99.5, 120], 0.75, 2)]
    from studio.coco import from_coco

    assert from_coco(data) == boxes


def test_make_mask_from_a_box_runs_ground_mask_as_a_job(make_window, qtbot):
    app = StudioApp(entry_points=[])
    app.host.register(boxmask, "boxmask")
    window = make_window(app)
    doc = window.doc
    doc.add_layer(Layer(np.zeros((200, 300, 3), np.uint8), name="street.png"))
    layer = BoxLayer(name="Found", canvas_size=(300, 200), boxes=[Box(20, 30, 80, 90, "cat"),
                                                                   Box(150, 40, 250, 160, "dog")])
    doc.add_layer(layer)
    window.canvas.set_zoom(2.0)
    window.canvas.centerOn(150, 100)
    qtbot.wait(10)
    boxmask.seen.clear()
    offered = right_click_canvas(window, 200, 100, "Make mask from box")  # the dog
    assert "Make mask from box" in offered
    qtbot.waitUntil(lambda: window.runner.jobs and window.runner.jobs[-1].state.done, timeout=20000)
    job = window.runner.jobs[-1]
    assert job.state.value == "finished", job.error
    assert job.action.id == "grounding.mask"
    row = window.jobs_panel.tree.topLevelItem(0)  # an ordinary job: in the Jobs panel, with its state
    assert row.text(0) == job.title
    qtbot.waitUntil(lambda: row.text(1) == "finished")
    qtbot.waitUntil(lambda: any(l.kind == "mask" for l in doc.layers))
    mask = next(l for l in doc.layers if l.kind == "mask")
    assert mask.size == (300, 200)
    assert (mask.pixels[40:160, 150:250] == 255).all()  # the dog's box is set
    assert mask.pixels.sum() == 255 * 100 * 120  # and nothing else (not the cat)
    assert boxmask.seen[-1][1] == [Box(150, 40, 250, 160, "dog")]
    doc.undo()
    assert not any(l.kind == "mask" for l in doc.layers)
    # the layer's right-click menu makes one from all its boxes
    offered = []
    window.layers_panel.exec_menu = choosing("Make mask from boxes", offered)
    lst = window.layers_panel.list
    window.layers_panel._context_menu(lst.visualItemRect(lst.item(0)).center())
    qtbot.waitUntil(lambda: any(l.kind == "mask" for l in doc.layers), timeout=20000)
    mask = next(l for l in doc.layers if l.kind == "mask")
    assert mask.pixels.sum() == 255 * (100 * 120 + 60 * 60)


def test_no_mask_entry_without_a_plugin_for_it(make_window, qtbot):
    window = make_window(StudioApp(entry_points=[]))
    window.doc.add_layer(Layer(np.zeros((100, 100, 3), np.uint8), name="p"))
    window.doc.add_layer(BoxLayer(name="Found", canvas_size=(100, 100), boxes=[Box(10, 10, 50, 50, "a")]))
    window.canvas.set_zoom(2.0)
    window.canvas.centerOn(50, 50)
    offered = right_click_canvas(window, 30, 30, None)
    assert offered == ["Relabel…", "Delete box"]


def test_a_hidden_box_layer_is_not_drawn_and_never_exported(make_window, qtbot):
    window = make_window(StudioApp(entry_points=[]))
    doc = window.doc
    picture = doc.add_layer(Layer(np.full((50, 60, 3), 90, np.uint8), name="p"))
    layer = doc.add_layer(BoxLayer(name="Found", canvas_size=(60, 50), boxes=[Box(5, 5, 20, 20, "a")]))
    assert len(window.canvas.boxes.items) == 1
    doc.set_layer(layer, visible=False)
    assert window.canvas.boxes.items == []
    doc.set_layer(layer, visible=True)
    assert layer not in doc.export_layers() and doc.export_size == (60, 50)
    np.testing.assert_array_equal(doc.flatten_for_export(), picture.pixels)


def test_make_mask_from_a_tracked_box_uses_the_frame_at_the_playhead(make_window, qtbot):
    app = StudioApp(entry_points=[])
    app.host.register(boxmask, "boxmask")
    window = make_window(app)
    doc = window.doc
    doc.add_clip(FramesClip(name="Frames", frames=[np.zeros((100, 160, 3), np.uint8)] * 10))
    doc.add_clip(BoxClip(name="Tracked", frame_count=10, canvas_size=(160, 100),
                         boxes=[Box(10 + 5 * f, 10, 30 + 5 * f, 30, "ball", frame=f, track_id=1) for f in range(10)]))
    doc.timeline.seek(4)
    window.canvas.set_zoom(2.0)
    window.canvas.centerOn(80, 50)
    boxmask.seen.clear()
    assert "Make mask from box" in right_click_canvas(window, 40, 20, "Make mask from box")
    qtbot.waitUntil(lambda: any(l.kind == "mask" for l in doc.layers), timeout=20000)
    mask = next(l for l in doc.layers if l.kind == "mask")
    assert mask.size == (160, 100) and boxmask.seen[-1][0] == (160, 100)
    assert (mask.pixels[10:30, 30:50] == 255).all() and mask.pixels.sum() == 255 * 20 * 20  # frame 4's box
