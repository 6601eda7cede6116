"""Screenshots of the three flows a user follows: generate, verify, timeline — in a real window.

    xvfb-run -s "-screen 0 1280x720x24" sh -c "openbox & sleep 1; .venv/bin/python docs/screenshots_flows.py"
    xvfb-run -s "-screen 0 1920x1080x24" sh -c "openbox & sleep 1; .venv/bin/python docs/screenshots_flows.py"

Writes docs/images/flow-generate-WxH.png (a batch of four pictures from the built-in model, the gallery
in the Jobs panel), flow-verify-WxH.png (a signed file with ingredients on the Verify page) and
flow-timeline-WxH.png (a video split on the timeline, a box layer on the canvas) and flow-ground-WxH.png
(boxes found from words by the built-in grounding model), W×H being the screen's.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
OUT = ROOT / "docs" / "images"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from screenshots_window import settle, shrink_png  # noqa: E402


def shoot(window, name: str) -> Path:  # type: ignore[no-untyped-def]
    screen = window.screen()
    size = screen.geometry()
    shot = screen.grabWindow(0) if os.environ.get("QT_QPA_PLATFORM") != "offscreen" else window.grab()
    path = OUT / f"flow-{name}-{size.width()}x{size.height()}.png"
    shot.save(str(path))
    shrink_png(path)
    print(f"{path.relative_to(ROOT)}  {path.stat().st_size / 1024:.0f} KB")
    return path


def wait(qt, condition, seconds: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and not condition():
        settle(qt, 0.2)


def main() -> None:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("STUDIO_CONFIG_DIR", tempfile.mkdtemp(prefix="studio-shots-"))
    from PySide6.QtWidgets import QApplication

    from studio.application import StudioApp
    from studio.gui.mainwindow import MainWindow

    qt = QApplication.instance() or QApplication([])
    OUT.mkdir(parents=True, exist_ok=True)
    window = MainWindow(StudioApp())
    window.confirm_close = False
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        window.resize(1280, 720)
        window.show()
    elif window.maximize_on_show:
        window.showMaximized()
    else:
        window.show()
    settle(qt, 1.5)

    only = set(sys.argv[1:])  # e.g. "ground": only these flows

    def want(name: str) -> bool:
        return not only or name in only

    # generate: four pictures of the built-in model
    if want("generate"):
        generate_flow(qt, window)
    if want("verify"):
        verify_flow(qt, window)
    if want("timeline"):
        timeline_flow(qt, window)
    if want("ground"):
        ground_flow(qt, window)
    sys.stdout.flush()
    os._exit(0)  # reports may still be running; they are not needed here


def generate_flow(qt, window) -> None:  # type: ignore[no-untyped-def]
    window.action_picker.setCurrentIndex(window.action_picker.findData("generate"))
    panel = window.action_panels["generate"]
    panel.editors["prompt"].setPlainText("a large red star in the centre on a white background")
    panel.editors["batch_size"].setValue(4)
    panel.run_button.click()
    wait(qt, lambda: window.runner.jobs and window.runner.jobs[-1].state.done and len(window.doc.layers) >= 1)
    window.docks["Jobs"].raise_()
    settle(qt, 1.0)
    shoot(window, "generate")


def verify_flow(qt, window) -> None:  # type: ignore[no-untyped-def]
    """A file with Content Credentials and ingredients."""
    window.open_file(SHARED / "c2pa-samples" / "adobe-20220124-CAI.jpg")
    window.docks["Verify"].raise_()
    wait(qt, lambda: bool(getattr(window.report_panel, "sections", None)), 90)
    settle(qt, 1.0)
    shoot(window, "verify")


def timeline_flow(qt, window) -> None:  # type: ignore[no-untyped-def]
    """A video split at the playhead, boxes over the canvas."""
    from studio.document import Box, BoxLayer

    window.new_document()
    settle(qt, 0.3)
    window.open_file(SHARED / "media-samples" / "legacy.mp4")
    clip = window.doc.timeline.clips[0]
    window.doc.split_clip(clip, 30)
    window.doc.timeline.seek(40)
    window.doc.add_layer(BoxLayer(name="Found: water", canvas_size=(720, 1280),
                                  boxes=[Box(60, 700, 520, 1180, "water", 0.81, track_id=1),
                                         Box(380, 180, 640, 460, "tree", 0.64, track_id=2)]))
    window.docks["Timeline"].raise_()
    window.canvas.fit()
    settle(qt, 2.0)
    shoot(window, "timeline")


def ground_flow(qt, window) -> None:  # type: ignore[no-untyped-def]
    """Words in, a box layer over the shapes."""
    import numpy as np
    from PIL import Image

    from studio.world import Scene, Shape, render

    scene = Scene((Shape("star", "blue", "large", "top left"), Shape("circle", "red", "small", "bottom right"),
                   Shape("triangle", "yellow", "small", "top right"), Shape("circle", "red", "large", "left")),
                  "gray", 512)
    picture = Path(tempfile.mkdtemp(prefix="studio-shots-")) / "shapes.png"
    Image.fromarray(np.asarray(render(scene))).save(picture)
    window.new_document()
    settle(qt, 0.3)
    window.open_file(picture)
    window.action_picker.setCurrentIndex(window.action_picker.findData("grounding.find"))
    panel = window.action_panels["grounding.find"]
    panel.editors["query"].setPlainText("the small red circle. the blue star. the biggest shape")
    before = len(window.runner.jobs)
    panel.run_button.click()
    wait(qt, lambda: len(window.runner.jobs) > before and window.runner.jobs[-1].state.done)
    window.canvas.fit()
    settle(qt, 1.5)
    shoot(window, "ground")


if __name__ == "__main__":
    main()
