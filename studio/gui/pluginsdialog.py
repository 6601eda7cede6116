"""The Plugins window: every plugin, its version, state, load error and faults; enable/disable; install wheels."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from studio import plugininstall
from studio.errors import StudioError, window_text
from studio.pluginhost import PluginHost

COLUMNS = ["Enabled", "Plugin", "Version", "Origin", "Status"]


def status_text(info: object) -> str:
    error = getattr(info, "error", None)
    faults = getattr(info, "faults", [])
    if error:
        return f"failed to load: {error}"
    if faults:
        return f"{len(faults)} fault(s); last: {faults[-1]}"
    if not getattr(info, "enabled", True):
        return "disabled"
    return "loaded" if getattr(info, "loaded", False) else "not loaded"


class PluginsDialog(QDialog):
    def __init__(self, host: PluginHost, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setWindowTitle("Plugins")
        self.host = host
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("plugins_table")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(QLabel("Enabling, disabling or installing a plugin takes effect at the next start."))
        row = QHBoxLayout()
        self.install_button = QPushButton("Install plugin…")
        self.install_button.setObjectName("install_plugin")
        self.install_button.setToolTip("Install a plugin's wheel (.whl), with the wheels it needs, into your plugin "
                                       f"folder ({plugininstall.plugins_dir()}); nothing is downloaded.")
        self.install_button.clicked.connect(self._choose_wheels)
        self.message = QLabel("")
        self.message.setObjectName("install_message")
        self.message.setWordWrap(True)
        row.addWidget(self.install_button)
        row.addWidget(self.message, 1)
        layout.addLayout(row)
        self.resize(760, 360)
        self.refresh()
        self.table.itemChanged.connect(self._toggled)

    def refresh(self) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for name, info in self.host.plugins.items():
            row = self.table.rowCount()
            self.table.insertRow(row)
            check = QTableWidgetItem()
            check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            check.setCheckState(Qt.CheckState.Checked if info.enabled else Qt.CheckState.Unchecked)
            check.setData(Qt.ItemDataRole.UserRole, name)
            self.table.setItem(row, 0, check)
            origin = "built-in" if info.builtin else (info.distribution or "third-party")
            if info.user_installed:
                origin += " (your plugin folder)"
            for col, text in enumerate((name, info.version or "-", origin, status_text(info)), start=1):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                if col == 4 and (info.error or info.faults):
                    item.setForeground(Qt.GlobalColor.red)
                    item.setToolTip("\n".join([info.error or "", *info.faults]).strip())
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.table.blockSignals(False)

    def _toggled(self, item: QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        self.host.set_enabled(name, item.checkState() == Qt.CheckState.Checked)
        self.refresh()

    def _choose_wheels(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Install plugin", "", "Plugin wheels (*.whl)")
        if paths:
            self.install_wheels(paths)

    def install_wheels(self, paths: list[str]) -> bool:
        """Install ``paths`` into the user's plugin folder; the outcome is said under the table."""
        try:
            done = plugininstall.install(list(paths))
        except StudioError as exc:
            self.message.setText(window_text(exc))
            self.message.setStyleSheet("color: #c0392b")
            return False
        names = ", ".join(f"{item['name']} {item['version']}" for item in done)
        self.message.setText(f"Installed {names}; restart Studio to load it.")
        self.message.setStyleSheet("")
        return True
