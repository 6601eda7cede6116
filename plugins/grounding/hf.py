"""Grounding models from local transformers folders: OWLv2, OWL-ViT, Grounding DINO and Florence-2.

Everything loads offline from a folder the user has (``local_files_only``, safetensors only; a folder whose
weights are only a pickle is refused, since unpickling can run code); remote code is never run
(``trust_remote_code=False``), so Florence-2 must be in the transformers-native layout. A loaded backend is
kept per (folder, device, modification time): loading happens once per process.

How each model's output becomes :class:`Found` boxes, for the queries asked:

* OWLv2 / OWL-ViT: one forward pass for all queries; boxes in picture pixels from the processor's
  post-processing (which knows OWLv2's square padding), each query scored by its own sigmoid logit.
* Grounding DINO: the queries joined as ``"a cat. a dog."``; each query scored by the highest token
  probability over its own tokens (as the original's box score, per phrase).
* Florence-2: ``<OPEN_VOCABULARY_DETECTION>`` once per query (batched); Florence gives no scores, so
  every box scores 1.0 with ``attributes["score_kind"] == "none"``.

Then, per query: boxes clipped to the picture (those left thinner than a pixel dropped), scores ≥ threshold,
overlapping boxes suppressed (IoU above :data:`NMS_IOU`), the ``max_boxes`` best kept.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import BadInputError, StudioError

from .types import Answer, Found

if TYPE_CHECKING:
    import numpy as np

    from .types import Backend

GROUNDING_KINDS = ("owlv2", "owlvit", "grounding-dino", "mm-grounding-dino", "florence2")
MASK_KINDS = ("sam", "sam2", "sam-hq", "sam3")
#: Florence-2 in its original form, which needs the folder's own Python code: recognised, never loaded.
FLORENCE_REMOTE = "florence2-remote"
KIND_LABELS = {
    "owlv2": "OWLv2", "owlvit": "OWL-ViT", "grounding-dino": "Grounding DINO", "mm-grounding-dino": "MM Grounding DINO",
    "florence2": "Florence-2", FLORENCE_REMOTE: "Florence-2 (remote-code form)", "sam": "Segment Anything",
    "sam2": "SAM 2", "sam-hq": "SAM-HQ", "sam3": "SAM 3",
}
_MODEL_TYPES = {
    "owlv2": "owlv2", "owlvit": "owlvit", "grounding-dino": "grounding-dino", "mm-grounding-dino": "mm-grounding-dino",
    "florence2": "florence2", "sam": "sam", "sam2": "sam2", "sam2_video": "sam2", "sam_hq": "sam-hq", "sam3": "sam3",
    "sam3_tracker": "sam3", "sam3_video": "sam3",
}
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
NMS_IOU = 0.5
NMS_BLOCK = 256  # at most this many candidates compared at once when suppressing overlaps
MIN_SIDE = 1.0  # pixels: a box thinner than this after clipping to the picture (e.g. in OWLv2's padding) is dropped
OFFLINE_VARIABLES = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
                     "HF_HUB_DISABLE_PROGRESS_BARS": "1"}

_CACHE: dict[tuple[str, str, float], Backend] = {}
_LOCK = threading.Lock()


# --- what a folder is ---------------------------------------------------------------------------------------------

def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_remote_florence(config: dict[str, Any]) -> bool:
    vision = config.get("vision_config") or {}
    text = config.get("text_config") or {}
    return bool(config.get("auto_map")) or (isinstance(vision, dict) and vision.get("model_type") == "davit") or (
        isinstance(text, dict) and text.get("model_type") == "florence2_language")


def recognise_folder(path: str | Path) -> str | None:
    """The kind of grounding or mask model a folder holds (from its ``config.json``), or ``None``.

    Kinds: :data:`GROUNDING_KINDS` (loadable by :func:`load_backend`), :data:`MASK_KINDS` (segmenters), and
    :data:`FLORENCE_REMOTE` (Florence-2 needing remote code: recognised so it can be named, never loaded).
    """
    path = Path(path).expanduser()
    if not path.is_dir():
        return None
    config = _read_json(path / "config.json")
    if not isinstance(config, dict):
        return None
    model_type = str(config.get("model_type") or "").lower()
    if model_type == "florence2":
        return FLORENCE_REMOTE if _is_remote_florence(config) else "florence2"
    return _MODEL_TYPES.get(model_type)


def describe_folder(path: str | Path) -> str:
    """What a file or folder is, in a few words, for error messages ("a diffusers pipeline (…)")."""
    path = Path(path).expanduser()
    if not path.exists():
        return "missing"
    if path.is_file():
        if path.suffix.lower() in PICKLE_SUFFIXES:
            return f"a pickle file ({path.suffix})"
        return f"a single file ({path.suffix or 'no suffix'}), not a model folder"
    kind = recognise_folder(path)
    if kind is not None:
        return f"a {KIND_LABELS[kind]} model"
    index = _read_json(path / "model_index.json")
    if isinstance(index, dict):
        return f"a diffusers pipeline ({index.get('_class_name', 'unknown class')})"
    config = _read_json(path / "config.json")
    if isinstance(config, dict):
        if config.get("_class_name"):
            return f"a diffusers component ({config['_class_name']})"
        if config.get("model_type"):
            return f"a transformers model of type '{config['model_type']}'"
        return "a folder whose config.json names no model type"
    return "a folder without a config.json"


def accepted_kinds() -> str:
    return ", ".join(KIND_LABELS[k] for k in GROUNDING_KINDS)


def check_weights(path: Path) -> None:
    """Refuse a folder without safetensors weights, naming the pickle file if that is all it has."""
    if any(path.glob("*.safetensors")):
        return
    pickles = sorted(p.name for p in path.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise BadInputError(
            f"{path.name} holds its weights only as a pickle file ({pickles[0]}); pickle files can run code when "
            "loaded, so Studio does not open them.",
            "Convert it to safetensors (load it once with transformers and save_pretrained(..., "
            "safe_serialization=True)), or use a safetensors copy of the model.")
    raise BadInputError(f"{path.name} has no weights: no .safetensors file in the folder.")


# --- loading ------------------------------------------------------------------------------------------------------

def _go_offline() -> None:
    """Make a missing file an error, never a download, and quieten the libraries' progress bars."""
    for key, value in OFFLINE_VARIABLES.items():
        os.environ[key] = value
    constants: Any = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = True
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()


