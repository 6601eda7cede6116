"""The built-in upsampling-trace detector: a small logistic regression on patch features.

Trained in this repository (``training/detector/train.py``) on natural
pictures against the same pictures through generator-style upsampling and
autoencoder round trips; see ``assets/detectors/upsampling-logreg.md``. Its
score is evidence of periodic upsampling traces, calibrated on that synthetic
data only, and the report says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from studio.api import Finding, StudioError

from .features import FEATURE_NAMES, PATCH, grid_patches, patch_features, textured
from .heatmap import Analysis
from .signals import flagged, make, rate_words, threshold
from .source import ImageSource

SIGNAL = "forensics.upsampling_detector"

BUILTIN_NAME = "upsampling-logreg.npz"
MAX_PATCHES = 64
LOW = 0.3  # probability below which traces are reported as absent (above: the calibrated threshold, .signals)


@dataclass(frozen=True)
class LinearModel:
    """A linear model on :func:`patch_features`: z = ((x - mean) / scale) · weights + bias."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def logits(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.weights + self.bias


def load_linear_npz(path: Path) -> LinearModel:
    """Load a linear model saved with numpy's ``savez`` (arrays only: pickles are refused)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            names = tuple(str(n) for n in data["feature_names"])
            if names != FEATURE_NAMES:
                raise StudioError(f"{path.name} was trained on other features than this version computes.",
                                  "Retrain it with training/detector/train.py.")
            meta = json.loads(str(data["meta"])) if "meta" in data else {}
            return LinearModel(weights=np.asarray(data["weights"], np.float64), bias=float(data["bias"]),
                               mean=np.asarray(data["mean"], np.float64), scale=np.asarray(data["scale"], np.float64),
                               meta=meta, path=path)
    except (OSError, KeyError, ValueError) as exc:
        raise StudioError(f"The detector {path.name} cannot be read: {exc}.") from None


def builtin_path() -> Path:
    from studio.api import assets_dir

    return assets_dir() / "detectors" / BUILTIN_NAME


@lru_cache(maxsize=1)
def builtin_model() -> LinearModel:
    return load_linear_npz(builtin_path())


def sigmoid(z: np.ndarray | float) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def patch_scores(gray: np.ndarray, model: LinearModel, max_patches: int = MAX_PATCHES
                 ) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Logits of the grid patches (NaN for flat ones), their grid, and whether any were usable."""
    patches, _corners, grid = grid_patches(gray, max_patches, PATCH)
    logits = np.full(len(patches), np.nan)
    if len(patches):
        keep = textured(patches)
        if keep.any():
            logits[keep] = model.logits(patch_features(patches[keep]))
    return logits, patches, grid


def image_score(gray: np.ndarray, model: LinearModel | None = None, max_patches: int = MAX_PATCHES) -> float | None:
    """The picture's probability of carrying upsampling traces (None if it has no textured patch)."""
    model = model or builtin_model()
    logits, _patches, _grid = patch_scores(gray, model, max_patches)
    usable = logits[~np.isnan(logits)]
    return float(sigmoid(usable.mean())) if usable.size else None


def detector_analysis(source: ImageSource) -> Analysis:
    """Score the picture with the built-in detector; a heatmap of its patch scores."""
    model = builtin_model()
    if source.downscaled:
        return Analysis("not-run", "The picture was analysed downscaled, which erases upsampling traces; the "
                        "detector was not run.", data=_model_facts(model), signals=[make(SIGNAL, None, False)])
    logits, _patches, (rows, cols) = patch_scores(source.gray, model)
    usable = logits[~np.isnan(logits)]
    data = _model_facts(model)
    if usable.size == 0:
        return Analysis("not-run", f"The picture is too small or too flat for the detector (it needs textured "
                        f"{PATCH}×{PATCH} areas).", data=data, signals=[make(SIGNAL, None, False)])
    score = float(sigmoid(usable.mean()))
    share = float((usable > 0).mean())
    data.update({"score": round(score, 4), "patches": int(usable.size), "share_of_patches_above_half": round(share, 3)})
    grid = sigmoid(np.nan_to_num(logits, nan=-20.0)).reshape(rows, cols).astype(np.float32)
    grid[np.isnan(logits.reshape(rows, cols))] = 0.0
    held = model.meta.get("metrics", {}).get("held_out", {}).get("image", {})
    findings = [
        Finding("Upsampling-trace score", f"{score:.2f} (0 to 1) over {usable.size} patches; "
                f"{share:.0%} of patches above 0.5",
                "A probability whose calibration was measured only on Studio's synthetic test data (natural "
                "pictures vs the same pictures upsampled or passed through small autoencoders)."),
        Finding("What the detector was trained on", "natural pictures vs generator-style upsampling and "
                "autoencoder round trips, made offline in this repository",
                f"Held-out accuracy {held.get('accuracy', float('nan')):.2f}, AUC {held.get('auc', float('nan')):.2f} "
                "on synthetic data, measured when the detector was built. Not validated against today's real "
                "generators."),
    ]
    findings.append(Finding("How often this fires on natural photos", rate_words(SIGNAL),
                            f"Flagged from a score of {threshold(SIGNAL):.2f}. On a public labelled set of real and "
                            "AI images it did not separate them (AUC about 0.4, no better than chance): a flag here "
                            "says the patches resemble its synthetic training data, nothing about a generator."))
    if flagged(SIGNAL, score):
        state = "traces-found"
        summary = (f"The detector's score ({score:.2f}) is above its calibrated threshold: the patches resemble its "
                   "synthetic upsampled training data. Upscaling, sharpening and some camera pipelines do this too, "
                   "and the detector is not validated against real generators.")
    elif score <= LOW:
        state = "no-traces"
        summary = (f"No upsampling traces found (score {score:.2f}). That does not mean a camera made it: many "
                   "generators' traces are different, and resizing or recompression erase them.")
    else:
        state = "inconclusive"
        summary = f"Some upsampling-like traces, below the calibrated threshold (score {score:.2f})."
    return Analysis(state, summary, findings, heatmap=grid, data=data, signals=[make(SIGNAL, score)],
                    heatmap_explanation="Upsampling traces: each cell is one patch's detector probability "
                                        "(brighter = more like the synthetic upsampled training data).")


def _model_facts(model: LinearModel) -> dict[str, Any]:
    meta = model.meta
    return {"model": meta.get("name", "upsampling-logreg"), "model_version": meta.get("version"),
            "validated_against_real_generators": False,
            "held_out": meta.get("metrics", {}).get("held_out", {}).get("image", {})}
