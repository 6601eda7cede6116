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

NONE_LABEL = "(none)"


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
    elif param.kind in ("image", "mask"):
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
        self.refresh_layers()

    def refresh_layers(self) -> None:
        for param in self.action.params:
            if param.kind not in ("image", "mask"):
                continue
            combo = self.editors[param.name]
            assert isinstance(combo, QComboBox)
            previous = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            if param.kind == "mask" or not param.required:
                combo.addItem(NONE_LABEL, None)
            wanted = "mask" if param.kind == "mask" else None
            for layer in reversed(self.doc.layers):
                if layer.kind == "boxes":  # vectors, not pictures: never an image input
                    continue
                if (wanted == "mask") == (layer.kind == "mask"):
                    combo.addItem(layer.name, layer.id)
            index = combo.findData(previous) if previous else -1
            if index < 0 and param.kind == "image" and param.required and self.doc.active_layer is not None:
                index = combo.findData(self.doc.active_id)
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for param in self.action.params:
            editor = self.editors[param.name]
            if param.kind in ("image", "mask"):
                assert isinstance(editor, QComboBox)
                layer_id = editor.currentData()
                values[param.name] = self.doc.layer(layer_id) if layer_id else None
            else:
                values[param.name] = read_editor(editor)
        return values

    def set_values(self, values: dict[str, Any]) -> None:
        """Put saved settings back into the form (from a result's record)."""
        for name, value in values.items():
            editor = self.editors.get(name)
            if editor is not None and value is not None and self.action.param(name).kind not in ("image", "mask"):
                write_editor(editor, value)

    def _run(self) -> None:
        self.run_requested.emit(self.action, self.values())
