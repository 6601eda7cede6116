"""Python's garbage collection runs on the GUI thread only, while the window is up.

Python's cyclic garbage collector runs in whichever thread happens to allocate when a
generation's threshold is crossed — often a job's worker thread, which allocates a lot while
a model runs. If that collection frees the last reference to a Qt object that lives on the GUI
thread (a closed window, a panel, a timer held in a reference cycle), its C++ destructor runs
on the worker thread, unregisters its timers from another thread's event loop, and the GUI
thread later fires a timer whose object is gone: a segmentation fault inside
``QTimerInfoList::activateTimers`` (seen in the test suite now and then while a generation ran).

The remedy is the one pyqtgraph ships (``pyqtgraph.util.garbage_collector``): switch the
automatic collector off and collect from a timer on the GUI thread, with the same thresholds,
so a cycle that holds Qt objects is always freed on the thread that owns them. Reference
counting (which frees almost everything) is untouched.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 500

_guard: GuiThreadCollector | None = None


class GuiThreadCollector(QObject):
    """Collects garbage on a timer of the GUI thread, instead of the interpreter doing it anywhere."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.was_enabled = gc.isenabled()
        self.thresholds = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        gc.disable()
        self.timer.start()

    def check(self) -> None:
        """Collect the generations whose allocation counts passed their thresholds, as the interpreter would."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        self.timer.stop()
        if self.was_enabled:
            gc.enable()


def install() -> GuiThreadCollector | None:
    """Start collecting on the GUI thread (once per process; needs a running Qt application).

    Call it from the GUI thread. Without a Q(Core)Application nothing is changed.
    """
    global _guard
    qt_app = QCoreApplication.instance()
    if qt_app is None:
        return None
    if _guard is not None:
        try:
            _guard.timer.isActive()  # still alive (the application it hangs on was not replaced)
            return _guard
        except RuntimeError:
            _guard = None
    _guard = GuiThreadCollector(qt_app)
    qt_app.aboutToQuit.connect(_guard.stop)
    return _guard
