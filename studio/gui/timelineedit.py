"""Timeline editing by mouse: where things are drawn, what a press hits, and what a drag will do.

Kept apart from the widget (no painting here) so the arithmetic is easy to follow and to test. A drag
is previewed — :class:`ClipDrag` holds where the clip would go — and committed once, on release, as
one undoable :class:`~studio.document.Document` edit (a move, or a trim of the in or out point).

Rows are drawn top to bottom from the last track to the first: a higher video track covers a lower
one, as in other video editors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from studio.document import Clip, Document, StillClip, Timeline, Track

RULER_HEIGHT = 20
TRACK_HEIGHT = 28
HEADER_WIDTH = 128
EDGE_PX = 6  # how close to a clip's end a press grabs the trim handle
SNAP_PX = 7  # how close an edge comes to the playhead or another clip's edge before it snaps there
DRAG_START_PX = 3  # a press that moves less than this is a click
FIT_MARGIN = 1.08  # in "fit" zoom the whole timeline and a little room after it are shown

Part = Literal["ruler", "header", "body", "left", "right", "empty", "none"]
DragMode = Literal["move", "left", "right"]


@dataclass
class Geometry:
    """Where frames and tracks are on the widget: ``ppf`` pixels per frame from frame ``offset``."""

    width: float
    ppf: float
    offset: float
    rows: list[Track]  # top to bottom

    @classmethod
    def of(cls, timeline: Timeline, width: float, zoom: float | None, offset: float) -> Geometry:
        span = max(1.0, width - HEADER_WIDTH - 8)
        if zoom is None:  # fit: the whole timeline
            ppf = span / max(1.0, timeline.duration * FIT_MARGIN)
            offset = 0.0
        else:
            ppf = zoom
        return cls(width, ppf, max(0.0, offset), list(reversed(timeline.tracks)))

    @property
    def span(self) -> float:
        return max(1.0, self.width - HEADER_WIDTH - 8)

    @property
    def frames_shown(self) -> float:
        return self.span / self.ppf

    def x_of(self, frame: float) -> float:
        return HEADER_WIDTH + (frame - self.offset) * self.ppf

    def frame_at(self, x: float) -> float:
        return self.offset + (x - HEADER_WIDTH) / self.ppf

    def row_top(self, row: int) -> float:
        return RULER_HEIGHT + row * TRACK_HEIGHT

    def row_of(self, track: Track) -> int:
        return next(i for i, t in enumerate(self.rows) if t is track)

    def track_at(self, y: float) -> Track | None:
        if y < RULER_HEIGHT:
            return None
        row = int((y - RULER_HEIGHT) // TRACK_HEIGHT)
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def clip_box(self, track: Track, start: float, length: float) -> tuple[float, float, float, float]:
        """(x, y, width, height) of a clip on ``track`` spanning ``length`` frames from ``start``."""
        top = self.row_top(self.row_of(track))
        x0, x1 = self.x_of(start), self.x_of(start + length)
        return x0, top + 3, max(2.0, x1 - x0), TRACK_HEIGHT - 6

    @property
    def height(self) -> float:
        return RULER_HEIGHT + TRACK_HEIGHT * max(2, len(self.rows))


@dataclass
class Hit:
    part: Part
    track: Track | None = None
    clip: Clip | None = None
    frame: float = 0.0


def hit_test(geometry: Geometry, timeline: Timeline, x: float, y: float) -> Hit:
    """What is under (x, y): the ruler, a track header, a clip's body or trim edge, or empty track."""
    frame = geometry.frame_at(x)
    if y < RULER_HEIGHT:
        return Hit("ruler", frame=frame)
    track = geometry.track_at(y)
    if track is None:
        return Hit("none", frame=frame)
    if x < HEADER_WIDTH:
        return Hit("header", track, frame=frame)
    fps = timeline.fps
    for clip in reversed(track.clips):  # the clip drawn last is on top
        bx, _, bw, _ = geometry.clip_box(track, clip.start, clip.length(fps))
        edge = EDGE_PX if bw >= 3 * EDGE_PX else max(2.0, bw / 4)
        if bx - 2 <= x <= bx + bw + 2:
            if x <= bx + edge:
                return Hit("left", track, clip, frame)
            if x >= bx + bw - edge:
                return Hit("right", track, clip, frame)
            return Hit("body", track, clip, frame)
    return Hit("empty", track, frame=frame)


def snap_points(timeline: Timeline, skip: Clip | None) -> list[int]:
    """Frames an edge snaps to: the playhead, frame 0, and every other clip's start and end."""
    points = {0, timeline.playhead}
    for clip in timeline.clips:
        if clip is not skip:
            points.add(clip.start)
            points.add(clip.end(timeline.fps))
    return sorted(points)


def snapped(frame: float, points: list[int], ppf: float) -> tuple[float, bool]:
    """``frame`` moved onto the nearest snap point within :data:`SNAP_PX`, if there is one."""
    if not points:
        return frame, False
    best = min(points, key=lambda p: abs(p - frame))
    if abs(best - frame) * ppf <= SNAP_PX:
        return float(best), True
    return frame, False


