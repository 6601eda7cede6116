"""The longest GUI stall while a job runs: the largest gap between ticks of a 5 ms timer.

    python bench/gui_stall.py

Measures, in the same run, the gaps with no job (the baseline: what the machine's scheduler gives
an idle event loop) and from the Run click until the result is shown as a new layer, for real jobs
off the GUI thread: a Gaussian blur of a 12-megapixel image (OpenCV, releases the GIL) and a levels
pass (numpy).
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.application import StudioApp  # noqa: E402
from studio.document import Layer  # noqa: E402
from studio.gui.mainwindow import MainWindow  # noqa: E402


def measure(qt: QApplication, seconds: float | None, start=None) -> tuple[float, float, int, float]:  # type: ignore[no-untyped-def]
    """(longest gap ms, 99th percentile ms, ticks, seconds from the start to the longest gap) of a 5 ms timer.

    ``start()`` (if given) starts the work and returns a ``done()`` test that ends the measurement.
    """
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    began = time.perf_counter()
    done = start() if start else None
    end = time.perf_counter() + (seconds or 900)
    while time.perf_counter() < end:
        qt.processEvents()
        time.sleep(0.001)
        if done is not None and done():
            break
    timer.stop()
    gaps = np.diff(ticks) * 1000
    worst = int(np.argmax(gaps))
    return float(gaps[worst]), float(np.percentile(gaps, 99)), len(ticks), ticks[worst] - began


def main() -> None:
    qt = QApplication.instance() or QApplication([])
    app = StudioApp()
    window = MainWindow(app)
    window.confirm_close = False
    window.show()
    rng = np.random.default_rng(0)
    big = Layer(rng.integers(0, 256, (3000, 4000, 3), np.uint8), name="12 MP noise")
    window.doc.add_layer(big)

    def job(action_id: str, **params):
        """Start the job; the measurement ends when its result is shown as a layer."""
        def start():
            layers = len(window.doc.layers)
            window.run_action(app.action(action_id), {"image": big, **params})
            return lambda: len(window.doc.layers) > layers
        return start

    idle_max, idle_p99, n, _ = measure(qt, 3.0)
    print(f"{'no job (baseline)':<28} max gap {idle_max:7.1f} ms   p99 {idle_p99:6.1f} ms   ({n} ticks)")
    for name, factory in (("blur 12 MP, radius 20", job("adjust.blur", radius=20.0)),
                          ("levels 12 MP", job("adjust.levels", black=20, white=230, gamma=1.2))):
        t0 = time.perf_counter()
        worst, p99, n, _ = measure(qt, None, factory)
        took = time.perf_counter() - t0
        print(f"{name:<28} max gap {worst:7.1f} ms   p99 {p99:6.1f} ms   ({n} ticks, job {took:.1f} s)"
              f"   max/baseline {worst / idle_max:.1f}x")
    window.close()


if __name__ == "__main__":
    main()
