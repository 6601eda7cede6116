"""A terminal progress bar for a batch: files done, files per second, time left, errors (on stderr)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """``inspect [#########.......] 120/500  3.4 files/s  ETA 1:51  2 errors``, redrawn at most 10 times a second.

    The rate counts files finished in this run only (skipped ones are done already) over the time since the
    first file was handed out.
    """

    def __init__(self, title: str, total: int, stream: TextIO | None = None, enabled: bool | None = None,
                 width: int = 24) -> None:
        self.title = title
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.width = width
        self.done = 0
        self.errors = 0
        self.started = time.monotonic()
        self._drawn = 0.0

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        filled = int(self.width * self.done / self.total) if self.total else self.width
        rate = self.rate()
        left = (self.total - self.done) / rate if rate > 0 else None
        text = (f"{self.title} [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}  "
                f"{rate:.2f} files/s  ETA {clock(left) if left is not None else '?'}")
        if self.errors:
            text += f"  {self.errors} error{'s' if self.errors != 1 else ''}"
        return text

    def update(self, done: int | None = None, errors: int | None = None, force: bool = False) -> None:
        if done is not None:
            self.done = done
        if errors is not None:
            self.errors = errors
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._drawn < 0.1 and self.done < self.total:
            return
        self._drawn = now
        self.stream.write("\r" + self.line()[:150].ljust(80))
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.update(force=True)
            self.stream.write("\n")
            self.stream.flush()
