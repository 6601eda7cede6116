"""The Plugins window: every plugin, its version, state, load error and faults; enable/disable."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout

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
        layout.addWidget(QLabel("Enabling or disabling a plugin takes effect at the next start."))
        self.resize(760, 320)
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
