"""The results of the last run as a strip of thumbnails: click one to bring it to the top of the canvas."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QListView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from studio.document import Document, Layer
from studio.gui.qimage import thumbnail

THUMB = 64


class ResultsGallery(QWidget):
    """The pictures one job made (a batch), newest run only; hidden until there are some."""

    def __init__(self, doc: Document) -> None:
        super().__init__()
        self.setObjectName("gallery")
        self.doc = doc
        self.title = QLabel()
        self.title.setEnabled(False)
        self.strip = QListWidget()
        self.strip.setObjectName("gallery_strip")
        self.strip.setViewMode(QListView.ViewMode.IconMode)
        self.strip.setFlow(QListView.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setMovement(QListView.Movement.Static)
        self.strip.setIconSize(QSize(THUMB, THUMB))
        self.strip.setFixedHeight(THUMB + 22)
        self.strip.setMinimumWidth(THUMB + 12)
        self.strip.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.strip.itemClicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.strip)
        self.layers: list[Layer] = []
        self.hide()

    def set_document(self, doc: Document) -> None:
        self.doc = doc
        self.show_results("", [])

    def show_results(self, title: str, layers: Sequence[Layer]) -> None:
        """Show the picture layers a job added (masks and boxes are not pictures to choose from)."""
        self.strip.clear()
        self.layers = list(layers)
        pictures = [layer for layer in layers if layer.kind == "image"]
        for layer in pictures:
            item = QListWidgetItem(thumbnail(layer.pixels, THUMB), "")
            item.setToolTip(layer.name)
            item.setData(Qt.ItemDataRole.UserRole, self.layers.index(layer))
            self.strip.addItem(item)
        count = len(pictures)
        self.title.setText(f"{count} pictures: click one to put it on top")
        self.strip.setToolTip("Click a picture to bring it to the top of the canvas")
        self.title.setToolTip(title)
        self.setVisible(count > 1)  # one picture is already on the canvas; a batch needs choosing

    def count(self) -> int:
        """How many pictures the strip shows."""
        return self.strip.count()

    def bring(self, index: int) -> Layer:
        """Put picture ``index`` on top of the canvas, visible and selected (one undo step)."""
        layer = self.layers[index]
        doc = self.doc
        with doc.undo_stack.macro(f"Show '{layer.name}'"):
            if layer not in doc.layers:  # removed since: it comes back as a new layer
                layer = doc.add_layer(Layer(layer.pixels.copy(), name=layer.name, record=layer.record))
                self.layers[index] = layer
            else:
                doc.move_layer(layer, len(doc.layers) - 1)
                if not layer.visible:
                    doc.set_layer(layer, visible=True)
        doc.set_active(layer)
        return layer

    def _clicked(self, item: QListWidgetItem) -> None:
        self.bring(int(item.data(Qt.ItemDataRole.UserRole)))
