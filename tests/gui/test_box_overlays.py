"""Boxes on the canvas: drawn as vectors, moved, resized, relabelled and deleted there, each one undo step."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from studio.document import Box, BoxClip, BoxLayer, FramesClip, Layer


@pytest.fixture
def boxed(make_window, qtbot):
    window = make_window()
    doc = window.doc
    doc.add_layer(Layer(np.zeros((200, 300, 3), np.uint8), name="Picture"))
    layer = BoxLayer(name="Found", canvas_size=(300, 200),
                     boxes=[Box(20, 30, 80, 90, "cat", 0.9, track_id=1), Box(150, 40, 250, 160, "dog", track_id=2)])
    doc.add_layer(layer)
    doc.undo_stack.clear()
    window.canvas.set_zoom(2.0)
    window.canvas.centerOn(150, 100)
    qtbot.wait(10)
    return window, layer


def view_pos(window, x, y):
    return window.canvas.mapFromScene(QPointF(x, y))


def drag(qtbot, viewport, start, end, steps=5):
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(viewport, QPoint(start.x() + (end.x() - start.x()) * i // steps,
                                         start.y() + (end.y() - start.y()) * i // steps))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)


def test_box_layers_are_vector_items_with_labels(boxed):
    window, layer = boxed
    items = window.canvas.boxes.items
    assert [i.box.label for i in items] == ["cat", "dog"]
    assert items[0].pen().isCosmetic() and items[0].pen().color() != items[1].pen().color()
    assert items[0].label is not None and items[0].label.text == "cat 0.90"
    assert layer.id not in window.canvas._items  # no pixel item for a box layer
    # the layers panel shows it with an icon and a plain tooltip
    item = window.layers_panel.list.item(0)
    assert item.text() == "Found" and not item.icon().isNull() and "2 boxes" in item.toolTip()
    # and hides it like any layer
    item.setCheckState(Qt.CheckState.Unchecked)
    assert layer.visible is False and window.canvas.boxes.items == []
    window.doc.undo()
    assert len(window.canvas.boxes.items) == 2


def test_move_resize_relabel_delete_on_the_canvas(boxed, qtbot):
    window, layer = boxed
    doc, viewport = window.doc, window.canvas.viewport()
    # move the cat box by (10, 5) picture pixels: 20, 10 screen pixels at zoom 2
    drag(qtbot, viewport, view_pos(window, 50, 60), view_pos(window, 60, 65))
    assert layer.boxes[0].x0 == pytest.approx(30, abs=0.6) and layer.boxes[0].y1 == pytest.approx(95, abs=0.6)
    assert layer.boxes[0].label == "cat" and layer.boxes[0].track_id == 1 and layer.boxes[1] == Box(
        150, 40, 250, 160, "dog", track_id=2)
    assert doc.undo_stack.undo_text.startswith("Move")
    moved = layer.boxes[0]
    # resize it by its bottom-right corner handle (shown once selected)
    item = window.canvas.boxes.items[0]
    assert item.isSelected() and item.handles[2].isVisible()
    drag(qtbot, viewport, view_pos(window, moved.x1, moved.y1), view_pos(window, moved.x1 + 20, moved.y1 + 10))
    assert layer.boxes[0].x1 == pytest.approx(moved.x1 + 20, abs=0.6)
    assert layer.boxes[0].x0 == pytest.approx(moved.x0, abs=0.01)
    assert doc.undo_stack.undo_text.startswith("Resize")
    # relabel by double-click
    window.canvas.boxes.ask_label = lambda current: "lynx"
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=view_pos(window, 45, 70))
    assert layer.boxes[0].label == "lynx"
    # delete with the Delete key
    window.canvas.setFocus()
    window.canvas.boxes.items[0].setSelected(True)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Delete)
    assert [b.label for b in layer.boxes] == ["dog"]
    assert len(window.canvas.boxes.items) == 1
    # each edit was one step
    for expected in ("lynx", "cat", "cat"):
        doc.undo()
        assert layer.boxes[0].label == expected
    doc.undo()
    assert layer.boxes[0] == Box(20, 30, 80, 90, "cat", 0.9, track_id=1)
    assert not doc.undo_stack.can_undo


def test_the_context_menu_relabels_and_deletes(boxed, qtbot):
    window, layer = boxed
    overlay = window.canvas.boxes
    picks = iter(["Relabel…", "Delete box"])

    def choose(menu, _pos):
        wanted = next(picks)
        return next(a for a in menu.actions() if a.text() == wanted)

    overlay.exec_menu = choose
    overlay.ask_label = lambda current: "puma"
    from PySide6.QtGui import QContextMenuEvent

    for _ in range(2):
        at = view_pos(window, 200, 100)
        event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, window.canvas.viewport().mapToGlobal(at))
        window.canvas.contextMenuEvent(event)
    assert [b.label for b in layer.boxes] == ["cat"]
    window.doc.undo()
    assert [b.label for b in layer.boxes] == ["cat", "puma"]


def test_boxes_of_a_box_clip_at_the_playhead_are_edited_in_the_clip(make_window, qtbot):
    window = make_window()
    doc = window.doc
    doc.add_clip(FramesClip(name="Frames", frames=[np.zeros((100, 100, 3), np.uint8)] * 4))
    clip = BoxClip(name="Tracked", frame_count=4, boxes=[Box(10, 10, 30, 30, "ball", frame=f, track_id=1)
                                                         for f in range(4)])
    doc.add_clip(clip)
    doc.timeline.seek(2)
    window.canvas.set_zoom(2.0)
    window.canvas.centerOn(50, 50)
    (item,) = window.canvas.boxes.items
    assert item.ref.index == 2
    drag(qtbot, window.canvas.viewport(), view_pos(window, 20, 20), view_pos(window, 30, 20))
    assert clip.boxes[2].x0 == pytest.approx(20, abs=0.6)
    assert clip.boxes[1].x0 == 10  # an earlier frame is unchanged; the track follows after it
    assert clip.boxes[2].keyframe and clip.boxes[3].x0 == pytest.approx(clip.boxes[2].x0)
    doc.undo()
    assert clip.boxes[2].x0 == 10


def test_box_layers_are_not_offered_as_pictures_to_actions(boxed):
    window, layer = boxed
    panel = window.action_panels["adjust.blur"]
    panel.refresh_layers()
    combo = panel.editors["image"]
    names = [combo.itemText(i) for i in range(combo.count())]
    assert "Picture" in names and "Found" not in names
