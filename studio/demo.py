"""A headless tour of the studio: ``python -m studio.demo OUT_DIR``.

Used by ``python3 dev.py run`` on a machine without a display: it opens the real main window
offscreen, makes an image with the built-in default (the ``generate`` action and its built-in model
when the diffusion plugin is loaded, else a built-in adjustment of a generated test card), enlarges
it when it is too small to carry the invisible watermark, exports it through the export pipeline
(watermark, then Content Credentials), opens the exported file again so the Verify view reports on
it, and saves a screenshot of the window.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_PROMPT = "a large red circle in the centre on a black background"
MARKABLE_SIDE = 64  # the invisible watermark's smallest side (the small mode marks the built-in model's 64×64 pictures)


def test_card(size: int = 256) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size]
    card = np.dstack([x * 255 // size, y * 255 // size, np.full_like(x, 128)]).astype(np.uint8)
    card[size // 4: 3 * size // 4, size // 4: 3 * size // 4] = (230, 40, 40)
    return card


def run_job(qt: Any, window: Any, action: Any, values: dict[str, Any]) -> Any:
    """Run ``action`` through the window's job queue and wait for it (None when it did not finish)."""
    from studio.jobs import JobState

    job = window.run_action(action, values)
    deadline = time.time() + 600
    while not job.state.done and time.time() < deadline:
        qt.processEvents()
        time.sleep(0.01)
    for _ in range(20):
        qt.processEvents()
        time.sleep(0.01)
    if job.state != JobState.FINISHED:
        print(f"the job {action.id} ended {job.state.value}: {job.error}", file=sys.stderr)
        return None
    return job


def wait_for_report(qt: Any, window: Any, timeout: float = 120.0) -> list[Any]:
    """Wait until the Verify view shows a report; its sections."""
    window.report_panel.sections = []
    deadline = time.time() + timeout
    while not window.report_panel.sections and time.time() < deadline:
        qt.processEvents()
        time.sleep(0.02)
    return list(window.report_panel.sections)


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from studio.application import StudioApp
    from studio.document import Layer, Record
    from studio.errors import StudioError
    from studio.gui.mainwindow import MainWindow

    out = Path(argv[0] if argv else "out/demo")
    out.mkdir(parents=True, exist_ok=True)
    qt = QApplication.instance() or QApplication([])
    app = StudioApp()
    window = MainWindow(app)
    window.confirm_close = False
    window.resize(1400, 900)
    window.show()
    if "generate" in app.actions:
        action = app.action("generate")
        values = {**action.defaults(), "prompt": DEFAULT_PROMPT}
        print(f"generating '{DEFAULT_PROMPT}' with the built-in default model…", flush=True)
    else:
        layer = window.doc.add_layer(Layer(test_card(), name="test card",
                                           record=Record(action="demo", c2pa_action="c2pa.created")))
        action = app.action("adjust.blur")
        values = {"image": layer, "radius": 6.0}
        print("the diffusion plugin is not loaded; blurring a test card instead", flush=True)
    job = run_job(qt, window, action, values)
    if job is None:
        return 1
    window.canvas.fit()
    image = job.result.images[0] if job.result else None
    height, width = image.pixels.shape[:2] if image is not None else (0, 0)
    if image is not None and min(height, width) < MARKABLE_SIDE and "adjust.resize" in app.actions:
        # a picture under 64 pixels a side cannot carry the invisible watermark: enlarge it first
        factor = -(-MARKABLE_SIDE // min(height, width))
        print(f"enlarging the {width}x{height} picture {factor}x so it can carry the invisible watermark…")
        resize = app.action("adjust.resize")
        source = next(layer for layer in reversed(window.doc.layers) if layer.record is image.record)
        enlarged = run_job(qt, window, resize, {**resize.defaults(), "image": source, "scale": float(factor),
                                                "interpolation": "cubic"})
        if enlarged is not None and enlarged.result and enlarged.result.images:
            image = enlarged.result.images[0]
            window.doc.set_layer(source, visible=False)
    if image is not None and image.record is not None:
        try:
            report = app.export.export_image(image.pixels, out / "result.png", image.record)
        except StudioError as exc:
            print(f"the export failed: {exc}", file=sys.stderr)
            return 1
        print(f"exported {report.path} (steps: {', '.join(report.steps) or 'none'})")
        for notice in report.notices:
            print(f"  note: {notice}")
        # open the export again, as a reader of the file would: the Verify view reports on it
        window.heatmaps_on_open = False
        if window.open_file(report.path):
            for section in wait_for_report(qt, window):
                print(f"  verify · {section.title}: {section.summary}")
        window.canvas.fit()
    qt.processEvents()
    shot = out / "window.png"
    window.grab().save(str(shot))
    print(f"screenshot of the window: {shot}")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
