"""Clips: one class per kind of media on the timeline, each saving and loading itself.

Every clip takes the frames ``in_point`` .. ``out_point - 1`` of its source (trimmed in and out
points) and shows them from timeline frame ``start``. A clip with its own frame rate (a video file at
30 fps on a 24 fps timeline) is timed by its rate: timeline frame ``f`` shows source frame
``in_point + floor((f - start) * clip_fps / timeline_fps)``.

- :class:`StillClip`: one picture held for ``duration`` frames;
- :class:`FramesClip`: pictures held in memory (generated frames);
- :class:`VideoClip`: a video file referenced by path and SHA-256, decoded on demand;
- :class:`BoxClip`: boxes per frame with stable track ids (grounding, detectors);
- :class:`ScoreClip`: a number per frame (a detector's score), drawn as a curve.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first

from studio.document.layers import new_id
from studio.document.provenance import Record

if TYPE_CHECKING:
    from studio.video import VideoSource


@dataclass(frozen=True)
class Box:
    """A labelled rectangle in pixels, (x0, y0) – (x1, y1).

    ``frame`` is the frame of its clip it belongs to (None: every frame, or a still picture);
    ``track_id`` follows one object from frame to frame (stable across edits and saves);
    ``keyframe`` marks a box a person placed or corrected by hand: a correction is carried to the
    following frames of its track up to the next keyframe (:func:`studio.document.tracks.propagate_correction`).
    """

    x0: float
    y0: float
    x1: float
    y1: float
    label: str = ""
    score: float | None = None
    frame: int | None = None
    track_id: int | None = None
    keyframe: bool = False

    def __post_init__(self) -> None:
        values = (self.x0, self.y0, self.x1, self.y1)
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"a box needs finite coordinates, not {values}")
        if self.x1 < self.x0 or self.y1 < self.y0:  # keep (x0, y0) the top-left corner
            object.__setattr__(self, "x0", min(values[0], values[2]))
            object.__setattr__(self, "x1", max(values[0], values[2]))
            object.__setattr__(self, "y0", min(values[1], values[3]))
            object.__setattr__(self, "y1", max(values[1], values[3]))

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def moved(self, dx: float, dy: float) -> Box:
        return replace(self, x0=self.x0 + dx, y0=self.y0 + dy, x1=self.x1 + dx, y1=self.y1 + dy)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    def to_dict(self) -> dict[str, Any]:
        """The box as JSON-ready values (``keyframe`` only when set: files without it read as before)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        if not self.keyframe:
            del data["keyframe"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Box:
        """A box from :meth:`to_dict`'s values; unknown keys are ignored, missing ones take their defaults."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "keyframe" in values:
            values["keyframe"] = bool(values["keyframe"])
        return cls(**values)


class MediaWriter(Protocol):
    """Where a saving clip puts its pictures and files (the project file)."""

    def add_picture(self, name: str, pixels: np.ndarray) -> str: ...

    def add_media(self, path: Path, sha256: str | None) -> dict[str, Any]: ...


class MediaReader(Protocol):
    def picture(self, name: str) -> np.ndarray: ...

    def video(self, ref: dict[str, Any]) -> VideoSource: ...


@dataclass(eq=False)
class Clip:
    """What every clip has: a place on the timeline, trimmed in/out points, a record of what made it."""

    kind: ClassVar[str] = ""
    track_kind: ClassVar[str] = "video"
    _state_fields: ClassVar[tuple[str, ...]] = ("name", "start", "in_point", "out_point")

    name: str = "Clip"
    start: int = 0
    in_point: int = 0
    out_point: int | None = None
    record: Record | None = None
    id: str = field(default_factory=new_id)

    # -- what the source holds --------------------------------------------
    @property
    def source_length(self) -> int:
        """How many frames the source holds (before trimming)."""
        raise NotImplementedError

    @property
    def fps(self) -> float | None:
        """The clip's own frame rate, or None to follow the timeline's."""
        return None

    def source_frame(self, index: int) -> np.ndarray | None:
        """The picture at frame ``index`` of the source (None for clips without pictures)."""
        return None

    # -- trimmed span ------------------------------------------------------
    @property
    def out(self) -> int:
        end = self.source_length if self.out_point is None else self.out_point
        return max(self.in_point + 1, min(end, self.source_length))

    @property
    def used(self) -> int:
        """Source frames between the in and out points."""
        return self.out - self.in_point

    def _ratio(self, timeline_fps: float) -> float:
        fps = self.fps
        return 1.0 if not fps or not timeline_fps or abs(fps - timeline_fps) < 1e-6 else fps / timeline_fps

    def length(self, timeline_fps: float) -> int:
        """Frames the clip lasts on a timeline of ``timeline_fps``."""
        return max(1, int(math.ceil(self.used / self._ratio(timeline_fps) - 1e-9)))

    def end(self, timeline_fps: float) -> int:
        """The first timeline frame after the clip."""
        return self.start + self.length(timeline_fps)

    def covers(self, frame: int, timeline_fps: float) -> bool:
        return self.start <= frame < self.end(timeline_fps)

    def source_index(self, frame: int, timeline_fps: float) -> int | None:
        """The source frame shown at timeline frame ``frame`` (None outside the clip)."""
        if not self.covers(frame, timeline_fps):
            return None
        offset = int(math.floor((frame - self.start) * self._ratio(timeline_fps) + 1e-9))
        return min(self.in_point + offset, self.out - 1)

    def timeline_frame(self, source_index: int, timeline_fps: float) -> int:
        """The first timeline frame that shows ``source_index``."""
        return self.start + int(math.ceil((source_index - self.in_point) / self._ratio(timeline_fps) - 1e-9))

    def frame_at(self, frame: int, timeline_fps: float) -> np.ndarray | None:
        index = self.source_index(frame, timeline_fps)
        return None if index is None else self.source_frame(index)

    # -- editing support -------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The editable fields, for undo (large data such as pictures is shared, not copied)."""
        return {name: copy.copy(getattr(self, name)) for name in self._state_fields}

    def restore(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, copy.copy(value))

    def duplicate(self) -> Clip:
        """A copy with a new id that shares the source (frames, file) with this clip."""
        twin = copy.copy(self)
        twin.id = new_id()
        for name in self._state_fields:
            setattr(twin, name, copy.copy(getattr(self, name)))
        return twin

    # -- saving -----------------------------------------------------------------
    def to_json(self, writer: MediaWriter) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "start": self.start,
            "in_point": self.in_point,
            "out_point": self.out_point,
            "record": self.record.to_dict() if self.record else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], reader: MediaReader) -> Clip:
        raise NotImplementedError

    @staticmethod
    def _common(data: dict[str, Any]) -> dict[str, Any]:
        record = data.get("record")
        out_point = data.get("out_point")
        return {
            "id": str(data["id"]),
            "name": str(data.get("name", "Clip")),
            "start": int(data.get("start", 0)),
            "in_point": int(data.get("in_point", 0)),
            "out_point": None if out_point is None else int(out_point),
            "record": Record.from_dict(record) if isinstance(record, dict) else None,
        }