def trimmed_span(clip: Clip, fps: float, new_in: int, new_out: int, extend_left: int = 0) -> tuple[int, int]:
    """(start, length) of ``clip`` once trimmed to ``new_in`` .. ``new_out`` (as ``Document.trim_clip`` does).

    ``extend_left``: frames a still clip grows by to the left, past its first frame.
    """
    if new_in >= clip.in_point:
        start = clip.timeline_frame(new_in, fps)
    else:
        start = max(0, clip.start - int(round((clip.in_point - new_in) / clip._ratio(fps))))
    twin = clip.duplicate()
    twin.in_point, twin.out_point = new_in, new_out + extend_left
    if isinstance(twin, StillClip):
        twin.duration = max(twin.duration, new_out + extend_left)
    return start - extend_left, twin.length(fps)


@dataclass
class ClipDrag:
    """A drag of a clip's body (move) or of one of its edges (trim), previewed until it is committed."""

    mode: DragMode
    clip: Clip
    track: Track
    press_x: float
    fps: float
    press_y: float = 0.0
    started: bool = False
    start: int = 0
    target: Track | None = None
    in_point: int = 0
    out_point: int = 0
    extend_left: int = 0  # a still's frames added before its first one
    snapped_to: int | None = None
    points: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.start = self.clip.start
        self.target = self.track
        self.in_point = self.clip.in_point
        self.out_point = self.clip.out

    @property
    def length(self) -> int:
        return self.clip.length(self.fps)

    def span(self) -> tuple[int, int]:
        """(start, length) the clip would have if the drag ended now."""
        if self.mode == "move":
            return self.start, self.length
        return trimmed_span(self.clip, self.fps, self.in_point, self.out_point, self.extend_left)

    @property
    def changed(self) -> bool:
        clip = self.clip
        if self.mode == "move":
            return self.start != clip.start or self.target is not self.track
        return (self.in_point, self.out_point, self.extend_left) != (clip.in_point, clip.out, 0)

    def update(self, x: float, geometry: Geometry, hovered: Track | None, y: float | None = None) -> None:
        """Follow the mouse at ``x`` (over track ``hovered``, at height ``y``)."""
        moved = abs(x - self.press_x) + (abs(y - self.press_y) if y is not None else 0.0)
        if not self.started and moved < DRAG_START_PX:
            return
        self.started = True
        clip, fps, ppf = self.clip, self.fps, geometry.ppf
        delta = (x - self.press_x) / ppf  # timeline frames, fractional
        self.snapped_to = None
        if self.mode == "move":
            start = clip.start + delta
            end = start + self.length
            s_start, hit_start = snapped(start, self.points, ppf)
            s_end, hit_end = snapped(end, self.points, ppf)
            if hit_start and (not hit_end or abs(s_start - start) <= abs(s_end - end)):
                start, self.snapped_to = s_start, int(s_start)
            elif hit_end:
                start, self.snapped_to = s_end - self.length, int(s_end)
            self.start = max(0, int(round(start)))
            if hovered is not None and hovered.kind == clip.track_kind:
                self.target = hovered
            return
        ratio = clip._ratio(fps)  # source frames per timeline frame
        if self.mode == "left":
            edge, hit = snapped(clip.start + delta, self.points, ppf)
            if hit:
                self.snapped_to = int(edge)
            shift = int(round((edge - clip.start) * ratio))  # source frames; negative grows the clip
            shift = max(shift, -int(math.floor(clip.start * ratio + 1e-9)))  # not before frame 0
            new_in = min(clip.in_point + shift, clip.out - 1)
            self.extend_left = 0
            if new_in < 0:
                if isinstance(clip, StillClip):
                    self.extend_left = -new_in
                new_in = 0
            self.in_point = new_in
        else:
            end = clip.end(fps)
            edge, hit = snapped(end + delta, self.points, ppf)
            if hit:
                self.snapped_to = int(edge)
            new_out = clip.out + int(round((edge - end) * ratio))
            new_out = max(new_out, clip.in_point + 1)
            if not isinstance(clip, StillClip):
                new_out = min(new_out, clip.source_length)
            self.out_point = new_out

    def commit(self, doc: Document) -> bool:
        """Make the previewed change one undoable edit; False if nothing changed."""
        if not self.started or not self.changed:
            return False
        clip = self.clip
        if self.mode == "move":
            doc.move_clip(clip, self.start, self.target if self.target is not self.track else None)
        elif self.mode == "left" and self.extend_left:
            start, _ = self.span()
            with doc.undo_stack.macro(f"Trim clip '{clip.name}'"):
                doc.trim_clip(clip, in_point=self.in_point, out_point=clip.out + self.extend_left)
                doc.move_clip(clip, max(0, start))
        elif self.mode == "left":
            doc.trim_clip(clip, in_point=self.in_point)
        else:
            doc.trim_clip(clip, out_point=self.out_point)
        return True


def tick_step(ppf: float, fps: float, min_px: float = 70.0) -> int:
    """Frames between labelled ticks of the ruler: a round number of frames or of seconds."""
    rate = max(1, int(round(fps)))
    steps = [1, 2, 5, 10] + [rate * s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)]
    for step in sorted(set(steps)):
        if step * ppf >= min_px:
            return step
    return steps[-1]


def timecode(frame: int, fps: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) with the frame within the second: ``1:02.15``."""
    rate = max(1, int(round(fps)))
    seconds, rest = divmod(int(frame), rate)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    head = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return f"{head}.{rest:02d}"
