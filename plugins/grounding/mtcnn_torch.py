"""MTCNN (Zhang et al., 2016), the three-stage face detector, run with torch on weights that ship in a wheel.

The weights are those of the ``mtcnn`` package (MIT licence, Iván de Paz Centeno): the original
Caffe-trained P-, R- and O-Net weights (also used by facenet-pytorch). That wheel stores them as joblib
pickles for TensorFlow; ``training/faces/convert_mtcnn.py`` converted them once to safetensors, shipped in
``assets/models/mtcnn`` (2 MB), so Studio never unpickles them and needs neither package. This module runs
the same three networks with ``torch.nn.functional``. (facenet-pytorch, which ships the same weights for
torch, pins torch < 2.3 and numpy < 2, so it cannot be installed beside Studio.)

Nothing is downloaded. Heavy imports (torch) happen inside the functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MIN_FACE = 20  # pixels: the smallest face looked for (at detection size)
DETECT_SIDE = 1280  # larger pictures are searched on a copy this large
PYRAMID_STEP = 0.709  # each level of the image pyramid is this much smaller than the last
STAGE_THRESHOLDS = (0.6, 0.7, 0.7)  # P-, R- and O-Net face probabilities a candidate must pass


@dataclass(frozen=True)
class FaceBox:
    """A face: its box ``(x0, y0, x1, y1)`` in picture pixels, the O-Net's face probability and five landmarks
    (left eye, right eye, nose, left and right mouth corners; ``(x, y)`` each, picture pixels)."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: tuple[tuple[float, float], ...] = ()


def weights_folder() -> Path | None:
    """The folder of MTCNN's safetensors weights (``assets/models/mtcnn``), or None when it is missing."""
    from studio.api import assets_dir

    folder = assets_dir() / "models" / "mtcnn"
    if all((folder / f"{n}.safetensors").is_file() for n in ("pnet", "rnet", "onet")):
        return folder
    return None


