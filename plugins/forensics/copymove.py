"""Copy-move (clone) detection: parts of the picture that appear twice.

Keypoints (ORB) are matched against the same image; a cloned area gives many
matches that share one geometric transform (a shift, possibly with rotation
and scale). Groups of such matches are found with RANSAC, and both the source
and the copy are marked on the heatmap. Repetitive patterns (tiles, windows,
fences, text) also repeat naturally, which the report says.
"""

from __future__ import annotations

import numpy as np

from studio.api import Finding

from .heatmap import Analysis, describe_box, display_box
from .signals import flagged, make, rate_words
from .source import ImageSource

ANALYSIS_SIDE = 1024  # keypoints are found on a copy at most this large
MAX_FEATURES = 4000
MIN_SHIFT = 24  # pixels (at analysis size): closer matches are the same texture, not a clone
MAX_OVERLAP = 0.2  # a copy that overlaps its source this much is a repeating pattern (ribs, tiles)
MIN_INLIERS = 10
SIGNAL = "forensics.copymove"
RATIO = 0.6  # nearest other match must be clearly better than the next one


def find_clones(gray: np.ndarray) -> list[dict]:
    """Groups of matched keypoints related by one transform: [{"src": N×2, "dst": N×2, "matrix": 2×3}]."""
    import cv2

    img = np.clip(gray, 0, 255).astype(np.uint8)
    orb = cv2.ORB.create(nfeatures=MAX_FEATURES, fastThreshold=7, edgeThreshold=15, patchSize=15)
    keypoints, descriptors = orb.detectAndCompute(img, None)
    if descriptors is None or len(keypoints) < MIN_INLIERS * 2:
        return []
    points = np.array([k.pt for k in keypoints], np.float32)
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    knn = matcher.knnMatch(descriptors, descriptors, k=3)
    pairs = set()
    for candidates in knn:
        others = [m for m in candidates if m.trainIdx != m.queryIdx]
        if not others:
            continue
        best = others[0]
        second = others[1].distance if len(others) > 1 else 256.0
        if best.distance > 40 or best.distance > RATIO * max(second, 1.0) and best.distance > 8:
            continue
        a, b = best.queryIdx, best.trainIdx
        if np.hypot(*(points[a] - points[b])) < MIN_SHIFT:
            continue
        pairs.add((min(a, b), max(a, b)))
    if len(pairs) < MIN_INLIERS:
        return []
    pair_array = np.array(sorted(pairs))
    src, dst = points[pair_array[:, 0]], points[pair_array[:, 1]]
    # orient each pair consistently (left/top point first) so one clone gives one transform
    flip = (src[:, 0] > dst[:, 0]) | ((src[:, 0] == dst[:, 0]) & (src[:, 1] > dst[:, 1]))
    src[flip], dst[flip] = dst[flip].copy(), src[flip].copy()
    groups = []
    remaining = np.ones(len(src), bool)
    for _ in range(3):
        if remaining.sum() < MIN_INLIERS:
            break
        s, d = src[remaining], dst[remaining]
        matrix, inliers = cv2.estimateAffinePartial2D(s, d, method=cv2.RANSAC, ransacReprojThreshold=3.0,
                                                      maxIters=2000, confidence=0.99)
        if matrix is None or inliers is None:
            break
        inliers = inliers.ravel().astype(bool)
        if inliers.sum() < MIN_INLIERS:
            break
        shift = float(np.hypot(matrix[0, 2], matrix[1, 2]))
        scale = float(np.hypot(matrix[0, 0], matrix[1, 0]))
        spread = float(np.ptp(s[inliers], axis=0).max())
        if shift >= MIN_SHIFT and 0.5 < scale < 2.0 and spread > 8 and _overlap(s[inliers], d[inliers]) < MAX_OVERLAP:
            groups.append({"src": s[inliers], "dst": d[inliers], "matrix": matrix})
        index = np.flatnonzero(remaining)
        remaining[index[inliers]] = False
    return groups


def copy_move(source: ImageSource) -> Analysis:
    import cv2

    gray = source.gray
    h, w = gray.shape
    f = min(1.0, ANALYSIS_SIDE / max(h, w))
    small = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA) \
        if f < 1.0 else gray
    groups = find_clones(small)
    heat: np.ndarray = np.zeros(small.shape, np.float32)
    to_file = 1.0 / (f * source.scale)
    findings: list[Finding] = []
    boxes = []
    for n, group in enumerate(groups, 1):
        for points in (group["src"], group["dst"]):
            for x, y in points:
                cv2.circle(heat, (int(x), int(y)), max(4, int(8 * small.shape[1] / 1024)), 1.0, -1)
        box_src = _box(group["src"], to_file)
        box_dst = _box(group["dst"], to_file)
        a, b = display_box(box_src, source), display_box(box_dst, source)
        boxes.append({"source": a, "copy": b, "matches": int(len(group["src"]))})
        m = group["matrix"]
        angle = float(np.degrees(np.arctan2(m[1, 0], m[0, 0])))
        findings.append(Finding(f"Repeated area {n}", f"{describe_box(a, source.display_size())} ↔ "
                                f"{describe_box(b, source.display_size())}",
                                f"{len(group['src'])} matching keypoints related by one shift"
                                + (f" and a {angle:.0f}° turn" if abs(angle) > 2 else "")
                                + ": a cloned (copy-moved) area, or a pattern that repeats in the scene."))
    if heat.any():
        heat = cv2.GaussianBlur(heat, (0, 0), max(2.0, small.shape[1] / 256))
        heat = heat / max(float(heat.max()), 1e-6)
    data = {"groups": boxes, "analysed_side": int(max(small.shape))}
    score = float(max((len(g["src"]) for g in groups), default=0))
    findings.append(Finding("How often this fires on natural photos", rate_words(SIGNAL),
                            "Known causes on untouched photos: repeating patterns (tiles, windows, text, fences)."))
    if groups and flagged(SIGNAL, score):
        state = "repeated-areas"
        summary = (f"{len(groups)} area(s) of the picture appear twice with matching detail (up to {score:.0f} "
                   "matching keypoints): possible cloning (copy-move), or a naturally repeating pattern (tiles, "
                   "windows, text).")
    else:
        state = "none-found"
        summary = ("No area was found to appear twice above the calibrated threshold. Smooth areas (sky, skin) have "
                   "too few keypoints for this test, so a clone there can go unnoticed.")
    box = _box(groups[0]["dst"], to_file) if groups else None
    return Analysis(state, summary, findings, heatmap=heat, data=data, box=box, signals=[make(SIGNAL, score)],
                    heatmap_explanation="Copy-move: bright spots mark keypoints that match another part of the "
                                        "same picture under one shift; both the original and the copy light up.")


def _box(points: np.ndarray, to_file: float) -> tuple[float, float, float, float]:
    x0, y0 = points.min(axis=0) * to_file
    x1, y1 = points.max(axis=0) * to_file
    return float(x0), float(y0), float(x1), float(y1)


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of the bounding boxes of two point sets."""
    ax0, ay0 = a.min(axis=0)
    ax1, ay1 = a.max(axis=0)
    bx0, by0 = b.min(axis=0)
    bx1, by1 = b.max(axis=0)
    iw, ih = max(0.0, min(ax1, bx1) - max(ax0, bx0)), max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return float(inter / union) if union > 0 else 0.0