def _stamp(path: Path) -> float:
    files = [path / "config.json", *path.glob("*.safetensors")]
    return max((f.stat().st_mtime for f in files if f.is_file()), default=0.0)


def load_backend(path: str | Path, device: str = "cpu") -> Backend:
    """A grounding backend for a local OWLv2 / OWL-ViT / Grounding DINO / Florence-2 folder (cached)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise BadInputError(f"{path} does not exist.")
    kind = recognise_folder(path)
    if kind == FLORENCE_REMOTE:
        raise BadInputError(
            f"{path.name} is Florence-2 in its original remote-code form, which runs Python code shipped with the "
            "model; Studio never runs code from model folders.",
            "Use a transformers-native copy (the florence-community/Florence-2-* folders, model_type 'florence2' "
            "without 'auto_map').")
    if kind not in GROUNDING_KINDS:
        raise BadInputError(f"{path.name} is {describe_folder(path)}, not a grounding model.",
                            f"Studio finds boxes with the built-in model or a folder of: {accepted_kinds()}.")
    check_weights(path)
    key = (str(path.resolve()), device, _stamp(path))
    with _LOCK:
        backend = _CACHE.get(key)
        if backend is None:
            for old in [k for k in _CACHE if k[:2] == key[:2]]:
                del _CACHE[old]
            backend = _load(kind, path, device)
            _CACHE[key] = backend
    return backend


def clear_cache() -> None:
    """Forget the loaded models (tests; freeing memory)."""
    with _LOCK:
        _CACHE.clear()


def _load(kind: str, path: Path, device: str) -> Backend:
    _go_offline()
    import torch
    from transformers import AutoModelForZeroShotObjectDetection, AutoProcessor

    options: dict[str, Any] = dict(local_files_only=True, trust_remote_code=False)
    model: Any
    try:
        processor = AutoProcessor.from_pretrained(str(path), **options)
        if kind == "florence2":
            from transformers import Florence2ForConditionalGeneration

            model = Florence2ForConditionalGeneration.from_pretrained(str(path), use_safetensors=True, **options)
        else:
            model = AutoModelForZeroShotObjectDetection.from_pretrained(str(path), use_safetensors=True, **options)
        model = model.to(torch.device(device)).eval()
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StudioError(f"Could not load {KIND_LABELS[kind]} from {path.name}: {first}",
                          "Check that the folder is complete (config, weights, processor and tokenizer files).",
                          ) from exc
    classes: dict[str, type[_HFBackend]] = {"owlv2": OwlBackend, "owlvit": OwlBackend, "florence2": FlorenceBackend}
    cls = classes.get(kind, DinoBackend)
    return cls(kind, path, device, model, processor)


# --- shared steps -------------------------------------------------------------------------------------------------

def _check(rgb: Any, queries: list[str], threshold: float) -> list[str]:
    """Validate the picture and threshold; the queries stripped, empty and repeated ones dropped."""
    import numpy as np

    if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise BadInputError("The picture must be an (H, W, 3) uint8 RGB array.")
    if not 0.0 <= threshold <= 1.0:
        raise BadInputError(f"The threshold must be between 0 and 1 (got {threshold}).")
    return list(dict.fromkeys(q.strip() for q in queries if q.strip()))


def _best(boxes: np.ndarray, scores: np.ndarray, width: int, height: int, threshold: float,
          max_boxes: int) -> list[int]:
    """Indices of the boxes kept for one query (``boxes`` clipped in place): highest scores first, score ≥
    threshold, not overlapping a better one by more than :data:`NMS_IOU`, at most ``max_boxes``.

    Greedy suppression, a block of candidates at a time (one IoU matrix per block, one array operation per
    box kept; blocks grow from a few times ``max_boxes``), so thousands of candidates cost milliseconds."""
    import numpy as np

    np.clip(boxes[:, 0::2], 0, width, out=boxes[:, 0::2])
    np.clip(boxes[:, 1::2], 0, height, out=boxes[:, 1::2])
    sides = boxes[:, 2:] - boxes[:, :2]
    order = np.argsort(-scores, kind="stable")
    order = order[(scores[order] >= threshold) & (sides[order].min(axis=1) >= MIN_SIDE)]
    kept: list[int] = []
    start, size = 0, min(NMS_BLOCK, max(32, 4 * max_boxes))  # small first: usually the best few suffice
    while start < len(order):
        block = order[start:start + size]
        start, size = start + size, min(NMS_BLOCK, size * 2)
        if kept:
            block = block[(_iou(boxes[block], boxes[kept]) <= NMS_IOU).all(axis=1)]
        overlaps = _iou(boxes[block], boxes[block]) > NMS_IOU
        suppressed = np.zeros(len(block), dtype=bool)
        for j, index in enumerate(block):
            if suppressed[j]:
                continue
            kept.append(int(index))
            if len(kept) >= max_boxes:
                return kept
            suppressed |= overlaps[j]
    return kept


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The (len(a), len(b)) intersection-over-union matrix of two sets of (x0, y0, x1, y1) boxes."""
    import numpy as np

    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def _box(row: np.ndarray) -> tuple[float, float, float, float]:
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])