@dataclass(eq=False)
class StillClip(Clip):
    """One picture held for ``duration`` frames (trimming shortens or lengthens the hold)."""

    kind: ClassVar[str] = "still"
    _state_fields: ClassVar[tuple[str, ...]] = (*Clip._state_fields, "duration")

    image: np.ndarray = field(default_factory=lambda: np.zeros((1, 1, 3), np.uint8))
    duration: int = 1

    @property
    def source_length(self) -> int:
        return max(1, int(self.duration))

    def source_frame(self, index: int) -> np.ndarray | None:
        return self.image

    def to_json(self, writer: MediaWriter) -> dict[str, Any]:
        return super().to_json(writer) | {"duration": self.duration,
                                          "image": writer.add_picture(f"clips/{self.id}/still.png", self.image)}

    @classmethod
    def from_json(cls, data: dict[str, Any], reader: MediaReader) -> StillClip:
        return cls(image=reader.picture(data["image"]), duration=int(data.get("duration", 1)), **cls._common(data))


@dataclass(eq=False)
class FramesClip(Clip):
    """Pictures held in memory: generated frames, short imported sequences."""

    kind: ClassVar[str] = "frames"
    # the record changes when an edited frame comes back from the canvas (see Document.layer_to_frame)
    _state_fields: ClassVar[tuple[str, ...]] = (*Clip._state_fields, "frames", "record")

    frames: list[np.ndarray] = field(default_factory=list)
    frame_rate: float | None = None

    @property
    def source_length(self) -> int:
        return max(1, len(self.frames))

    @property
    def fps(self) -> float | None:
        return self.frame_rate

    def source_frame(self, index: int) -> np.ndarray | None:
        if not self.frames:
            return None
        return self.frames[min(max(0, index), len(self.frames) - 1)]

    def to_json(self, writer: MediaWriter) -> dict[str, Any]:
        names = [writer.add_picture(f"clips/{self.id}/{n:05d}.png", f) for n, f in enumerate(self.frames)]
        return super().to_json(writer) | {"frames": names, "fps": self.frame_rate}

    @classmethod
    def from_json(cls, data: dict[str, Any], reader: MediaReader) -> FramesClip:
        fps = data.get("fps")
        return cls(frames=[reader.picture(n) for n in data.get("frames", [])],
                   frame_rate=float(fps) if fps else None, **cls._common(data))


