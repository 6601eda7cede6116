"""Screenshots of the main window, the Settings dialog and the Export dialog for the documentation.

    xvfb-run -s "-screen 0 1280x720x24" .venv/bin/python docs/screenshots_window.py 1280x720
    xvfb-run -s "-screen 0 1920x1080x24" .venv/bin/python docs/screenshots_window.py 1920x1080

Best in a real X server with a window manager (``openbox &`` inside the xvfb session), so that the
window opens as it would on a laptop screen: maximized to what the screen offers. Writes
docs/images/window-WxH.png (a picture and a video open), and at 1280×720 also settings.png and
export-image-dialog.png. Without a display it runs offscreen at the size asked for.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media-samples"
OUT = ROOT / "docs" / "images"


def settle(qt, seconds: float = 0.3) -> None:  # type: ignore[no-untyped-def]
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        qt.processEvents()
        time.sleep(0.01)


def shrink_png(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def main(size: str) -> None:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("STUDIO_CONFIG_DIR", tempfile.mkdtemp(prefix="studio-shots-"))
    width, height = (int(v) for v in size.split("x"))
    from PySide6.QtWidgets import QApplication

    from studio.application import StudioApp
    from studio.gui.mainwindow import MainWindow

    qt = QApplication.instance() or QApplication([])
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    window = MainWindow(StudioApp())
    window.confirm_close = False
    window.heatmaps_on_open = False  # the forensic overlays would cover the picture
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        window.resize(width, height)
        window.show()
    elif window.maximize_on_show:
        window.showMaximized()
    else:
        window.show()
    settle(qt, 1.0)
    assert window.open_file(MEDIA / "legacy.mp4")
    assert window.open_file(MEDIA / "earth_apollo17.jpg")
    layer = next(l for l in window.doc.layers if l.name == "earth_apollo17.jpg")
    window.run_action(window.app.action("adjust.resize"), {"image": layer, "scale": 0.5})
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline and not (window.report_panel.sections and window.doc.results):
        settle(qt, 0.2)
    window.doc.set_active(layer)
    window.action_picker.setCurrentIndex(window.action_picker.findData("generate"))
    window.docks["Layers"].raise_()
    settle(qt, 1.0)
    window.canvas.fit()
    settle(qt, 0.5)
    screen = window.screen()
    shot = screen.grabWindow(0) if os.environ.get("QT_QPA_PLATFORM") != "offscreen" else window.grab()
    path = OUT / f"window-{width}x{height}.png"
    shot.save(str(path))
    written.append(path)
    print(f"window {window.frameGeometry().getRect()} on a screen of {screen.availableGeometry().getRect()}")

    if width == 1280:
        dialog = window.make_settings_dialog()
        dialog.show()
        dialog.show_page("Content Credentials")
        settle(qt, 2.0)
        dialog.grab().save(str(OUT / "settings.png"))
        written.append(OUT / "settings.png")
        dialog.close()
        export = window.make_export_dialog()
        export.show()
        settle(qt, 0.5)
        export.adjustSize()
        settle(qt, 0.2)
        export.grab().save(str(OUT / "export-image-dialog.png"))
        written.append(OUT / "export-image-dialog.png")
        export.close()
    for item in written:
        shrink_png(item)
        print(f"{item.relative_to(ROOT)}  {item.stat().st_size / 1024:.0f} KB")
    sys.stdout.flush()
    os._exit(0)  # a report may still be running; it is not needed here


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "1280x720")