class Mtcnn:
    """The three networks, loaded once (torch tensors on the CPU); :meth:`detect` finds faces."""

    def __init__(self, folder: Path | None = None) -> None:
        folder = folder or weights_folder()
        if folder is None:
            raise FileNotFoundError("MTCNN's weights (assets/models/mtcnn) are missing")
        from safetensors.torch import load_file

        self.nets: dict[str, list[Any]] = {}
        for name in ("pnet", "rnet", "onet"):
            tensors = load_file(str(folder / f"{name}.safetensors"))
            self.nets[name] = [tensors[str(i)] for i in range(len(tensors))]

    # -- the networks ------------------------------------------------------------------
    def _pnet(self, x: Any) -> tuple[Any, Any]:
        import torch.nn.functional as F

        w = self.nets["pnet"]
        x = F.prelu(F.conv2d(x, w[0], w[1]), w[2])
        x = F.max_pool2d(x, 2, 2, ceil_mode=True)
        x = F.prelu(F.conv2d(x, w[3], w[4]), w[5])
        x = F.prelu(F.conv2d(x, w[6], w[7]), w[8])
        return F.conv2d(x, w[9], w[10]), F.softmax(F.conv2d(x, w[11], w[12]), dim=1)

    def _rnet(self, x: Any) -> tuple[Any, Any]:
        import torch.nn.functional as F

        w = self.nets["rnet"]
        x = F.prelu(F.conv2d(x, w[0], w[1]), w[2])
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)
        x = F.prelu(F.conv2d(x, w[3], w[4]), w[5])
        x = F.max_pool2d(x, 3, 2)
        x = F.prelu(F.conv2d(x, w[6], w[7]), w[8])
        x = x.permute(0, 3, 2, 1).flatten(1)  # the Caffe weights flatten width-major
        x = F.prelu(F.linear(x, w[9], w[10]), w[11])
        return F.linear(x, w[12], w[13]), F.softmax(F.linear(x, w[14], w[15]), dim=1)

    def _onet(self, x: Any) -> tuple[Any, Any, Any]:
        import torch.nn.functional as F

        w = self.nets["onet"]
        x = F.prelu(F.conv2d(x, w[0], w[1]), w[2])
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)
        x = F.prelu(F.conv2d(x, w[3], w[4]), w[5])
        x = F.max_pool2d(x, 3, 2)
        x = F.prelu(F.conv2d(x, w[6], w[7]), w[8])
        x = F.max_pool2d(x, 2, 2, ceil_mode=True)
        x = F.prelu(F.conv2d(x, w[9], w[10]), w[11])
        x = x.permute(0, 3, 2, 1).flatten(1)
        x = F.prelu(F.linear(x, w[12], w[13]), w[14])
        return (F.linear(x, w[15], w[16]), F.linear(x, w[17], w[18]),
                F.softmax(F.linear(x, w[19], w[20]), dim=1))

    # -- the cascade -----------------------------------------------------------------------
    def detect(self, rgb: np.ndarray, min_face: int = MIN_FACE) -> list[FaceBox]:
        """Faces in an RGB ``(H, W, 3)`` uint8 picture, best first."""
        import cv2
        import torch

        h0, w0 = rgb.shape[:2]
        f = min(1.0, DETECT_SIDE / max(h0, w0))
        small = cv2.resize(rgb, (max(1, round(w0 * f)), max(1, round(h0 * f))),
                           interpolation=cv2.INTER_AREA) if f < 1.0 else rgb
        norm = (small.astype(np.float32) - 127.5) / 128.0
        with torch.inference_mode():
            boxes = self._stage1(norm, min_face)
            if len(boxes):
                boxes = self._stage2(norm, boxes)
            if not len(boxes):
                return []
            boxes, marks = self._stage3(norm, boxes)
        h, w = norm.shape[:2]
        faces = []
        for b, m in zip(boxes, marks, strict=True):
            x0, y0 = max(0.0, b[0]), max(0.0, b[1])
            x1, y1 = min(float(w), b[2]), min(float(h), b[3])
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            points = tuple((float(m[i] / f), float(m[i + 5] / f)) for i in range(5))
            faces.append(FaceBox((x0 / f, y0 / f, x1 / f, y1 / f), float(b[4]), points))
        return sorted(faces, key=lambda face: -face.score)

    def _stage1(self, norm: np.ndarray, min_face: int) -> np.ndarray:
        """P-Net over an image pyramid: candidate boxes ``(N, 5)`` (x0, y0, x1, y1, score), squared."""
        import cv2
        import torch

        h, w = norm.shape[:2]
        scale = 12.0 / min_face
        found = []
        while min(h, w) * scale >= 12:
            hs, ws = math.ceil(h * scale), math.ceil(w * scale)
            level = cv2.resize(norm, (ws, hs), interpolation=cv2.INTER_AREA)
            reg, prob = self._pnet(torch.from_numpy(level).permute(2, 0, 1)[None])
            p, r = prob[0, 1].numpy(), reg[0].numpy()
            ys, xs = np.nonzero(p > STAGE_THRESHOLDS[0])
            if len(ys):
                x0, y0 = xs * 2.0, ys * 2.0
                cand = np.stack([x0 + r[0, ys, xs] * 12, y0 + r[1, ys, xs] * 12,
                                 x0 + 12 + r[2, ys, xs] * 12, y0 + 12 + r[3, ys, xs] * 12], 1) / scale
                cand = np.concatenate([cand, p[ys, xs, None]], 1)
                found.append(cand[nms(cand, 0.5)])
            scale *= PYRAMID_STEP
        if not found:
            return np.empty((0, 5), np.float32)
        boxes = np.concatenate(found)
        return _square(boxes[nms(boxes, 0.7)])

    def _stage2(self, norm: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """R-Net: refined candidates, squared."""
        import torch

        reg, prob = self._rnet(torch.from_numpy(_patches(norm, boxes, 24)))
        score = prob[:, 1].numpy()
        keep = score > STAGE_THRESHOLDS[1]
        boxes = _regress(boxes[keep], reg.numpy()[keep])
        boxes[:, 4] = score[keep]
        return _square(boxes[nms(boxes, 0.7)]) if len(boxes) else boxes

    def _stage3(self, norm: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """O-Net: final boxes ``(N, 5)`` and their landmarks ``(N, 10)`` (five x then five y)."""
        import torch

        reg, marks, prob = self._onet(torch.from_numpy(_patches(norm, boxes, 48)))
        score = prob[:, 1].numpy()
        keep = score > STAGE_THRESHOLDS[2]
        boxes, marks_np = boxes[keep], marks.numpy()[keep]
        bw = (boxes[:, 2] - boxes[:, 0] + 1)[:, None]
        bh = (boxes[:, 3] - boxes[:, 1] + 1)[:, None]
        points = np.concatenate([bw * marks_np[:, :5] + boxes[:, :1] - 1, bh * marks_np[:, 5:] + boxes[:, 1:2] - 1], 1)
        boxes = _regress(boxes, reg.numpy()[keep])
        boxes[:, 4] = score[keep]
        kept = nms(boxes, 0.7, method="min")
        return boxes[kept], points[kept]


def nms(boxes: np.ndarray, threshold: float, method: str = "union") -> np.ndarray:
    """Greedy non-maximum suppression on ``(N, 5)`` boxes (x0, y0, x1, y1, score): the indices kept, best first.

    ``method="min"`` measures overlap against the smaller box (drops a box inside another)."""
    order = np.argsort(-boxes[:, 4])
    area = np.maximum(0, boxes[:, 2] - boxes[:, 0]) * np.maximum(0, boxes[:, 3] - boxes[:, 1])
    keep = []
    while len(order):
        i, rest = order[0], order[1:]
        keep.append(i)
        iw = np.maximum(0, np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0]))
        ih = np.maximum(0, np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1]))
        inter = iw * ih
        base = np.minimum(area[i], area[rest]) if method == "min" else area[i] + area[rest] - inter
        order = rest[inter / np.maximum(base, 1e-9) <= threshold]
    return np.asarray(keep, int)


