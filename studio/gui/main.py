"""Starting the desktop application."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

START = time.perf_counter()


def run_gui(files: list[str], on_shown: Callable[[], None] | None = None) -> int:
    """Open the window (and ``files``); ``on_shown`` is called once the window's first paint is done.

    The application and its plugins are built before Qt is imported: once PySide6 is loaded, every later
    import goes through its import hook (which reads each module's source), so the plain-Python part of
    start-up is done first.
    """
    from studio import APP_NAME
    from studio.application import StudioApp

    app = StudioApp()
    app.actions  # noqa: B018 - gather the plugins' declarations now, before Qt's import hook is in place

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.gui.mainwindow import MainWindow
    from studio.gui.notifications import Notifier

    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    qt_app.setApplicationName(APP_NAME)
    notifier = Notifier()
    notifier.install_excepthooks()
    window = MainWindow(app, notifier)
    if window.maximize_on_show:
        window.showMaximized()
    else:
        window.show()
    if on_shown is not None:
        QTimer.singleShot(0, on_shown)
    if files:
        QTimer.singleShot(0, lambda: window.open_files(files))
    return int(qt_app.exec())
