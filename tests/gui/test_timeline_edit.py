"""Editing the timeline with the mouse and the keyboard: every drag and command is one undoable step."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent

from studio.document import FramesClip, Layer, StillClip
from studio.gui.timelineedit import TRACK_HEIGHT


def frames(n, value=0, size=(16, 16)):
    return [np.full((*size, 3), (value + i) % 256, np.uint8) for i in range(n)]


@pytest.fixture
def editor(make_window, qtbot):
    """A window whose timeline holds two clips on one track (frames 0–9 and 10–19) and an empty track."""
    window = make_window()
    doc = window.doc
    doc.timeline.fps = 10
    a = FramesClip(name="A", frames=frames(10))
    b = FramesClip(name="B", frames=frames(10, 100), start=10)
    track = doc.add_clip(a)
    doc.add_clip(b, track)
    upper = doc.add_track("video", "Video 2")
    doc.undo_stack.clear()
    window.timeline.area.set_zoom(20.0)  # 20 pixels a frame, from frame 0
    window.timeline.area.scroll_to(0)
    window.docks["Timeline"].raise_()
    qtbot.wait(10)
    return window, a, b, track, upper


def centre_y(area, track):
    g = area.geometry_now()
    return int(g.row_top(g.row_of(track)) + TRACK_HEIGHT / 2)


def drag(qtbot, widget, start, end, steps=4):
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(widget, QPoint(start.x() + (end.x() - start.x()) * i // steps,
                                       start.y() + (end.y() - start.y()) * i // steps))
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)


def test_drag_a_clip_body_moves_it_in_one_undo_step(editor, qtbot):
    window, a, b, track, upper = editor
    area, doc = window.timeline.area, window.doc
    y = centre_y(area, track)
    steps_before = len(doc.undo_stack._done)
    drag(qtbot, area, QPoint(int(area.x_of(15)), y), QPoint(int(area.x_of(19)), y), steps=8)
    assert b.start == 14 and doc.timeline.track_of(b) is track
    assert len(doc.undo_stack._done) == steps_before + 1  # one step for the whole drag
    assert area.selected is b
    doc.undo()
    assert b.start == 10


def test_drag_a_clip_onto_another_track_of_its_kind(editor, qtbot):
    window, a, b, track, upper = editor
    area, doc = window.timeline.area, window.doc
    drag(qtbot, area, QPoint(int(area.x_of(14)), centre_y(area, track)),
         QPoint(int(area.x_of(14)), centre_y(area, upper)))
    assert doc.timeline.track_of(b) is upper and b.start == 10
    doc.undo()
    assert doc.timeline.track_of(b) is track


def test_a_click_selects_without_changing_anything(editor, qtbot):
    window, a, b, track, upper = editor
    area, doc = window.timeline.area, window.doc
    qtbot.mouseClick(area, Qt.MouseButton.LeftButton, pos=QPoint(int(area.x_of(4)), centre_y(area, track)))
    assert area.selected is a and not doc.undo_stack.can_undo
    assert window.timeline.delete_action.isEnabled()


def test_drag_edges_trims_in_and_out_points(editor, qtbot):
    window, a, b, track, upper = editor
    area, doc = window.timeline.area, window.doc
    y = centre_y(area, track)
    # right edge of B (frame 20) to frame 17: out point 10 → 7
    drag(qtbot, area, QPoint(int(area.x_of(20)) - 2, y), QPoint(int(area.x_of(17)) - 2, y))
    assert (b.in_point, b.out, b.start) == (0, 7, 10)
    # left edge of B (frame 10) to frame 12: in point 0 → 2, the rest stays where it was
    drag(qtbot, area, QPoint(int(area.x_of(10)) + 2, y), QPoint(int(area.x_of(12)) + 2, y))
    assert (b.in_point, b.out, b.start, b.end(10)) == (2, 7, 12, 17)
    assert doc.undo_stack.undo_text.startswith("Trim")
    doc.undo()
    assert (b.in_point, b.out, b.start) == (0, 7, 10)
    doc.undo()
    assert (b.in_point, b.out, b.start) == (0, 10, 10)


def test_a_still_is_stretched_by_its_edges(make_window, qtbot):
    window = make_window()
    doc = window.doc
    doc.timeline.fps = 10
    still = StillClip(name="Still", image=np.zeros((8, 8, 3), np.uint8), duration=5, start=10)
    track = doc.add_clip(still)
    area = window.timeline.area
    area.set_zoom(20.0)
    area.scroll_to(0)
    y = centre_y(area, track)
    drag(qtbot, area, QPoint(int(area.x_of(15)) - 2, y), QPoint(int(area.x_of(19)) - 2, y))
    assert (still.start, still.length(10)) == (10, 9)
    drag(qtbot, area, QPoint(int(area.x_of(10)) + 2, y), QPoint(int(area.x_of(7)) + 2, y))
    assert (still.start, still.end(10)) == (7, 19)
    doc.undo()  # one step, though it is a trim and a move
    assert (still.start, still.end(10)) == (10, 19)


def test_split_duplicate_and_delete_buttons(editor, qtbot):
    window, a, b, track, upper = editor
    widget, doc = window.timeline, window.doc
    doc.timeline.seek(14)
    widget.area.select(b)
    qtbot.mouseClick(widget.toolbar.widgetForAction(widget.split_action), Qt.MouseButton.LeftButton)
    assert [(c.name, c.start, c.in_point, c.out) for c in track.clips] == [
        ("A", 0, 0, 10), ("B", 10, 0, 4), ("B", 14, 4, 10)]
    qtbot.mouseClick(widget.toolbar.widgetForAction(widget.duplicate_action), Qt.MouseButton.LeftButton)
    assert len(track.clips) == 4 and track.clips[-1].name == "B (copy)" and track.clips[-1].start == 20
    assert widget.area.selected is track.clips[-1]
    qtbot.mouseClick(widget.toolbar.widgetForAction(widget.delete_action), Qt.MouseButton.LeftButton)
    assert len(track.clips) == 3 and widget.area.selected is None
    for _ in range(3):
        doc.undo()
    assert [(c.name, c.start, c.out) for c in track.clips] == [("A", 0, 10), ("B", 10, 10)]


def test_keys_play_step_split_duplicate_delete(editor, qtbot):
    window, a, b, track, upper = editor
    widget, area, doc = window.timeline, window.timeline.area, window.doc
    window.activateWindow()
    qtbot.waitActive(window)
    area.setFocus()
    qtbot.keyClick(area, Qt.Key.Key_Right)
    qtbot.keyClick(area, Qt.Key.Key_Right)
    assert doc.timeline.playhead == 2
    qtbot.keyClick(area, Qt.Key.Key_Left)
    assert doc.timeline.playhead == 1
    qtbot.keyClick(area, Qt.Key.Key_End)
    assert doc.timeline.playhead == 19
    qtbot.keyClick(area, Qt.Key.Key_Home)
    assert doc.timeline.playhead == 0
    qtbot.keyClick(area, Qt.Key.Key_Space)
    assert widget.playing
    qtbot.waitUntil(lambda: doc.timeline.playhead >= 2, timeout=3000)
    qtbot.keyClick(area, Qt.Key.Key_Space)
    assert not widget.playing
    doc.timeline.seek(5)
    qtbot.keyClick(area, Qt.Key.Key_S)  # nothing selected: the clip under the playhead
    assert [(c.start, c.out) for c in track.clips][:2] == [(0, 5), (5, 10)]
    area.select(b)
    qtbot.keyClick(area, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert track.clips[-1].name == "B (copy)"
    qtbot.keyClick(area, Qt.Key.Key_Delete)
    assert "B (copy)" not in [c.name for c in track.clips]
    assert doc.undo_stack.undo_text.startswith("Delete")


def test_the_canvas_takes_transport_keys_too(editor, qtbot):
    window, *_ = editor
    window.activateWindow()
    qtbot.waitActive(window)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Right)
    assert window.doc.timeline.playhead == 1


def test_move_a_track_up_and_down(editor, qtbot):
    window, a, b, track, upper = editor
    widget, doc = window.timeline, window.doc
    widget.area.select(a)
    assert widget.track_up_action.isEnabled() and not widget.track_down_action.isEnabled()
    widget.track_up_action.trigger()
    assert doc.timeline.tracks == [upper, track]
    # the header's right-click menu offers the same
    chosen = []
    widget.exec_menu = lambda menu, pos: chosen.append([a.text() for a in menu.actions() if a.text()])
    area = widget.area
    area.select(None, track)
    from PySide6.QtGui import QContextMenuEvent

    g = area.geometry_now()
    at = QPoint(20, int(g.row_top(g.row_of(track)) + 5))
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, area.mapToGlobal(at))
    area.contextMenuEvent(event)
    assert chosen and "Track down" in chosen[0]
    widget.track_down_action.trigger()
    assert doc.timeline.tracks == [track, upper]
    doc.undo()
    doc.undo()
    assert doc.timeline.tracks == [track, upper]


def test_ctrl_wheel_zooms_around_the_mouse(editor, qtbot):
    window, *_ = editor
    area = window.timeline.area
    x = int(area.x_of(10))
    before = area.geometry_now().ppf

    def wheel(delta, modifiers):
        event = QWheelEvent(QPointF(x, 30), QPointF(area.mapToGlobal(QPoint(x, 30))), QPoint(0, 0), QPoint(0, delta),
                            Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
        area.wheelEvent(event)

    wheel(120, Qt.KeyboardModifier.ControlModifier)
    assert area.geometry_now().ppf == pytest.approx(before * 1.25)
    assert area.geometry_now().frame_at(x) == pytest.approx(10, abs=0.1)  # the frame under the mouse stays
    wheel(-240, Qt.KeyboardModifier.ControlModifier)
    assert area.geometry_now().ppf < before
    window.timeline.zoom_fit_action.trigger()
    assert area.zoom is None


def test_frame_to_canvas_and_back(editor, qtbot):
    window, a, b, track, upper = editor
    widget, doc = window.timeline, window.doc
    doc.timeline.seek(13)
    widget.to_canvas_action.trigger()
    layer = doc.active_layer
    assert layer is not None and layer.pixels[0, 0, 0] == 103 and layer.source["frame"] == 3
    doc.set_pixels(layer, np.full_like(layer.pixels, 7))
    widget.to_timeline_action.trigger()
    assert b.frames[3][0, 0, 0] == 7  # generated frames take the edited picture in place
    doc.undo()
    assert b.frames[3][0, 0, 0] == 103


def test_back_to_timeline_over_nothing_adds_a_still(make_window, qtbot):
    window = make_window()
    doc = window.doc
    doc.add_layer(Layer(np.zeros((8, 8, 3), np.uint8), name="Picture"))
    window.timeline.to_timeline_action.trigger()
    (clip,) = doc.timeline.clips
    assert isinstance(clip, StillClip) and clip.name == "Picture"
