"""Detectors the user supplies from disk, each with the provenance it states about itself.

Only ``.safetensors`` files are loaded (a pickled ``.pth``/``.ckpt`` can run
code when unpickled, so those are refused). Two kinds are understood:

- a **ResNet** in torchvision's layout, such as CNNDetection's ResNet-50
  (Wang et al. 2020) converted to safetensors: ``conv1.weight`` ... ``fc.weight``
  with one output, the logit that a CNN made the picture;
- a **linear probe** on Studio's patch features (``weight``, ``bias`` and
  optionally ``mean``/``scale``), e.g. retrained on your own data.

Provenance comes from the file's safetensors metadata (``name``, ``source``,
``trained_on``, ``license``, ``notes``, ``threshold``) and an optional
``<file>.json`` beside it. Studio shows it as the file's own claim.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.api import BadInputError, Finding, ReportSection, StudioError

from .detector import LinearModel, image_score, sigmoid
from .features import FEATURE_NAMES
from .source import ImageSource

CROP = 224  # the ResNet sees up to CROPS crops of this size at full resolution, as CNNDetection evaluates
CROPS = 4
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)
PROVENANCE_KEYS = ("name", "source", "trained_on", "license", "notes", "paper")


@dataclass
class UserDetector:
    path: Path
    kind: str  # "resnet" or "linear-probe"
    provenance: dict[str, str] = field(default_factory=dict)
    threshold: float = 0.5
    model: Any = None

    @property
    def name(self) -> str:
        return self.provenance.get("name") or self.path.stem

    def score(self, source: ImageSource) -> float | None:
        if self.kind == "linear-probe":
            return image_score(source.gray, self.model)
        return resnet_score(self.model, source.rgb)


def read_safetensors_metadata(path: Path) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors file, read from its JSON header without loading tensors."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise ValueError("too short")
            (length,) = struct.unpack("<Q", head)
            if length > 100 * 2**20:
                raise ValueError("header too large")
            header = json.loads(fh.read(length))
    except (OSError, ValueError, struct.error) as exc:
        raise BadInputError(f"{path.name} is not a safetensors file ({exc}).") from None
    meta = header.get("__metadata__") or {}
    return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}


def load_user_detector(path: str | Path) -> UserDetector:
    """Load a user-supplied detector; clear errors for pickles, wrong files and unknown layouts."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise BadInputError(f"The detector {path} does not exist.")
    if path.suffix.lower() != ".safetensors":
        raise BadInputError(f"{path.name}: only .safetensors detectors are loaded; pickled model files "
                            "(.pth, .pt, .ckpt, .pkl) can run code when opened. Convert it to safetensors first.")
    meta = read_safetensors_metadata(path)
    sidecar = path.with_suffix(".json")
    if sidecar.is_file():
        try:
            extra = json.loads(sidecar.read_text(encoding="utf-8"))
            if isinstance(extra, dict):
                meta.update({str(k): str(v) for k, v in extra.items() if not isinstance(v, (dict, list))})
        except (OSError, ValueError):
            pass
    from safetensors.numpy import load_file

    try:
        tensors = load_file(str(path))
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types
        raise BadInputError(f"{path.name} cannot be read as safetensors: {exc}.") from None
    provenance = {k: meta[k] for k in PROVENANCE_KEYS if meta.get(k)}
    threshold = _float(meta.get("threshold"), 0.5)
    if "weight" in tensors and "bias" in tensors and "conv1.weight" not in tensors:
        weight = np.asarray(tensors["weight"], np.float64).ravel()
        if weight.size != len(FEATURE_NAMES):
            raise BadInputError(f"{path.name}: a linear probe needs {len(FEATURE_NAMES)} weights (Studio's patch "
                                f"features), not {weight.size}.")
        mean = np.asarray(tensors.get("mean", np.zeros_like(weight)), np.float64).ravel()
        scale = np.asarray(tensors.get("scale", np.ones_like(weight)), np.float64).ravel()
        model = LinearModel(weights=weight, bias=float(np.asarray(tensors["bias"]).ravel()[0]), mean=mean,
                            scale=np.where(scale == 0, 1.0, scale), meta=meta, path=path)
        return UserDetector(path, "linear-probe", provenance, threshold, model)
    import torch

    from .resnet import build_resnet, strip_prefix

    state = strip_prefix({k: torch.from_numpy(np.array(v)) for k, v in tensors.items()})
    for key in [k for k in state if k.endswith("running_mean")]:
        state.setdefault(key.replace("running_mean", "num_batches_tracked"), torch.tensor(0))
    if state.get("fc.weight") is not None and state["fc.weight"].shape[0] != 1:
        raise BadInputError(f"{path.name}: the ResNet's fc layer has {state['fc.weight'].shape[0]} outputs; a "
                            "detector needs one (the logit that the picture is synthetic).")
    try:
        model = build_resnet(state)
    except StudioError as exc:
        raise BadInputError(f"{path.name}: {exc}") from None
    return UserDetector(path, "resnet", provenance, threshold, model)


def resnet_score(model: Any, rgb: np.ndarray) -> float:
    """Mean probability over up to CROPS full-resolution crops (the whole picture if it is small)."""
    import torch

    h, w = rgb.shape[:2]
    crops = []
    if h <= CROP or w <= CROP:
        crops.append(rgb)
    else:
        for fy, fx in ((0.5, 0.5), (0.25, 0.25), (0.75, 0.75), (0.25, 0.75))[:CROPS]:
            y0 = int(min(max(0, fy * h - CROP / 2), h - CROP))
            x0 = int(min(max(0, fx * w - CROP / 2), w - CROP))
            crops.append(rgb[y0:y0 + CROP, x0:x0 + CROP])
    probabilities = []
    with torch.no_grad():
        for crop in crops:
            x = (crop.astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
            t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None]
            probabilities.append(float(torch.sigmoid(model(t)).ravel()[0]))
    return float(np.mean(probabilities))


def user_detector_section(detector: UserDetector, source: ImageSource) -> ReportSection:
    score = detector.score(source)
    stated = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in detector.provenance.items()) or \
        "the file states nothing about itself"
    findings = [Finding("Detector file", f"{detector.path} ({detector.kind})", "Supplied by you, not by Studio."),
                Finding("Provenance it states", stated,
                        "Read from the file's own metadata; Studio has not checked it or validated the detector.")]
    if score is None:
        state, summary = "not-run", f"{detector.name} could not score this picture (too small or too flat)."
    else:
        findings.insert(0, Finding("Score", f"{score:.3f} (threshold {detector.threshold:g})",
                                   "The detector's own output; what it means depends on how it was trained."))
        above = score >= detector.threshold
        state = "above-threshold" if above else "below-threshold"
        summary = (f"{detector.name} scores {score:.2f}, {'above' if above else 'below'} its stated threshold "
                   f"{detector.threshold:g}. Its reliability is whatever its makers claim; Studio has not "
                   "validated it.")
    return ReportSection(
        title=f"Your detector: {detector.name}",
        state=state, summary=summary, findings=findings,
        can_tell="How this picture looks to a detector you chose, trained by someone else on their data.",
        cannot_tell="Whether that training fits this picture: detectors often fail on generators, sizes and "
                    "compression they were not trained on. Studio does not calibrate it.",
        data={"score": None if score is None else round(score, 4), "kind": detector.kind,
              "provenance": detector.provenance, "threshold": detector.threshold, "path": str(detector.path)},
    )


def _float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


__all__ = ["UserDetector", "load_user_detector", "resnet_score", "sigmoid", "user_detector_section"]