def _found(boxes: np.ndarray, scores: np.ndarray, query: str, keep: list[int],
           attributes: dict[str, Any]) -> list[Found]:
    return [Found(_box(boxes[i]), query, float(scores[i]), attributes=dict(attributes)) for i in keep]


class _HFBackend:
    """What the three backends share: the loaded model, its processor, and where they run."""

    score_kind = "sigmoid"

    def __init__(self, kind: str, path: Path, device: str, model: Any, processor: Any) -> None:
        self.kind = kind
        self.path = path
        self.device = device
        self.model = model
        self.processor = processor
        self.name = f"{kind} (folder {path.name})"
        self._lock = threading.Lock()  # one picture at a time: a fast tokenizer must not be shared across threads

    def detect(self, rgb: np.ndarray, queries: list[str], threshold: float, max_boxes: int) -> list[Found]:
        queries = _check(rgb, queries, threshold)
        if not queries or max_boxes < 1:
            return []
        with self._lock:
            return self._detect(rgb, queries, threshold, max_boxes)

    def _detect(self, rgb: np.ndarray, queries: list[str], threshold: float, max_boxes: int) -> list[Found]:
        raise NotImplementedError

    def answer(self, rgb: np.ndarray, question: str) -> Answer:
        raise StudioError(f"{KIND_LABELS[self.kind]} finds objects but cannot answer questions.",
                          "Use the built-in model to ask a question, or ask for the objects themselves "
                          "(a query such as 'a red car').")

    def _image(self, rgb: np.ndarray) -> Any:
        from PIL import Image

        return Image.fromarray(rgb)