@dataclass(eq=False)
class VideoClip(Clip):
    """A video file on disk, never copied or re-encoded: frames are decoded when shown or exported."""

    kind: ClassVar[str] = "video"

    source: VideoSource | None = None

    @property
    def source_length(self) -> int:
        return self.source.frame_count if self.source is not None else 1

    @property
    def fps(self) -> float | None:
        return self.source.fps if self.source is not None else None

    @property
    def path(self) -> Path | None:
        return self.source.path if self.source is not None else None

    @property
    def missing(self) -> bool:
        return self.source is None or self.source.missing or not self.source.path.exists()

    def source_frame(self, index: int) -> np.ndarray | None:
        from studio.errors import BadInputError

        if self.source is None or self.missing:
            return None
        try:
            return self.source.frame(index)
        except BadInputError:
            return None

    def to_json(self, writer: MediaWriter) -> dict[str, Any]:
        assert self.source is not None
        return super().to_json(writer) | {"media": writer.add_media(self.source.path, self.source.sha256),
                                          "info": self.source.info.to_dict()}

    @classmethod
    def from_json(cls, data: dict[str, Any], reader: MediaReader) -> VideoClip:
        return cls(source=reader.video(data["media"] | {"info": data.get("info")}), **cls._common(data))


@dataclass(eq=False)
class BoxClip(Clip):
    """Boxes per frame (each :class:`Box` names its ``frame`` and ``track_id``), over ``frame_count`` frames.

    ``canvas_size`` is the (width, height) of the pictures the boxes refer to ((0, 0): not known — a
    project saved before it was kept; the picture under the clip on the timeline tells).
    """

    kind: ClassVar[str] = "boxes"
    track_kind: ClassVar[str] = "overlay"
    _state_fields: ClassVar[tuple[str, ...]] = (*Clip._state_fields, "boxes")

    boxes: list[Box] = field(default_factory=list)
    frame_count: int = 1
    frame_rate: float | None = None
    canvas_size: tuple[int, int] = (0, 0)

    @property
    def source_length(self) -> int:
        return max(1, self.frame_count)

    @property
    def fps(self) -> float | None:
        return self.frame_rate

    def boxes_at_source(self, index: int) -> list[Box]:
        return [b for b in self.boxes if b.frame is None or b.frame == index]

    def boxes_at(self, frame: int, timeline_fps: float) -> list[Box]:
        index = self.source_index(frame, timeline_fps)
        return [] if index is None else self.boxes_at_source(index)

    def track_ids(self) -> list[int]:
        return sorted({b.track_id for b in self.boxes if b.track_id is not None})

    def next_track_id(self) -> int:
        return max(self.track_ids(), default=0) + 1

    def to_json(self, writer: MediaWriter) -> dict[str, Any]:
        return super().to_json(writer) | {"boxes": [b.to_dict() for b in self.boxes],
                                          "frame_count": self.frame_count, "fps": self.frame_rate,
                                          "size": list(self.canvas_size)}

    @classmethod
    def from_json(cls, data: dict[str, Any], reader: MediaReader) -> BoxClip:
        fps = data.get("fps")
        size = data.get("size") or (0, 0)
        return cls(boxes=[Box.from_dict(b) for b in data.get("boxes", [])],
                   frame_count=int(data.get("frame_count", 1)), frame_rate=float(fps) if fps else None,
                   canvas_size=(int(size[0]), int(size[1])), **cls._common(data))


@dataclass(eq=False)
class ScoreClip(Clip):
    """A number per frame in 0..1 (a detector's score), drawn as a curve under the video."""

    kind: ClassVar[str] = "score"
    track_kind: ClassVar[str] = "score"

    scores: list[float] = field(default_factory=list)
    frame_rate: float | None = None

    @property
    def source_length(self) -> int:
        return max(1, len(self.scores))

    @property
    def fps(self) -> float | None:
        return self.frame_rate

    def score_at(self, frame: int, timeline_fps: float) -> float | None:
        index = self.source_index(frame, timeline_fps)
        return None if index is None or not self.scores else self.scores[index]

    def to_json(self, writer: MediaWriter) -> dict[str, Any]:
        return super().to_json(writer) | {"scores": [float(s) for s in self.scores], "fps": self.frame_rate}

    @classmethod
    def from_json(cls, data: dict[str, Any], reader: MediaReader) -> ScoreClip:
        fps = data.get("fps")
        return cls(scores=[float(s) for s in data.get("scores", [])], frame_rate=float(fps) if fps else None,
                   **cls._common(data))


CLIP_TYPES: dict[str, type[Clip]] = {c.kind: c for c in (StillClip, FramesClip, VideoClip, BoxClip, ScoreClip)}


def clip_from_json(data: dict[str, Any], reader: MediaReader) -> Clip:
    kind = data.get("kind")
    cls = CLIP_TYPES.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown clip kind {kind!r}")
    return cls.from_json(data, reader)
