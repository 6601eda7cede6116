"""The layer list: top layer first, with visibility, opacity, order, rename and delete.

Right-click a layer for *Delete layer* and what the window adds for that layer (a box layer's COCO
export and mask, through :attr:`LayersPanel.extra_items`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, QSignalBlocker, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.document import BoxLayer, Document, Layer
from studio.gui.qimage import thumbnail


def boxes_icon(side: int = 32) -> QIcon:
    """The icon of a box layer: two outlined boxes (it has no pixels to make a thumbnail of)."""
    pixmap = QPixmap(side, side)
    pixmap.fill(QColor(40, 40, 44))
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setPen(QPen(QColor(255, 214, 0), max(1.0, side / 16)))
    p.drawRect(int(side * 0.12), int(side * 0.18), int(side * 0.5), int(side * 0.45))
    p.setPen(QPen(QColor(80, 200, 255), max(1.0, side / 16)))
    p.drawRect(int(side * 0.45), int(side * 0.45), int(side * 0.42), int(side * 0.4))
    p.end()
    return QIcon(pixmap)


def describe(layer: Layer) -> str:
    """The layer's tooltip, in plain words."""
    if isinstance(layer, BoxLayer):
        count = len(layer.boxes)
        labels = sorted({b.label for b in layer.boxes if b.label})
        named = f": {', '.join(labels[:6])}{'…' if len(labels) > 6 else ''}" if labels else ""
        return (f"Boxes drawn over the picture ({count} box{'es' if count != 1 else ''}{named}). "
                "Edit them on the canvas: drag to move, drag a corner to resize, double-click to relabel, "
                "Delete to remove.")
    kind = {"image": "Picture", "mask": "Mask", "overlay": "Overlay"}.get(layer.kind, "Layer")
    return f"{kind} layer, {layer.size[0]}×{layer.size[1]}"


