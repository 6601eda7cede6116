"""A test plugin that takes its whole process down on a file whose name starts with ``crash-``, and never
returns on one whose name starts with ``hang-``.

It dereferences a null pointer (a real segfault, as a broken native decoder would), so the batch tests can
check that a worker dying on one file costs only that file.
"""

from __future__ import annotations

import ctypes
import time
from pathlib import Path

from studio.api import hookimpl


@hookimpl
def studio_file_report(path: Path) -> None:
    if Path(path).name.startswith("crash-"):
        ctypes.string_at(0)  # SIGSEGV
    if Path(path).name.startswith("hang-"):
        time.sleep(3600)
    return None
