"""What every grounding backend gives back, and the contract a backend keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

#: A query longer than this many words is refused before any work (detectors read ~16-77 tokens).
MAX_QUERY_WORDS = 40


@dataclass(frozen=True)
class Found:
    """One object found in a picture: a box in picture pixels ``(x0, y0, x1, y1)``, what was asked
    for (``label``: the query phrase it answers), a score in 0..1, and optional details."""

    box: tuple[float, float, float, float]
    label: str
    score: float
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)  # (H, W) bool, picture size
    attributes: dict[str, Any] = field(default_factory=dict, compare=False)  # e.g. kind/colour/size/position


@dataclass(frozen=True)
class Answer:
    """A grounded answer: the words and the boxes they rest on."""

    answer: str
    found: list[Found]


class Backend(Protocol):
    """A loaded grounding model. ``detect`` takes ONE RGB picture (``(H, W, 3)`` uint8) and the
    queries (already split on ``.``; each a non-empty phrase) and returns boxes for all of them,
    at most ``max_boxes`` per query, scores ≥ ``threshold``. ``answer`` is optional (models that
    cannot answer questions raise :class:`studio.api.StudioError` with a plain message)."""

    name: str  # shown to the user and in records: "studio-grounding (built-in)", "owlv2 (folder …)"

    def detect(self, rgb: np.ndarray, queries: list[str], threshold: float, max_boxes: int) -> list[Found]: ...

    def answer(self, rgb: np.ndarray, question: str) -> Answer: ...