def _to_torch_layout(a: np.ndarray) -> np.ndarray:
    """A Keras weight array in torch's layout: conv kernels (kh, kw, in, out) → (out, in, kh, kw), dense
    (in, out) → (out, in), PReLU slopes (1, 1, C) → (C,)."""
    a = np.asarray(a, np.float32)
    if a.ndim == 4:
        return a.transpose(3, 2, 0, 1)
    if a.ndim == 3:
        return a.reshape(-1)
    if a.ndim == 2:
        return a.T
    return a


def _square(boxes: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    boxes[:, 0] += (w - side) / 2
    boxes[:, 1] += (h - side) / 2
    boxes[:, 2] = boxes[:, 0] + side
    boxes[:, 3] = boxes[:, 1] + side
    return boxes


def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    boxes[:, :4] += reg * np.stack([w, h, w, h], 1)
    return boxes


def _patches(norm: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Each box's patch of the normalised picture (outside it: 0), resized to ``size``² — ``(N, 3, size, size)``."""
    import cv2

    h, w = norm.shape[:2]
    out = np.zeros((len(boxes), 3, size, size), np.float32)
    for n, (x0, y0, x1, y1) in enumerate(np.round(boxes[:, :4]).astype(int)):
        bw, bh = max(1, x1 - x0 + 1), max(1, y1 - y0 + 1)
        patch = np.zeros((bh, bw, 3), np.float32)
        sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(w, x0 + bw), min(h, y0 + bh)
        if sx1 > sx0 and sy1 > sy0:
            patch[sy0 - y0: sy1 - y0, sx0 - x0: sx1 - x0] = norm[sy0:sy1, sx0:sx1]
        method = cv2.INTER_AREA if bw >= size else cv2.INTER_LINEAR
        out[n] = cv2.resize(patch, (size, size), interpolation=method).transpose(2, 0, 1)
    return out
