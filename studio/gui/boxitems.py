"""Boxes drawn as vectors on the canvas, and edited there.

Two kinds of boxes are shown: those of box layers (:class:`~studio.document.BoxLayer`, grounding on a
still) and those of the box clips at the playhead (:class:`~studio.document.BoxClip`, per frame). Each
is a :class:`BoxItem`: a rectangle with a cosmetic pen (a colour per tracked object), its label, and
corner handles when selected. Drag a box to move it, drag a corner to resize it, double-click to
relabel, press Delete to remove it; right-click for the same. Every edit is one undoable document
edit (``Document.set_layer(layer, boxes=...)`` or ``Document.set_clip(clip, boxes=...)``); the items
are rebuilt from the document afterwards, so what is drawn is always what is stored.

A box of a box track moved or resized on one frame becomes a keyframe of its track (drawn with a ◆),
and the following frames of the track follow the correction up to its next keyframe
(:func:`studio.document.tracks.propagate_correction`) — in the same undo step. Deleting removes that
frame's box; *Delete track* removes the object on every frame. The window adds its own entries to the
right-click menu (COCO export, a mask from the boxes) through :attr:`BoxOverlay.extra_items`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneMouseEvent,
    QInputDialog,
    QMenu,
    QStyle,
    QStyleOptionGraphicsItem,
    QWidget,
)

from studio.document import Box, BoxClip, BoxLayer, Document, delete_track, propagate_correction

BOX_Z = 10_000  # above every picture layer
LAYER_COLOUR = QColor(255, 214, 0)
HANDLE_SIZE = 9.0  # screen pixels
MIN_SIDE = 1.0  # scene pixels
KEYFRAME_MARK = "◆"

# (what the menu says, what it does) for the boxes a right-click is about: the window's own entries
MenuItems = list[tuple[str, Callable[[], object]]]


def colour_for(track_id: int | None) -> QColor:
    """A colour per tracked object (the golden-ratio walk around the hue circle); yellow without one."""
    if track_id is None:
        return QColor(LAYER_COLOUR)
    return QColor.fromHsvF((0.13 + track_id * 0.618034) % 1.0, 0.75, 1.0)


@dataclass(frozen=True)
class BoxRef:
    """Which stored box an item shows: the box layer or box clip that holds it, and its index there."""

    owner: BoxLayer | BoxClip
    index: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.owner.id, self.index)


class _Label(QGraphicsItem):
    """A box's label: screen-sized text on a coloured tab just above the box's top-left corner."""

    def __init__(self, text: str, colour: QColor, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.text = text
        self.colour = colour
        self.font = QFont()
        self.font.setPointSizeF(9.0)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        metrics = QFontMetricsF(self.font)
        self._rect = QRectF(0, -metrics.height() - 2, metrics.horizontalAdvance(text) + 8, metrics.height() + 2)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.fillRect(self._rect, self.colour)
        painter.setFont(self.font)
        painter.setPen(QColor(0, 0, 0) if self.colour.lightnessF() > 0.5 else QColor(255, 255, 255))
        painter.drawText(self._rect.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter, self.text)


class _Handle(QGraphicsRectItem):
    """A corner of a selected box; dragging it resizes the box (committed on release)."""

    def __init__(self, corner: int, parent: BoxItem) -> None:
        half = HANDLE_SIZE / 2
        super().__init__(-half, -half, HANDLE_SIZE, HANDLE_SIZE, parent)
        self.corner = corner  # 0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left
        self.box_item = parent
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setBrush(QBrush(QColor(255, 255, 255)))
        pen = QPen(QColor(0, 0, 0), 1)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setCursor(Qt.CursorShape.SizeFDiagCursor if corner in (0, 2) else Qt.CursorShape.SizeBDiagCursor)
        self.setZValue(2)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton:
            self.box_item.begin_edit()
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        self.box_item.drag_corner(self.corner, event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        self.box_item.finish_edit()


class BoxItem(QGraphicsRectItem):
    """One stored box on the canvas: movable, resizable by its corners, relabelled by a double-click."""

    def __init__(self, ref: BoxRef, box: Box, overlay: BoxOverlay, editable: bool = True) -> None:
        super().__init__(QRectF(box.x0, box.y0, max(box.width, MIN_SIDE), max(box.height, MIN_SIDE)))
        self.ref = ref
        self.box = box
        self.overlay = overlay
        self.colour = colour_for(box.track_id)
        pen = QPen(self.colour, 2)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setBrush(Qt.BrushStyle.NoBrush)
        self.setAcceptHoverEvents(True)
        if editable:
            self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
            self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, True)
            self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.label = _Label(self.label_text(), self.colour, self) if self.label_text() else None
        self.handles = [_Handle(corner, self) for corner in range(4)]
        self._editing = False
        self._place_children()
        self._show_handles(False)
        what = box.label or "Box"
        self.setToolTip(f"{what}: {box.width:.0f}×{box.height:.0f} at ({box.x0:.0f}, {box.y0:.0f})"
                        + (f", score {box.score:.2f}" if box.score is not None else "")
                        + (f", object {box.track_id}" if box.track_id is not None and box.frame is not None else "")
                        + (" — corrected by hand (a keyframe)" if box.keyframe else ""))

    def label_text(self) -> str:
        text = self.box.label
        if self.box.score is not None:
            text = f"{text} {self.box.score:.2f}".strip()
        if self.box.keyframe:
            text = f"{KEYFRAME_MARK} {text}".strip()
        return text

    # -- geometry ------------------------------------------------------------
    def scene_box(self) -> Box:
        """The box as drawn now (after a move or resize not yet committed)."""
        r = self.mapRectToScene(self.rect())
        return replace(self.box, x0=float(r.left()), y0=float(r.top()), x1=float(r.right()), y1=float(r.bottom()))

    def _place_children(self) -> None:
        r = self.rect()
        for handle, point in zip(self.handles, (r.topLeft(), r.topRight(), r.bottomRight(), r.bottomLeft()),
                                 strict=True):
            handle.setPos(point)
        if self.label is not None:
            self.label.setPos(r.topLeft())

    def _show_handles(self, shown: bool) -> None:
        for handle in self.handles:
            handle.setVisible(shown)

    def begin_edit(self) -> None:
        self._editing = True
        self.overlay.editing = True

    def drag_corner(self, corner: int, scene_pos: QPointF) -> None:
        p = self.mapFromScene(scene_pos)
        r = QRectF(self.rect())
        if corner == 0:
            r.setTopLeft(p)
        elif corner == 1:
            r.setTopRight(p)
        elif corner == 2:
            r.setBottomRight(p)
        else:
            r.setBottomLeft(p)
        r = r.normalized()
        if r.width() < MIN_SIDE:
            r.setWidth(MIN_SIDE)
        if r.height() < MIN_SIDE:
            r.setHeight(MIN_SIDE)
        self.prepareGeometryChange()
        self.setRect(r)
        self._place_children()

    def finish_edit(self) -> None:
        if not self._editing:
            return
        self._editing = False
        self.overlay.editing = False
        self.overlay.commit_geometry()

    # -- Qt events --------------------------------------------------------------
    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self._show_handles(bool(value))
            pen = self.pen()
            pen.setWidthF(3.0 if value else 2.0)
            self.setPen(pen)
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        option.state &= ~QStyle.StateFlag.State_Selected  # our own highlight, not Qt's dashed outline
        if self.isSelected():
            painter.fillRect(self.rect(), QColor(self.colour.red(), self.colour.green(), self.colour.blue(), 40))
        super().paint(painter, option, widget)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.begin_edit()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        super().mouseReleaseEvent(event)
        self.finish_edit()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        self._editing = False
        self.overlay.editing = False
        self.overlay.relabel(self)
        event.accept()

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:  # noqa: N802
        if not (self.flags() & QGraphicsItem.GraphicsItemFlag.ItemIsSelectable):
            return
        if not self.isSelected():
            scene = self.scene()
            if scene is not None:
                scene.clearSelection()
            self.setSelected(True)
        overlay = self.overlay
        chosen_items = overlay.selected_items()
        menu = QMenu()
        relabel = menu.addAction("Relabel…")
        delete = menu.addAction("Delete box" if len(chosen_items) < 2 else "Delete boxes")
        tracks = overlay.selected_tracks()
        delete_tracks = None
        if tracks:
            delete_tracks = menu.addAction("Delete track" if len(tracks) == 1 else "Delete tracks")
            delete_tracks.setToolTip("Remove the object on every frame of its box track")
        extras: dict[Any, Callable[[], object]] = {}
        if overlay.extra_items is not None:
            owner = self.ref.owner
            boxes = [i.box for i in chosen_items if i.ref.owner is owner] or [self.box]
            items = overlay.extra_items(owner, boxes)
            if items:
                menu.addSeparator()
            for text, callback in items:
                extras[menu.addAction(text)] = callback
        chosen = overlay.exec_menu(menu, event.screenPos())
        if chosen is relabel:
            overlay.relabel(self)
        elif chosen is delete:
            overlay.delete_selected()
        elif chosen is not None and chosen is delete_tracks:
            overlay.delete_selected_tracks()
        elif chosen in extras:
            extras[chosen]()
        event.accept()


class BoxOverlay(QObject):
    """Keeps the canvas's box items in step with the document, and turns their edits into document edits."""

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.parent_widget = parent
        self.doc: Document | None = None
        self.items: list[BoxItem] = []
        self._retired: list[BoxItem] = []  # the last batch removed, kept alive: one may be inside its own event
        self.editing = False  # a drag is under way: rebuilding now would delete the item being dragged
        self._dirty = False
        # asks the user for a label (replaced in tests); returns None when the user cancels
        self.ask_label: Callable[[str], str | None] = self._ask_label
        self.exec_menu: Callable[[QMenu, Any], Any] = lambda menu, pos: menu.exec(pos)
        # the window's entries of a box's right-click menu, for the box layer or clip and the boxes chosen
        self.extra_items: Callable[[BoxLayer | BoxClip, list[Box]], MenuItems] | None = None

    def set_document(self, doc: Document) -> None:
        self.doc = doc
        self.rebuild()

    # -- building ---------------------------------------------------------------------
    def rebuild(self) -> None:
        """Items for the visible box layers and the box clips at the playhead (selection kept)."""
        if self.editing:
            self._dirty = True
            return
        self._dirty = False
        selected = {item.ref.key for item in self.items if item.isSelected()}
        for item in self.items:
            with contextlib.suppress(RuntimeError):
                self.scene.removeItem(item)
        self._retired, self.items = self.items, []
        doc = self.doc
        if doc is None:
            return
        for z, layer in enumerate(doc.layers):
            if isinstance(layer, BoxLayer) and layer.visible:
                for index, box in enumerate(layer.boxes):
                    self._add(BoxRef(layer, index), box, BOX_Z + z, layer.opacity, selected)
        timeline = doc.timeline
        frame = timeline.playhead
        for row, track in enumerate(timeline.tracks):
            if track.kind != "overlay":
                continue
            clip = track.clip_at(frame, timeline.fps)
            if not isinstance(clip, BoxClip):
                continue
            source = clip.source_index(frame, timeline.fps)
            for index, box in enumerate(clip.boxes):
                if box.frame is None or box.frame == source:
                    self._add(BoxRef(clip, index), box, BOX_Z + len(doc.layers) + row, 1.0, selected)

    def _add(self, ref: BoxRef, box: Box, z: float, opacity: float, selected: set[tuple[str, int]]) -> None:
        item = BoxItem(ref, box, self)
        item.setZValue(z)
        item.setOpacity(opacity)
        self.scene.addItem(item)
        if ref.key in selected:
            item.setSelected(True)
        self.items.append(item)

    def selected_items(self) -> list[BoxItem]:
        return [item for item in self.items if item.isSelected()]

    # -- edits ---------------------------------------------------------------------------
    def _commit(self, changes: dict[BoxLayer | BoxClip, list[Box]], text: str) -> None:
        doc = self.doc
        if doc is None or not changes:
            return
        with doc.undo_stack.macro(text):
            for owner, boxes in changes.items():
                if isinstance(owner, BoxLayer):
                    doc.set_layer(owner, boxes=boxes)
                else:
                    doc.set_clip(owner, boxes=boxes)
        if self._dirty:
            self.rebuild()

    def commit_geometry(self) -> None:
        """Store every box whose drawn place differs from its stored one (a move or a resize).

        A box of a box track becomes a keyframe, and its track's later frames follow the correction
        (:func:`~studio.document.tracks.propagate_correction`); all in one undo step.
        """
        changes: dict[BoxLayer | BoxClip, list[Box]] = {}
        followed = False
        for item in self.items:
            drawn = item.scene_box()
            if _same_place(drawn, item.box):
                continue
            boxes = changes.setdefault(item.ref.owner, list(item.ref.owner.boxes))
            if item.ref.index >= len(boxes):
                continue
            box = item.box
            if isinstance(item.ref.owner, BoxClip) and box.track_id is not None and box.frame is not None:
                changes[item.ref.owner] = propagate_correction(boxes, box.track_id, box.frame, drawn)
                followed = True
            else:
                boxes[item.ref.index] = drawn
        if changes:
            moved = [i for i in self.items if not _same_place(i.scene_box(), i.box)]
            resized = any(abs(i.scene_box().width - i.box.width) > 1e-6 or
                          abs(i.scene_box().height - i.box.height) > 1e-6 for i in moved)
            what = "Resize" if resized else "Move"
            frames = {i.box.frame for i in moved if i.box.frame is not None}
            where = f" on frame {min(frames)} and after" if followed and len(frames) == 1 else \
                (" and the frames after" if followed else "")
            self._commit(changes, f"{what} {_describe(moved)}{where}")
        elif self._dirty:
            self.rebuild()

    def relabel(self, item: BoxItem) -> None:
        text = self.ask_label(item.box.label)
        if text is None:
            return
        text = text.strip()
        if text == item.box.label:
            return
        boxes = list(item.ref.owner.boxes)
        boxes[item.ref.index] = replace(item.box, label=text)
        self._commit({item.ref.owner: boxes}, f"Relabel box '{item.box.label or 'box'}' as '{text}'")

    def delete_selected(self) -> bool:
        """Remove the selected boxes (one undoable step); False when none is selected."""
        chosen = self.selected_items()
        if not chosen:
            return False
        changes: dict[BoxLayer | BoxClip, list[Box]] = {}
        for item in chosen:
            changes.setdefault(item.ref.owner, [])
        for owner in changes:
            gone = {i.ref.index for i in chosen if i.ref.owner is owner}
            changes[owner] = [b for n, b in enumerate(owner.boxes) if n not in gone]
        self._commit(changes, f"Delete {_describe(chosen)}")
        return True

    def selected_tracks(self) -> list[tuple[BoxClip, int]]:
        """The (box clip, track id) of the selected boxes that belong to a box track."""
        tracks: list[tuple[BoxClip, int]] = []
        for item in self.selected_items():
            owner, track_id = item.ref.owner, item.box.track_id
            if isinstance(owner, BoxClip) and track_id is not None and (owner, track_id) not in tracks:
                tracks.append((owner, track_id))
        return tracks

    def delete_selected_tracks(self) -> bool:
        """Remove the tracks of the selected boxes, every frame of them (one undoable step)."""
        tracks = self.selected_tracks()
        if not tracks:
            return False
        changes: dict[BoxLayer | BoxClip, list[Box]] = {}
        for clip, track_id in tracks:
            changes[clip] = delete_track(changes.get(clip, clip.boxes), track_id)
        labels = {b.label for clip, t in tracks for b in clip.boxes if b.track_id == t and b.label}
        what = f"track '{labels.pop()}'" if len(tracks) == 1 and len(labels) == 1 else \
            ("a track" if len(tracks) == 1 else f"{len(tracks)} tracks")
        self._commit(changes, f"Delete {what}")
        return True

    def _ask_label(self, current: str) -> str | None:
        text, ok = QInputDialog.getText(self.parent_widget, "Relabel box", "Label:", text=current)
        return text if ok else None


def _same_place(a: Box, b: Box) -> bool:
    return all(abs(p - q) < 1e-6 for p, q in ((a.x0, b.x0), (a.y0, b.y0), (a.x1, b.x1), (a.y1, b.y1)))


def _describe(items: list[BoxItem]) -> str:
    if len(items) == 1:
        return f"box '{items[0].box.label}'" if items[0].box.label else "a box"
    return f"{len(items)} boxes"
