"""The timeline: tracks of clips, a playhead to scrub, play/pause, and editing by mouse and keys.

- Click or drag in the ruler (or on empty track) to move the playhead; Ctrl+wheel zooms the time axis
  around the mouse, the wheel scrolls it.
- Click a clip to select it; drag its body to move it (along its track, or onto another track of the
  same kind); drag its left or right edge to trim it (a still picture can be stretched). The drag is
  previewed and becomes one undoable edit when the mouse is released.
- Split at the playhead (S), Duplicate (Ctrl+D), Delete (Del), move the selected track up or down
  (buttons or the track header's right-click menu).
- Space plays and pauses (frames are dropped rather than falling behind), Left/Right step one frame,
  Home/End go to the start/end.
- "To canvas" takes the picture at the playhead as a canvas layer; "Back to timeline" puts the active
  layer at the playhead.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QIcon,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QMenu,
    QScrollArea,
    QScrollBar,
    QSizePolicy,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from studio.document import BoxClip, Clip, Document, ScoreClip, Track, VideoClip
from studio.errors import StudioError, window_text
from studio.gui.timelineedit import (
    HEADER_WIDTH,
    RULER_HEIGHT,
    TRACK_HEIGHT,
    ClipDrag,
    Geometry,
    hit_test,
    snap_points,
    tick_step,
    timecode,
)

CLIP_COLOURS = {"still": QColor(80, 120, 200), "frames": QColor(70, 150, 110), "video": QColor(60, 130, 150),
                "boxes": QColor(200, 160, 40), "score": QColor(170, 80, 160)}
KIND_WORDS = {"video": "Pictures", "overlay": "Boxes", "score": "Scores"}
ZOOM_STEP = 1.25
MIN_PPF, MAX_PPF = 0.002, 60.0


class TrackArea(QWidget):
    """Paints the ruler, the tracks and the playhead; mouse editing of clips (see the module docstring)."""

    scrubbed = Signal(int)
    selection_changed = Signal()
    view_changed = Signal()  # zoom or scroll
    failed = Signal(str)

    def __init__(self, doc: Document) -> None:
        super().__init__()
        self.doc = doc
        self.zoom: float | None = None  # pixels per frame; None: fit the whole timeline
        self.offset = 0.0  # the first frame shown when zoomed
        self.selected: Clip | None = None
        self.selected_track: Track | None = None
        self.drag: ClipDrag | None = None
        self._scrubbing = False
        self._drag_geometry: Geometry | None = None
        self.setMinimumHeight(RULER_HEIGHT + TRACK_HEIGHT * 2)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # -- geometry --------------------------------------------------------------
    def geometry_now(self) -> Geometry:
        if self._drag_geometry is not None:  # frozen while dragging, so the view does not shift under the mouse
            return self._drag_geometry
        return Geometry.of(self.doc.timeline, self.width(), self.zoom, self.offset)

    def x_of(self, frame: float) -> float:
        return self.geometry_now().x_of(frame)

    def frame_of(self, x: float) -> int:
        return int(self.geometry_now().frame_at(x))

    def set_zoom(self, ppf: float | None, anchor_x: float | None = None) -> None:
        """Pixels per frame (None: fit), keeping the frame under ``anchor_x`` in place."""
        before = self.geometry_now()
        if ppf is None:
            self.zoom, self.offset = None, 0.0
        else:
            ppf = min(MAX_PPF, max(MIN_PPF, ppf))
            x = anchor_x if anchor_x is not None else before.x_of(self.doc.timeline.playhead)
            frame = before.frame_at(x)
            self.zoom = ppf
            self.offset = max(0.0, frame - (x - HEADER_WIDTH) / ppf)
        self.view_changed.emit()
        self.update()

    def zoom_by(self, factor: float, anchor_x: float | None = None) -> None:
        self.set_zoom(self.geometry_now().ppf * factor, anchor_x)

    def scroll_to(self, offset: float) -> None:
        if self.zoom is not None:
            self.offset = max(0.0, offset)
            self.update()

    def ensure_visible(self, frame: int) -> None:
        """Scroll so that ``frame`` (the playhead) is on screen (zoomed in only)."""
        if self.zoom is None or self.drag is not None:
            return
        g = self.geometry_now()
        if frame < g.offset or frame > g.offset + g.frames_shown - 1:
            self.offset = max(0.0, frame - g.frames_shown * 0.1)
            self.view_changed.emit()

    def live_selection(self) -> Clip | None:
        """The selected clip, if it is still on the timeline (an undo may have taken it away)."""
        if self.selected is not None and self.doc.timeline.track_of(self.selected) is None:
            self.selected = None
        return self.selected

    def live_track(self) -> Track | None:
        if self.selected_track is not None and self.selected_track not in self.doc.timeline.tracks:
            self.selected_track = None
        return self.selected_track

    def select(self, clip: Clip | None, track: Track | None = None) -> None:
        self.selected = clip
        self.selected_track = track if track is not None else (
            self.doc.timeline.track_of(clip) if clip is not None else self.selected_track)
        self.selection_changed.emit()
        self.update()

    # -- painting ----------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        timeline = self.doc.timeline
        g = self.geometry_now()
        fps = timeline.fps
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(34, 34, 38))
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        p.setFont(font)
        metrics = QFontMetrics(font)
        # ruler
        p.fillRect(QRectF(0, 0, self.width(), RULER_HEIGHT), QColor(46, 46, 52))
        step = tick_step(g.ppf, fps)
        first = int(g.offset // step) * step
        last = int(g.offset + g.frames_shown) + step
        p.setPen(QColor(165, 165, 170))
        minor = max(1, step // 5)
        for f in range(first, last + 1, minor):
            x = g.x_of(f)
            if x < HEADER_WIDTH:
                continue
            if f % step == 0:
                p.drawLine(QPointF(x, RULER_HEIGHT - 9), QPointF(x, RULER_HEIGHT))
                text = timecode(f, fps) if step >= max(1, round(fps)) else str(f)
                if x + 3 + metrics.horizontalAdvance(text) < self.width():
                    p.drawText(QPointF(x + 3, 12), text)
            elif minor * g.ppf >= 5:
                p.drawLine(QPointF(x, RULER_HEIGHT - 4), QPointF(x, RULER_HEIGHT))
        # rows
        selected = self.live_selection()
        current_track = self.live_track()
        for row, track in enumerate(g.rows):
            top = g.row_top(row)
            shade = QColor(40, 40, 45) if row % 2 == 0 else QColor(36, 36, 41)
            p.fillRect(QRectF(HEADER_WIDTH, top, self.width() - HEADER_WIDTH, TRACK_HEIGHT), shade)
            header = QRectF(0, top, HEADER_WIDTH - 2, TRACK_HEIGHT - 1)
            p.fillRect(header, QColor(70, 80, 105) if track is current_track else QColor(50, 50, 56))
            p.setPen(QColor(225, 225, 225))
            name = metrics.elidedText(track.name, Qt.TextElideMode.ElideRight, HEADER_WIDTH - 12)
            p.drawText(header.adjusted(6, 2, -4, -TRACK_HEIGHT / 2), Qt.AlignmentFlag.AlignVCenter, name)
            p.setPen(QColor(150, 150, 160))
            p.drawText(header.adjusted(6, TRACK_HEIGHT / 2 - 2, -4, -2), Qt.AlignmentFlag.AlignVCenter,
                       KIND_WORDS.get(track.kind, track.kind))
            for clip in track.clips:
                if self.drag is not None and self.drag.started and clip is self.drag.clip:
                    continue
                self._paint_clip(p, g, track, clip, clip.start, clip.length(fps), clip is selected, metrics)
        if self.drag is not None and self.drag.started:
            d = self.drag
            x, y, w, h = g.clip_box(d.track, d.clip.start, d.clip.length(fps))
            pen = QPen(QColor(255, 255, 255, 110), 1, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(x, y, w, h))  # where it was
            start, length = d.span()
            self._paint_clip(p, g, d.target or d.track, d.clip, start, length, True, metrics)
            if d.snapped_to is not None:
                sx = g.x_of(d.snapped_to)
                p.setPen(QPen(QColor(255, 230, 120), 1))
                p.drawLine(QPointF(sx, RULER_HEIGHT), QPointF(sx, self.height()))
        # playhead
        x = g.x_of(timeline.playhead)
        if x >= HEADER_WIDTH:
            p.setPen(QPen(QColor(255, 80, 60), 2))
            p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
            p.setBrush(QColor(255, 80, 60))
            p.drawPolygon(QPolygonF([QPointF(x - 5, 0), QPointF(x + 5, 0), QPointF(x, 7)]))
        p.end()

    def _paint_clip(self, p: QPainter, g: Geometry, track: Track, clip: Clip, start: int, length: int,
                    selected: bool, metrics: QFontMetrics) -> None:
        fps = self.doc.timeline.fps
        x, y, w, h = g.clip_box(track, start, length)
        if x + w < HEADER_WIDTH or x > self.width():
            return
        left = max(x, float(HEADER_WIDTH))
        rect = QRectF(left, y, x + w - left, h)
        colour = QColor(CLIP_COLOURS.get(clip.kind, QColor(120, 120, 120)))
        missing = isinstance(clip, VideoClip) and clip.missing
        if missing:
            colour = QColor(150, 60, 60)
        if selected:
            colour = colour.lighter(135)
        p.fillRect(rect, colour)
        if isinstance(clip, ScoreClip) and clip.scores:
            p.setPen(QPen(QColor(255, 255, 255), 1))
            points = []
            every = max(1, int(1 / max(g.ppf, 1e-9)))
            for f in range(max(start, int(g.offset)), min(start + length, int(g.offset + g.frames_shown) + 1), every):
                value = clip.score_at(f - start + clip.start, fps)
                if value is not None:
                    points.append(QPointF(g.x_of(f + 0.5), y + h - min(1.0, max(0.0, value)) * h))
            if points:
                p.drawPolyline(QPolygonF(points))
        # trim handles: lighter bars at both ends
        p.fillRect(QRectF(x, y, min(4.0, w / 3), h), colour.lighter(150))
        p.fillRect(QRectF(x + w - min(4.0, w / 3), y, min(4.0, w / 3), h), colour.lighter(150))
        if selected:
            p.setPen(QPen(QColor(255, 255, 255), 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect.adjusted(1, 1, -1, -1))
        text = clip.name + ("  (missing)" if missing else "")
        if isinstance(clip, BoxClip):
            text += f"  · {len(clip.boxes)} boxes"
        available = int(rect.width()) - 10
        if available > 12:
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, available)
            if isinstance(clip, ScoreClip):  # keep the name readable over the curve
                tab = QRectF(rect.left() + 4, rect.center().y() - metrics.height() / 2,
                             metrics.horizontalAdvance(shown) + 6, metrics.height())
                p.fillRect(tab, QColor(0, 0, 0, 120))
            p.setPen(QColor(255, 255, 255))
            p.drawText(rect.adjusted(6, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter, shown)

    # -- mouse -----------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        pos = event.position()
        g = self.geometry_now()
        hit = hit_test(g, self.doc.timeline, pos.x(), pos.y())
        if event.button() != Qt.MouseButton.LeftButton:
            if hit.clip is not None and hit.clip is not self.selected:
                self.select(hit.clip)
            elif hit.track is not None and hit.clip is None:
                self.select(None, hit.track)
            return
        if hit.part in ("body", "left", "right") and hit.clip is not None and hit.track is not None:
            self.select(hit.clip)
            mode = "move" if hit.part == "body" else hit.part
            self.drag = ClipDrag(mode, hit.clip, hit.track, pos.x(), self.doc.timeline.fps)
            self.drag.points = snap_points(self.doc.timeline, hit.clip)
            self._drag_geometry = g
            return
        if hit.part == "header":
            self.select(None, hit.track)
            return
        if hit.part in ("empty", "none") and self.selected is not None:
            self.select(None, hit.track)
        self._scrubbing = True
        self.scrubbed.emit(max(0, int(hit.frame)))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if self.drag is not None and event.buttons() & Qt.MouseButton.LeftButton:
            g = self.geometry_now()
            self.drag.update(pos.x(), g, g.track_at(pos.y()), pos.y())
            self.update()
            return
        if self._scrubbing and event.buttons() & Qt.MouseButton.LeftButton:
            self.scrubbed.emit(max(0, self.frame_of(pos.x())))
            return
        hit = hit_test(self.geometry_now(), self.doc.timeline, pos.x(), pos.y())
        if hit.part in ("left", "right"):
            self.setCursor(Qt.CursorShape.SizeHorCursor)
        elif hit.part == "body":
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.unsetCursor()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._scrubbing = False
        drag, self.drag = self.drag, None
        self._drag_geometry = None
        if drag is not None:
            try:
                drag.commit(self.doc)
            except StudioError as exc:
                self.failed.emit(window_text(exc))
            self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120 or event.angleDelta().x() / 120
        if not steps:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(ZOOM_STEP ** steps, event.position().x())
        elif self.zoom is not None:
            g = self.geometry_now()
            self.offset = max(0.0, self.offset - steps * g.frames_shown / 8)
            self.view_changed.emit()
            self.update()
        event.accept()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        owner = self.parentWidget()
        while owner is not None and not isinstance(owner, TimelineWidget):
            owner = owner.parentWidget()
        if owner is None:
            return
        hit = hit_test(self.geometry_now(), self.doc.timeline, event.pos().x(), event.pos().y())
        if hit.track is None:
            return
        menu = QMenu(self)
        if hit.clip is not None:
            for action in (owner.split_action, owner.duplicate_action, owner.delete_action):
                menu.addAction(action)
            menu.addSeparator()
        menu.addAction(owner.track_up_action)
        menu.addAction(owner.track_down_action)
        extras: dict[object, Callable[[], object]] = {}
        items = owner.extra_clip_items(hit.clip) if hit.clip is not None and owner.extra_clip_items else []
        if items:
            menu.addSeparator()
        for text, callback in items:
            extras[menu.addAction(text)] = callback
        owner.update_actions()
        chosen = owner.exec_menu(menu, event.globalPos())
        if chosen is not None and chosen in extras:
            extras[chosen]()


class TimelineWidget(QWidget):
    """The timeline panel: a tool bar (transport, edits, zoom), the track area and its scroll bar."""

    notify = Signal(str, str)  # level, text
    contents_changed = Signal(bool)  # whether the timeline has clips

    def __init__(self, doc: Document) -> None:
        super().__init__()
        self.setObjectName("timeline")
        self.doc = doc
        self.area = TrackArea(doc)
        self.area.scrubbed.connect(lambda f: self.doc.timeline.seek(f))
        self.area.selection_changed.connect(self.update_actions)
        self.area.view_changed.connect(self._sync_scrollbar)
        self.area.failed.connect(lambda text: self.notify.emit("warning", text))
        self.scrollbar = QScrollBar(Qt.Orientation.Horizontal)
        self.scrollbar.valueChanged.connect(lambda v: self.area.scroll_to(float(v)))
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.advance)
        self._play_clock: tuple[float, int] | None = None  # (time.perf_counter at start, frame at start)
        self.exec_menu: Callable[[QMenu, QPoint], object] = lambda menu, pos: menu.exec(pos)  # tests replace it
        # the window's entries for a clip's right-click menu (a box clip's COCO export): (text, what it does)
        self.extra_clip_items: Callable[[Clip], list[tuple[str, Callable[[], object]]]] | None = None

        style = self.style()
        icon = style.standardIcon
        self.home_action = self._action("Go to start", "Home", self.go_start,
                                        icon(QStyle.StandardPixmap.SP_MediaSkipBackward))
        self.prev_action = self._action("Previous frame", "Left", lambda: self.step(-1),
                                        icon(QStyle.StandardPixmap.SP_MediaSeekBackward))
        self.play_action = self._action("Play", "Space", self.toggle_play, icon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_action.setCheckable(True)
        self.next_action = self._action("Next frame", "Right", lambda: self.step(1),
                                        icon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.end_action = self._action("Go to end", "End", self.go_end, icon(QStyle.StandardPixmap.SP_MediaSkipForward))
        self.split_action = self._action("Split", "S", self.split, tip="Cut the clip in two at the playhead")
        self.duplicate_action = self._action("Duplicate", "Ctrl+D", self.duplicate,
                                             tip="Put a copy of the selected clip after it")
        self.delete_action = self._action("Delete", QKeySequence(Qt.Key.Key_Delete), self.delete,
                                          tip="Take the selected clip off the timeline")
        self.track_up_action = self._action("Track up", None, lambda: self.move_track(+1),
                                            icon(QStyle.StandardPixmap.SP_ArrowUp),
                                            tip="Move the selected track up (higher pictures cover lower ones)")
        self.track_down_action = self._action("Track down", None, lambda: self.move_track(-1),
                                              icon(QStyle.StandardPixmap.SP_ArrowDown),
                                              tip="Move the selected track down")
        self.to_canvas_action = self._action("To canvas", None, self.to_canvas,
                                             tip="Take the picture at the playhead onto the canvas as a layer")
        self.to_timeline_action = self._action("Back to timeline", None, self.to_timeline,
                                               tip="Put the active canvas layer on the timeline at the playhead")
        self.zoom_out_action = self._action("Zoom out", None, lambda: self.area.zoom_by(1 / ZOOM_STEP),
                                            tip="Show more of the timeline (Ctrl+wheel)")
        self.zoom_fit_action = self._action("Fit", None, lambda: self.area.set_zoom(None),
                                            tip="Show the whole timeline")
        self.zoom_in_action = self._action("Zoom in", None, lambda: self.area.zoom_by(ZOOM_STEP),
                                           tip="Show the timeline in more detail (Ctrl+wheel)")
        self.zoom_out_action.setText("−")
        self.zoom_in_action.setText("+")

        self.toolbar = QToolBar()
        self.toolbar.setObjectName("timeline_tools")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.setIconSize(self.toolbar.iconSize() * 0.8)
        for action in (self.home_action, self.prev_action, self.play_action, self.next_action, self.end_action):
            self.toolbar.addAction(action)
            button = self.toolbar.widgetForAction(action)
            if button is not None:
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)  # type: ignore[attr-defined]
        self.label = QLabel()
        self.label.setObjectName("timeline_position")
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("0:00:00.00  frame 000000 / 000000"))
        self.toolbar.addWidget(self.label)
        self.toolbar.addSeparator()
        for action in (self.split_action, self.duplicate_action, self.delete_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        for action in (self.track_up_action, self.track_down_action):
            self.toolbar.addAction(action)
            button = self.toolbar.widgetForAction(action)
            if button is not None:
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)  # type: ignore[attr-defined]
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.to_canvas_action)
        self.toolbar.addAction(self.to_timeline_action)
        self.toolbar.addSeparator()
        for action in (self.zoom_out_action, self.zoom_fit_action, self.zoom_in_action):
            self.toolbar.addAction(action)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 2)
        layout.setSpacing(0)
        self.tracks_view = QScrollArea()  # many tracks scroll up and down instead of growing the window
        self.tracks_view.setWidget(self.area)
        self.tracks_view.setWidgetResizable(True)
        self.tracks_view.setFrameShape(QFrame.Shape.NoFrame)
        self.tracks_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tracks_view.setMinimumHeight(RULER_HEIGHT + TRACK_HEIGHT * 2 + 2)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.tracks_view, 1)
        layout.addWidget(self.scrollbar)
        self.set_document(doc)

    def _action(self, text: str, shortcut: str | QKeySequence | None, slot: Callable[[], object],
                icon: QIcon | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(icon)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            # active while the timeline (or a widget the window adds the action to, the canvas) has focus,
            # so typing a prompt or using a list never triggers it
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip or text}{f' ({keys})' if keys else ''}")
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    @property
    def transport_actions(self) -> list[QAction]:
        """Play/pause and stepping: the window adds these to the canvas too."""
        return [self.play_action, self.prev_action, self.next_action, self.home_action, self.end_action]

    @property
    def edit_actions(self) -> list[QAction]:
        return [self.split_action, self.duplicate_action, self.delete_action, self.track_up_action,
                self.track_down_action, self.to_canvas_action, self.to_timeline_action]

    # -- document ------------------------------------------------------------------------
    def set_document(self, doc: Document) -> None:
        self.set_playing(False)
        previous = getattr(self, "_listening", None)
        if previous is not None:  # listen to one document only, once
            previous.timeline.changed.disconnect(self.refresh)
            previous.timeline.playhead_changed.disconnect(self._playhead_moved)
            previous.active_changed.disconnect(self._active_changed)
            previous.layers_changed.disconnect(self.update_actions)
        self._listening: Document | None = doc
        self.doc = doc
        self.area.doc = doc
        if previous is not doc:
            self.area.selected = None
            self.area.selected_track = None
        doc.timeline.changed.connect(self.refresh)
        doc.timeline.playhead_changed.connect(self._playhead_moved)
        doc.active_changed.connect(self._active_changed)
        doc.layers_changed.connect(self.update_actions)
        self.refresh()

    def _active_changed(self, _layer: object) -> None:
        self.update_actions()

    def _playhead_moved(self, frame: int) -> None:
        self.area.ensure_visible(frame)
        self._update_label()
        if not self.playing:  # what can be split or taken to the canvas depends on the playhead
            self.split_action.setEnabled(self._split_target() is not None)
            self.to_canvas_action.setEnabled(self.doc.timeline.video_clip_at() is not None)
        self.area.update()

    def _update_label(self) -> None:
        t = self.doc.timeline
        last = max(0, t.duration - 1)
        self.label.setText(f"  {timecode(t.playhead, t.fps)}   frame {t.playhead} / {last}  ")
        self.label.setToolTip(f"{t.seconds(t.playhead):.2f} s of {t.seconds(t.duration):.2f} s at {t.fps:g} "
                              "frames a second")

    def refresh(self) -> None:
        t = self.doc.timeline
        self._update_label()
        self.area.setMinimumHeight(RULER_HEIGHT + TRACK_HEIGHT * max(2, len(t.tracks)) + 2)
        self._sync_scrollbar()
        self.update_actions()
        self.area.update()
        self.contents_changed.emit(bool(t.clips))

    def _sync_scrollbar(self) -> None:
        g = self.area.geometry_now()
        total = max(self.doc.timeline.duration * 1.1, 1.0)
        hidden = max(0, int(total - g.frames_shown))
        self.scrollbar.blockSignals(True)
        self.scrollbar.setRange(0, hidden if self.area.zoom is not None else 0)
        self.scrollbar.setPageStep(max(1, int(g.frames_shown)))
        self.scrollbar.setValue(int(self.area.offset))
        self.scrollbar.blockSignals(False)
        self.scrollbar.setVisible(self.area.zoom is not None and hidden > 0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._sync_scrollbar()

    def update_actions(self) -> None:
        t = self.doc.timeline
        has = bool(t.clips)
        clip = self.area.live_selection()
        for action in (self.duplicate_action, self.delete_action):
            action.setEnabled(clip is not None)
        self.split_action.setEnabled(self._split_target() is not None)
        track = self.current_track()
        index = t.tracks.index(track) if track is not None else -1
        self.track_up_action.setEnabled(track is not None and index < len(t.tracks) - 1)
        self.track_down_action.setEnabled(track is not None and index > 0)
        self.to_canvas_action.setEnabled(t.video_clip_at() is not None)
        layer = self.doc.active_layer
        self.to_timeline_action.setEnabled(layer is not None and layer.kind != "boxes")
        for action in (self.play_action, self.home_action, self.end_action, self.prev_action, self.next_action):
            action.setEnabled(has)

    def current_track(self) -> Track | None:
        clip = self.area.live_selection()
        if clip is not None:
            return self.doc.timeline.track_of(clip)
        return self.area.live_track()

    # -- transport --------------------------------------------------------------------------
    def toggle_play(self) -> None:
        self.set_playing(self.timer.isActive() is False)

    def set_playing(self, playing: bool) -> None:
        t = self.doc.timeline
        if playing and t.duration > 1:
            self._play_clock = (time.perf_counter(), t.playhead)
            # tick twice a frame: the playhead follows the clock, so a late tick skips frames instead of
            # slowing the playback down
            self.timer.start(max(4, int(500.0 / max(1.0, t.fps))))
            self.play_action.setText("Pause")
            self.play_action.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))
            self.play_action.setChecked(True)
        else:
            self.timer.stop()
            self._play_clock = None
            self.play_action.setText("Play")
            self.play_action.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
            self.play_action.setChecked(False)
            self.update_actions()

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def advance(self) -> None:
        t = self.doc.timeline
        if self._play_clock is None or t.duration <= 1:
            self.set_playing(False)
            return
        began, first = self._play_clock
        frame = first + int((time.perf_counter() - began) * t.fps)
        if frame >= t.duration:  # loop
            frame %= t.duration
            self._play_clock = (time.perf_counter() - frame / t.fps, 0)
        if frame != t.playhead:
            t.seek(frame)

    def step(self, delta: int) -> None:
        self.set_playing(False)
        self.doc.timeline.seek(self.doc.timeline.playhead + delta)

    def go_start(self) -> None:
        self.set_playing(False)
        self.doc.timeline.seek(0)

    def go_end(self) -> None:
        self.set_playing(False)
        self.doc.timeline.seek(self.doc.timeline.duration - 1)

    # -- edits -------------------------------------------------------------------------------
    def _split_target(self) -> Clip | None:
        """The selected clip if the playhead is inside it, else the picture clip under the playhead."""
        t = self.doc.timeline
        at = t.playhead
        clip = self.area.live_selection()
        if clip is not None and clip.start < at < clip.end(t.fps):
            return clip
        clip = t.video_clip_at(at)
        if clip is not None and clip.start < at < clip.end(t.fps):
            return clip
        return None

    def _run(self, edit: Callable[[], object]) -> None:
        try:
            edit()
        except StudioError as exc:
            self.notify.emit("warning", window_text(exc))
        self.update_actions()
        self.area.update()

    def split(self) -> None:
        clip = self._split_target()
        if clip is None:
            self.notify.emit("warning", "Move the playhead inside a clip to split it.")
            return
        self._run(lambda: self.doc.split_clip(clip))

    def duplicate(self) -> None:
        clip = self.area.live_selection()
        if clip is not None:
            self._run(lambda: self.area.select(self.doc.duplicate_clip(clip)))

    def delete(self) -> None:
        clip = self.area.live_selection()
        if clip is not None:
            self.area.select(None)
            self._run(lambda: self.doc.remove_clip(clip))

    def move_track(self, delta: int) -> None:
        track = self.current_track()
        if track is None:
            return
        self.area.selected_track = track
        index = self.doc.timeline.tracks.index(track)
        self._run(lambda: self.doc.move_track(track, index + delta))

    def to_canvas(self) -> None:
        self.set_playing(False)
        self._run(lambda: self.doc.frame_to_layer())

    def to_timeline(self) -> None:
        layer = self.doc.active_layer
        if layer is None or layer.kind == "boxes":
            self.notify.emit("warning", "Select a picture layer to put it on the timeline.")
            return
        self.set_playing(False)
        self._run(lambda: self.doc.layer_to_frame(layer))
