"""Runs jobs off the GUI thread, one after another, and reports to the GUI thread by signals.

Each job runs in its own Python thread so that a plugin that never returns
cannot block the queue for ever: after a cancel it gets ``ABANDON_AFTER``
seconds to stop, then it is shown as cancelled, recorded as a fault of its
plugin, and the next job starts. Its late result is thrown away.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from studio.jobs import Job, JobState, execute

PREVIEW_INTERVAL = 0.1  # seconds between previews sent to the GUI
PREVIEW_SIDE = 256  # previews are shrunk in the worker thread, never on the GUI thread
ABANDON_AFTER = 5.0


def shrink(pixels: np.ndarray, side: int = PREVIEW_SIDE) -> np.ndarray:
    """A copy of ``pixels`` no larger than ``side`` on its longer edge."""
    h, w = pixels.shape[:2]
    scale = side / max(h, w)
    if scale >= 1.0:
        return pixels.copy()
    import cv2

    return cv2.resize(pixels, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def warm_images(job: Job) -> None:
    """Prepare the results' QImages and thumbnails here, off the GUI thread."""
    from studio.document.layers import normalise_pixels
    from studio.gui.qimage import cached_qimage

    assert job.result is not None
    for image in job.result.images:
        image.pixels = normalise_pixels(image.pixels, image.kind)
        if image.kind != "mask":
            for side in (0, 32, 48):
                cached_qimage(image.pixels, side)


class JobRunner(QObject):
    """The job queue of one window."""

    job_added = Signal(object)
    job_changed = Signal(object)
    job_finished = Signal(object)
    _changed_from_thread = Signal(object, bool)

    def __init__(self, app: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.jobs: list[Job] = []
        self._current: Job | None = None
        self._abandoned: set[str] = set()
        self._last_emit: dict[str, float] = {}
        self._changed_from_thread.connect(self._on_thread_change, Qt.ConnectionType.QueuedConnection)
        self._watchdog = QTimer(self)
        self._watchdog.setInterval(250)
        self._watchdog.timeout.connect(self._check_cancel_deadline)
        self._cancel_deadline: dict[str, float] = {}

    def submit(self, job: Job) -> Job:
        self.jobs.append(job)
        self.job_added.emit(job)
        self._start_next()
        return job

    def cancel(self, job: Job) -> None:
        if job.state.done:
            return
        job.cancel()
        if job.state == JobState.CANCELLED:  # it was still queued
            self.job_changed.emit(job)
            self.job_finished.emit(job)
            return
        self._cancel_deadline[job.id] = time.monotonic() + ABANDON_AFTER
        self._watchdog.start()

    @property
    def busy(self) -> bool:
        return self._current is not None

    def _start_next(self) -> None:
        if self._current is not None:
            return
        for job in self.jobs:
            if job.state == JobState.QUEUED:
                self._current = job
                thread = threading.Thread(target=self._run, args=(job,), name=f"job-{job.id}", daemon=True)
                thread.start()
                return

    def _run(self, job: Job) -> None:
        def on_change(j: Job) -> None:
            now = time.monotonic()
            final = j.state.done
            if final and j.state == JobState.FINISHED:
                return  # sent below, once the results are ready to show
            if final or now - self._last_emit.get(j.id, 0.0) >= PREVIEW_INTERVAL:
                self._last_emit[j.id] = now
                if j.preview is not None and max(j.preview.shape[:2]) > PREVIEW_SIDE:
                    j.preview = shrink(j.preview)
                self._post(j, final)

        execute(job, self.app, on_change)
        if job.result is not None and job.state == JobState.FINISHED:
            warm_images(job)
            self._post(job, True)

    def _post(self, job: Job, final: bool) -> None:
        """From the job's thread: tell the GUI thread, unless the window (and this runner) is gone."""
        try:
            self._changed_from_thread.emit(job, final)
        except RuntimeError:  # a job abandoned or still running when its window was closed
            pass


    def _on_thread_change(self, job: Job, final: bool) -> None:
        if job.id in self._abandoned:
            return
        self.job_changed.emit(job)
        if final:
            self._finish(job)

    def _finish(self, job: Job) -> None:
        self._cancel_deadline.pop(job.id, None)
        if self._current is job:
            self._current = None
        self.job_finished.emit(job)
        self._start_next()

    def _check_cancel_deadline(self) -> None:
        now = time.monotonic()
        for job_id, deadline in list(self._cancel_deadline.items()):
            job = next((j for j in self.jobs if j.id == job_id), None)
            if job is None or job.state.done:
                self._cancel_deadline.pop(job_id, None)
                continue
            if now >= deadline:
                self._abandoned.add(job.id)
                job.state = JobState.CANCELLED
                job.error = f"did not stop within {ABANDON_AFTER:g} s of the cancel; abandoned"
                self.app.host.record_fault(job.action.plugin, f"{job.action.id} {job.error}")
                self.job_changed.emit(job)
                self._finish(job)
        if not self._cancel_deadline:
            self._watchdog.stop()
