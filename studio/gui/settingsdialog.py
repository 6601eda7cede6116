"""Edit → Settings…: the device, export defaults, and every plugin's page, generated from its declaration.

The core's own pages (the compute device, the export defaults) come from what the core knows; every
other page is generated from a plugin's :class:`studio.settingspage.SettingsPage` (model folders,
the signing identity and trusted certificates, the watermark) — the dialog never imports a plugin.
Values are written to ``settings.json`` when the dialog is closed with OK; a page's buttons ("Create
a signing identity…") act at once and say what they did.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio import formats
from studio.errors import StudioError, window_text
from studio.settingspage import Ask, Setting, SettingsButton, SettingsPage

if TYPE_CHECKING:
    from studio.application import StudioApp

DEVICE_LABELS = {
    "auto": "Automatic (the fastest this computer has)",
    "cuda": "NVIDIA graphics card (CUDA)",
    "mps": "Apple graphics (Metal)",
    "cpu": "Processor only (CPU)",
}
STILL_FORMAT_KEY = "still_format"  # settings.json export section: the Export dialog's first format
DEFAULT_STILL_FORMAT = "PNG"


def wrapped(text: str, object_name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if object_name:
        label.setObjectName(object_name)
    return label


class PathList(QWidget):
    """A list of folders or files with Add… and Remove; each added item is checked first."""

    def __init__(self, setting: Setting, values: list[str]) -> None:
        super().__init__()
        self.setting = setting
        self.list = QListWidget()
        self.list.setObjectName(f"list_{setting.key}")
        self.list.addItems([str(v) for v in values])
        self.list.setMinimumHeight(72)
        self.list.setMaximumHeight(120)
        self.add_button = QPushButton("Add…")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(self.choose)
        self.remove_button.clicked.connect(self.remove_selected)
        self.error = wrapped("")
        self.error.setStyleSheet("color: #c33")
        self.error.hide()
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.list, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.error)

    def values(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def choose(self) -> None:
        if self.setting.kind == "folders":
            folder = QFileDialog.getExistingDirectory(self, self.setting.label)
            chosen = [folder] if folder else []
        else:
            chosen, _ = QFileDialog.getOpenFileNames(self, self.setting.label, "", self.setting.file_filter)
        for path in chosen:
            self.add_path(path)

    def add_path(self, path: str | Path) -> bool:
        """Add ``path`` (resolved) unless the setting's check refuses it; the reason is shown."""
        text = str(Path(path).expanduser().resolve())
        try:
            if self.setting.check is not None:
                self.setting.check(text)
        except StudioError as exc:
            self.error.setText(window_text(exc))
            self.error.show()
            return False
        self.error.hide()
        if text not in self.values():
            self.list.addItem(text)
        return True

    def remove_selected(self) -> None:
        for item in self.list.selectedItems() or ([self.list.currentItem()] if self.list.currentItem() else []):
            self.list.takeItem(self.list.row(item))


def make_setting_editor(setting: Setting, value: Any) -> QWidget:
    widget: QWidget
    if setting.kind == "bool":
        check = QCheckBox(setting.label)
        check.setChecked(bool(value))
        widget = check
    elif setting.kind == "int":
        spin = QSpinBox()
        spin.setRange(int(setting.minimum if setting.minimum is not None else -2**31),
                      int(setting.maximum if setting.maximum is not None else 2**31 - 1))
        spin.setSingleStep(int(setting.step or 1))
        spin.setValue(int(value or 0))
        widget = spin
    elif setting.kind == "float":
        dspin = QDoubleSpinBox()
        dspin.setDecimals(2)
        dspin.setRange(setting.minimum if setting.minimum is not None else -1e9,
                       setting.maximum if setting.maximum is not None else 1e9)
        dspin.setSingleStep(setting.step or 0.1)
        dspin.setValue(float(value or 0.0))
        widget = dspin
    elif setting.kind == "choice":
        combo = QComboBox()
        for choice in setting.choices:
            combo.addItem(setting.label_of(choice), choice)
        combo.setCurrentIndex(max(0, combo.findData(value)))
        widget = combo
    elif setting.kind in ("folders", "files"):
        widget = PathList(setting, [str(v) for v in (value or [])])
    else:
        widget = QLineEdit("" if value is None else str(value))
    widget.setObjectName(f"setting_{setting.key}")
    if setting.help:
        widget.setToolTip(setting.help)
    return widget