class LayersPanel(QWidget):
    def __init__(self, doc: Document) -> None:
        super().__init__()
        self.setObjectName("layers")
        self.list = QListWidget()
        self.list.setIconSize(self.list.iconSize() * 2)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("Opacity of the selected layer")
        buttons = QHBoxLayout()
        self.up, self.down, self.delete = QToolButton(), QToolButton(), QToolButton()
        for button, text, tip in ((self.up, "▲", "Move the layer up"), (self.down, "▼", "Move the layer down"),
                                  (self.delete, "Delete", "Delete the layer")):
            button.setText(text)
            button.setToolTip(tip)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        row = QHBoxLayout()
        row.addWidget(QLabel("Opacity"))
        row.addWidget(self.opacity)
        layout.addLayout(row)
        layout.addLayout(buttons)
        self.up.clicked.connect(lambda: self._move(+1))
        self.down.clicked.connect(lambda: self._move(-1))
        self.delete.clicked.connect(self._delete)
        self.opacity.setTracking(True)
        self.opacity.sliderPressed.connect(self._opacity_pressed)
        self.opacity.valueChanged.connect(self._opacity_moved)
        self.opacity.sliderReleased.connect(self._opacity_released)
        self._drag: tuple[Layer, float] | None = None  # the layer being dragged, and its opacity before
        self.list.itemChanged.connect(self._item_changed)
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.exec_menu: Callable[[QMenu, QPoint], Any] = lambda menu, pos: menu.exec(pos)  # tests replace it
        # the window's entries for a layer's right-click menu: (text, what it does)
        self.extra_items: Callable[[Layer], list[tuple[str, Callable[[], object]]]] | None = None
        self.doc = doc
        self.set_document(doc)

    def set_document(self, doc: Document) -> None:
        previous = getattr(self, "_bound", None)
        if previous is not None and previous is not doc:
            previous.layers_changed.disconnect(self.refresh)
            previous.layer_changed.disconnect(self._layer_changed)
            previous.active_changed.disconnect(self._active_changed)
        self.doc = doc
        if previous is not doc:
            doc.layers_changed.connect(self.refresh)
            doc.layer_changed.connect(self._layer_changed)
            doc.active_changed.connect(self._active_changed)
        self._bound = doc
        self._drag = None
        self.refresh()

    def _layer_changed(self, _layer: object) -> None:
        if self._drag is None:  # while the slider is dragged only the canvas follows (no list rebuild per tick)
            self.refresh()

    def _active_changed(self, _layer: object) -> None:
        self._select_active()

    def refresh(self) -> None:
        with QSignalBlocker(self.list):
            self.list.clear()
            for layer in reversed(self.doc.layers):
                item = QListWidgetItem(layer.name)
                item.setData(Qt.ItemDataRole.UserRole, layer.id)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
                if layer.kind == "boxes":
                    item.setIcon(boxes_icon(32))
                else:
                    item.setIcon(thumbnail(layer.pixels if layer.kind != "mask" else layer.rgba(), 32))
                item.setToolTip(describe(layer))
                self.list.addItem(item)
        self._select_active()

    def _select_active(self) -> None:
        with QSignalBlocker(self.list):
            for row in range(self.list.count()):
                item = self.list.item(row)
                if item.data(Qt.ItemDataRole.UserRole) == self.doc.active_id:
                    self.list.setCurrentItem(item)
        layer = self.doc.active_layer
        with QSignalBlocker(self.opacity):
            self.opacity.setValue(int(round((layer.opacity if layer else 1.0) * 100)))

    def _layer_of(self, item: QListWidgetItem | None) -> Layer | None:
        if item is None:
            return None
        try:
            return self.doc.layer(item.data(Qt.ItemDataRole.UserRole))
        except KeyError:
            return None

    def _item_changed(self, item: QListWidgetItem) -> None:
        layer = self._layer_of(item)
        if layer is None:
            return
        visible = item.checkState() == Qt.CheckState.Checked
        changes: dict[str, object] = {}
        if visible != layer.visible:
            changes["visible"] = visible
        if item.text() != layer.name:
            changes["name"] = item.text()
        if changes:
            self.doc.set_layer(layer, **changes)

    def _current_changed(self, current: QListWidgetItem | None, _previous: object) -> None:
        layer = self._layer_of(current)
        if layer is not None and layer.id != self.doc.active_id:
            self.doc.set_active(layer)

    def _opacity_pressed(self) -> None:
        layer = self.doc.active_layer
        self._drag = (layer, layer.opacity) if layer is not None else None

    def _opacity_moved(self, value: int) -> None:
        """The layer follows the slider at once: live while dragging, one undo step per click or key."""
        if self._drag is not None:
            dragged = self._drag[0]
            dragged.opacity = value / 100.0  # shown now; the undoable edit is made when the drag ends
            self.doc.layer_changed.emit(dragged)
            return
        active = self.doc.active_layer
        if active is not None:
            self.doc.set_layer(active, opacity=value / 100.0)

    def _opacity_released(self) -> None:
        drag, self._drag = self._drag, None
        if drag is None:
            return
        layer, before = drag
        after = self.opacity.value() / 100.0
        layer.opacity = before  # one undo step for the whole drag, from where it started
        if layer in self.doc.layers:
            self.doc.set_layer(layer, opacity=after)
        self.refresh()

    def _move(self, delta: int) -> None:
        layer = self.doc.active_layer
        if layer is not None:
            self.doc.move_layer(layer, self.doc.layers.index(layer) + delta)

    def _context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        layer = self._layer_of(item)
        if item is None or layer is None:
            return
        self.list.setCurrentItem(item)
        menu = QMenu(self)
        delete = menu.addAction("Delete layer")
        extras: dict[Any, Callable[[], object]] = {}
        items = self.extra_items(layer) if self.extra_items is not None else []
        if items:
            menu.addSeparator()
        for text, callback in items:
            extras[menu.addAction(text)] = callback
        chosen = self.exec_menu(menu, self.list.viewport().mapToGlobal(pos))
        if chosen is delete:
            self.doc.remove_layer(layer)
        elif chosen in extras:
            extras[chosen]()

    def _delete(self) -> None:
        layer = self.doc.active_layer
        if layer is not None:
            self.doc.remove_layer(layer)
