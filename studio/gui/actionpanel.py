"""A panel generated from an action's declaration: one widget per parameter, and Run."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.actions import Action, Param
from studio.document import Document
from studio.errors import window_text

NONE_LABEL = "(none)"
PICKER_KINDS = ("image", "mask", "frame", "clip", "boxes")
PLAYHEAD = "@playhead"
WHOLE_TIMELINE = "@timeline"


def make_editor(param: Param) -> QWidget:
    """The widget for one parameter, set to its default, with its help as tooltip."""
    widget: QWidget
    if param.kind == "int":
        spin = QSpinBox()
        spin.setRange(int(param.minimum if param.minimum is not None else -2**31),
                      int(param.maximum if param.maximum is not None else 2**31 - 1))
        spin.setSingleStep(int(param.step or 1))
        spin.setValue(int(param.default or 0))
        widget = spin
    elif param.kind == "float":
        dspin = QDoubleSpinBox()
        dspin.setDecimals(3)
        dspin.setRange(param.minimum if param.minimum is not None else -1e9,
                       param.maximum if param.maximum is not None else 1e9)
        dspin.setSingleStep(param.step or 0.1)
        dspin.setValue(float(param.default or 0.0))
        widget = dspin
    elif param.kind == "bool":
        check = QCheckBox()
        check.setChecked(bool(param.default))
        widget = check
    elif param.kind == "choice":
        combo = QComboBox()
        combo.addItems(list(param.choices))
        if param.default in param.choices:
            combo.setCurrentText(str(param.default))
        widget = combo
    elif param.kind == "text":
        text = QPlainTextEdit(str(param.default or ""))
        text.setMaximumHeight(70)
        widget = text
    elif param.kind in PICKER_KINDS:
        widget = QComboBox()
    else:
        widget = QLineEdit(str(param.default or ""))
    widget.setObjectName(f"param_{param.name}")
    widget.setToolTip(param.help)
    return widget


def read_editor(widget: QWidget) -> Any:
    if isinstance(widget, QSpinBox):
        return widget.value()
    if isinstance(widget, QDoubleSpinBox):
        return widget.value()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QLineEdit):
        return widget.text()
    raise TypeError(type(widget))


def write_editor(widget: QWidget, value: Any) -> None:
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        widget.setValue(value)
    elif isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QComboBox):
        widget.setCurrentText(str(value))
    elif isinstance(widget, QPlainTextEdit):
        widget.setPlainText(str(value))
    elif isinstance(widget, QLineEdit):
        widget.setText(str(value))


class ActionPanel(QWidget):
    """The form of one action. ``run_requested`` carries the parameter values, layers resolved."""

    run_requested = Signal(object, dict)
    run_failed = Signal(str)  # the inputs could not be gathered (no picture at the playhead…)

    def __init__(self, action: Action, doc: Document) -> None:
        super().__init__()
        self.action = action
        self.doc = doc
        self.setObjectName(f"action_{action.id}")
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout()
        for param in action.params:
            editor = make_editor(param)
            self.editors[param.name] = editor
            form.addRow(param.title, editor)
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("run")
        self.run_button.clicked.connect(self._run)
        layout = QVBoxLayout(self)
        if action.description:
            description = QLabel(action.description)
            description.setWordWrap(True)
            layout.addWidget(description)
        layout.addLayout(form)
        layout.addWidget(self.run_button)
        layout.addStretch(1)
        self.refresh_layers()

    def set_document(self, doc: Document) -> None:
        self.doc = doc
        if any(p.kind in ("frame", "clip") for p in self.action.params):
            doc.timeline.changed.connect(self.refresh_layers)
        self.refresh_layers()

    def _choices(self, param: Param) -> list[tuple[str, str]]:
        """(label, data) for a picker: layers, timeline clips or box layers, as the kind asks."""
        layers = list(reversed(self.doc.layers))
        if param.kind == "mask":
            return [(layer.name, layer.id) for layer in layers if layer.kind == "mask"]
        if param.kind == "boxes":
            return [(layer.name, layer.id) for layer in layers if layer.kind == "boxes"]
        pictures = [(layer.name, layer.id) for layer in layers if layer.kind in ("image", "overlay")]
        if param.kind == "frame":
            timeline = [("The timeline's frame at the playhead", PLAYHEAD)] if self.doc.timeline.duration else []
            return timeline + pictures
        if param.kind == "clip":
            fps = self.doc.timeline.fps
            clips = [(f"{clip.name} (frames {clip.start}–{clip.end(fps) - 1})", clip.id)
                     for track in self.doc.timeline.tracks if track.kind == "video" for clip in track.clips]
            return ([("The whole timeline", WHOLE_TIMELINE)] if clips else []) + clips
        return pictures

    def refresh_layers(self) -> None:
        for param in self.action.params:
            if param.kind not in PICKER_KINDS:
                continue
            combo = self.editors[param.name]
            assert isinstance(combo, QComboBox)
            previous = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            if param.kind == "mask" or not param.required:
                combo.addItem(NONE_LABEL, None)
            for label, data in self._choices(param):
                combo.addItem(label, data)
            index = combo.findData(previous) if previous else -1
            if index < 0 and param.kind == "image" and param.required and self.doc.active_layer is not None:
                index = combo.findData(self.doc.active_id)
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)

    def _resolve(self, param: Param, data: Any) -> Any:
        """What the action receives for a picker's choice (see :class:`studio.actions.Param`)."""
        from studio.errors import BadInputError

        if not data:
            return None
        if data == PLAYHEAD:
            return self.doc.frame_layer()
        if param.kind == "clip":
            from studio.media import ClipInput

            timeline = self.doc.timeline
            if data == WHOLE_TIMELINE:
                return ClipInput.from_timeline(timeline)
            clip = next((c for c in timeline.clips if c.id == data), None)
            if clip is None:
                raise BadInputError("The chosen clip is no longer on the timeline.")
            return ClipInput.from_timeline(timeline, clip.start, clip.end(timeline.fps), name=clip.name)
        layer = self.doc.layer(data)
        if param.kind == "boxes":
            from studio.results import OutputBoxes

            return OutputBoxes(list(getattr(layer, "boxes", [])), layer.size, name=layer.name, record=layer.record)
        return layer

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for param in self.action.params:
            editor = self.editors[param.name]
            if param.kind in PICKER_KINDS:
                assert isinstance(editor, QComboBox)
                values[param.name] = self._resolve(param, editor.currentData())
            else:
                values[param.name] = read_editor(editor)
        return values

    def set_values(self, values: dict[str, Any]) -> None:
        """Put saved settings back into the form (from a result's record)."""
        for name, value in values.items():
            editor = self.editors.get(name)
            if editor is not None and value is not None and self.action.param(name).kind not in PICKER_KINDS:
                write_editor(editor, value)

    def _run(self) -> None:
        from studio.errors import StudioError

        try:
            values = self.values()
        except StudioError as exc:
            self.run_failed.emit(window_text(exc))
            return
        self.run_requested.emit(self.action, values)
