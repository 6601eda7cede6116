"""Faces, found by the grounding plugin (or a bundled cascade) and analysed as regions of their own.

A swapped or pasted face often differs from the rest of the picture in its
compression history. The faces come from whichever plugin answers
``ctx.find_objects(picture, ["face"])`` (the grounding plugin's MTCNN detector,
when it is installed and enabled); the report names the detector. Without one,
OpenCV 5's headless wheel no longer ships the Haar
cascades (``cv2.data.haarcascades`` is empty and ``CascadeClassifier`` moved
out of the main module), so this uses the LBP frontal-face cascade that
scikit-image bundles (trained by OpenCV's authors) with scikit-image's
detector. It finds frontal, upright faces only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from studio.api import Finding

from .heatmap import Analysis, describe_box
from .signals import flagged, make, rate_words
from .source import ImageSource, box_to_display, to_display

DETECT_SIDE = 360  # faces are searched on a copy at most this large
MIN_FACE = 24  # pixels at detection size
MIN_SKIN = 0.25  # share of skin-coloured pixels a colour face box needs
CASCADE = "scikit-image LBP frontal-face cascade"
SIGNAL = "forensics.faces.unlike_rest"

#: Finds faces in an upright RGB picture: ``(boxes (x0, y0, x1, y1), detector name)``, or None when it cannot.
FaceFinder = Callable[[np.ndarray], "tuple[list[tuple[float, float, float, float]], str] | None"]


@lru_cache(maxsize=1)
def _cascade() -> Any:
    import skimage.data
    from skimage.feature import Cascade

    return Cascade(skimage.data.lbp_frontal_face_cascade_filename())


def detect_faces(gray_upright: np.ndarray, rgb_upright: np.ndarray | None = None) -> list[tuple[int, int, int, int]]:
    """Frontal faces as (x0, y0, x1, y1) in the coordinates of ``gray_upright``.

    With ``rgb_upright`` (same size), candidates with too little skin-coloured
    area are dropped: the cascade alone mistakes patterns for faces.
    """
    import cv2

    h, w = gray_upright.shape
    f = min(1.0, DETECT_SIDE / max(h, w))
    size = (max(1, round(w * f)), max(1, round(h * f)))
    small = cv2.resize(gray_upright, size, interpolation=cv2.INTER_AREA) if f < 1.0 else gray_upright
    smallest = max(MIN_FACE, max(small.shape) // 20)
    if min(small.shape) < smallest:
        return []
    found = _cascade().detect_multi_scale(img=(small / 255.0).astype(np.float64), scale_factor=1.2, step_ratio=1,
                                          min_size=(smallest, smallest), max_size=small.shape[:2])
    skin = None
    if rgb_upright is not None:
        ycrcb = cv2.cvtColor(cv2.resize(rgb_upright, size, interpolation=cv2.INTER_AREA) if f < 1.0 else rgb_upright,
                             cv2.COLOR_RGB2YCrCb)
        skin = cv2.inRange(ycrcb, (0, 133, 77), (255, 173, 127)) > 0
    faces = []
    for d in found:
        x0, y0, x1, y1 = d["c"], d["r"], d["c"] + d["width"], d["r"] + d["height"]
        if skin is not None and skin[y0:y1, x0:x1].mean() < MIN_SKIN:
            continue
        faces.append((int(x0 / f), int(y0 / f), int(x1 / f), int(y1 / f)))
    return faces


def faces_analysis(source: ImageSource, ela_relative: np.ndarray | None, find_faces: FaceFinder | None = None
                   ) -> Analysis:
    """Find faces and compare each face's error level (relative to its texture) with the rest of the picture.

    ``find_faces`` (another plugin's detector, through ``ctx.find_objects``) finds them when it can; the
    LBP cascade otherwise.

    ``ela_relative`` is the error-level analysis's 8-pixel-block map of error
    level per unit of texture (stored orientation, analysis size): about 0
    for content compressed before, higher for content added since. A noise
    comparison is left out on purpose: skin is smoother than most of a
    picture, so it would single out every real face.
    """
    upright = to_display(source.gray, source.orientation)
    colour = to_display(source.rgb, source.orientation) if _is_colour(source.rgb) else None
    shown_w, shown_h = upright.shape[1], upright.shape[0]
    answer = find_faces(to_display(source.rgb, source.orientation)) if find_faces is not None else None
    if answer is None:
        faces, detector = detect_faces(upright, colour), CASCADE
    else:
        faces = [_pixel_box(box, shown_w, shown_h) for box in answer[0]]
        faces, detector = [b for b in faces if b[2] > b[0] and b[3] > b[1]], answer[1]
    heat = np.zeros((max(1, shown_h // 4), max(1, shown_w // 4)), np.float32)
    ela_up = to_display(ela_relative, source.orientation) if ela_relative is not None else None
    findings: list[Finding] = []
    rows = []
    unlike = 0
    score = 0.0
    to_file = 1.0 / source.scale
    for n, (x0, y0, x1, y1) in enumerate(faces, 1):
        file_box = [round(x0 * to_file), round(y0 * to_file), round(x1 * to_file), round(y1 * to_file)]
        ratio = _ratio(ela_up, (x0, y0, x1, y1), 8, floor=0.05)
        odd = ratio is not None and flagged(SIGNAL, ratio)
        score = max(score, ratio or 0.0)
        unlike += odd
        detail = f"error level {ratio:.2f}× the rest (for its texture)" if ratio is not None else "not compared"
        rows.append({"box": file_box, "ela_ratio": _round(ratio), "unlike_rest": bool(odd)})
        findings.append(Finding(f"Face {n}", f"{describe_box(file_box, source.display_size())}; {detail}",
                                "Responds to recompression unlike the rest of the picture: it may have been pasted "
                                "or retouched after the last compression. Worth a close look." if odd else
                                "Consistent with the rest of the picture."))
        strength = 0.35 + 0.65 * min(1.0, abs(np.log(ratio)) / np.log(4)) if ratio else 0.35
        heat[y0 // 4: max(y0 // 4 + 1, y1 // 4), x0 // 4: max(x0 // 4 + 1, x1 // 4)] = strength
    data = {"faces": rows, "detector": detector}
    if not faces:
        missed = ("profiles, small or tilted faces are missed" if detector == CASCADE
                  else "very small, strongly turned or hidden faces may be missed")
        return Analysis("no-faces", f"No face was found by the {detector} ({missed}).", findings, data=data,
                        signals=[make(SIGNAL, None, False)])
    summary = f"{len(faces)} face(s) found by the {detector}; " + (
        f"{unlike} respond to recompression unlike the rest of the picture." if unlike
        else "each responds to recompression like the rest of the picture.")
    # the heatmap is already upright: turn it back so that display_heatmap's turn is undone
    stored = _to_stored(heat, source.orientation)
    findings.append(Finding("How often this fires on natural photos", rate_words(SIGNAL),
                            "Known causes on untouched photos: make-up, focus, lighting and skin smoothing."))
    return Analysis("faces-unlike-rest" if unlike else "faces-consistent", summary, findings, heatmap=stored,
                    data=data, signals=[make(SIGNAL, score)],
                    heatmap_explanation="Faces: each detected face is a box; brighter boxes differ more "
                                        "from the rest of the picture in error level.")


def _pixel_box(box: tuple[float, float, float, float], w: int, h: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    return (max(0, int(x0)), max(0, int(y0)), min(w, int(round(x1))), min(h, int(round(y1))))


def _ratio(values: np.ndarray | None, box: tuple[int, int, int, int], cell: int, floor: float) -> float | None:
    """Median of ``values`` inside the box over the median of the rest (NaN cells are not measured)."""
    if values is None or values.size == 0:
        return None
    x0, y0, x1, y1 = (v // cell for v in box)
    rows, cols = slice(y0, max(y0 + 1, y1)), slice(x0, max(x0 + 1, x1))
    inside = values[rows, cols]
    mask = np.ones(values.shape, bool)
    mask[rows, cols] = False
    rest = values[mask]
    if inside.size == 0 or np.isnan(inside).all() or rest.size == 0 or np.isnan(rest).all():
        return None
    return float((np.nanmedian(inside) + floor) / (np.nanmedian(rest) + floor))


def _is_colour(rgb: np.ndarray) -> bool:
    sample = rgb[::16, ::16].astype(np.int16)
    return bool(np.abs(sample[..., 0] - sample[..., 1]).mean() + np.abs(sample[..., 1] - sample[..., 2]).mean() > 4)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _to_stored(a: np.ndarray, orientation: int) -> np.ndarray:
    inverse = {6: 8, 8: 6}.get(orientation, orientation)
    return to_display(a, inverse)


__all__ = ["FaceFinder", "detect_faces", "faces_analysis", "box_to_display"]
