"""A box → a mask of the object inside it, for inpainting and edits.

Three ways, the best available first:

- **SAM** (Segment Anything: ``SamModel``, ``Sam2Model`` or ``SamHQModel`` of transformers), prompted with
  the box, when the user has a SAM folder (``config.json`` + ``*.safetensors``; loaded offline, never
  downloaded, ``.bin``/pickle weights refused);
- **GrabCut seeded by a hint mask**: some detectors give a coarse mask with their box; it seeds OpenCV's
  GrabCut (probable foreground where the hint is, probable background elsewhere in the box);
- **GrabCut from the box**: OpenCV's GrabCut, with everything outside the box as background.

The mask never leaves the box by more than a small margin (:data:`MARGIN`) and is never empty: when a
method finds nothing, the box itself is the mask, and the method string says so.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

from studio.api import StudioError

Box = tuple[float, float, float, float]

MARGIN = 0.04  # the mask may leave the box by this share of the box's longer side (at least 2 pixels)
MIN_SHARE = 0.02  # a segmentation covering less of the box than this has found nothing
GRABCUT_SIDE = 640  # GrabCut works on a copy of the box's surroundings at most this large
GRABCUT_ITERATIONS = 5

SAM_KINDS = {  # config.json's model_type → the transformers model and processor classes
    "sam": ("SamModel", "SamProcessor"),
    "sam2": ("Sam2Model", "Sam2Processor"),
    "sam_hq": ("SamHQModel", "SamHQProcessor"),
}
_load_lock = threading.Lock()


def box_to_mask(rgb: np.ndarray, box: Box, *, sam_folder: Path | None = None, hint_mask: np.ndarray | None = None,
                cache: dict[str, Any] | None = None) -> tuple[np.ndarray, str]:
    """The object in ``box`` (``(x0, y0, x1, y1)`` picture pixels) of an RGB ``(H, W, 3)`` uint8 picture, as an
    ``(H, W)`` bool mask, and the method used (``"sam (FOLDER)"``, ``"grabcut (seeded by the hint mask)"``,
    ``"grabcut"``, each followed by ``" → the box"`` when it found nothing and the box rectangle was used).

    ``sam_folder``: a local SAM/SAM2 folder (offline, safetensors only); ``hint_mask``: an ``(H, W)`` mask that
    a detector gave with the box; ``cache``: a dict (a plugin's ``ctx.state``) where a loaded SAM is kept.
    Raises :class:`StudioError` for a box outside the picture or a SAM folder that cannot be loaded.
    """
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    rgb = np.ascontiguousarray(rgb[..., :3])
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = _pixel_box(box, w, h)
    margin = max(2, round(MARGIN * max(x1 - x0, y1 - y0)))
    allowed = np.zeros((h, w), bool)
    allowed[max(0, y0 - margin): y1 + margin, max(0, x0 - margin): x1 + margin] = True
    if sam_folder is not None:
        mask = _sam(rgb, (x0, y0, x1, y1), Path(sam_folder), cache)
        method = f"sam ({Path(sam_folder).name})"
    else:
        hint = None
        if hint_mask is not None:
            hint = np.asarray(hint_mask).astype(bool)
            if hint.shape != (h, w):
                raise StudioError(f"the hint mask is {hint.shape[1]}×{hint.shape[0]}, the picture {w}×{h}")
            if not (hint & allowed).any():
                hint = None
        mask = _grabcut(rgb, (x0, y0, x1, y1), margin, hint)
        method = "grabcut (seeded by the hint mask)" if hint is not None else "grabcut"
    mask &= allowed
    if mask.sum() < MIN_SHARE * (x1 - x0) * (y1 - y0):
        mask = np.zeros((h, w), bool)
        mask[y0:y1, x0:x1] = True
        method += " → the box (nothing segmented)"
    return mask, method


def _pixel_box(box: Box, w: int, h: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (float(v) for v in box)
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    ix0, iy0 = max(0, int(np.floor(x0))), max(0, int(np.floor(y0)))
    ix1, iy1 = min(w, int(np.ceil(x1))), min(h, int(np.ceil(y1)))
    if ix1 <= ix0 or iy1 <= iy0:
        raise StudioError(f"the box {tuple(round(v, 1) for v in box)} is not inside the {w}×{h} picture")
    return ix0, iy0, ix1, iy1


# -- GrabCut ----------------------------------------------------------------------------------------
def _grabcut(rgb: np.ndarray, box: tuple[int, int, int, int], margin: int, hint: np.ndarray | None) -> np.ndarray:
    """GrabCut on the box's surroundings: outside the box (plus margin) is background; inside, the hint (when
    given) is probable foreground and the rest probable background, else all of it is probable foreground."""
    import cv2

    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box
    pad = max(8, (max(x1 - x0, y1 - y0)) // 2)  # background around the box to learn its colours from
    cx0, cy0, cx1, cy1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
    crop: np.ndarray = rgb[cy0:cy1, cx0:cx1]
    seeds: np.ndarray = np.full(crop.shape[:2], cv2.GC_BGD, np.uint8)
    inner = (slice(max(0, y0 - margin - cy0), y1 + margin - cy0), slice(max(0, x0 - margin - cx0), x1 + margin - cx0))
    if hint is None:
        seeds[inner] = cv2.GC_PR_FGD
    else:
        local = hint[cy0:cy1, cx0:cx1]
        seeds[inner] = np.where(local[inner], cv2.GC_PR_FGD, cv2.GC_PR_BGD)
        core = cv2.erode(local.astype(np.uint8), np.ones((5, 5), np.uint8), iterations=2).astype(bool)
        seeds[inner][core[inner]] = cv2.GC_FGD
    # a frame of the background's colour around it all: where the box meets the picture's edge (or fills the
    # picture), GrabCut would otherwise learn the background from one side only (or from nothing) and keep the
    # box's corners. Its colour is the background's median (the outer ring's when the box fills the picture),
    # not a copy of the edge, which would take in an object cut by the edge.
    outside = seeds == cv2.GC_BGD
    if not outside.any():
        outside = np.ones(seeds.shape, bool)
        outside[2:-2, 2:-2] = False
    colour = [int(v) for v in np.median(crop[outside], axis=0)]
    frame = 4
    crop = cv2.copyMakeBorder(crop, frame, frame, frame, frame, cv2.BORDER_CONSTANT, value=colour)
    seeds = cv2.copyMakeBorder(seeds, frame, frame, frame, frame, cv2.BORDER_CONSTANT, value=cv2.GC_BGD)
    f = min(1.0, GRABCUT_SIDE / max(crop.shape[:2]))
    if f < 1.0:
        size = (max(1, round(crop.shape[1] * f)), max(1, round(crop.shape[0] * f)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        seeds = cv2.resize(seeds, size, interpolation=cv2.INTER_NEAREST)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(np.ascontiguousarray(crop[..., ::-1]), seeds, (0, 0, 1, 1), bgd, fgd, GRABCUT_ITERATIONS,
                    cv2.GC_INIT_WITH_MASK)
    except cv2.error:  # e.g. one colour only: no model can be learnt
        seeds[:] = cv2.GC_BGD
    fg = ((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)).astype(np.uint8)
    if f < 1.0:
        fg = cv2.resize(fg, (cx1 - cx0 + 2 * frame, cy1 - cy0 + 2 * frame), interpolation=cv2.INTER_NEAREST)
    fg = fg[frame:-frame, frame:-frame]
    mask = np.zeros((h, w), bool)
    mask[cy0:cy1, cx0:cx1] = fg.astype(bool)
    return mask


# -- SAM ----------------------------------------------------------------------------------------------
def sam_kind(folder: Path) -> str:
    """The SAM family of a local folder (``sam``, ``sam2``, ``sam_hq``); StudioError when it is not one."""
    config = folder / "config.json"
    if not config.is_file():
        raise StudioError(f"{folder} is not a SAM folder: it has no config.json")
    try:
        kind = str(json.loads(config.read_text(encoding="utf-8")).get("model_type", ""))
    except (OSError, ValueError) as exc:
        raise StudioError(f"{folder}: config.json cannot be read ({exc})") from exc
    if kind not in SAM_KINDS:
        raise StudioError(f"{folder} holds a '{kind or 'unknown'}' model, not SAM ({', '.join(SAM_KINDS)})")
    if not any(folder.glob("*.safetensors")):
        raise StudioError(f"{folder} has no .safetensors weights (other weight formats are not loaded)")
    return kind


def _load_sam(folder: Path, cache: dict[str, Any] | None) -> tuple[Any, Any]:
    key = f"sam:{folder.resolve()}"
    with _load_lock:
        if cache is not None and key in cache:
            return cache[key]
        import transformers

        model_name, processor_name = SAM_KINDS[sam_kind(folder)]
        try:
            model = getattr(transformers, model_name).from_pretrained(folder, local_files_only=True,
                                                                      use_safetensors=True)
        except (OSError, ValueError) as exc:
            raise StudioError(f"the SAM model in {folder} cannot be loaded: {exc}") from exc
        try:
            processor = getattr(transformers, processor_name).from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError):  # no processor files: SAM's own defaults
            processor = getattr(transformers, processor_name)()
        model.eval()
        if cache is not None:
            cache[key] = (model, processor)
        return model, processor


def _sam(rgb: np.ndarray, box: tuple[int, int, int, int], folder: Path, cache: dict[str, Any] | None) -> np.ndarray:
    """SAM's mask for the box prompt (of its candidate masks, the one it rates best), at picture size."""
    import torch

    model, processor = _load_sam(folder, cache)
    inputs = processor(images=rgb, input_boxes=[[[float(v) for v in box]]], return_tensors="pt")
    with torch.inference_mode():
        outputs = model(**inputs, multimask_output=True)
    sizes = [inputs[k] for k in ("original_sizes", "reshaped_input_sizes") if k in inputs]
    post = getattr(processor, "post_process_masks", None) or processor.image_processor.post_process_masks
    masks = post(outputs.pred_masks, *sizes)[0]  # (boxes, candidates, H, W)
    masks = masks.reshape(-1, *masks.shape[-2:])
    best = int(outputs.iou_scores.reshape(-1).argmax()) if masks.shape[0] > 1 else 0
    return np.asarray(masks[best].float().numpy() > 0.5)
