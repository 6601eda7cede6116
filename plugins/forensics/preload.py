"""A one-slot hand-over of an image already decoded by ``studio inspect`` to this plugin's report hook.

``studio inspect`` decodes the file to check it before asking every plugin for
its section; the hook takes that decoded image instead of decoding again. The
slot is keyed by the file's path, size and modification time, and emptied
after the report.
"""

from __future__ import annotations

import threading
from pathlib import Path

from studio_plugins.forensics.source import ImageSource

_lock = threading.Lock()
_slot: dict[tuple[str, int, int], ImageSource] = {}


def _key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def put(source: ImageSource) -> None:
    with _lock:
        _slot.clear()
        _slot[_key(source.path)] = source


def take(path: Path) -> ImageSource | None:
    """The preloaded image of ``path`` if it is still the same file, else None."""
    try:
        key = _key(path)
    except OSError:
        return None
    with _lock:
        return _slot.get(key)


def clear() -> None:
    with _lock:
        _slot.clear()
