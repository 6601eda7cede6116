"""Screenshots of the timeline and the Export video dialog for the documentation.

    .venv/bin/python docs/screenshots.py            # writes docs/images/timeline-*.png

Offscreen: a window at 1280×720 and at 1920×1080 with generated frames and a video on the timeline (the
video split at the playhead, a clip selected), a box track and a score track, a box layer on the
canvas (one box selected: its corner handles show), and the Export video dialog drawn over the
window as it appears there. The PNGs are reduced to 256 colours to keep them small.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "media-samples" / "legacy.mp4"
OUT = ROOT / "docs" / "images"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from screenshots_window import settle, shrink_png  # noqa: E402


def main() -> None:
    import tempfile

    os.environ.setdefault("STUDIO_CONFIG_DIR", tempfile.mkdtemp(prefix="studio-shots-"))
    import numpy as np
    from PySide6.QtCore import QPoint, QRect, Qt
    from PySide6.QtGui import QColor, QPainter, QPen
    from PySide6.QtWidgets import QApplication

    from studio.application import StudioApp
    from studio.document import Box, BoxClip, BoxLayer, FramesClip, ScoreClip
    from studio.gui.frameserver import wait_idle
    from studio.gui.mainwindow import MainWindow

    qt = QApplication.instance() or QApplication([])
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    for width, height in ((1280, 720), (1920, 1080)):
        window = MainWindow(StudioApp())
        window.confirm_close = False
        window.heatmaps_on_open = False
        window.resize(width, height)
        window.show()
        doc = window.doc
        doc.set_fps(30)
        y, x = np.mgrid[0:1280, 0:720]
        generated = [np.dstack([(x // 3 + 8 * i) % 256, (y // 5) % 256, np.full_like(x, 90 + 8 * i)]).astype(np.uint8)
                     for i in range(24)]
        doc.add_clip(FramesClip(name="Generated frames", frames=generated))
        assert window.open_file(SAMPLE), [n.text for n in window.notifier.notices]
        video = doc.timeline.clips[-1]
        doc.split_clip(video, 54)
        boxes = [Box(120 + 3 * f, 560 - f, 380 + 3 * f, 900 - f, "person", 0.9, frame=f, track_id=1) for f in range(60)]
        boxes += [Box(420, 300 + 2 * f, 640, 480 + 2 * f, "bird", 0.7, frame=f, track_id=2) for f in range(0, 60, 2)]
        doc.add_clip(BoxClip(name="Tracked objects", start=24, frame_count=60, frame_rate=30, boxes=boxes))
        doc.add_clip(ScoreClip(name="Upsampling score", start=24,
                               scores=list(0.25 + 0.2 * np.sin(np.linspace(0, 6, 60)))))
        doc.add_layer(BoxLayer(name="Grounding: rocks", canvas_size=(720, 1280),
                               boxes=[Box(60, 1000, 330, 1220, "rock", 0.81), Box(450, 1050, 700, 1240, "rock", 0.64)]))
        doc.timeline.seek(64)
        area = window.timeline.area
        area.select(doc.timeline.clips[2])  # the second half of the split video
        window.resizeDocks([window.docks["Timeline"]], [250 if height >= 1080 else 200], Qt.Orientation.Vertical)
        window.resizeDocks([window.docks["Timeline"], window.docks["Notifications"]], [3, 1],
                           Qt.Orientation.Horizontal)
        settle(qt)
        wait_idle(window.canvas.frames, qt.processEvents)
        window.canvas.fit()
        window.canvas.boxes.items[0].setSelected(True)
        settle(qt)
        shot = window.grab()
        assert (shot.width(), shot.height()) == (width, height), (shot.width(), shot.height())
        path = OUT / f"timeline-{width}x{height}.png"
        shot.save(str(path))
        written.append(path)

        dialog = window.video_export.make_dialog()
        dialog.show()
        settle(qt, 0.2)
        dialog.adjustSize()
        settle(qt, 0.1)
        picture = dialog.grab()
        if width == 1280:
            alone = OUT / "export-video-dialog.png"
            picture.save(str(alone))
            written.append(alone)
        painter = QPainter(shot)
        at = QPoint((width - picture.width()) // 2, (height - picture.height()) // 2)
        painter.fillRect(QRect(at + QPoint(6, 6), picture.size()), QColor(0, 0, 0, 90))  # a shadow
        title = QRect(at.x(), at.y() - 26, picture.width(), 26)
        painter.fillRect(title, QColor(60, 64, 72))
        painter.setPen(QColor(235, 235, 235))
        painter.drawText(title.adjusted(10, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, dialog.windowTitle())
        painter.drawPixmap(at, picture)
        painter.setPen(QPen(QColor(40, 40, 40), 1))
        painter.drawRect(QRect(title.topLeft(), picture.size() + title.size() * 0).adjusted(0, 0, 0, title.height()))
        painter.end()
        path = OUT / f"timeline-export-{width}x{height}.png"
        shot.save(str(path))
        written.append(path)
        dialog.close()
        window.close()
        settle(qt, 0.1)
    for path in written:
        shrink_png(path)
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size / 1024:.0f} KB")
    sys.stdout.flush()
    os._exit(0)  # the sample's evidence report may still be running; it is not needed here


if __name__ == "__main__":
    main()
