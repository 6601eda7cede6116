"""Garbage that holds Qt objects is freed on the GUI thread, never in a job's worker thread."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

pytestmark = pytest.mark.gui


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _garbage_cycle(freed_on: list[str], with_qobject: bool = True) -> None:
    cycle = _Cycle()
    if with_qobject:
        from PySide6.QtCore import QObject

        cycle.qobject = QObject()  # a Qt object of the GUI thread, reachable only through the cycle
    weakref.finalize(cycle, lambda: freed_on.append(threading.current_thread().name))


def test_a_worker_thread_never_collects_the_gui_threads_garbage(qtbot, make_window):
    make_window()  # a window installs the collector
    assert not gc.isenabled()
    freed_on: list[str] = []
    _garbage_cycle(freed_on)

    kept: list[list[list[int]]] = []

    def allocate() -> None:  # a model run allocates far past every collection threshold, and keeps it
        kept.append([[i] for i in range(200_000)])

    worker = threading.Thread(target=allocate, name="job-worker")
    worker.start()
    worker.join()
    assert freed_on == []  # the worker did not collect it
    qtbot.waitUntil(lambda: freed_on != [], timeout=5_000)
    assert freed_on == [threading.main_thread().name]
    kept.clear()


def test_without_the_collector_a_worker_thread_would_free_it():
    """The hazard the collector removes, shown on the plain interpreter."""
    was = gc.isenabled()
    gc.enable()
    try:
        gc.collect()
        freed_on: list[str] = []
        _garbage_cycle(freed_on, with_qobject=False)
        worker = threading.Thread(target=lambda: [[i] for i in range(200_000)], name="job-worker")
        worker.start()
        worker.join()
        assert freed_on == ["job-worker"]
    finally:
        if not was:
            gc.disable()
