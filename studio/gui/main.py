"""Starting the desktop application."""

from __future__ import annotations

import sys
import time

START = time.perf_counter()


def run_gui(files: list[str]) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio import APP_NAME
    from studio.application import StudioApp
    from studio.gui.mainwindow import MainWindow
    from studio.gui.notifications import Notifier

    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    qt_app.setApplicationName(APP_NAME)
    notifier = Notifier()
    notifier.install_excepthooks()
    app = StudioApp()
    window = MainWindow(app, notifier)
    if window.maximize_on_show:
        window.showMaximized()
    else:
        window.show()
    if files:
        QTimer.singleShot(0, lambda: window.open_files(files))
    return int(qt_app.exec())
