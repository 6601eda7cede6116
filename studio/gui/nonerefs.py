"""A guard against a binding bug that frees ``None``: checked once, when the GUI package is imported.

With PySide6 6.12 on Python 3.11, every call of a Qt method that returns nothing (``QPainter.drawLine``,
``QWidget.update``, ``QLabel.setText``...) takes one reference from ``None`` without giving it one. From
Python 3.12 on ``None`` is immortal and nothing happens; on 3.11 its count falls with every call and the
process aborts ("Fatal Python error: none_dealloc: deallocating None") after some hundred thousand calls
— within a minute of playing a video, whose frames repaint the canvas and the timeline 30 times a
second. :func:`guard` measures whether this binding has the bug and, only then, raises ``None``'s count
so high that no run can use it up (what Python 3.12 does for every such object).
"""

from __future__ import annotations

import ctypes
import sys

IMMORTAL = 1 << 60
guarded = False


def leaks_none() -> bool:
    """Whether a Qt call that returns nothing takes a reference from ``None``."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")
    return sys.getrefcount(None) - before <= -32


def guard() -> bool:
    """Make ``None`` out of reach of the leak where the binding has it; True if it had to."""
    global guarded
    if guarded or sys.version_info >= (3, 12) or sys.implementation.name != "cpython" or not leaks_none():
        return guarded
    refcount = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is the first field of every object
    refcount.value += IMMORTAL
    guarded = True
    return True
