"""The Qt binding Studio runs on must not corrupt Python's own objects."""

import sys

from PySide6.QtWidgets import QLabel


def test_void_qt_calls_leave_none_alone(qtbot):
    # PySide6 6.12.0 took a reference from None at every call returning nothing: playing a video makes
    # hundreds of thousands of such calls, and on Python 3.11 the process aborted ("deallocating None")
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(5000):
        label.update()
        label.setText("x")
    assert sys.getrefcount(None) >= before - 50
