"""The timeline: tracks of typed clips, a frame rate, a playhead and parameters keyed to frames.

Frames are counted in the timeline's frame rate; each clip may have its own (see
:mod:`studio.document.clips`). Tracks are ordered bottom first: a higher video track covers a lower
one where both have a clip. Track kinds: ``video`` (still, frames and video clips), ``overlay``
(box clips) and ``score`` (score clips).

The methods here change the timeline directly and announce it; the :class:`~studio.document.Document`
wraps them in undoable edits, which is how the GUI and plugins should change a timeline.
"""

from __future__ import annotations

import bisect
import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first

from studio.document.clips import Box, BoxClip, Clip, ScoreClip
from studio.document.events import Event
from studio.document.layers import new_id

TrackKind = Literal["video", "overlay", "score"]
Interpolation = Literal["constant", "linear"]


@dataclass(eq=False)
class Track:
    kind: TrackKind
    name: str = "Track"
    clips: list[Clip] = field(default_factory=list)
    id: str = field(default_factory=new_id)

    def clip_at(self, frame: int, fps: float) -> Clip | None:
        for clip in reversed(self.clips):
            if clip.covers(frame, fps):
                return clip
        return None

    def end(self, fps: float) -> int:
        return max((c.end(fps) for c in self.clips), default=0)