class OwlBackend(_HFBackend):
    """OWLv2 / OWL-ViT: every query is a class of one open-vocabulary classifier over the image's patches."""

    def _detect(self, rgb: np.ndarray, queries: list[str], threshold: float, max_boxes: int) -> list[Found]:
        import torch

        height, width = rgb.shape[:2]
        inputs = self.processor(text=[queries], images=self._image(rgb), return_tensors="pt", truncation=True)
        with torch.inference_mode():
            outputs = self.model(**inputs.to(self.device))
            # all boxes, in the model's order, scaled to the picture (OWLv2 pads to a square: the processor knows)
            boxes = self.processor.post_process_grounded_object_detection(
                outputs, threshold=-1.0, target_sizes=[(height, width)])[0]["boxes"]
            scores = outputs.logits[0].float().sigmoid()  # (boxes, queries)
        boxes_np = boxes.float().cpu().numpy()
        scores_np = scores.cpu().numpy()
        attributes = {"backend": self.kind, "score_kind": self.score_kind}
        found: list[Found] = []
        for q, query in enumerate(queries):
            column = scores_np[:, q]
            keep = _best(boxes_np, column, width, height, threshold, max_boxes)
            found += _found(boxes_np, column, query, keep, attributes)
        return found


class DinoBackend(_HFBackend):
    """Grounding DINO: the queries as one caption ``"a cat. a dog."``, each box scored against each phrase."""

    score_kind = "token-max"

    def _groups(self, queries: list[str]) -> list[list[str]]:
        """The queries in groups whose caption fits the model's text length (usually one group)."""
        limit = int(getattr(self.model.config, "max_text_len", 256))
        groups: list[list[str]] = [[]]
        for query in queries:
            trial = [*groups[-1], query]
            if groups[-1] and len(self.processor.tokenizer(_caption(trial))["input_ids"]) > limit:
                groups.append([query])
            else:
                groups[-1] = trial
        return groups

    def _detect(self, rgb: np.ndarray, queries: list[str], threshold: float, max_boxes: int) -> list[Found]:
        found: list[Found] = []
        for group in self._groups(queries):
            found += self._detect_group(rgb, group, threshold, max_boxes)
        return found

    def _detect_group(self, rgb: np.ndarray, queries: list[str], threshold: float, max_boxes: int) -> list[Found]:
        import numpy as np
        import torch

        height, width = rgb.shape[:2]
        caption = _caption(queries)
        tokens = self.processor.tokenizer(caption, return_offsets_mapping=True, truncation=True)
        spans = _phrase_tokens(caption, queries, tokens["offset_mapping"])
        inputs = self.processor(images=self._image(rgb), text=caption, return_tensors="pt", truncation=True)
        with torch.inference_mode():
            outputs = self.model(**inputs.to(self.device))
            probs = outputs.logits[0].float().sigmoid().cpu().numpy()  # (boxes, text tokens)
            centre = outputs.pred_boxes[0].float().cpu().numpy()  # (cx, cy, w, h), 0..1 of the picture
        # as post_process_grounded_object_detection does, without decoding a label per box
        boxes = np.concatenate([centre[:, :2] - centre[:, 2:] / 2, centre[:, :2] + centre[:, 2:] / 2], axis=1)
        boxes *= np.array([width, height, width, height], dtype=boxes.dtype)
        attributes = {"backend": self.kind, "score_kind": self.score_kind}
        found: list[Found] = []
        for query, span in zip(queries, spans, strict=True):
            if not span:
                continue
            scores = probs[:, span].max(axis=1)
            keep = _best(boxes, scores, width, height, threshold, max_boxes)
            found += _found(boxes, scores, query, keep, attributes)
        return found


