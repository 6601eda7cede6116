"""The timeline: tracks of clips, a frame rate and a playhead.

Frames are counted in the timeline's frame rate. A clip starts at ``start`` and
lasts ``length`` frames. Kinds of clip:

- ``still``: one image shown for ``duration`` frames;
- ``frames``: a sequence of images (a generated or imported video);
- ``overlay``: per-frame boxes with labels (grounding results);
- ``score``: a per-frame number (a detector's score), drawn as a curve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from studio.document.events import Event
from studio.document.layers import new_id
from studio.document.provenance import Record

ClipKind = Literal["still", "frames", "overlay", "score"]
TrackKind = Literal["video", "overlay", "score"]
TRACK_FOR_CLIP: dict[str, str] = {"still": "video", "frames": "video", "overlay": "overlay", "score": "score"}


@dataclass(frozen=True)
class Box:
    """A labelled rectangle in pixel coordinates (x0, y0) – (x1, y1)."""

    x0: float
    y0: float
    x1: float
    y1: float
    label: str = ""
    score: float | None = None


@dataclass(eq=False)
class Clip:
    kind: ClipKind
    name: str = "Clip"
    start: int = 0
    frames: list[np.ndarray] = field(default_factory=list)
    duration: int = 1
    boxes: list[list[Box]] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    record: Record | None = None
    id: str = field(default_factory=new_id)

    @property
    def length(self) -> int:
        if self.kind == "frames":
            return len(self.frames)
        if self.kind == "overlay":
            return len(self.boxes)
        if self.kind == "score":
            return len(self.scores)
        return max(1, self.duration)

    @property
    def end(self) -> int:
        """The first frame after the clip."""
        return self.start + self.length

    def covers(self, frame: int) -> bool:
        return self.start <= frame < self.end

    def frame(self, frame: int) -> np.ndarray | None:
        if not self.covers(frame):
            return None
        if self.kind == "still":
            return self.frames[0] if self.frames else None
        if self.kind == "frames":
            return self.frames[frame - self.start]
        return None


@dataclass(eq=False)
class Track:
    kind: TrackKind
    name: str = "Track"
    clips: list[Clip] = field(default_factory=list)
    id: str = field(default_factory=new_id)

    def clip_at(self, frame: int) -> Clip | None:
        for clip in reversed(self.clips):
            if clip.covers(frame):
                return clip
        return None

    @property
    def end(self) -> int:
        return max((c.end for c in self.clips), default=0)


class Timeline:
    """Tracks, a frame rate and a playhead. Changes are announced as events."""

    def __init__(self, fps: float = 24.0) -> None:
        self.tracks: list[Track] = []
        self.fps = float(fps)
        self._playhead = 0
        self.changed = Event()
        self.playhead_changed = Event()

    @property
    def duration(self) -> int:
        return max((t.end for t in self.tracks), default=0)

    @property
    def playhead(self) -> int:
        return self._playhead

    def seek(self, frame: int) -> None:
        last = max(0, self.duration - 1)
        frame = min(max(0, int(frame)), last)
        if frame != self._playhead:
            self._playhead = frame
            self.playhead_changed.emit(frame)

    def add_clip(self, clip: Clip, track: Track | None = None) -> Track:
        """Add ``clip`` to ``track``, or to the first track of its kind (created if needed)."""
        kind = TRACK_FOR_CLIP[clip.kind]
        if track is None:
            track = next((t for t in self.tracks if t.kind == kind), None)
        if track is None:
            track = Track(kind=kind, name=kind.capitalize())  # type: ignore[arg-type]
            self.tracks.append(track)
        if track.kind != kind:
            raise ValueError(f"a {clip.kind} clip belongs on a {kind} track, not a {track.kind} track")
        if clip.start < 0:
            clip.start = track.end
        track.clips.append(clip)
        self.changed.emit()
        return track

    def remove_clip(self, clip: Clip) -> None:
        for track in self.tracks:
            if clip in track.clips:
                track.clips.remove(clip)
                self.changed.emit()
                return

    def frame_at(self, frame: int | None = None) -> np.ndarray | None:
        """The picture at ``frame`` (default: the playhead) from the topmost video track."""
        frame = self._playhead if frame is None else frame
        for track in reversed(self.tracks):
            if track.kind != "video":
                continue
            clip = track.clip_at(frame)
            if clip is not None:
                return clip.frame(frame)
        return None

    def boxes_at(self, frame: int | None = None) -> list[Box]:
        frame = self._playhead if frame is None else frame
        boxes: list[Box] = []
        for track in self.tracks:
            if track.kind == "overlay":
                clip = track.clip_at(frame)
                if clip is not None:
                    boxes.extend(clip.boxes[frame - clip.start])
        return boxes

    def frame_rate_of(self, frame: int | None = None) -> float:
        return self.fps
