"""Editors for action parameters beyond a plain spin box: numbers that say when they are out of range,
sliders with their values, a seed with dice and reuse, a drop-down of things found on disk with
"Add folder…", and a list of weighted choices (LoRAs). Each has ``param_value()``/``set_param_value()``."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.actions import Param

ADD_FOLDER = "@add-folder"
SLIDER_STEPS = 1000
WIDE_INT = (-2**31, 2**31 - 1)
WIDE_FLOAT = (-1e12, 1e12)


def _bounds_text(param: Param) -> str:
    low, high = param.minimum, param.maximum
    if low is not None and high is not None:
        return f"{low:g} to {high:g}"
    if low is not None:
        return f"at least {low:g}"
    return f"at most {high:g}" if high is not None else ""


class _Bounded:
    """Typing may go outside the declared range (the field then says so and Run refuses it, instead of
    silently keeping the first digits); the arrows and the wheel stop at the range's ends."""

    param: Param

    def _setup(self, spin: QAbstractSpinBox) -> None:
        spin.setKeyboardTracking(True)
        spin.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
        if self.param.minimum_label:
            spin.setSpecialValueText(self.param.minimum_label)
        bounds = _bounds_text(self.param)
        tip = self.param.help + (f" — {bounds}" if bounds else "")
        spin.setToolTip(tip[:1].upper() + tip[1:])

    def problem(self) -> str:
        value = self.value()  # type: ignore[attr-defined]
        return self.param.out_of_range(value)

    def _clamped_step(self, value: float) -> float:
        low = self.param.minimum if self.param.minimum is not None else value
        high = self.param.maximum if self.param.maximum is not None else value
        return min(max(value, low), high)


class IntField(_Bounded, QSpinBox):
    def __init__(self, param: Param) -> None:
        super().__init__()
        self.param = param
        self.setRange(*WIDE_INT)
        self.setSingleStep(int(param.step or 1))
        self._setup(self)
        if param.minimum_label and param.minimum is not None:
            self.setMinimum(int(param.minimum))  # the special text shows at the minimum
        self.setValue(int(param.default or 0))

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt API
        self.setValue(int(self._clamped_step(self.value() + steps * self.singleStep())))


class FloatField(_Bounded, QDoubleSpinBox):
    def __init__(self, param: Param) -> None:
        super().__init__()
        self.param = param
        self.setDecimals(3 if (param.step or 0.1) < 0.1 else 2)
        self.setRange(*WIDE_FLOAT)
        self.setSingleStep(param.step or 0.1)
        self._setup(self)
        self.setValue(float(param.default or 0.0))

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt API
        self.setValue(self._clamped_step(self.value() + steps * self.singleStep()))


def number_field(param: Param) -> IntField | FloatField:
    return IntField(param) if param.kind == "int" else FloatField(param)


class SliderField(QWidget):
    """A slider over the usual range beside the exact value, which may be typed."""

    def __init__(self, param: Param) -> None:
        super().__init__()
        self.param = param
        self.spin = number_field(param)
        low, high = param.soft_range or (param.minimum or 0.0, param.maximum if param.maximum is not None else 1.0)
        self._low, self._high = float(low), float(high)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setToolTip(self.spin.toolTip())
        self.slider.valueChanged.connect(self._slid)
        self.spin.valueChanged.connect(self._typed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.spin.setMinimumWidth(72)
        self._typed(self.spin.value())

    def _slid(self, position: int) -> None:
        value = self._low + (self._high - self._low) * position / SLIDER_STEPS
        step = self.param.step or 0.01
        value = round(value / step) * step
        if abs(value - self.spin.value()) > 1e-9:  # the spin box's change moves the slider: signals blocked there
            if isinstance(self.spin, IntField):
                self.spin.setValue(round(value))
            else:
                self.spin.setValue(value)

    def _typed(self, value: float) -> None:
        span = self._high - self._low or 1.0
        self.slider.blockSignals(True)
        self.slider.setValue(round(min(max((value - self._low) / span, 0.0), 1.0) * SLIDER_STEPS))
        self.slider.blockSignals(False)

    def problem(self) -> str:
        return self.spin.problem()

    def param_value(self) -> Any:
        return self.spin.value()

    def set_param_value(self, value: Any) -> None:
        self.spin.setValue(value)


class SeedField(QWidget):
    """A seed: type one, roll the dice for a new one, or reuse the last run's."""

    def __init__(self, param: Param) -> None:
        super().__init__()
        self.param = param
        self.spin = IntField(param)
        self.dice = QToolButton()
        self.dice.setText("Random")
        self.dice.setObjectName("dice")
        self.dice.setToolTip("A new random seed")
        self.dice.clicked.connect(self.roll)
        self.reuse = QToolButton()
        self.reuse.setText("Last")
        self.reuse.setObjectName("reuse")
        self.reuse.setToolTip("Use the seed of the last run again")
        self.reuse.setEnabled(False)
        self.reuse.clicked.connect(self.reuse_last)
        self.last: int | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.spin, 1)
        layout.addWidget(self.dice)
        layout.addWidget(self.reuse)

    def roll(self) -> None:
        low = max(0, int(self.param.minimum if self.param.minimum is not None else 0))
        high = int(self.param.maximum if self.param.maximum is not None else 2**31 - 1)
        self.spin.setValue(random.randint(low, high))

    def remember(self, seed: int) -> None:
        self.last = int(seed)
        self.reuse.setEnabled(True)
        self.reuse.setToolTip(f"Use the seed of the last run again ({seed})")

    def reuse_last(self) -> None:
        if self.last is not None:
            self.spin.setValue(self.last)

    def problem(self) -> str:
        return self.spin.problem()

    def param_value(self) -> Any:
        return self.spin.value()

    def set_param_value(self, value: Any) -> None:
        self.spin.setValue(int(value))


