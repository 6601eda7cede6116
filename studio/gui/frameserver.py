"""The frame server: pictures of the timeline decoded off the GUI thread, the latest request first.

Seeking in a long H.264 file and decoding up to the asked frame can take 100 ms or more; done on the
GUI thread it would freeze scrubbing and playback. The canvas asks the server instead: one worker
thread takes the newest request (older ones still waiting are dropped — while scrubbing or playing
only the latest frame matters), decodes it, turns it into a QImage in the format the screen uses
(so the GUI thread only wraps it in a pixmap) and posts it back with :attr:`FrameServer.ready`.
Repeats are instant: :class:`studio.video.VideoSource` keeps recently decoded frames.

The worker stops by itself after a moment without requests (so a closing program never waits on
it), and starts again on the next request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage

IDLE_EXIT = 1.0  # seconds the worker waits for a request before it stops


@dataclass
class FrameResult:
    """What the worker made of one request."""

    serial: int
    key: Hashable
    image: QImage | None  # None: there is no picture (a missing file, a frame that cannot be decoded)
    seconds: float  # how long producing it took, in the worker
    error: str = ""


def screen_image(pixels: np.ndarray) -> QImage:
    """``pixels`` (RGB or RGBA uint8) as a QImage that becomes a pixmap without conversion."""
    from studio.gui.qimage import to_qimage

    arr = np.asarray(pixels)
    if arr.ndim == 3 and arr.shape[2] == 4:
        return to_qimage(arr).convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    return to_qimage(arr).convertToFormat(QImage.Format.Format_RGB32)


class FrameServer(QObject):
    """One worker thread producing pictures for the GUI; a newer request replaces a waiting one.

    ``request(produce, key)`` queues ``produce()`` (called on the worker: it returns an RGB array or
    None) and returns the request's serial number; :attr:`ready` later carries a :class:`FrameResult`
    on the GUI thread. Results arrive in the order of their serial numbers.
    """

    ready = Signal(object)
    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None, idle_exit: float = IDLE_EXIT) -> None:
        super().__init__(parent)
        self.idle_exit = idle_exit
        self._cond = threading.Condition()
        self._pending: tuple[int, Callable[[], np.ndarray | None], Hashable] | None = None
        self._serial = 0
        self._thread: threading.Thread | None = None
        self._closed = False
        self.produced = 0  # requests the worker carried out
        self.dropped = 0  # requests replaced by a newer one before the worker took them
        self.busy_since: float | None = None
        self._posted.connect(self.ready, Qt.ConnectionType.QueuedConnection)

    @property
    def serial(self) -> int:
        """The serial number of the latest request."""
        return self._serial

    @property
    def idle(self) -> bool:
        with self._cond:
            return self._pending is None and self.busy_since is None

    def request(self, produce: Callable[[], np.ndarray | None], key: Hashable = None) -> int:
        """Queue ``produce`` (replacing a request not yet taken); returns its serial number."""
        with self._cond:
            if self._closed:
                return self._serial
            self._serial += 1
            if self._pending is not None:
                self.dropped += 1
            self._pending = (self._serial, produce, key)
            if self._thread is None:
                # not a daemon: a thread killed inside the decoder at exit can abort the process; it
                # stops by itself once idle
                self._thread = threading.Thread(target=self._work, name="frame-server", daemon=False)
                self._thread.start()
            self._cond.notify()
            return self._serial

    def close(self) -> None:
        """Stop taking requests; the worker ends after the picture it is making."""
        with self._cond:
            self._closed = True
            self._pending = None
            self._cond.notify()

    def _work(self) -> None:
        while True:
            with self._cond:
                if self._pending is None and not self._closed:
                    self._cond.wait(self.idle_exit)
                if self._pending is None or self._closed:
                    self._thread = None
                    return
                serial, produce, key = self._pending
                self._pending = None
                self.busy_since = time.perf_counter()
            started = time.perf_counter()
            error = ""
            image: QImage | None = None
            try:
                pixels = produce()
                image = None if pixels is None else screen_image(pixels)
            except Exception as exc:  # noqa: BLE001 - a bad frame must not end the server
                error = f"{type(exc).__name__}: {exc}"
            with self._cond:
                self.busy_since = None
                self.produced += 1
            self._post(FrameResult(serial, key, image, time.perf_counter() - started, error))

    def _post(self, result: FrameResult) -> None:
        try:
            self._posted.emit(result)
        except RuntimeError:  # the window (and this server) is gone
            with self._cond:
                self._closed = True


def wait_idle(server: FrameServer, process: Callable[[], Any], timeout: float = 5.0) -> bool:
    """Process events until the server has nothing left to do (tests, benchmarks)."""
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        process()
        if server.idle:
            process()
            return True
        time.sleep(0.002)
    return False
