"""The real start-up path: the window appears without torch, with the plugins' actions, quietly."""

import subprocess
import sys

CODE = """
import sys
from studio.gui.main import run_gui

def shown():
    from PySide6.QtWidgets import QApplication
    window = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "" and w.isVisible()
                  and hasattr(w, "action_panels"))
    print("panels", len(window.action_panels), "torch", "torch" in sys.modules)
    import os
    print("blas", os.environ.get("OPENBLAS_NUM_THREADS"))
    QApplication.instance().quit()

sys.exit(run_gui([], on_shown=shown))
"""


def test_the_window_opens_through_run_gui_before_torch(tmp_path):
    env = {"QT_QPA_PLATFORM": "offscreen", "STUDIO_CONFIG_DIR": str(tmp_path / "c"),
           "STUDIO_CACHE_DIR": str(tmp_path / "cc"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    words = out.stdout.split()
    assert words[0] == "panels" and int(words[1]) >= 5  # the built-in plugins' actions are there
    assert words[3] == "False"  # torch is not loaded to show the window
    assert words[5] == "1"  # one OpenBLAS thread unless the user chose otherwise