class ChoicesCombo(QComboBox):
    """Things found at run time (``(value, label)``), any typed value too, and "Add folder…" when the
    declaration can add one. ``folder_added(path)`` asks the owner to add it and refill."""

    folder_added = Signal(str)

    def __init__(self, param: Param, editable: bool = True) -> None:
        super().__init__()
        self.param = param
        self.setEditable(editable)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        self.activated.connect(self._activated)
        line = self.lineEdit() if editable else None
        if line is not None:
            line.setPlaceholderText("Default")

    def fill(self, choices: Sequence[tuple[str, ...]]) -> None:
        """``(value, label)`` or ``(value, label, tooltip)`` for each choice."""
        current = self.param_value()
        self.blockSignals(True)
        self.clear()
        for value, label, *tip in choices:
            self.addItem(label, value)
            self.setItemData(self.count() - 1, tip[0] if tip else (value or label), Qt.ItemDataRole.ToolTipRole)
        if self.param.add_folder is not None:
            self.insertSeparator(self.count())
            self.addItem("Add folder…", ADD_FOLDER)
        self.blockSignals(False)
        self.set_param_value(current)

    def _activated(self, index: int) -> None:
        if self.itemData(index) != ADD_FOLDER:
            return
        self.setCurrentIndex(0)
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of models")
        if folder:
            self.folder_added.emit(folder)

    def param_value(self) -> Any:
        index = self.currentIndex()
        if index >= 0 and self.itemText(index) == self.currentText():
            data = self.itemData(index)
            return "" if data == ADD_FOLDER or data is None else data
        return self.currentText().strip()

    def set_param_value(self, value: Any) -> None:
        value = "" if value is None else str(value)
        index = self.findData(value)
        if index < 0 and value:
            index = next((i for i in range(self.count()) if self.itemText(i).split(" (")[0] == value), -1)
        if index < 0 and not value and self.count() and self.itemData(0) != ADD_FOLDER:
            index = 0  # no choice made: the first one, which is the default
        if index >= 0:
            self.setCurrentIndex(index)
        elif self.isEditable():
            self.setCurrentIndex(-1)
            self.setEditText(value)
        elif self.count():
            self.setCurrentIndex(0)
        line = self.lineEdit()
        if line is not None:
            line.setCursorPosition(0)  # the start of a long name, not its end


class WeightedList(QWidget):
    """Several of the found choices, each with a weight (LoRAs): ``NAME:WEIGHT,NAME:WEIGHT``."""

    def __init__(self, param: Param) -> None:
        super().__init__()
        self.param = param
        self.picker = ChoicesCombo(param, editable=False)
        self.picker.setToolTip(param.help)
        self.add_button = QToolButton()
        self.add_button.setText("Add")
        self.add_button.setObjectName("add")
        self.add_button.clicked.connect(lambda: self.add(self.picker.param_value()))
        self.rows_layout = QVBoxLayout()
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows: list[tuple[str, QWidget, QDoubleSpinBox]] = []
        self.empty = QLabel("None found: add a folder of models in the model list")
        self.empty.setEnabled(False)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.picker, 1)
        top.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addLayout(top)
        layout.addLayout(self.rows_layout)
        self.fill([])

    def fill(self, choices: Sequence[tuple[str, ...]]) -> None:
        self.picker.fill(choices)
        found = bool(choices)
        self.empty.setVisible(not found)
        self.picker.setVisible(found)
        self.add_button.setVisible(found)

    def _label(self, value: str) -> str:
        index = self.picker.findData(value)
        return self.picker.itemText(index).split(" (")[0] if index >= 0 else value

    def add(self, value: str, weight: float = 1.0) -> None:
        if not value or any(v == value for v, _row, _spin in self.rows):
            return
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        name = QLabel(self._label(value))
        name.setToolTip(value)
        spin = QDoubleSpinBox()
        spin.setRange(-4.0, 4.0)
        spin.setSingleStep(0.05)
        spin.setValue(weight)
        spin.setToolTip("Weight")
        remove = QToolButton()
        remove.setText("×")
        remove.setToolTip("Remove")
        remove.clicked.connect(lambda: self._remove(value))
        layout.addWidget(name, 1)
        layout.addWidget(spin)
        layout.addWidget(remove)
        self.rows_layout.addWidget(row)
        self.rows.append((value, row, spin))

    def _remove(self, value: str) -> None:
        for entry in list(self.rows):
            if entry[0] == value:
                self.rows.remove(entry)
                entry[1].deleteLater()

    def param_value(self) -> str:
        return ",".join(f"{value}:{spin.value():g}" for value, _row, spin in self.rows)

    def set_param_value(self, value: Any) -> None:
        for entry in list(self.rows):
            self._remove(entry[0])
        for item in filter(None, (part.strip() for part in str(value or "").split(","))):
            name, sep, weight = item.rpartition(":")
            try:
                self.add(name if sep else item, float(weight) if sep else 1.0)
            except ValueError:
                self.add(item)


def fill_choices(editor: QWidget, provider: Callable[[], Sequence[tuple[str, ...]]]) -> None:
    if isinstance(editor, (ChoicesCombo, WeightedList)):
        editor.fill(list(provider()))
