"""The canvas: the document's layers drawn in a zoomable, pannable view.

The timeline's frame at the playhead is drawn beneath the layers (a video's frames are decoded by the
frame server, off the GUI thread), and boxes — of box layers and of the box clips at the playhead —
above them as editable vectors (:mod:`studio.gui.boxitems`).
"""

from __future__ import annotations

from collections.abc import Hashable

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QPainter, QPixmap, QWheelEvent
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView

from studio.document import Document, Layer, VideoClip
from studio.gui.boxitems import BoxOverlay
from studio.gui.frameserver import FrameResult, FrameServer
from studio.gui.qimage import to_pixmap

ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.02, 64.0


class CanvasView(QGraphicsView):
    zoom_changed = Signal(float)
    files_dropped = Signal(list)
    frame_shown = Signal(object)  # the key of the timeline picture now shown (None: none)

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
        self._frame_key: Hashable = None  # what the frame item shows
        self._wanted_key: Hashable = None  # what the playhead asks for
        self._shown_serial = 0
        self._requested: tuple[Hashable, int] = (None, -1)  # the key and serial of the latest frame request
        self.frames = FrameServer(self)
        self.frames.ready.connect(self._frame_ready)
        self.boxes = BoxOverlay(self._scene, self)
        self.doc = doc
        self.set_document(doc)

    # -- document binding -------------------------------------------------
    def set_document(self, doc: Document) -> None:
        for item in self._items.values():
            self._scene.removeItem(item)
        self._items.clear()
        previous = getattr(self, "_listening", None)
        if previous is not None:  # listen to one document only, once (a second call must not double the work)
            previous.layers_changed.disconnect(self.rebuild)
            previous.layer_changed.disconnect(self.update_layer)
            previous.timeline.playhead_changed.disconnect(self._playhead_moved)
            previous.timeline.changed.disconnect(self.show_timeline_frame)
        self._listening: Document | None = doc
        self.doc = doc
        doc.layers_changed.connect(self.rebuild)
        doc.layer_changed.connect(self.update_layer)
        doc.timeline.playhead_changed.connect(self._playhead_moved)
        doc.timeline.changed.connect(self.show_timeline_frame)
        self._shown_serial = self.frames.serial  # pictures still coming for the old document are ignored
        self._frame_key = self._wanted_key = None
        self.boxes.set_document(doc)
        self.rebuild()
        self.show_timeline_frame()
        self.fit()

    def rebuild(self) -> None:
        """Match the scene to the layer list: new layers get items, gone ones lose them, order is z."""
        current = {layer.id for layer in self.doc.layers if layer.kind != "boxes"}
        for layer_id in [i for i in self._items if i not in current]:
            self._scene.removeItem(self._items.pop(layer_id))
        for z, layer in enumerate(self.doc.layers):
            if layer.kind == "boxes":  # vectors, drawn by the box overlay
                continue
            item = self._items.get(layer.id)
            if item is None:
                item = QGraphicsPixmapItem(to_pixmap(layer.rgba()))
                item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
                self._scene.addItem(item)
                self._items[layer.id] = item
            item.setZValue(z + 1)
            self._apply(layer, item)
        self.boxes.rebuild()
        self._update_rect()

    def update_layer(self, layer: Layer) -> None:
        if layer.kind == "boxes":
            self.boxes.rebuild()
            self._update_rect()
            return
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

    def _playhead_moved(self, _frame: int) -> None:
        self.show_timeline_frame()

    def show_timeline_frame(self) -> None:
        """Show the timeline's picture at the playhead, and the boxes there.

        Pictures held in memory are shown at once; a video's frame is asked of the frame server
        (decoded off the GUI thread) and shown when it arrives — the previous picture stays meanwhile.
        """
        timeline = self.doc.timeline
        frame = timeline.playhead
        clip = timeline.video_clip_at(frame)
        index = None if clip is None else clip.source_index(frame, timeline.fps)
        self.boxes.rebuild()
        if clip is None or index is None:
            self._wanted_key = None
            self._show(None, None)
            return
        if isinstance(clip, VideoClip):
            source = clip.source
            key: Hashable = (id(source), str(clip.path), index)
            self._wanted_key = key
            if key == self._frame_key or self._requested == (key, self.frames.serial):
                return  # shown already, or the latest request is for it
            self._requested = (key, self.frames.request(lambda: clip.source_frame(index), key))
            return
        pixels = clip.source_frame(index)
        key = (clip.id, index, id(pixels))
        self._wanted_key = key
        self._shown_serial = self.frames.serial  # a video frame still being decoded is out of date
        self._show(None if pixels is None else to_pixmap(pixels), key)

    def _frame_ready(self, result: FrameResult) -> None:
        if result.serial <= self._shown_serial:
            return  # a newer picture is already shown
        self._shown_serial = result.serial
        if self._wanted_key is None:
            return
        self._show(None if result.image is None else QPixmap.fromImage(result.image), result.key)

    def _show(self, pixmap: QPixmap | None, key: Hashable) -> None:
        if pixmap is None:
            if self._frame_item is not None and self._frame_item.isVisible():
                self._frame_item.setVisible(False)
                self._update_rect()
            self._frame_key = None
            self.frame_shown.emit(None)
            return
        resized = True
        if self._frame_item is None:
            self._frame_item = QGraphicsPixmapItem()
            self._frame_item.setZValue(0)
            self._frame_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
            self._scene.addItem(self._frame_item)
        else:
            old = self._frame_item.pixmap()
            resized = not self._frame_item.isVisible() or old.size() != pixmap.size()
        self._frame_item.setPixmap(pixmap)
        self._frame_item.setVisible(True)
        self._frame_key = key
        if resized:
            self._update_rect()
            if not self._items:  # the first picture of a bare timeline: show all of it
                self.fit()
        self.frame_shown.emit(key)

    @property
    def frame_key(self) -> Hashable:
        """The key of the timeline picture shown now (None: none)."""
        return self._frame_key

    @property
    def frame_pending(self) -> bool:
        """Whether the picture at the playhead is still being decoded."""
        return self._wanted_key is not None and self._wanted_key != self._frame_key

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

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.boxes.delete_selected():
            event.accept()
            return
        super().keyPressEvent(event)

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
