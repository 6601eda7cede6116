"""What an action returns, and what a report section may carry: media of every kind.

- :class:`OutputImage`: a picture (a canvas layer, or a file on the CLI); ``kind="mask"`` for a mask;
- :class:`OutputClip`: frames with a frame rate (a timeline clip, or a video file on the CLI);
- :class:`OutputBoxes`: labelled boxes in pixels, on a still or per frame with track ids (vector
  overlays on the canvas or a box track; JSON on the CLI, and an overlay picture on request);
- :class:`OutputScores`: a number per frame (a score track under the video);
- :class:`SoftBinding`: a soft binding found in a file (an invisible watermark's payload), which a
  plugin returns from :func:`studio.hookspecs.studio_find_soft_bindings`.

:func:`studio.document.apply.apply_result` puts any of them into a document; the GUI and the CLI both
go through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first

from studio.document.clips import Box
from studio.document.provenance import Record

__all__ = ["ActionResult", "Box", "OutputBoxes", "OutputClip", "OutputImage", "OutputScores", "SoftBinding"]


@dataclass
class OutputImage:
    """An image an action produced: it becomes a canvas layer (GUI) or a file (CLI)."""

    pixels: np.ndarray
    name: str = "Result"
    kind: Literal["image", "mask", "overlay"] = "image"
    record: Record | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class OutputClip:
    """Frames (H×W×3 or H×W×4 uint8, all the same size) played at ``fps``: a clip on the timeline."""

    frames: list[np.ndarray]
    fps: float = 8.0
    name: str = "Clip"
    record: Record | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.frames:
            raise ValueError("a clip needs at least one frame")
        if not (self.fps > 0 and np.isfinite(self.fps)):
            raise ValueError(f"a clip needs a positive frame rate, not {self.fps}")
        shapes = {tuple(f.shape[:2]) for f in self.frames}
        if len(shapes) > 1:
            raise ValueError(f"all frames of a clip must have one size, not {sorted(shapes)}")

    @property
    def size(self) -> tuple[int, int]:
        return int(self.frames[0].shape[1]), int(self.frames[0].shape[0])


@dataclass
class OutputBoxes:
    """Boxes found in a picture or a clip.

    Boxes without a ``frame`` belong to a still picture (a vector overlay layer on the canvas); boxes
    with one belong to frame ``frame`` of a clip of ``frame_count`` frames at ``fps`` (a box track,
    starting at timeline frame ``start`` — the clip the boxes were found in). ``size`` is the
    (width, height) of the picture the coordinates refer to.
    """

    boxes: list[Box]
    size: tuple[int, int]
    name: str = "Boxes"
    frame_count: int = 0
    fps: float | None = None
    start: int = 0
    record: Record | None = None

    @property
    def per_frame(self) -> bool:
        return any(b.frame is not None for b in self.boxes) or self.frame_count > 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "size": list(self.size), "frame_count": self.frame_count, "fps": self.fps,
                "boxes": [b.to_dict() for b in self.boxes]}


@dataclass
class OutputScores:
    """A number per frame in 0..1 (a detector's score), ``fps`` frames a second, from timeline ``start``.

    ``scored`` lists the frames actually measured (the others hold the last measured value).
    """

    values: list[float]
    name: str = "Score"
    fps: float | None = None
    start: int = 0
    scored: list[int] = field(default_factory=list)
    record: Record | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "fps": self.fps, "start": self.start, "values": [float(v) for v in self.values],
                "scored": list(self.scored)}


@dataclass(frozen=True)
class SoftBinding:
    """A soft binding read back from a file's content: which algorithm, and the value it carries.

    ``alg`` is the identifier the algorithm writes in a C2PA ``c2pa.soft-binding`` assertion (the same
    string, so that a manifest can be looked up by it), ``value`` the raw bytes it decoded (an invisible
    watermark's payload), ``log10_p`` the chance, as a base-10 logarithm, that content without the binding
    would give this reading (``None`` when the algorithm does not say) and ``name`` what found it, in words.
    """

    alg: str
    value: bytes
    log10_p: float | None = None
    name: str = ""

    @property
    def hex(self) -> str:
        return self.value.hex()

    def to_dict(self) -> dict[str, Any]:
        return {"alg": self.alg, "value": self.value.hex(), "log10_p": self.log10_p, "name": self.name}


@dataclass
class ActionResult:
    """Everything one run of an action produced."""

    images: list[OutputImage] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    clips: list[OutputClip] = field(default_factory=list)
    boxes: list[OutputBoxes] = field(default_factory=list)
    scores: list[OutputScores] = field(default_factory=list)
    masks: list[OutputImage] = field(default_factory=list)

    def __post_init__(self) -> None:
        for mask in self.masks:
            mask.kind = "mask"

    @property
    def outputs(self) -> list[OutputImage | OutputClip | OutputBoxes | OutputScores]:
        """Every output with a record, in order."""
        return [*self.images, *self.masks, *self.clips, *self.boxes, *self.scores]

    @property
    def empty(self) -> bool:
        return not self.outputs
