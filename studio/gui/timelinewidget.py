"""The timeline: tracks of clips, a playhead to scrub, and play/pause at the frame rate."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.document import Document, ScoreClip

TRACK_HEIGHT = 28
HEADER_WIDTH = 90
RULER_HEIGHT = 18
CLIP_COLOURS = {"still": QColor(80, 120, 200), "frames": QColor(70, 150, 110), "video": QColor(60, 130, 150),
                "boxes": QColor(200, 160, 40), "score": QColor(170, 80, 160)}


class TrackArea(QWidget):
    """Paints the tracks and the playhead; clicking or dragging moves the playhead."""

    scrubbed = Signal(int)

    def __init__(self, doc: Document) -> None:
        super().__init__()
        self.doc = doc
        self.setMinimumHeight(RULER_HEIGHT + TRACK_HEIGHT * 2)
        self.setMouseTracking(False)

    def frames_visible(self) -> int:
        return max(self.doc.timeline.duration, 1)

    def x_of(self, frame: float) -> float:
        span = max(1, self.width() - HEADER_WIDTH - 4)
        return HEADER_WIDTH + frame * span / self.frames_visible()

    def frame_of(self, x: float) -> int:
        span = max(1, self.width() - HEADER_WIDTH - 4)
        return int((x - HEADER_WIDTH) * self.frames_visible() / span)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        timeline = self.doc.timeline
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(36, 36, 40))
        p.setPen(QColor(160, 160, 160))
        total = self.frames_visible()
        step = max(1, total // 10)
        for f in range(0, total + 1, step):
            x = self.x_of(f)
            p.drawLine(int(x), 0, int(x), 5)
            p.drawText(int(x) + 2, 14, str(f))
        for row, track in enumerate(timeline.tracks):
            top = RULER_HEIGHT + row * TRACK_HEIGHT
            p.setPen(QColor(200, 200, 200))
            p.drawText(4, top + 18, track.name)
            for clip in track.clips:
                end = clip.end(timeline.fps)
                rect = QRectF(self.x_of(clip.start), top + 3, self.x_of(end) - self.x_of(clip.start),
                              TRACK_HEIGHT - 6)
                p.fillRect(rect, CLIP_COLOURS.get(clip.kind, QColor(120, 120, 120)))
                if isinstance(clip, ScoreClip) and clip.scores:
                    p.setPen(QPen(QColor(255, 255, 255), 1))
                    points = []
                    for f in range(clip.start, end):
                        value = clip.score_at(f, timeline.fps)
                        if value is not None:
                            points.append(QPointF(self.x_of(f + 0.5),
                                                  rect.bottom() - min(1.0, max(0.0, value)) * rect.height()))
                    p.drawPolyline(QPolygonF(points))
                p.setPen(QColor(255, 255, 255))
                p.drawText(rect.adjusted(4, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, clip.name)
        x = self.x_of(timeline.playhead)
        p.setPen(QPen(QColor(255, 80, 60), 2))
        p.drawLine(int(x), 0, int(x), self.height())
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.scrubbed.emit(self.frame_of(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.scrubbed.emit(self.frame_of(event.position().x()))


class TimelineWidget(QWidget):
    def __init__(self, doc: Document) -> None:
        super().__init__()
        self.setObjectName("timeline")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.label = QLabel()
        self.area = TrackArea(doc)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.advance)
        self.play_button.toggled.connect(self.set_playing)
        self.doc = doc
        self.area.scrubbed.connect(lambda f: self.doc.timeline.seek(f))
        bar = QHBoxLayout()
        bar.addWidget(self.play_button)
        bar.addWidget(self.label)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.area, 1)
        self.set_document(doc)

    def set_document(self, doc: Document) -> None:
        self.doc = doc
        self.area.doc = doc
        doc.timeline.changed.connect(self.refresh)
        doc.timeline.playhead_changed.connect(lambda _f: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        t = self.doc.timeline
        seconds = t.playhead / t.fps if t.fps else 0.0
        self.label.setText(f"frame {t.playhead} / {max(0, t.duration - 1)}   {seconds:0.2f} s   {t.fps:g} fps")
        self.area.setMinimumHeight(RULER_HEIGHT + TRACK_HEIGHT * max(2, len(t.tracks)))
        self.area.update()

    def set_playing(self, playing: bool) -> None:
        if playing and self.doc.timeline.duration > 1:
            self.timer.start(max(1, int(round(1000.0 / self.doc.timeline.fps))))
            self.play_button.setText("Pause")
        else:
            self.timer.stop()
            self.play_button.setText("Play")
            if self.play_button.isChecked():
                self.play_button.setChecked(False)

    def advance(self) -> None:
        t = self.doc.timeline
        nxt = t.playhead + 1
        t.seek(0 if nxt >= t.duration else nxt)
