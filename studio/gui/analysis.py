"""The analysis view: a file's forensic heatmaps as filters over the picture, never in the document.

Each heatmap of the report is a filter with its own toggle, opacity, parameters (where the signal has
them, e.g. the error level's JPEG quality) and a colour legend saying what dark and bright mean. A
changed parameter is recomputed off the GUI thread (the plugin's :attr:`Heatmap.recompute`); a result
for an older setting is dropped. The picture is shown with the filters over it, side by side with the
original, or split by a handle the user drags.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studio.gui.heatmaps import colour_map
from studio.gui.qimage import to_qimage
from studio.report import Heatmap, ReportSection

DISPLAY_SIDE = 1600  # the picture is shown at most this large; the filters are coloured at this size
MODES = ("Side by side", "Split", "Filters over the picture")


@dataclass
class Filter:
    """One heatmap as the analysis view shows it."""

    section: ReportSection
    heatmap: Heatmap
    enabled: bool = False
    opacity: float = 0.7
    values: np.ndarray | None = None
    rgba: np.ndarray | None = None
    settings: dict[str, float] = field(default_factory=dict)
    generation: int = 0  # the number of the newest recomputation asked for
    busy: bool = False
    computed_on: str = ""  # the thread the last recomputation ran on (for the tests)

    @property
    def name(self) -> str:
        return self.heatmap.name


class _Bridge(QObject):
    done = Signal(object, object)

    def post(self, callback: Any, value: Any) -> None:
        try:
            self.done.emit(callback, value)
        except RuntimeError:  # the view was closed while the work ran
            pass


def legend_pixmap(width: int = 160, height: int = 12) -> QPixmap:
    """The colour map from dark (0) to bright (1), as the filters draw it (opaque)."""
    ramp = colour_map(np.tile(np.linspace(0, 1, width, dtype=np.float32), (height, 1)), (width, height))
    ramp[..., 3] = 255
    return QPixmap.fromImage(to_qimage(ramp))


def display_pixels(pixels: np.ndarray) -> np.ndarray:
    """The picture as RGB uint8 at most DISPLAY_SIDE a side (shown, never edited)."""
    import cv2

    rgb = np.ascontiguousarray(pixels[..., :3]) if pixels.ndim == 3 else np.dstack([pixels] * 3)
    h, w = rgb.shape[:2]
    if max(h, w) > DISPLAY_SIDE:
        f = DISPLAY_SIDE / max(h, w)
        rgb = cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    return rgb


class PictureView(QWidget):
    """Paints the original and the filtered picture: side by side, split at a handle, or filtered only."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("analysis_picture")
        self.setMinimumSize(320, 240)
        self.original: QImage | None = None
        self.filtered: QImage | None = None
        self.mode = MODES[0]
        self.split = 0.5  # where the split handle is, 0..1 of the picture's width
        self.setMouseTracking(True)

    def set_images(self, original: QImage | None, filtered: QImage | None) -> None:
        self.original, self.filtered = original, filtered
        self.update()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.update()

    def _fit(self, image: QImage, area: QRectF) -> QRectF:
        scale = min(area.width() / image.width(), area.height() / image.height())
        w, h = image.width() * scale, image.height() * scale
        return QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)

    def picture_rect(self) -> QRectF:
        if self.original is None:
            return QRectF()
        return self._fit(self.original, QRectF(self.rect()).adjusted(4, 4, -4, -4))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#2b2b2b"))
        if self.original is None:
            painter.setPen(QColor("#ddd"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Loading the picture…")
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        filtered = self.filtered or self.original
        if self.mode == "Side by side":
            label_h = 18
            half = QRectF(self.rect()).adjusted(4, label_h + 4, -4, -4)
            left = QRectF(half.x(), half.y(), half.width() / 2 - 3, half.height())
            right = QRectF(half.x() + half.width() / 2 + 3, half.y(), half.width() / 2 - 3, half.height())
            painter.setPen(QColor("#ddd"))
            for rect, image, title in ((left, self.original, "Original"), (right, filtered, "With the filters")):
                painter.drawText(QRectF(rect.x(), 2, rect.width(), label_h), Qt.AlignmentFlag.AlignCenter, title)
                painter.drawImage(self._fit(image, rect), image)
            return
        target = self.picture_rect()
        if self.mode == "Split":
            painter.drawImage(target, filtered)
            x = target.x() + target.width() * self.split
            source_w = self.original.width() * self.split
            painter.drawImage(QRectF(target.x(), target.y(), x - target.x(), target.height()), self.original,
                              QRectF(0, 0, source_w, self.original.height()))
            painter.setPen(QColor("#ffffff"))
            painter.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()))
            painter.setPen(QColor("#ddd"))
            painter.drawText(QRectF(target.x() + 4, target.y() + 4, 120, 18), "Original")
            painter.drawText(QRectF(target.right() - 124, target.y() + 4, 120, 18),
                             Qt.AlignmentFlag.AlignRight, "With the filters")
        else:
            painter.drawImage(target, filtered)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self._move_split(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._move_split(event)

    def _move_split(self, event: QMouseEvent) -> None:
        rect = self.picture_rect()
        if self.mode == "Split" and rect.width() > 0:
            self.split = min(1.0, max(0.0, (event.position().x() - rect.x()) / rect.width()))
            self.update()


class AnalysisView(QWidget):
    """The forensic filters of one report over its picture, in a window of their own."""

    rendered = Signal()  # the filtered picture was redrawn (after a toggle, an opacity or a recomputation)

    def __init__(self, path: Path, sections: list[ReportSection], pixels: np.ndarray | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("analysis_view")
        self.path = path
        self.setWindowTitle(f"Analysis — {path.name}")
        self.resize(1200, 680)
        self._bridge = _Bridge(self)
        self._bridge.done.connect(lambda callback, value: callback(value), Qt.ConnectionType.QueuedConnection)
        self.base: np.ndarray | None = None
        self.filters = [Filter(s, h, values=np.asarray(h.values, np.float32),
                               settings={p.name: p.value for p in h.parameters})
                        for s in sections for h in s.heatmaps if np.asarray(h.values).ndim == 2]
        if self.filters:
            self.filters[0].enabled = True
        self.controls: dict[str, dict[str, Any]] = {}
        self._timers: dict[str, QTimer] = {}

        self.picture = PictureView()
        self.mode = QComboBox()
        self.mode.setObjectName("analysis_mode")
        self.mode.addItems(MODES)
        self.mode.currentTextChanged.connect(self.picture.set_mode)
        self.status = QLabel("")
        self.status.setObjectName("analysis_status")
        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.mode)
        top.addStretch(1)
        top.addWidget(self.status)
        right = QVBoxLayout()
        right.addLayout(top)
        right.addWidget(self.picture, 1)

        panel = QWidget()
        column = QVBoxLayout(panel)
        intro = QLabel("Each filter maps one forensic signal over the picture. Bright is not proof of an edit: "
                       "read each filter's legend and its section of the report.")
        intro.setWordWrap(True)
        column.addWidget(intro)
        for f in self.filters:
            column.addWidget(self._filter_box(f))
        if not self.filters:
            column.addWidget(QLabel("This file's report has no heatmaps."))
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setFixedWidth(340)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(right, 1)
        if pixels is not None:
            self.set_picture(pixels)

    # -- the filters' controls -------------------------------------------------
    def _filter_box(self, f: Filter) -> QWidget:
        box = QFrame()
        box.setFrameShape(QFrame.Shape.StyledPanel)
        box.setObjectName(f"filter_{f.name}")
        form = QFormLayout(box)
        toggle = QCheckBox(f.name)
        toggle.setChecked(f.enabled)
        toggle.setStyleSheet("font-weight: bold")
        toggle.toggled.connect(lambda on, f=f: self.set_enabled(f.name, on))
        form.addRow(toggle)
        source = QLabel(f"{f.section.title}: {f.section.outcome or f.section.summary}")
        source.setWordWrap(True)
        form.addRow(source)
        opacity = QSlider(Qt.Orientation.Horizontal)
        opacity.setRange(0, 100)
        opacity.setValue(round(f.opacity * 100))
        opacity.valueChanged.connect(lambda v, f=f: self.set_opacity(f.name, v / 100))
        form.addRow("Opacity", opacity)
        spins: dict[str, QDoubleSpinBox] = {}
        for p in f.heatmap.parameters:
            spin = QDoubleSpinBox()
            spin.setRange(p.minimum, p.maximum)
            spin.setSingleStep(p.step)
            spin.setDecimals(0 if float(p.step).is_integer() else 1)
            spin.setValue(p.value)
            spin.setSuffix(p.suffix)
            spin.setToolTip(p.help)
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(lambda v, f=f, name=p.name: self.set_parameter(f.name, name, v))
            spins[p.name] = spin
            form.addRow(p.label, spin)
        legend = QWidget()
        row = QVBoxLayout(legend)
        row.setContentsMargins(0, 0, 0, 0)
        bar = QLabel()
        bar.setPixmap(legend_pixmap())
        row.addWidget(bar)
        dark, bright = f.heatmap.legend if f.heatmap.legend != ("", "") else ("low", "high")
        words = QLabel(f"Dark: {dark}.<br>Bright: {bright}.")
        words.setWordWrap(True)
        row.addWidget(words)
        form.addRow("Legend", legend)
        if f.heatmap.explanation:
            note = QLabel(f.heatmap.explanation)
            note.setWordWrap(True)
            note.setStyleSheet("color: #555")
            form.addRow(note)
        self.controls[f.name] = {"toggle": toggle, "opacity": opacity, "parameters": spins, "box": box}
        return box

    def filter(self, name: str) -> Filter:
        return next(f for f in self.filters if f.name == name)

    def show_filter(self, name: str) -> None:
        """Show ``name`` (a heatmap of the report) on its own: the link from a report section."""
        for f in self.filters:
            self.controls[f.name]["toggle"].setChecked(f.name == name)
        self.raise_()
        self.activateWindow()

    def set_enabled(self, name: str, on: bool) -> None:
        self.filter(name).enabled = on
        if self.controls[name]["toggle"].isChecked() != on:
            self.controls[name]["toggle"].setChecked(on)
        self.redraw()

    def set_opacity(self, name: str, opacity: float) -> None:
        self.filter(name).opacity = float(opacity)
        self.redraw()

    def set_parameter(self, name: str, parameter: str, value: float) -> None:
        """Recompute the filter with a new setting, off the GUI thread (the last of a quick series wins)."""
        f = self.filter(name)
        f.settings[parameter] = float(value)
        spin = self.controls[name]["parameters"].get(parameter)
        if spin is not None and spin.value() != value:
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        timer = self._timers.get(name)
        if timer is None:
            timer = self._timers[name] = QTimer(self)
            timer.setSingleShot(True)
            timer.setInterval(150)
            timer.timeout.connect(lambda f=f: self._recompute(f))
        timer.start()

    def _recompute(self, f: Filter) -> None:
        if f.heatmap.recompute is None:
            return
        f.generation += 1
        generation, settings, recompute = f.generation, dict(f.settings), f.heatmap.recompute
        size = (self.base.shape[1], self.base.shape[0]) if self.base is not None else None
        f.busy = True
        self.status.setText(f"Recomputing {f.name.lower()}…")

        def work() -> None:
            try:
                values = np.asarray(recompute(settings), np.float32)
                rgba = colour_map(values, size) if size else None
                result: Any = (values, rgba, threading.current_thread().name, "")
            except Exception as exc:  # noqa: BLE001 - a failed recomputation is said, the old map stays
                result = (None, None, threading.current_thread().name, f"{type(exc).__name__}: {exc}")
            self._bridge.post(lambda r: self._recomputed(f, generation, *r), result)

        threading.Thread(target=work, name=f"analysis-{f.name}", daemon=True).start()

    def _recomputed(self, f: Filter, generation: int, values: np.ndarray | None, rgba: np.ndarray | None,
                    thread: str, error: str) -> None:
        if generation != f.generation:
            return  # a newer setting is on its way
        f.busy = False
        f.computed_on = thread
        if error:
            self.status.setText(f"{f.name} could not be recomputed: {error}")
            return
        f.values = values
        f.rgba = rgba
        self.status.setText("")
        self.redraw()

    # -- the picture -----------------------------------------------------------
    def set_picture(self, pixels: np.ndarray) -> None:
        self.base = display_pixels(pixels)
        size = (self.base.shape[1], self.base.shape[0])
        for f in self.filters:
            if f.values is not None:
                f.rgba = colour_map(f.values, size)
        self.redraw()

    def composite(self) -> np.ndarray | None:
        """The picture with every enabled filter over it (RGB uint8), or None before it is loaded."""
        if self.base is None:
            return None
        out = self.base.astype(np.float32)
        for f in self.filters:
            if f.enabled and f.rgba is not None and f.opacity > 0:
                alpha = f.rgba[..., 3:4].astype(np.float32) / 255.0 * f.opacity
                out = out * (1.0 - alpha) + f.rgba[..., :3].astype(np.float32) * alpha
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)

    def redraw(self) -> None:
        filtered = self.composite()
        if self.base is None or filtered is None:
            self.picture.set_images(None, None)
            return
        self.picture.set_images(to_qimage(self.base), to_qimage(filtered))
        self.rendered.emit()
