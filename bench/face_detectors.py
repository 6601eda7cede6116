"""Face detectors on the same faces: MTCNN (the grounding plugin's) against the LBP cascade (the fallback,
and what forensics used before).

Run: ``.venv/bin/python bench/face_detectors.py [--scenes N] [--seed S]``

Everything comes from files installed here (nothing is downloaded), so the set is small — say so when
quoting the figures:

- portraits: scikit-image's ``astronaut`` (a frontal face) and ``camera`` (a face turned to the side,
  grey), each under 12 changes (JPEG at quality 40 and 15, scaled ×0.35/×0.6/×1.5, rotated ±15°/±30°,
  mirrored, darkened, noisy) plus the original: 26 pictures, 26 faces. The true boxes were measured by
  hand (brows to chin, cheek to cheek) and moved with each change.
- lfw scenes: scikit-image's ``lfw_subset`` (100 grey 25×25 crops of Labeled Faces in the Wild, and 100
  crops without a face). Each scene is a 640×480 grey background (a faceless scikit-image picture) with 4
  faces (scaled to 48–120 px) and 2 face-less crops pasted in: 100 faces over 25 scenes by default.
  The upscaled 25-pixel faces are blurred, which is hard for both detectors.
- faceless: 14 scikit-image pictures without a human face (a cat among them), as they are and rotated
  15°, scaled ×0.6: 42 pictures; every box there is a false box.

A detection finds a true face when its centre lies in the true box and its area is within ×3 of it
(the two detectors frame faces differently: the cascade's square takes in the forehead); "IoU≥0.5"
is also given. A box that finds no face is a false box. Time is per picture, after a first warm-up
call (the one-off load time is printed apart).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

Box = tuple[float, float, float, float]
ASTRONAUT_FACE: Box = (183, 75, 265, 175)  # measured by hand on skimage.data.astronaut()
CAMERA_FACE: Box = (198, 118, 256, 192)  # skimage.data.camera(): the cameraman's face, turned to the right
FACELESS = ["coffee", "chelsea", "rocket", "brick", "grass", "gravel", "coins", "logo",
            "hubble_deep_field", "page", "text", "moon", "immunohistochemistry", "retina"]


def _rgb(img: np.ndarray) -> np.ndarray:
    img = img if img.dtype == np.uint8 else (np.clip(img, 0, 1) * 255).astype(np.uint8)
    return np.repeat(img[..., None], 3, 2) if img.ndim == 2 else np.ascontiguousarray(img[..., :3])


def _jpeg(img: np.ndarray, q: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, q])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1].copy()


def _warp(img: np.ndarray, boxes: list[Box], matrix: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, list[Box]]:
    # replicate the border: a reflection could mirror a face
    out = cv2.warpAffine(img, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    moved = []
    for x0, y0, x1, y1 in boxes:
        pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], float) @ matrix.T
        # a rotated face's box: the rotated box, shrunk back to the original area around its centre
        cx, cy = pts[:, 0].mean(), pts[:, 1].mean()
        s = abs(np.linalg.det(matrix[:, :2])) ** 0.5
        hw, hh = (x1 - x0) * s / 2, (y1 - y0) * s / 2
        moved.append((cx - hw, cy - hh, cx + hw, cy + hh))
    return out, moved


def changes(img: np.ndarray, boxes: list[Box]) -> list[tuple[str, np.ndarray, list[Box]]]:
    """The original and 12 changed copies, with the true boxes moved along."""
    h, w = img.shape[:2]
    out = [("original", img, boxes), ("jpeg40", _jpeg(img, 40), boxes), ("jpeg15", _jpeg(img, 15), boxes)]
    for s in (0.35, 0.6, 1.5):
        m = np.array([[s, 0, 0], [0, s, 0]], float)
        out.append((f"scale{s}", *_warp(img, boxes, m, (round(w * s), round(h * s)))))
    for angle in (-30, -15, 15, 30):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        out.append((f"rotate{angle}", *_warp(img, boxes, m, (w, h))))
    out.append(("mirror", img[:, ::-1].copy(), [(w - x1, y0, w - x0, y1) for x0, y0, x1, y1 in boxes]))
    out.append(("dark", (255 * (img / 255.0) ** 2.2).astype(np.uint8), boxes))
    noise = np.random.default_rng(0).normal(0, 12, img.shape)
    out.append(("noise", np.clip(img + noise, 0, 255).astype(np.uint8), boxes))
    return out


def lfw_scenes(count: int, seed: int) -> list[tuple[str, np.ndarray, list[Box]]]:
    import skimage.data

    rng = np.random.default_rng(seed)
    patches = skimage.data.lfw_subset()
    faces, others = patches[:100], patches[100:]
    backgrounds = [_rgb(getattr(skimage.data, n)()) for n in ("brick", "grass", "gravel", "coffee", "rocket")]
    scenes = []
    for n in range(count):
        bg = backgrounds[n % len(backgrounds)]
        scene = cv2.cvtColor(cv2.resize(bg, (640, 480)), cv2.COLOR_RGB2GRAY)
        taken: list[Box] = []
        truth: list[Box] = []
        picks = [(faces[(4 * n + k) % 100], True) for k in range(4)]
        picks += [(others[(2 * n + k) % 100], False) for k in range(2)]
        for patch, is_face in picks:
            for _ in range(200):
                side = int(rng.integers(48, 121))
                x, y = int(rng.integers(0, 640 - side)), int(rng.integers(0, 480 - side))
                box = (x, y, x + side, y + side)
                if all(_inter(box, t) == 0 for t in taken):
                    break
            taken.append(box)
            scene[y:y + side, x:x + side] = (cv2.resize(patch, (side, side), interpolation=cv2.INTER_CUBIC)
                                             .clip(0, 1) * 255).astype(np.uint8)
            if is_face:
                truth.append(box)
        scenes.append((f"lfw-scene{n}", _rgb(scene), truth))
    return scenes


def faceless() -> list[tuple[str, np.ndarray, list[Box]]]:
    import skimage.data

    out = []
    for name in FACELESS:
        img = _rgb(getattr(skimage.data, name)())
        for change, changed, _ in changes(img, []):
            if change in ("original", "rotate15", "scale0.6"):
                out.append((f"{name}-{change}", changed, []))
    return out


def _inter(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _iou(a: Box, b: Box) -> float:
    i = _inter(a, b)
    return i / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i)


def _finds(found: Box, true: Box) -> bool:
    cx, cy = (found[0] + found[2]) / 2, (found[1] + found[3]) / 2
    ratio = ((found[2] - found[0]) * (found[3] - found[1])) / ((true[2] - true[0]) * (true[3] - true[1]))
    return true[0] <= cx <= true[2] and true[1] <= cy <= true[3] and 1 / 3 <= ratio <= 3


def score(detect: Callable[[np.ndarray], list[Box]], items: list[tuple[str, np.ndarray, list[Box]]],
          verbose: bool = False) -> dict:
    found = found_iou = total = false = 0
    times = []
    for name, img, truth in items:
        t = time.perf_counter()
        boxes = detect(img)
        times.append(time.perf_counter() - t)
        total += len(truth)
        found += sum(any(_finds(b, g) for b in boxes) for g in truth)
        found_iou += sum(any(_iou(b, g) >= 0.5 for b in boxes) for g in truth)
        false += sum(not any(_finds(b, g) for g in truth) for b in boxes)
        missed = sum(not any(_finds(b, g) for b in boxes) for g in truth)
        wrong = [[round(v) for v in b] for b in boxes if not any(_finds(b, g) for g in truth)]
        if verbose and (missed or wrong):
            print(f"  {name}: {missed} missed, false boxes {wrong}")
    return {"pictures": len(items), "faces": total, "found": found, "found_iou": found_iou, "false": false,
            "ms": 1000 * statistics.mean(times)}


def main() -> None:
    import skimage.data

    from studio_plugins.grounding.faces import FaceBackend

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=25, help="LFW scenes (4 faces each)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="name the pictures with misses or false boxes")
    args = parser.parse_args()

    portraits = (("astronaut", skimage.data.astronaut(), ASTRONAUT_FACE),
                 ("camera", skimage.data.camera(), CAMERA_FACE))
    sets = {
        "portraits": [(f"{who}-{change}", img, truth) for who, pixels, face in portraits
                      for change, img, truth in changes(_rgb(pixels), [face])],
        "lfw scenes": lfw_scenes(args.scenes, args.seed),
        "faceless": faceless(),
    }
    results: dict[str, dict[str, dict]] = {}
    for detector in ("mtcnn", "lbp-cascade"):
        backend = FaceBackend(detector)
        t = time.perf_counter()
        backend.find_faces(sets["portraits"][0][1])  # warm-up: loads the weights / the cascade
        print(f"{detector}: first call (load + one picture) {time.perf_counter() - t:.2f} s")

        def detect(img: np.ndarray, backend: FaceBackend = backend) -> list[Box]:
            return [box for box, _, _ in backend.find_faces(img)]

        results[detector] = {name: score(detect, items, args.verbose) for name, items in sets.items()}

    print(f"\n{'set':<12}{'detector':<13}{'pictures':>9}{'faces':>7}{'recall':>8}{'IoU≥.5':>8}"
          f"{'false boxes':>13}{'ms/picture':>12}")
    for name in sets:
        for detector, per_set in results.items():
            r = per_set[name]
            recall = f"{r['found'] / r['faces']:.2f}" if r["faces"] else "-"
            recall_iou = f"{r['found_iou'] / r['faces']:.2f}" if r["faces"] else "-"
            print(f"{name:<12}{detector:<13}{r['pictures']:>9}{r['faces']:>7}{recall:>8}{recall_iou:>8}"
                  f"{r['false']:>13}{r['ms']:>12.0f}")
    total = {d: {k: sum(r[s][k] for s in sets) for k in ("faces", "found", "false", "pictures")}
             for d, r in results.items()}
    mt, lbp = total["mtcnn"], total["lbp-cascade"]
    ms = {d: sum(r[s]["ms"] * r[s]["pictures"] for s in sets) / total[d]["pictures"] for d, r in results.items()}
    print(f"\nall {mt['pictures']} pictures, {mt['faces']} faces: recall MTCNN {mt['found'] / mt['faces']:.2f}, "
          f"LBP {lbp['found'] / lbp['faces']:.2f} (ratio {mt['found'] / max(1, lbp['found']):.2f}×); "
          f"false boxes MTCNN {mt['false']}, LBP {lbp['false']}; "
          f"time MTCNN {ms['mtcnn']:.0f} ms, LBP {ms['lbp-cascade']:.0f} ms per picture "
          f"(ratio {ms['mtcnn'] / ms['lbp-cascade']:.2f}×)")


if __name__ == "__main__":
    main()
