"""Time from process start to the main window shown, against a bare PySide6 window, in the same run.

    python bench/startup.py [--runs 7]

Each run starts a fresh Python process (offscreen Qt) and stops the clock when the window's first
paint has been processed. Both run with compiled bytecode, as an installed program does (pip and the
desktop builds compile it; a checkout writes it on the first run): without it, compiling Studio's own
modules on every start would be measured instead. Studio starts through ``studio.gui.main.run_gui``, the
path the ``studio`` command takes (settings, plugins, notifier, window). Runs alternate between the two
programs; medians are compared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

BARE = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow(); w.resize(1400, 900); w.show()
QTimer.singleShot(0, lambda: (print(time.time(), 'torch' in sys.modules, time.process_time(), flush=True), app.quit()))
app.exec()
"""

STUDIO = """
import sys, time
from studio.gui.main import run_gui
def shown():
    from PySide6.QtWidgets import QApplication
    print(time.time(), 'torch' in sys.modules, time.process_time(), flush=True)
    QApplication.instance().quit()
run_gui([], on_shown=shown)
"""


PYCACHE = tempfile.mkdtemp(prefix="studio-startup-pycache-")


def once(code: str) -> tuple[float, bool, float]:
    """(wall seconds to the first paint, torch loaded, CPU seconds the process used until then)."""
    # as an installed Studio runs: with its modules' bytecode cached (written by the warm-up run into a
    # scratch folder), even where the environment says not to write bytecode (PYTHONDONTWRITEBYTECODE)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPYCACHEPREFIX=PYCACHE)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.time()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    shown, torch_loaded, cpu = out.stdout.split()[:3]
    return float(shown) - start, torch_loaded == "True", float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    once(BARE), once(STUDIO)  # warm the disk cache
    bare, studio, bare_cpu, studio_cpu, torch_seen = [], [], [], [], False
    for _ in range(args.runs):
        t, _torch, cpu = once(BARE)
        bare.append(t)
        bare_cpu.append(cpu)
        t, torch_loaded, cpu = once(STUDIO)
        studio.append(t)
        studio_cpu.append(cpu)
        torch_seen |= torch_loaded
    b, s = statistics.median(bare), statistics.median(studio)
    bc, sc = statistics.median(bare_cpu), statistics.median(studio_cpu)
    print(f"bare PySide6 window : median {b * 1000:7.0f} ms  (min {min(bare) * 1000:.0f}), CPU {bc * 1000:.0f} ms")
    print(f"Studio main window  : median {s * 1000:7.0f} ms  (min {min(studio) * 1000:.0f}), CPU {sc * 1000:.0f} ms")
    print(f"ratio Studio / bare : {s / b:.2f}x wall, {sc / bc:.2f}x CPU (the CPU ratio is what a quiet machine shows)"
          f"   torch imported before the window: {torch_seen}")


if __name__ == "__main__":
    main()
