"""Faces: a grounding backend that answers "face" queries with a face detector, nothing downloaded.

Two detectors, the better one first:

- ``mtcnn``: MTCNN (P-, R- and O-Net), run with torch on the original weights, shipped as safetensors in
  ``assets/models/mtcnn`` (see :mod:`.mtcnn_torch`). Finds frontal and turned faces from about 20 pixels up, with
  a confidence and five landmarks.
- ``lbp-cascade``: scikit-image's bundled LBP frontal-face cascade (trained by OpenCV's authors), the
  fallback when MTCNN's weights are missing. Upright frontal faces only, and no confidence
  (its faces score 1.0). Colour candidates with too little skin-coloured area are dropped.

``bench/face_detectors.py`` measures both on the same faces. Every :class:`Found` says which detector
found it (``attributes["detector"]``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np

from studio.api import Box, OutputBoxes, StudioError

from .types import Answer, Found

FACE_WORDS = frozenset({"face", "faces"})
DETECTORS = {
    "mtcnn": "MTCNN face detector (weights of the mtcnn package)",
    "lbp-cascade": "LBP frontal-face cascade (scikit-image)",
}

LBP_SIDE = 360  # the cascade searches a copy at most this large
LBP_MIN_FACE = 24  # pixels at that size
MIN_SKIN = 0.25  # share of skin-coloured pixels a colour face box needs (the cascade alone mistakes patterns)


def is_face_query(query: str) -> bool:
    """Whether a query asks for faces ("face", "faces", "a face", "human faces", ...)."""
    return any(word in FACE_WORDS for word in re.findall(r"[a-z]+", query.lower()))


def available_detector() -> str:
    """The best face detector installed here: ``mtcnn`` when its weights are there, else ``lbp-cascade``."""
    from .mtcnn_torch import weights_folder

    return "mtcnn" if weights_folder() is not None else "lbp-cascade"


class FaceBackend:
    """A grounding backend for faces (see the module docstring). ``detector``: ``auto`` (the best
    available), ``mtcnn`` or ``lbp-cascade``. Loading happens on the first :meth:`detect`."""

    def __init__(self, detector: str = "auto") -> None:
        if detector == "auto":
            detector = available_detector()
        if detector not in DETECTORS:
            raise StudioError(f"unknown face detector '{detector}' (choose one of {', '.join(DETECTORS)})")
        if detector == "mtcnn" and available_detector() != "mtcnn":
            raise StudioError("the MTCNN face detector needs the 'mtcnn' package (pip install mtcnn)")
        self.detector = detector
        self.name = f"faces: {DETECTORS[detector]}"
        self._model: Any = None

    def find_faces(self, rgb: np.ndarray) -> list[tuple[tuple[float, float, float, float], float, dict[str, Any]]]:
        """Every face in an RGB (or grey) picture: ``(box, score, attributes)``, best first."""
        rgb = _as_rgb(rgb)
        attributes: dict[str, Any] = {"detector": self.detector}
        if self.detector == "lbp-cascade":
            return [(box, 1.0, dict(attributes)) for box in lbp_faces(rgb)]
        if self._model is None:
            from .mtcnn_torch import Mtcnn

            self._model = Mtcnn()
        names = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
        return [(face.box, face.score, {**attributes, "landmarks": dict(zip(names, face.landmarks, strict=True))})
                for face in self._model.detect(rgb)]

    def detect(self, rgb: np.ndarray, queries: list[str], threshold: float, max_boxes: int) -> list[Found]:
        """Faces for every face-ish query (labelled with that query); other queries get nothing."""
        asked = [q for q in queries if is_face_query(q)]
        if not asked:
            return []
        faces = [f for f in self.find_faces(rgb) if f[1] >= threshold][:max_boxes]
        return [Found(box=box, label=query, score=score, attributes=dict(attrs))
                for query in asked for box, score, attrs in faces]

    def answer(self, rgb: np.ndarray, question: str) -> Answer:
        raise StudioError("The face detector finds faces; it cannot answer questions. Ask for 'face' instead.")


@lru_cache(maxsize=1)
def _cascade() -> Any:
    import skimage.data
    from skimage.feature import Cascade

    return Cascade(skimage.data.lbp_frontal_face_cascade_filename())


def lbp_faces(rgb: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Upright frontal faces by scikit-image's LBP cascade, ``(x0, y0, x1, y1)`` in picture pixels."""
    import cv2

    h, w = rgb.shape[:2]
    f = min(1.0, LBP_SIDE / max(h, w))
    size = (max(1, round(w * f)), max(1, round(h * f)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if f < 1.0 else rgb
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    smallest = max(LBP_MIN_FACE, max(gray.shape) // 20)
    if min(gray.shape) < smallest:
        return []
    found = _cascade().detect_multi_scale(img=(gray / 255.0).astype(np.float64), scale_factor=1.2, step_ratio=1,
                                          min_size=(smallest, smallest), max_size=gray.shape[:2])
    skin = None
    if _is_colour(small):
        skin = cv2.inRange(cv2.cvtColor(small, cv2.COLOR_RGB2YCrCb), (0, 133, 77), (255, 173, 127)) > 0
    faces = []
    for d in found:
        x0, y0, x1, y1 = d["c"], d["r"], d["c"] + d["width"], d["r"] + d["height"]
        if skin is not None and skin[y0:y1, x0:x1].mean() < MIN_SKIN:
            continue
        faces.append((x0 / f, y0 / f, x1 / f, y1 / f))
    return faces


def _as_rgb(pixels: np.ndarray) -> np.ndarray:
    if pixels.ndim == 2:
        return np.repeat(pixels[..., None], 3, axis=2)
    return pixels[..., :3]


def _is_colour(rgb: np.ndarray) -> bool:
    sample = rgb[::16, ::16].astype(np.int16)
    return bool(np.abs(sample[..., 0] - sample[..., 1]).mean() + np.abs(sample[..., 1] - sample[..., 2]).mean() > 4)


def find_objects_answer(state: dict[str, Any], lock: Any, rgb: np.ndarray, queries: list[str],
                        threshold: float) -> OutputBoxes | None:
    """The grounding plugin's answer to ``studio_find_objects``: faces when every query asks for faces, else
    None (the face backend is kept in the plugin's ``state``, made under ``lock``)."""
    if not queries or not all(is_face_query(q) for q in queries):
        return None
    with lock:
        backend = state.get("face_backend")
        if backend is None:
            backend = state["face_backend"] = FaceBackend()
        found = backend.detect(rgb, queries, threshold, max_boxes=100)
    boxes = [Box(f.box[0], f.box[1], f.box[2], f.box[3], label=f.label, score=round(f.score, 4)) for f in found]
    return OutputBoxes(boxes, size=(int(rgb.shape[1]), int(rgb.shape[0])), name=DETECTORS[backend.detector])