def read_setting_editor(setting: Setting, widget: QWidget) -> Any:
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        return widget.value()
    if isinstance(widget, QComboBox):
        return widget.currentData()
    if isinstance(widget, PathList):
        return widget.values()
    if isinstance(widget, QLineEdit):
        return widget.text().strip()
    raise TypeError(type(widget))


class _Probe(QObject):
    """Carries what the device check found back to the GUI thread."""

    found = Signal(object)


class PluginPage(QWidget):
    """One plugin's page, generated from its declaration."""

    def __init__(self, dialog: SettingsDialog, page: SettingsPage) -> None:
        super().__init__()
        self.dialog = dialog
        self.page = page
        self.ctx = dialog.app.host.context(page.plugin)
        self.setObjectName(f"page_{page.plugin}_{page.title.lower().replace(' ', '_')}")
        layout = QVBoxLayout(self)
        title = QLabel(f"<h3>{page.title}</h3>")
        layout.addWidget(title)
        if page.description:
            layout.addWidget(wrapped(page.description))
        self.status = wrapped("", "status")
        self.status.setStyleSheet("QLabel { background: palette(alternate-base); padding: 6px; }")
        layout.addWidget(self.status)
        self.buttons: dict[str, QPushButton] = {}
        if page.buttons:
            row = QHBoxLayout()
            for declared in page.buttons:
                button = QPushButton(declared.label)
                button.setToolTip(declared.help)
                button.clicked.connect(lambda _checked=False, b=declared: self.run_button(b))
                self.buttons[declared.label] = button
                row.addWidget(button)
            row.addStretch(1)
            layout.addLayout(row)
        self.result = wrapped("", "result")
        self.result.hide()
        layout.addWidget(self.result)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.editors: dict[str, QWidget] = {}
        for setting in page.settings:
            editor = make_setting_editor(setting, self.stored(setting))
            self.editors[setting.key] = editor
            if setting.kind == "bool":
                form.addRow("", editor)
            else:
                form.addRow(setting.label, editor)
            if setting.help and setting.kind in ("folders", "files"):
                form.addRow("", wrapped(f"<small>{setting.help}</small>"))
        layout.addLayout(form)
        layout.addStretch(1)
        self.refresh()

    def store(self, setting: Setting) -> dict[str, Any]:
        settings = self.dialog.app.settings
        return settings.export if setting.export_option else settings.plugin_settings(self.page.plugin)

    def stored(self, setting: Setting) -> Any:
        value = self.store(setting).get(setting.key, setting.default)
        return setting.default if value is None else value

    def refresh(self) -> None:
        page = self.page
        text = ""
        if page.status is not None:
            try:
                text = page.status(self.ctx)
            except Exception as exc:  # noqa: BLE001 - a plugin's bug must not break the dialog
                self.ctx.record_fault(f"settings page status raised {type(exc).__name__}: {exc}")
                text = "This page could not tell its state (the plugin failed; see Plugins)."
        self.status.setText(text)
        self.status.setVisible(bool(text))
        for declared in page.buttons:
            enabled = True
            if declared.enabled is not None:
                try:
                    enabled = bool(declared.enabled(self.ctx))
                except Exception:  # noqa: BLE001
                    enabled = False
            self.buttons[declared.label].setEnabled(enabled)

    def run_button(self, declared: SettingsButton) -> str | None:
        """Ask what the button needs, run it, and say what it did (or why it could not)."""
        answers: dict[str, Any] = {}
        if declared.confirm is not None:
            question = declared.confirm(self.ctx)
            if question:
                if not self.dialog.confirm(question):
                    return None
                answers["confirmed"] = True
        for ask in declared.asks:
            answer = self.dialog.ask(ask)
            if answer is None:
                return None
            answers[ask.name] = answer
        try:
            message = declared.run(self.ctx, answers)
            failed = False
        except StudioError as exc:
            message, failed = window_text(exc), True
        except Exception as exc:  # noqa: BLE001 - a plugin's bug: say so, keep the dialog
            self.ctx.record_fault(f"settings button '{declared.label}' raised {type(exc).__name__}: {exc}")
            message, failed = f"{declared.label.rstrip('…')} failed: {exc}", True
        self.result.setStyleSheet("color: #c33" if failed else "color: #2a7")
        self.result.setText(message)
        self.result.show()
        self.refresh()
        return message

    def check(self) -> str:
        """The first refused value's reason ("" when all are fine)."""
        for setting in self.page.settings:
            if setting.check is None or setting.kind in ("folders", "files"):
                continue  # list items were checked as they were added
            value = read_setting_editor(setting, self.editors[setting.key])
            if value in ("", None):
                continue
            try:
                setting.check(value)
            except StudioError as exc:
                return f"{setting.label}: {exc}"
        return ""

    def apply(self) -> None:
        for setting in self.page.settings:
            self.store(setting)[setting.key] = read_setting_editor(setting, self.editors[setting.key])


