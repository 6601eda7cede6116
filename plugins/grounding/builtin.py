"""The built-in grounding model: finds every shape of a shapes-world picture with its attributes.

The network (:mod:`.shapesnet`) gives each shape's box, kind and colour scores and a foreground
mask; this module loads it (safetensors, never a pickle) from ``assets/models/studio-grounding``,
runs it on a picture of any size and reads the size word and the position from the box, as the
shapes world defines them. Query words are matched against these detections by :mod:`.query`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import StudioError, assets_dir

from .letterbox import letterbox
from .shapesnet import NetConfig, build, split

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.api import lazy_numpy as np

MODEL_NAME = "studio-grounding"
#: Heat (centre confidence) below which a peak is not a shape.
PEAK_THRESHOLD = 0.25
#: Radius (fraction of the picture's shorter side) between the world's "small" and "large" shapes.
SIZE_SPLIT = 0.150
#: The box of a radius-1 shape of each kind (width, height), as the shapes world draws them.
UNIT_BOX = {"circle": (2.0, 2.0), "square": (1.64, 1.64), "triangle": (1.94, 1.68), "star": (2.19, 2.09)}
POSITION_GRID = {(0, 0): "top left", (1, 0): "top", (2, 0): "top right", (0, 1): "left", (1, 1): "centre",
                 (2, 1): "right", (0, 2): "bottom left", (1, 2): "bottom", (2, 2): "bottom right"}
BACKGROUND_RGB = {"black": (12, 12, 12), "gray": (110, 110, 110), "white": (232, 232, 232)}


def default_model_dir() -> Path:
    return assets_dir() / "models" / MODEL_NAME


@dataclass(frozen=True)
class Shape:
    """One shape the network found: box in picture pixels, centre heat, class probabilities, mask."""

    box: tuple[float, float, float, float]
    heat: float
    kind_p: dict[str, float]
    colour_p: dict[str, float]
    size: str
    position: str
    centre: tuple[float, float]  # fractions of the picture (x, y)
    mask: np.ndarray  # (H, W) bool, picture size

    @property
    def kind(self) -> str:
        return max(self.kind_p, key=self.kind_p.__getitem__)

    @property
    def colour(self) -> str:
        return max(self.colour_p, key=self.colour_p.__getitem__)

    def describe(self) -> str:
        return f"{self.size} {self.colour} {self.kind}"

    def attributes(self) -> dict[str, Any]:
        return {"kind": self.kind, "colour": self.colour, "size": self.size, "position": self.position,
                "kind_score": round(self.kind_p[self.kind], 4), "colour_score": round(self.colour_p[self.colour], 4)}


@dataclass(frozen=True)
class Scene:
    shapes: list[Shape]
    background: str
    size: tuple[int, int]  # (width, height)


class ShapesModel:
    """The loaded network (one per process and folder; thread-safe inference)."""

    def __init__(self, folder: Path) -> None:
        import torch
        from safetensors.torch import load_file

        config_file, weights_file = folder / "config.json", folder / "model.safetensors"
        for f in (config_file, weights_file):
            if not f.is_file():
                raise StudioError(f"The grounding model in {folder} is incomplete: {f.name} is missing.",
                                  hint="Reinstall Studio, or give --model a complete model folder.")
        try:
            raw = json.loads(config_file.read_text())
            if raw.get("architecture") != "studio-shapes-centernet":
                raise StudioError(f"{folder} is not Studio's built-in grounding model.")
            self.config = NetConfig.from_dict(raw)
            state = load_file(str(weights_file))
            net = build(self.config)
            net.load_state_dict(state, strict=True)
        except StudioError:
            raise
        except Exception as exc:  # truncated or mismatched weights
            raise StudioError(f"The grounding model in {folder} could not be read ({type(exc).__name__}: {exc}).",
                              hint="Reinstall Studio, or give --model a complete model folder.") from exc
        self.net = net.eval()
        self.folder = folder
        self.trained_steps = int(raw.get("trained_steps", 0))
        self._lock = threading.Lock()
        self._torch = torch

    def scene(self, rgb: np.ndarray) -> Scene:
        """Every shape in ``rgb`` (``(H, W, 3)`` uint8)."""
        import cv2

        torch = self._torch
        cfg = self.config
        rgb = np.ascontiguousarray(rgb[..., :3])
        h, w = rgb.shape[:2]
        inp, lb = letterbox(rgb, cfg.input)
        x = torch.from_numpy(inp).permute(2, 0, 1)[None].float() / 127.5 - 1.0
        with self._lock, torch.inference_mode():
            out = split(self.net(x), cfg)
            heat = torch.sigmoid(out["heat"][0])
            peaks = (heat == torch.nn.functional.max_pool2d(heat[None, None], 3, 1, 1)[0, 0]) & (heat > PEAK_THRESHOLD)
            ys, xs = torch.nonzero(peaks, as_tuple=True)
            kind = torch.softmax(out["kind"][0], 0)
            colour = torch.softmax(out["colour"][0], 0)
            off = torch.sigmoid(out["offset"][0])
            wh = out["wh"][0]
            mask_in = torch.sigmoid(out["mask"][0]).numpy()
        g = cfg.stride
        candidates = []
        for yy, xx in zip(ys.tolist(), xs.tolist(), strict=True):
            cx, cy = (xx + float(off[0, yy, xx])) * g, (yy + float(off[1, yy, xx])) * g
            bw, bh = float(wh[0, yy, xx]) * cfg.input, float(wh[1, yy, xx]) * cfg.input
            if bw <= 1 or bh <= 1:
                continue
            box = lb.to_picture((cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2))
            if box[2] - box[0] < 1 or box[3] - box[1] < 1:
                continue
            candidates.append((float(heat[yy, xx]), box, yy, xx))
        candidates.sort(key=lambda c: -c[0])
        kept: list[tuple[float, tuple[float, float, float, float], int, int]] = []
        for c in candidates:
            if all(_iou(c[1], k[1]) < 0.5 for k in kept):
                kept.append(c)
        # the foreground mask back in picture pixels
        up = cv2.resize(mask_in, (cfg.input, cfg.input), interpolation=cv2.INTER_LINEAR)
        nw, nh = max(1, round(w * lb.scale)), max(1, round(h * lb.scale))
        crop = up[lb.pad_y : lb.pad_y + nh, lb.pad_x : lb.pad_x + nw]
        fg = cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR) > 0.5
        short = float(min(w, h))
        shapes = []
        for score, box, yy, xx in kept:
            kp = {k: float(kind[i, yy, xx]) for i, k in enumerate(cfg.kinds)}
            cp = {c: float(colour[i, yy, xx]) for i, c in enumerate(cfg.colours)}
            k = max(kp, key=kp.__getitem__)
            ux, uy = UNIT_BOX[k]
            radius = max((box[2] - box[0]) / ux, (box[3] - box[1]) / uy) / short
            centre = ((box[0] + box[2]) / 2 / w, (box[1] + box[3]) / 2 / h)
            cell = (min(2, int(centre[0] * 3)), min(2, int(centre[1] * 3)))
            m = np.zeros((h, w), dtype=bool)
            x0, y0 = int(np.floor(box[0])), int(np.floor(box[1]))
            x1, y1 = int(np.ceil(box[2])), int(np.ceil(box[3]))
            m[y0:y1, x0:x1] = fg[y0:y1, x0:x1]
            if not m.any():
                m[y0:y1, x0:x1] = True
            shapes.append(Shape(box, score, kp, cp, "large" if radius > SIZE_SPLIT else "small", POSITION_GRID[cell],
                                centre, m))
        return Scene(shapes, background_of(rgb), (w, h))


def background_of(rgb: np.ndarray) -> str:
    """The named background nearest to the picture's median border colour."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float32)
    median = np.median(border, axis=0)
    return min(BACKGROUND_RGB, key=lambda n: float(((np.asarray(BACKGROUND_RGB[n]) - median) ** 2).sum()))


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


_MODELS: dict[tuple[str, float], ShapesModel] = {}
_MODELS_LOCK = threading.Lock()


def load(folder: Path | None = None) -> ShapesModel:
    """The built-in model (or a copy in ``folder``), loaded once per process."""
    folder = Path(folder) if folder is not None else default_model_dir()
    weights = folder / "model.safetensors"
    key = (str(folder.resolve()), weights.stat().st_mtime if weights.exists() else 0.0)
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = _MODELS[key] = ShapesModel(folder)
        return model
