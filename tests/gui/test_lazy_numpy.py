"""numpy waits for its first use, so the window appears first; then it is numpy itself."""

import subprocess
import sys

CODE = """
import sys
import studio.actions, studio.document, studio.export, studio.gui.mainwindow
print('loaded before use', 'numpy._core' in sys.modules or 'numpy.core' in sys.modules)
from studio.lazy import numpy as np
a = np.zeros((2, 3), np.uint8)
import numpy
print('real after use', isinstance(a, numpy.ndarray) and np.ndarray is numpy.ndarray and np.float32 is numpy.float32)
"""


def test_numpy_is_imported_on_first_use():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert "loaded before use False" in out.stdout and "real after use True" in out.stdout
