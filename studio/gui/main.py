"""Starting the desktop application."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

START = time.perf_counter()


def run_gui(files: list[str], on_shown: Callable[[], None] | None = None, app: Any = None,
            exit_after_show: bool = False, screenshot: str | None = None) -> int:
    """Open the window (and ``files``); ``on_shown`` is called once the window's first paint is done.

    ``app`` is a :class:`~studio.application.StudioApp` already built (the CLI's), or None for a new one. With
    ``exit_after_show`` the window closes once shown (after saving a ``screenshot`` if one is named), printing
    how long it took: a check that an installation starts.

    The application and its plugins are built before Qt is imported: once PySide6 is loaded, every later
    import goes through its import hook (which reads each module's source), so the plain-Python part of
    start-up is done first.
    """
    from studio import APP_NAME
    from studio.application import StudioApp
    from studio.settings import config_dir

    app = app or StudioApp()
    app.actions  # noqa: B018 - gather the plugins' declarations now, before Qt's import hook is in place

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.gui.instance import claim
    from studio.gui.mainwindow import MainWindow
    from studio.gui.notifications import Notifier

    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    qt_app.setApplicationName(APP_NAME)
    notifier = Notifier()
    notifier.install_excepthooks()
    lock, already_open = claim(config_dir())
    if already_open:
        print(f"studio: note: {already_open}", file=sys.stderr)
    window = MainWindow(app, notifier)
    if already_open:
        QTimer.singleShot(0, lambda: notifier.notify("warning", already_open))
    if window.maximize_on_show:
        window.showMaximized()
    else:
        window.show()
    if exit_after_show:
        def close_when_shown() -> None:
            if screenshot:
                window.grab().save(screenshot)
            print(f"window shown: {window.width()}x{window.height()} in {time.perf_counter() - START:.2f} s",
                  flush=True)
            qt_app.quit()

        QTimer.singleShot(0, close_when_shown)
    if on_shown is not None:
        QTimer.singleShot(0, on_shown)
    if files:
        QTimer.singleShot(0, lambda: window.open_files(files))
    try:
        return int(qt_app.exec())
    finally:
        if lock is not None:
            lock.unlock()
