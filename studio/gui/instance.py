"""A second Studio window while one is open: allowed, and told about the first.

Each window keeps the settings, window layout and recent files it read at start and writes them when it
closes, so with two windows the one closed last wins. A lock file in the config folder (held for the life
of the window; a crashed window's lock is taken over, as its process is gone) tells the second one.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QLockFile

log = logging.getLogger(__name__)
LOCK_NAME = "window.lock"


def claim(folder: Path) -> tuple[QLockFile | None, str | None]:
    """Take the window lock in ``folder``; return it and, if another window holds it, a message for the user."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("no window lock in %s: %s", folder, exc)
        return None, None
    lock = QLockFile(str(folder / LOCK_NAME))
    lock.setStaleLockTime(0)  # stale only when the holder's process is gone, however old
    if lock.tryLock(200):
        return lock, None
    if lock.error() != QLockFile.LockError.LockFailedError:
        log.warning("no window lock in %s: %s", folder, lock.error())
        return None, None
    pid, host, _app = lock.getLockInfo()
    where = f"process {pid}" + (f" on {host}" if host else "") if pid else "another process"
    return None, (f"Another Studio window is already open ({where}). This one works too, but each window saves "
                  "its settings, layout and recent files when it closes: the one closed last wins.")
