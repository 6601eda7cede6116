"""Errors and warnings become notifications; an uncaught exception never kills the window."""

from __future__ import annotations

import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStatusBar

from studio.errors import window_text

LEVELS = ("info", "warning", "error")


@dataclass
class Notice:
    level: str
    text: str
    detail: str = ""
    when: float = field(default_factory=time.time)


class Notifier(QObject):
    """Collects notices from any thread and shows them on the GUI thread."""

    posted = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.notices: list[Notice] = []
        self.posted.connect(self._store, Qt.ConnectionType.QueuedConnection)

    def notify(self, level: str, text: object, detail: str = "") -> None:
        """Post ``text`` (a string, an error or an export notice: shown in the window's words) from any thread."""
        self.posted.emit(Notice(level if level in LEVELS else "info", window_text(text), detail))

    def _store(self, notice: Notice) -> None:
        self.notices.append(notice)

    def install_excepthooks(self) -> None:
        """Route uncaught exceptions (main thread and worker threads) to notifications."""

        def hook(exc_type: Any, exc: BaseException, tb: Any) -> None:
            if issubclass(exc_type, KeyboardInterrupt):
                sys.__excepthook__(exc_type, exc, tb)
                return
            detail = "".join(traceback.format_exception(exc_type, exc, tb))
            sys.stderr.write(detail)
            self.notify("error", f"Unexpected error: {exc_type.__name__}: {exc}", detail)

        def thread_hook(args: threading.ExceptHookArgs) -> None:
            if args.exc_value is not None:
                hook(args.exc_type, args.exc_value, args.exc_traceback)

        sys.excepthook = hook
        threading.excepthook = thread_hook


class NotificationList(QListWidget):
    """The notifications dock: newest first, errors in red; also echoed to the status bar."""

    COLOURS = {"error": Qt.GlobalColor.red, "warning": Qt.GlobalColor.darkYellow}

    def __init__(self, notifier: Notifier, status: QStatusBar) -> None:
        super().__init__()
        self.setObjectName("notifications")
        self.status = status
        notifier.posted.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def _show(self, notice: Notice) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(notice.when))
        item = QListWidgetItem(f"{stamp}  {notice.level.upper()}: {notice.text}")
        if notice.detail:
            item.setToolTip(notice.detail[-4000:])
        colour = self.COLOURS.get(notice.level)
        if colour is not None:
            item.setForeground(colour)
        self.insertItem(0, item)
        self.status.showMessage(notice.text, 10000)