def _caption(queries: list[str]) -> str:
    """Grounding DINO's caption: lower case, each phrase ended by a full stop ("a cat. a dog.")."""
    return " ".join(q.lower().rstrip(".").strip() + "." for q in queries)


def _phrase_tokens(caption: str, queries: list[str], offsets: list[tuple[int, int]]) -> list[list[int]]:
    """For each query, the indices of its tokens in the caption (special tokens and full stops excluded)."""
    spans: list[list[int]] = []
    start = 0
    for query in queries:
        phrase = query.lower().rstrip(".").strip()
        begin = caption.index(phrase, start)
        end = begin + len(phrase)
        spans.append([i for i, (s, e) in enumerate(offsets) if e > s and s >= begin and e <= end])
        start = end
    return spans


class FlorenceBackend(_HFBackend):
    """Florence-2: ``<OPEN_VOCABULARY_DETECTION>`` per query, generated in one batch. No scores (1.0)."""

    score_kind = "none"
    task = "<OPEN_VOCABULARY_DETECTION>"
    num_beams = 3  # as Florence-2's authors run it

    def _detect(self, rgb: np.ndarray, queries: list[str], threshold: float, max_boxes: int) -> list[Found]:
        import numpy as np
        import torch

        height, width = rgb.shape[:2]
        image = self._image(rgb)
        # a query may not smuggle in another task token ("<CAPTION>"): Florence-2 reads only the first one
        prompts = [self.task + " ".join(q.replace("<", " ").replace(">", " ").split()) for q in queries]
        inputs = self.processor(text=prompts, images=[image] * len(queries),
                                padding="longest", return_tensors="pt")
        longest = max(len(self.processor.tokenizer(q)["input_ids"]) for q in queries)
        budget = min(1024, 8 + max_boxes * (longest + 6))  # a label and four location tokens per box
        with torch.inference_mode():
            generated = self.model.generate(**inputs.to(self.device), max_new_tokens=budget,
                                            num_beams=self.num_beams, do_sample=False)
        texts = self.processor.batch_decode(generated, skip_special_tokens=False)
        attributes = {"backend": self.kind, "score_kind": self.score_kind}
        found: list[Found] = []
        for query, text in zip(queries, texts, strict=True):
            parsed = self.processor.post_process_generation(text, task=self.task, image_size=(width, height))
            result = parsed[self.task]
            items: list[tuple[list[float], Any]] = [(list(box), None) for box in result.get("bboxes", [])]
            for polygons in result.get("polygons", []):
                items.append(_polygon_box(polygons, width, height))
            boxes = np.array([box for box, _ in items], dtype=np.float32).reshape(-1, 4)
            scores = np.ones(len(items), dtype=np.float32)
            for i in _best(boxes, scores, width, height, threshold, max_boxes):
                found.append(Found(_box(boxes[i]), query, 1.0, mask=items[i][1], attributes=dict(attributes)))
        return found


def _polygon_box(polygons: list[list[float]], width: int, height: int) -> tuple[list[float], Any]:
    """A box around Florence-2 polygons (flat ``[x0, y0, x1, y1, …]`` lists) and their filled mask."""
    import numpy as np
    from PIL import Image, ImageDraw

    mask = Image.new("1", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    xs: list[float] = []
    ys: list[float] = []
    for polygon in polygons:
        points = list(zip(polygon[0::2], polygon[1::2], strict=False))
        if len(points) >= 3:
            draw.polygon(points, fill=1)
        xs += polygon[0::2]
        ys += polygon[1::2]
    box = [min(xs), min(ys), max(xs), max(ys)] if xs else [0.0, 0.0, 0.0, 0.0]
    return box, np.array(mask, dtype=bool)
