"""Choosing a grounding model and running it on a picture or on every frame of a clip."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import BadInputError, Box, StudioError

from . import query as queries
from .types import Answer, Backend, Found

if TYPE_CHECKING:
    import numpy as np

BUILTIN_NAMES = ("builtin", "built-in", "studio-grounding", "shapes", "default")
FACE_NAMES = ("faces", "face")
#: A query is sent to the face detector when it names faces (with the built-in model).
FACE_QUERY = re.compile(r"\b(faces?|heads?|person'?s? faces?|people'?s? faces?)\b", re.IGNORECASE)
MAX_BOXES = 100


def check_threshold(value: float) -> float:
    if not 0.0 <= float(value) <= 1.0:
        raise BadInputError(f"The threshold is a score between 0 and 1, not {value:g}.",
                            hint="0.3 is the default; lower finds more (and more wrong) boxes.")
    return float(value)


def check_max_boxes(value: int) -> int:
    if not 1 <= int(value) <= MAX_BOXES:
        raise BadInputError(f"--max-boxes must be between 1 and {MAX_BOXES}, not {value}.")
    return int(value)


class BuiltinBackend:
    """The built-in shapes-world model, with faces sent to the face detector."""

    def __init__(self, folder: Path | None = None) -> None:
        from . import builtin

        self.model = builtin.load(folder)
        self.name = f"{builtin.MODEL_NAME} (built-in)" if folder is None else f"{builtin.MODEL_NAME} ({folder})"
        self.notes: list[str] = []
        self._faces: Backend | None = None

    def faces(self) -> Backend:
        if self._faces is None:
            self._faces = face_backend()
        return self._faces

    def detect(self, rgb: np.ndarray, query_list: list[str], threshold: float, max_boxes: int) -> list[Found]:
        found: list[Found] = []
        scene = None
        for q in query_list:
            if FACE_QUERY.search(q):
                found += self.faces().detect(rgb, [q], threshold, max_boxes)
                continue
            if scene is None:
                scene = self.model.scene(rgb)
            hits, parsed = queries.resolve(scene, q, threshold, max_boxes)
            if parsed.unknown:
                note = (f"The built-in model does not know {', '.join(repr(w) for w in parsed.unknown)}: it finds "
                        "circles, squares, triangles and stars by colour, size and place (and faces). For other "
                        "objects give --model a Grounding DINO, OWLv2 or Florence-2 folder.")
                if note not in self.notes:
                    self.notes.append(note)
            found += hits
        return found

    def answer(self, rgb: np.ndarray, question: str) -> Answer:
        return queries.answer(self.model.scene(rgb), question)


def face_backend() -> Backend:
    try:
        from .faces import FaceBackend
    except ImportError as exc:  # pragma: no cover - the face module ships with the plugin
        raise StudioError("No face detector is installed with this Studio.") from exc
    return FaceBackend()


def open_backend(spec: str | None, folders: Iterable[Path] = ()) -> Backend:
    """``None``/"builtin" → the built-in model; "faces" → the face detector; else a folder or a library name."""
    if spec is None or spec.strip().lower() in BUILTIN_NAMES:
        return BuiltinBackend()
    if spec.strip().lower() in FACE_NAMES:
        return face_backend()
    path = Path(spec).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        try:
            import json

            if json.loads((path / "config.json").read_text()).get("architecture") == "studio-shapes-centernet":
                return BuiltinBackend(path)
        except (OSError, ValueError):
            pass
    from . import library

    model = library.resolve_model(spec, list(folders))
    if model is None:
        return BuiltinBackend()
    if model.segments:
        raise StudioError(f"{model.path} is a {model.kind.upper()} segmentation model: it makes masks from boxes, "
                          "it does not find objects.",
                          hint="Give --model a Grounding DINO, OWLv2, OWL-ViT or Florence-2 folder.")
    from . import hf

    return hf.load_backend(model.path)


def to_boxes(found: list[Found], frame: int | None = None, tracks: list[int] | None = None) -> list[Box]:
    out = []
    for i, f in enumerate(found):
        x0, y0, x1, y1 = (float(v) for v in f.box)
        out.append(Box(x0, y0, x1, y1, label=f.label, score=float(f.score), frame=frame,
                       track_id=tracks[i] if tracks is not None else None))
    return out


@dataclass
class VideoResult:
    boxes: list[Box]
    frames: int
    expected: int
    fps: float
    size: tuple[int, int]
    notes: list[str] = field(default_factory=list)


def ground_frames(backend: Backend, frames: Iterable[np.ndarray], query_list: list[str], threshold: float,
                  max_boxes: int, fps: float, expected: int, size: tuple[int, int],
                  step: Callable[[int, np.ndarray, list[Found]], Any] | None = None) -> VideoResult:
    """Ground every frame and link the boxes into tracks; ``step(index, frame, found)`` after each frame
    (progress, cancel)."""
    from studio.api import StudioError as _StudioError

    from .track import Tracker

    tracker = Tracker()
    boxes: list[Box] = []
    n = 0
    notes: list[str] = []
    try:
        for n, frame in enumerate(frames, 1):
            found = backend.detect(frame, query_list, threshold, max_boxes)
            ids = tracker.update(n - 1, found)
            boxes += to_boxes(found, n - 1, ids)
            if step is not None:
                step(n - 1, frame, found)
    except _StudioError as exc:
        if n == 0:
            raise
        notes.append(f"The video could not be read past frame {n}: {exc.message}")
    if n == 0:
        raise BadInputError("The video has no frame that could be decoded.")
    if expected and n < expected and not notes:
        notes.append(f"The video ended early: {n} frames were read where its header announced {expected}; "
                     "boxes cover the frames read.")
    return VideoResult(boxes, n, expected, fps, size, notes)


def summary(found: list[Found]) -> str:
    if not found:
        return "nothing found"
    return ", ".join(f"{f.label} ({f.score:.2f})" for f in found)
