"""Time from process start to the main window shown, against a bare PySide6 window, in the same run.

    python bench/startup.py [--runs 7]

Each run starts a fresh Python process (offscreen Qt) and stops the clock when the window's first
paint has been processed. Runs alternate between the two programs; medians are compared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

BARE = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow(); w.resize(1400, 900); w.show()
QTimer.singleShot(0, lambda: (print(time.time(), 'torch' in sys.modules, flush=True), app.quit()))
app.exec()
"""

STUDIO = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from studio.application import StudioApp
from studio.gui.mainwindow import MainWindow
app = QApplication([])
w = MainWindow(StudioApp()); w.confirm_close = False; w.show()
QTimer.singleShot(0, lambda: (print(time.time(), 'torch' in sys.modules, flush=True), app.quit()))
app.exec()
"""


def once(code: str) -> tuple[float, bool]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    start = time.time()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    shown, torch_loaded = out.stdout.split()[:2]
    return float(shown) - start, torch_loaded == "True"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    once(BARE), once(STUDIO)  # warm the disk cache
    bare, studio, torch_seen = [], [], False
    for _ in range(args.runs):
        bare.append(once(BARE)[0])
        t, torch_loaded = once(STUDIO)
        studio.append(t)
        torch_seen |= torch_loaded
    b, s = statistics.median(bare), statistics.median(studio)
    print(f"bare PySide6 window : median {b * 1000:7.0f} ms  (min {min(bare) * 1000:.0f})")
    print(f"Studio main window  : median {s * 1000:7.0f} ms  (min {min(studio) * 1000:.0f})")
    print(f"ratio Studio / bare : {s / b:.2f}x   torch imported before the window: {torch_seen}")


if __name__ == "__main__":
    main()
