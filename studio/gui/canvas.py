"""The canvas: the document's layers drawn in a zoomable, pannable view.

The timeline's frame at the playhead is drawn beneath the layers, and the
boxes of overlay tracks above them.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView

from studio.document import Document, Layer
from studio.gui.qimage import to_pixmap

ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.02, 64.0


class CanvasView(QGraphicsView):
    zoom_changed = Signal(float)
    files_dropped = Signal(list)

    def __init__(self, doc: Document) -> None:
        self._scene = QGraphicsScene()
        super().__init__(self._scene)
        self.setObjectName("canvas")
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(QBrush(QColor(48, 48, 52)))
        self.setAcceptDrops(True)
        self._items: dict[str, QGraphicsPixmapItem] = {}
        self._frame_item: QGraphicsPixmapItem | None = None
        self._box_items: list[object] = []
        self.doc = doc
        self.set_document(doc)

    # -- document binding -------------------------------------------------
    def set_document(self, doc: Document) -> None:
        for item in self._items.values():
            self._scene.removeItem(item)
        self._items.clear()
        self.doc = doc
        doc.layers_changed.connect(self.rebuild)
        doc.layer_changed.connect(self.update_layer)
        doc.timeline.playhead_changed.connect(lambda _f: self.show_timeline_frame())
        doc.timeline.changed.connect(self.show_timeline_frame)
        self.rebuild()
        self.show_timeline_frame()
        self.fit()

    def rebuild(self) -> None:
        """Match the scene to the layer list: new layers get items, gone ones lose them, order is z."""
        current = {layer.id for layer in self.doc.layers}
        for layer_id in [i for i in self._items if i not in current]:
            self._scene.removeItem(self._items.pop(layer_id))
        for z, layer in enumerate(self.doc.layers):
            item = self._items.get(layer.id)
            if item is None:
                item = QGraphicsPixmapItem(to_pixmap(layer.rgba()))
                item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
                self._scene.addItem(item)
                self._items[layer.id] = item
            item.setZValue(z + 1)
            self._apply(layer, item)
        self._update_rect()

    def update_layer(self, layer: Layer) -> None:
        item = self._items.get(layer.id)
        if item is None:
            self.rebuild()
            return
        item.setPixmap(to_pixmap(layer.rgba()))
        self._apply(layer, item)
        self._update_rect()

    @staticmethod
    def _apply(layer: Layer, item: QGraphicsPixmapItem) -> None:
        item.setVisible(layer.visible)
        item.setOpacity(layer.opacity)

    def show_timeline_frame(self) -> None:
        frame = self.doc.timeline.frame_at()
        if frame is None:
            if self._frame_item is not None:
                self._frame_item.setVisible(False)
        else:
            if self._frame_item is None:
                self._frame_item = QGraphicsPixmapItem()
                self._frame_item.setZValue(0)
                self._scene.addItem(self._frame_item)
            self._frame_item.setPixmap(to_pixmap(frame))
            self._frame_item.setVisible(True)
        for item in self._box_items:
            self._scene.removeItem(item)  # type: ignore[arg-type]
        self._box_items.clear()
        pen = QPen(QColor(255, 220, 0), 2)
        pen.setCosmetic(True)
        for box in self.doc.timeline.boxes_at():
            rect = self._scene.addRect(QRectF(box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0), pen)
            rect.setZValue(10_000)
            self._box_items.append(rect)
            if box.label:
                text = QGraphicsSimpleTextItem(box.label)
                text.setBrush(QBrush(QColor(255, 220, 0)))
                text.setPos(box.x0, box.y0 - 14)
                text.setZValue(10_001)
                self._scene.addItem(text)
                self._box_items.append(text)
        self._update_rect()

    def _update_rect(self) -> None:
        rect = self._scene.itemsBoundingRect()
        self._scene.setSceneRect(rect if not rect.isEmpty() else QRectF(0, 0, 512, 512))

    # -- zoom and pan ------------------------------------------------------
    @property
    def zoom(self) -> float:
        return float(self.transform().m11())

    def set_zoom(self, zoom: float) -> None:
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        self.resetTransform()
        self.scale(zoom, zoom)
        self.zoom_changed.emit(zoom)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / ZOOM_STEP)

    def fit(self) -> None:
        rect = self._scene.sceneRect()
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self.zoom_changed.emit(self.zoom)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt API
        if event.angleDelta().y() > 0:
            self.zoom_in()
        elif event.angleDelta().y() < 0:
            self.zoom_out()

    # -- drag and drop ---------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths)