@dataclass
class Keys:
    """A parameter's values at chosen frames (prompt travel, strength curves).

    ``constant``: a value holds until the next key (text); ``linear``: numbers are interpolated.
    """

    points: list[tuple[int, Any]] = field(default_factory=list)
    interpolation: Interpolation = "constant"

    def set(self, frame: int, value: Any) -> None:
        frames = [f for f, _ in self.points]
        i = bisect.bisect_left(frames, frame)
        if i < len(frames) and frames[i] == frame:
            self.points[i] = (frame, value)
        else:
            self.points.insert(i, (frame, value))

    def remove(self, frame: int) -> None:
        self.points = [(f, v) for f, v in self.points if f != frame]

    def value_at(self, frame: int) -> Any:
        if not self.points:
            return None
        frames = [f for f, _ in self.points]
        i = bisect.bisect_right(frames, frame) - 1
        if i < 0:
            return self.points[0][1]
        f0, v0 = self.points[i]
        if self.interpolation == "linear" and i + 1 < len(self.points):
            f1, v1 = self.points[i + 1]
            if isinstance(v0, (int, float)) and isinstance(v1, (int, float)) and f1 > f0:
                return v0 + (v1 - v0) * (frame - f0) / (f1 - f0)
        return v0

    def to_json(self) -> dict[str, Any]:
        return {"interpolation": self.interpolation, "points": [[f, v] for f, v in self.points]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Keys:
        interpolation = data.get("interpolation", "constant")
        return cls([(int(f), v) for f, v in data.get("points", [])],
                   interpolation if interpolation in ("constant", "linear") else "constant")


class Timeline:
    """Tracks, a frame rate, a playhead and keyed parameters. Changes are announced as events."""

    def __init__(self, fps: float = 24.0) -> None:
        self.tracks: list[Track] = []
        self.fps = float(fps)
        self.keys: dict[str, Keys] = {}
        self._playhead = 0
        self.changed = Event()
        self.playhead_changed = Event()

    # -- queries ------------------------------------------------------------
    @property
    def duration(self) -> int:
        return max((t.end(self.fps) for t in self.tracks), default=0)

    @property
    def playhead(self) -> int:
        return self._playhead

    @property
    def clips(self) -> list[Clip]:
        return [c for t in self.tracks for c in t.clips]

    def track_of(self, clip: Clip) -> Track | None:
        return next((t for t in self.tracks if clip in t.clips), None)

    def end_of(self, clip: Clip) -> int:
        return clip.end(self.fps)

    def video_clip_at(self, frame: int | None = None) -> Clip | None:
        """The clip whose picture shows at ``frame`` (the topmost video track with a clip there)."""
        frame = self._playhead if frame is None else frame
        for track in reversed(self.tracks):
            if track.kind == "video":
                clip = track.clip_at(frame, self.fps)
                if clip is not None:
                    return clip
        return None

    def frame_at(self, frame: int | None = None) -> np.ndarray | None:
        """The picture at ``frame`` (default: the playhead) from the topmost video track."""
        frame = self._playhead if frame is None else frame
        clip = self.video_clip_at(frame)
        return None if clip is None else clip.frame_at(frame, self.fps)

    def boxes_at(self, frame: int | None = None) -> list[Box]:
        frame = self._playhead if frame is None else frame
        boxes: list[Box] = []
        for track in self.tracks:
            if track.kind == "overlay":
                clip = track.clip_at(frame, self.fps)
                if isinstance(clip, BoxClip):
                    boxes.extend(clip.boxes_at(frame, self.fps))
        return boxes

    def scores_at(self, frame: int | None = None) -> dict[str, float]:
        frame = self._playhead if frame is None else frame
        out: dict[str, float] = {}
        for track in self.tracks:
            clip = track.clip_at(frame, self.fps) if track.kind == "score" else None
            if isinstance(clip, ScoreClip):
                value = clip.score_at(frame, self.fps)
                if value is not None:
                    out[clip.name] = value
        return out

    def value_at(self, name: str, frame: int | None = None, default: Any = None) -> Any:
        """The keyed parameter ``name`` at ``frame`` (``default`` when it has no keys)."""
        keys = self.keys.get(name)
        value = keys.value_at(self._playhead if frame is None else frame) if keys else None
        return default if value is None else value

    def seconds(self, frame: int) -> float:
        return frame / self.fps if self.fps else 0.0

    def frame_of_seconds(self, seconds: float) -> int:
        return int(round(seconds * self.fps))

    # -- direct changes (the Document makes them undoable) ----------------------
    def seek(self, frame: int) -> None:
        last = max(0, self.duration - 1)
        frame = min(max(0, int(frame)), last)
        if frame != self._playhead:
            self._playhead = frame
            self.playhead_changed.emit(frame)

    def track_for(self, clip: Clip, track: Track | None = None) -> Track:
        """``track`` if the clip may go there, else the first track of its kind (created if needed)."""
        kind = clip.track_kind
        if track is None:
            track = next((t for t in self.tracks if t.kind == kind), None)
        if track is None:
            track = Track(kind=kind, name=kind.capitalize())  # type: ignore[arg-type]
            self.tracks.append(track)
        if track.kind != kind:
            raise ValueError(f"a {clip.kind} clip belongs on a {kind} track, not a {track.kind} track")
        return track

    def add_clip(self, clip: Clip, track: Track | None = None) -> Track:
        """Add ``clip`` to ``track`` (or the first of its kind); a negative ``start`` appends it."""
        track = self.track_for(clip, track)
        if clip.start < 0:
            clip.start = track.end(self.fps)
        track.clips.append(clip)
        self.changed.emit()
        return track

    def remove_clip(self, clip: Clip) -> None:
        track = self.track_of(clip)
        if track is not None:
            track.clips.remove(clip)
            self.changed.emit()

    # -- snapshots for undo ------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Everything an edit may change, sharing pictures and files (cheap)."""
        return {
            "fps": self.fps,
            "tracks": [(t, t.name, list(t.clips)) for t in self.tracks],
            "clips": {c: c.state() for t in self.tracks for c in t.clips},
            "keys": copy.deepcopy(self.keys),
        }

    def restore(self, snap: dict[str, Any]) -> None:
        self.fps = snap["fps"]
        self.tracks = []
        for track, name, clips in snap["tracks"]:
            track.name = name
            track.clips = list(clips)
            self.tracks.append(track)
        for clip, state in snap["clips"].items():
            clip.restore(state)
        self.keys = copy.deepcopy(snap["keys"])
        self.changed.emit()
        last = max(0, self.duration - 1)
        if self._playhead > last:
            self._playhead = last
            self.playhead_changed.emit(last)