class SettingsDialog(QDialog):
    """The pages on the left, one at a time on the right; OK writes settings.json."""

    def __init__(self, app: StudioApp, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settings")
        self.app = app
        self.page_list = QListWidget()
        self.page_list.setObjectName("settings_pages")
        self.page_list.setMaximumWidth(200)
        self.page_list.setSpacing(3)
        self.stack = QStackedWidget()
        self.plugin_pages: list[PluginPage] = []
        self._add_page("General", self._general_page())
        self._add_page("Export", self._export_page())
        for page in sorted(app.settings_pages(), key=lambda p: p.title.lower()):
            widget = PluginPage(self, page)
            self.plugin_pages.append(widget)
            self._add_page(page.title, widget)
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.page_list.setCurrentRow(0)
        self.error = wrapped("", "settings_error")
        self.error.setStyleSheet("color: #c33")
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addWidget(self.page_list)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(820, 560)
        self._probe_devices()

    def _add_page(self, title: str, widget: QWidget) -> None:
        scroll = QScrollArea()
        scroll.setWidget(widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.stack.addWidget(scroll)
        self.page_list.addItem(title)

    def page_titles(self) -> list[str]:
        return [self.page_list.item(i).text() for i in range(self.page_list.count())]

    def show_page(self, title: str) -> QWidget:
        row = self.page_titles().index(title)
        self.page_list.setCurrentRow(row)
        scroll = self.stack.widget(row)
        assert isinstance(scroll, QScrollArea)
        widget = scroll.widget()
        assert widget is not None
        return widget

    def plugin_page(self, title: str) -> PluginPage:
        return next(p for p in self.plugin_pages if p.page.title == title)

    # -- the core's pages ------------------------------------------------------------------
    def _general_page(self) -> QWidget:
        page = QWidget()
        page.setObjectName("page_general")
        self.device_box = QComboBox()
        self.device_box.setObjectName("setting_device")
        for device, label in DEVICE_LABELS.items():
            self.device_box.addItem(label, device)
        self.device_box.setCurrentIndex(max(0, self.device_box.findData(self.app.settings.device or "auto")))
        self.device_words = wrapped("Looking for graphics cards…", "device_words")
        form = QFormLayout()
        form.addRow("Compute on", self.device_box)
        form.addRow("", self.device_words)
        form.addRow("", wrapped("<small>A change takes effect the next time Studio starts.</small>"))
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("<h3>General</h3>"))
        layout.addWidget(wrapped("Where pictures are generated: a graphics card is many times faster than the "
                                 "processor."))
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    def _probe_devices(self) -> None:
        """Ask the runtime (as ``studio doctor`` does) which devices exist, off the GUI thread (torch loads)."""
        self._probe = _Probe(self)
        self._probe.found.connect(self._devices_found, Qt.ConnectionType.QueuedConnection)
        runtime = self.app.runtime
        probe = self._probe

        def work() -> None:
            try:
                found: Any = (runtime.available(), runtime.choice())
            except Exception as exc:  # noqa: BLE001 - a broken torch install: say so
                found = exc
            try:
                probe.found.emit(found)
            except RuntimeError:  # the dialog was closed meanwhile
                pass

        threading.Thread(target=work, name="devices", daemon=True).start()

    def _devices_found(self, found: Any) -> None:
        if isinstance(found, Exception):
            self.device_words.setText(f"The graphics cards could not be checked: {found}")
            return
        available, choice = found
        self.available_devices = available
        names = {"cuda": "NVIDIA graphics card", "mps": "Apple graphics", "cpu": "processor"}
        has = "; ".join(f"{names[d]}: {name}" for d, name in available.items())
        for row in range(self.device_box.count()):
            device = self.device_box.itemData(row)
            label = DEVICE_LABELS[device]
            if device not in ("auto", *available):
                label += " — not found on this computer"
            self.device_box.setItemText(row, label)
        using = {"cuda": "the NVIDIA graphics card", "mps": "Apple graphics", "cpu": "the processor"}
        kind = choice.device.split(":")[0]
        self.device_words.setText(f"This computer has: {has}.\nNow computing on {using.get(kind, kind)} "
                                  f"({choice.reason}).")

    def _export_page(self) -> QWidget:
        page = QWidget()
        page.setObjectName("page_export")
        export = self.app.settings.export
        steps = {s.option: s for s in self.app.export.steps() if s.option}
        self.watermark_box = QCheckBox("Invisible watermark")
        self.watermark_box.setObjectName("setting_watermark")
        self.watermark_box.setChecked(bool(export.get("watermark", True)))
        self.watermark_box.setEnabled("watermark" in steps)
        self.sign_box = QCheckBox("Content Credentials")
        self.sign_box.setObjectName("setting_sign")
        self.sign_box.setChecked(bool(export.get("sign", True)))
        self.sign_box.setEnabled("sign" in steps)
        self.format_box = QComboBox()
        self.format_box.setObjectName("setting_still_format")
        for name in formats.STILL_FORMATS:
            self.format_box.addItem(formats.BY_NAME[name].label, name)
        self.format_box.setCurrentIndex(max(0, self.format_box.findData(export.get(STILL_FORMAT_KEY,
                                                                                   DEFAULT_STILL_FORMAT))))
        self.quality_box = QSpinBox()
        self.quality_box.setObjectName("setting_quality")
        self.quality_box.setRange(50, 100)
        self.quality_box.setValue(int(export.get("quality", 95)))
        form = QFormLayout()
        form.addRow("", self.watermark_box)
        form.addRow("", wrapped("<small>An invisible mark in the pixels links every export to its record, even "
                                "when its Content Credentials are stripped.</small>"))
        form.addRow("", self.sign_box)
        form.addRow("", wrapped("<small>A signed record of what made the picture and how it was edited, that "
                                "anyone can check.</small>"))
        form.addRow("Picture format", self.format_box)
        form.addRow("JPEG and WebP quality", self.quality_box)
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel("<h3>Export</h3>"))
        layout.addWidget(wrapped("What File → Export starts with; you can change each for one export in the "
                                 "Export dialog."))
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    # -- asking (tests replace these) --------------------------------------------------------
    def ask(self, ask: Ask) -> str | None:
        """The answer to ``ask``, or None when the user cancels."""
        if ask.kind == "open_file":
            path, _ = QFileDialog.getOpenFileName(self, ask.label, "", ask.file_filter)
            return path or None
        if ask.kind == "save_file":
            path, _ = QFileDialog.getSaveFileName(self, ask.label, str(Path.home() / ask.default), ask.file_filter)
            return path or None
        text, ok = QInputDialog.getText(self, self.windowTitle(), ask.label, text=ask.default)
        return text if ok else None

    def confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, self.windowTitle(), question)
        return answer == QMessageBox.StandardButton.Yes

    # -- OK --------------------------------------------------------------------------------------
    def apply(self) -> bool:
        """Write every page's values to settings.json; False (nothing written) when one is refused."""
        for index, widget in enumerate(self.plugin_pages):
            reason = widget.check()
            if reason:
                self.page_list.setCurrentRow(index + 2)
                self.error.setText(reason)
                self.error.show()
                return False
        settings = self.app.settings
        settings.device = str(self.device_box.currentData())
        settings.export["watermark"] = self.watermark_box.isChecked()
        settings.export["sign"] = self.sign_box.isChecked()
        settings.export[STILL_FORMAT_KEY] = str(self.format_box.currentData())
        settings.export["quality"] = self.quality_box.value()
        for widget in self.plugin_pages:
            widget.apply()
        try:
            settings.save()
        except OSError as exc:
            self.error.setText(f"The settings could not be saved: {exc}")
            self.error.show()
            return False
        return True

    def accept(self) -> None:
        if self.apply():
            super().accept()
