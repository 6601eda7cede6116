"""A panel generated from an action's declaration: one widget per parameter, and Run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.actions import Action, Param
from studio.document import Document
from studio.errors import window_text
from studio.gui.widgets import ChoicesCombo, SeedField, SliderField, WeightedList, number_field

if TYPE_CHECKING:
    from studio.jobs import Job
    from studio.plugincontext import PluginContext

NONE_LABEL = "(none)"
PICKER_KINDS = ("image", "mask", "frame", "clip", "boxes")
PLAYHEAD = "@playhead"
WHOLE_TIMELINE = "@timeline"


def make_editor(param: Param) -> QWidget:
    """The widget for one parameter, set to its default, with its help as tooltip."""
    widget: QWidget
    if param.kind in ("int", "float") and param.random_button:
        widget = SeedField(param)
    elif param.kind in ("int", "float") and param.widget == "slider":
        widget = SliderField(param)
    elif param.kind in ("int", "float"):
        widget = number_field(param)
    elif param.kind == "bool":
        check = QCheckBox()
        check.setChecked(bool(param.default))
        widget = check
    elif param.kind == "choice":
        combo = QComboBox()
        for choice in param.choices:
            combo.addItem(param.choice_label(choice), choice)
        index = combo.findData(param.default)
        if index >= 0:
            combo.setCurrentIndex(index)
        widget = combo
    elif param.kind == "text":
        text = QPlainTextEdit(str(param.default or ""))
        text.setMaximumHeight(70)
        widget = text
    elif param.kind in PICKER_KINDS:
        widget = QComboBox()
    elif param.widget == "weighted":
        widget = WeightedList(param)
    elif param.choices_from is not None:
        combo = ChoicesCombo(param)
        combo.set_param_value(param.default)
        widget = combo
    else:
        widget = QLineEdit(str(param.default or ""))
    widget.setObjectName(f"param_{param.name}")
    if not widget.toolTip():
        widget.setToolTip(param.help[:1].upper() + param.help[1:])
    return widget


def read_editor(widget: QWidget) -> Any:
    if isinstance(widget, (SliderField, SeedField, ChoicesCombo, WeightedList)):
        return widget.param_value()
    if isinstance(widget, QSpinBox):
        return widget.value()
    if isinstance(widget, QDoubleSpinBox):
        return widget.value()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QComboBox):
        data = widget.currentData()
        return data if data is not None else widget.currentText()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QLineEdit):
        return widget.text()
    raise TypeError(type(widget))


def write_editor(widget: QWidget, value: Any) -> None:
    if isinstance(widget, (SliderField, SeedField, ChoicesCombo, WeightedList)):
        widget.set_param_value(value)
    elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        widget.setValue(value)
    elif isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QComboBox):
        index = widget.findData(value)
        if index >= 0:
            widget.setCurrentIndex(index)
        else:
            widget.setCurrentText(str(value))
    elif isinstance(widget, QPlainTextEdit):
        widget.setPlainText(str(value))
    elif isinstance(widget, QLineEdit):
        widget.setText(str(value))


def editor_problem(widget: QWidget) -> str:
    """What is wrong with a number typed outside its range; empty when nothing is."""
    problem = getattr(widget, "problem", None)
    return problem() if callable(problem) else ""


class ActionPanel(QWidget):
    """The form of one action. ``run_requested`` carries the parameter values, layers resolved."""

    run_requested = Signal(object, dict)
    run_failed = Signal(str)  # the inputs could not be gathered (no picture at the playhead…)

    def __init__(self, action: Action, doc: Document, context: PluginContext | None = None) -> None:
        super().__init__()
        self.action = action
        self.doc = doc
        self.context = context  # the action's plugin, for choices found at run time and suggested defaults
        self.setObjectName(f"action_{action.id}")
        self.editors: dict[str, QWidget] = {}
        self.send_buttons: dict[str, QToolButton] = {}
        self._suggesting = False
        self._suggested_for: tuple[Any, ...] | None = None
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for param in action.params:
            editor = make_editor(param)
            self.editors[param.name] = editor
            form.addRow(param.title, self._with_send_button(param, editor))
            spin = getattr(editor, "spin", editor)  # a slider's or seed's number field, or the field itself
            if param.kind in ("int", "float") and isinstance(spin, (QSpinBox, QDoubleSpinBox)):
                spin.valueChanged.connect(self._show_problems)
            if isinstance(editor, ChoicesCombo):
                editor.folder_added.connect(lambda folder, p=param: self.add_folder(p, folder))
                editor.currentIndexChanged.connect(lambda _i: self.suggest())
        self.problem_label = QLabel()
        self.problem_label.setObjectName("problem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #c33")
        self.problem_label.hide()
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("run")
        self.run_button.clicked.connect(self._run)
        layout = QVBoxLayout(self)
        if action.description:
            description = QLabel(action.description)
            description.setWordWrap(True)
            layout.addWidget(description)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.run_button)
        layout.addStretch(1)
        self.refresh_layers()
        if context is not None and (action.suggest is not None or
                                    any(p.choices_from is not None for p in action.params)):
            QTimer.singleShot(0, self.refresh_choices)  # reads the disk: after the window is shown

    def _with_send_button(self, param: Param, editor: QWidget) -> QWidget:
        """An optional picture picker gets a button that puts the selected layer in it (send to init/mask)."""
        if param.kind not in ("image", "mask") or param.required:
            return editor
        button = QToolButton()
        button.setText("Use selected layer")
        button.setObjectName(f"send_{param.name}")
        button.setToolTip(f"Put the selected layer in “{param.title}”")
        button.clicked.connect(lambda: self.send_layer(param.name))
        self.send_buttons[param.name] = button
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(editor, 1)
        layout.addWidget(button)
        return row

    def set_document(self, doc: Document) -> None:
        self.doc = doc
        if any(p.kind in ("frame", "clip") for p in self.action.params):
            doc.timeline.changed.connect(self.refresh_layers)
        doc.active_changed.connect(self._follow_active)
        self.refresh_layers()

    # -- choices found at run time, and the defaults they imply ----------------
    def refresh_choices(self) -> None:
        """Fill the drop-downs of things found on disk (models, VAEs, LoRAs), then show the defaults."""
        if self.context is None:
            return
        for param in self.action.params:
            editor = self.editors[param.name]
            if param.choices_from is not None and isinstance(editor, (ChoicesCombo, WeightedList)):
                try:
                    choices = list(param.choices_from(self.context))
                except Exception as exc:  # a plugin's bug: recorded against it, the form stays usable
                    self.context.record_fault(f"listing choices for '{param.name}' failed: {exc}")
                    choices = []
                editor.fill(choices)
        self.suggest()

    def add_folder(self, param: Param, folder: str) -> None:
        if self.context is None or param.add_folder is None:
            return
        try:
            param.add_folder(self.context, folder)
        except Exception as exc:
            self.run_failed.emit(f"Could not add {folder}: {exc}")
            return
        self.refresh_choices()

    def suggest(self) -> None:
        """Show the concrete defaults the current choices imply (the model's own steps and size)."""
        if self.context is None or self.action.suggest is None or self._suggesting:
            return
        values = self.raw_values()
        key = self._choices_key(values)
        if key == self._suggested_for:  # the choices did not change: keep what the user typed
            return
        self._suggested_for = key
        try:
            suggested = self.action.suggest(self.context, values)
        except Exception as exc:
            self.context.record_fault(f"suggesting defaults failed: {exc}")
            return
        for name, value in suggested.items():
            editor = self.editors.get(name)
            if editor is not None and value is not None:
                write_editor(editor, value)

    def _choices_key(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values.get(p.name) for p in self.action.params if p.choices_from is not None)

    def raw_values(self) -> dict[str, Any]:
        """The form's values without resolving layers (what ``suggest`` sees)."""
        return {p.name: read_editor(self.editors[p.name]) for p in self.action.params if p.kind not in PICKER_KINDS}

    # -- layers -----------------------------------------------------------------
    def send_layer(self, name: str, layer: Any = None) -> bool:
        """Put ``layer`` (the selected one) into the picker ``name``; False when there is none."""
        layer = layer if layer is not None else self.doc.active_layer
        combo = self.editors.get(name)
        if layer is None or not isinstance(combo, QComboBox):
            if layer is None:
                self.run_failed.emit("Select a layer first.")
            return False
        index = combo.findData(layer.id)
        if index < 0:  # a picture sent to a mask picker: its brightness is the mask
            combo.addItem(layer.name, layer.id)
            index = combo.count() - 1
        combo.setCurrentIndex(index)
        return True

    def _follow_active(self, layer: Any) -> None:
        """A required picture (the image to resize, blur…) follows the selected layer."""
        if layer is None:
            return
        for param in self.action.params:
            if param.kind == "image" and param.required:
                combo = self.editors[param.name]
                assert isinstance(combo, QComboBox)
                index = combo.findData(layer.id)
                if index >= 0:
                    combo.setCurrentIndex(index)

    def job_finished(self, job: Job) -> None:
        """Remember what the run chose for parameters the user may reuse (the seed)."""
        if job.result is None:
            return
        records = [image.record for image in job.result.images if image.record is not None]
        for param in self.action.params:
            editor = self.editors[param.name]
            if isinstance(editor, SeedField) and records and isinstance(records[0].params.get(param.name), int):
                editor.remember(records[0].params[param.name])

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
            sent = next((layer for layer in self.doc.layers if layer.id == previous), None) if index < 0 else None
            if sent is not None:  # a picture the user sent to a mask picker
                combo.addItem(sent.name, sent.id)
                index = combo.count() - 1
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
        self._suggesting = True  # the record's own steps and size, not the model's defaults
        try:
            for name, value in values.items():
                editor = self.editors.get(name)
                if editor is not None and value is not None and self.action.param(name).kind not in PICKER_KINDS:
                    write_editor(editor, value)
        finally:
            self._suggesting = False
        self._suggested_for = self._choices_key(self.raw_values())  # keep the record's steps and size
        self._show_problems()

    def problems(self) -> list[str]:
        return [p for p in (editor_problem(e) for e in self.editors.values()) if p]

    def _show_problems(self) -> None:
        problems = self.problems()
        self.problem_label.setText("\n".join(problems))
        self.problem_label.setVisible(bool(problems))

    def _run(self) -> None:
        from studio.errors import StudioError

        problems = self.problems()
        if problems:  # typed outside the range: say so, never run with a silently changed value
            self._show_problems()
            self.run_failed.emit(" ".join(problems))
            return
        try:
            values = self.values()
        except StudioError as exc:
            self.run_failed.emit(window_text(exc))
            return
        self.run_requested.emit(self.action, values)
