"""A training-free autoencoder-reconstruction test in the style of AEROBLADE (Ricker et al., CVPR 2024).

A latent-diffusion model's pictures come out of its autoencoder's decoder; passed through the same
autoencoder again (encode, decode) they come back closer to themselves than a photo does. The test
encodes and decodes the picture with every VAE it has (the built-in model's, and those of the
text-to-image models in the user's library that another plugin reports), in tiles at each VAE's native
size, measures how far the reconstruction is from the picture, and keeps the VAE that reconstructs it
best. AEROBLADE measures the distance with LPIPS on VGG's second layer; VGG's weights are not available
offline, so the distance here is the mean absolute difference of the luminance's high-pass (fine detail,
where reconstructions differ; ``bench/aeroblade.py`` compares it with plain pixel error and the VAE
encoder's own features). The score is −log10 of that distance: higher means reconstructed more exactly.

What it cannot tell: pictures of another model's autoencoder look like photos to it; flat, smooth or
tiny pictures reconstruct well whatever made them; resizing and JPEG move a generated picture away from
its decoder's outputs. torch and diffusers are imported only when the test runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from studio.api import Finding

from .heatmap import Analysis
from .signals import flagged, make, rate_words, threshold
from .source import ImageSource

SIGNAL = "forensics.aeroblade"
MAX_TILES = 4  # tiles per VAE: the centre and its neighbours (bounded time on any picture)
MAX_PIXELS = 4_200_000  # larger pictures (cameras, upscalers) are not a latent decoder's native output: not run
BUILTIN_VAE = ("studio-shapes", "studio-shapes/vae")
HIGH_PASS_SIGMA = 1.0


@dataclass
class VaeRef:
    """A VAE to try: a diffusers folder (``config.json`` + weights) or an already loaded module."""

    name: str
    path: Path | None = None
    module: Any = None
    tile: int = 0  # native tile side (0: from the config's sample_size)
    label: str = ""  # how the report names it (default: its name)

    @property
    def shown(self) -> str:
        return self.label or self.name

    def load(self) -> Any:
        if self.module is None:
            from diffusers import AutoencoderKL

            assert self.path is not None
            self.module = AutoencoderKL.from_pretrained(str(self.path), local_files_only=True).eval()
        return self.module

    def native_tile(self) -> int:
        if self.tile:
            return self.tile
        size = 0
        if self.path is not None:
            try:
                size = int(json.loads((self.path / "config.json").read_text(encoding="utf-8")).get("sample_size", 0))
            except (OSError, ValueError, TypeError):
                size = 0
        elif self.module is not None:
            size = int(getattr(self.module.config, "sample_size", 0) or 0)
        return max(32, min(512, size or 256))


@dataclass
class Reconstruction:
    vae: str
    distance: float
    error: np.ndarray  # per-pixel high-pass error over the tiles (H×W of the tiled area)
    box: tuple[int, int, int, int]  # the tiled area (x0, y0, x1, y1)
    tiles: int
    others: dict[str, float] = field(default_factory=dict)
    shown: str = ""  # how the report names the VAE


@lru_cache(maxsize=1)
def autoencoders() -> list[VaeRef]:
    """The VAEs the report tries (loaded once per process, on first use)."""
    found = builtin_vae()
    return [found] if found is not None else []


def builtin_vae() -> VaeRef | None:
    from studio.api import builtin_models_dir

    folder = builtin_models_dir() / BUILTIN_VAE[1]
    return VaeRef(BUILTIN_VAE[0], folder, label="the built-in model's") if (folder / "config.json").is_file() else None


def tile_boxes(height: int, width: int, tile: int, most: int = MAX_TILES) -> list[tuple[int, int, int, int]]:
    """Up to ``most`` tile×tile boxes, the central ones first; a picture smaller than a tile is one box
    (its size rounded down to a multiple of 8, the latent grid)."""
    if height < tile or width < tile:
        h, w = height // 8 * 8, width // 8 * 8
        return [(0, 0, w, h)] if h >= 16 and w >= 16 else []
    rows, cols = height // tile, width // tile
    y_off, x_off = (height - rows * tile) // 2, (width - cols * tile) // 2
    centre = ((rows - 1) / 2, (cols - 1) / 2)
    cells = sorted(((r, c) for r in range(rows) for c in range(cols)),
                   key=lambda rc: (rc[0] - centre[0]) ** 2 + (rc[1] - centre[1]) ** 2)
    return [(x_off + c * tile, y_off + r * tile, x_off + (c + 1) * tile, y_off + (r + 1) * tile)
            for r, c in cells[:most]]


def high_pass(luma: np.ndarray) -> np.ndarray:
    import cv2

    return luma - cv2.GaussianBlur(luma, (0, 0), HIGH_PASS_SIGMA)


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of float RGB in 0..255."""
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def round_trip(vae: Any, tiles: np.ndarray) -> np.ndarray:
    """Encode (the latent distribution's mode) and decode N×H×W×3 uint8 tiles; float RGB 0..255 back."""
    import torch

    with torch.inference_mode():
        x = torch.from_numpy(tiles).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        z = vae.encode(x).latent_dist.mode()
        y = vae.decode(z).sample
    out: np.ndarray = ((y.clamp(-1, 1) + 1.0) * 127.5).permute(0, 2, 3, 1).numpy()
    return out


def distances(tiles: np.ndarray, rebuilt: np.ndarray) -> dict[str, np.ndarray]:
    """Per-pixel maps of each distance (N×H×W): high-pass luminance error, plain RGB error."""
    x = tiles.astype(np.float32)
    hp = np.stack([np.abs(high_pass(luma(a)) - high_pass(luma(b))) for a, b in zip(x, rebuilt, strict=True)])
    return {"high_pass": hp / 255.0, "pixel": np.abs(x - rebuilt).mean(axis=3) / 255.0}


def reconstruct(rgb: np.ndarray, ref: VaeRef, metric: str = "high_pass") -> Reconstruction | None:
    boxes = tile_boxes(rgb.shape[0], rgb.shape[1], ref.native_tile())
    if not boxes:
        return None
    tiles = np.stack([rgb[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes])
    maps = distances(tiles, round_trip(ref.load(), tiles))
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    error = np.zeros((y1 - y0, x1 - x0), np.float32)
    for (bx0, by0, bx1, by1), tile_error in zip(boxes, maps[metric], strict=True):
        error[by0 - y0:by1 - y0, bx0 - x0:bx1 - x0] = tile_error
    return Reconstruction(ref.name, float(maps[metric].mean()), error, (x0, y0, x1, y1), len(boxes),
                          {k: float(v.mean()) for k, v in maps.items()}, ref.shown)


def best_reconstruction(rgb: np.ndarray, refs: list[VaeRef], metric: str = "high_pass"
                        ) -> tuple[Reconstruction | None, dict[str, float], list[str]]:
    """The VAE that reconstructs ``rgb`` best, every VAE's distance, and the VAEs that failed (with why)."""
    best: Reconstruction | None = None
    by_vae: dict[str, float] = {}
    failed: list[str] = []
    for ref in refs:
        try:
            found = reconstruct(rgb, ref, metric)
        except Exception as exc:  # noqa: BLE001 - one unreadable VAE must not stop the others
            failed.append(f"{ref.shown}: {type(exc).__name__}: {exc}")
            continue
        if found is None:
            continue
        by_vae[ref.name] = round(found.distance, 6)
        if best is None or found.distance < best.distance:
            best = found
    return best, by_vae, failed


def score_of(distance: float) -> float:
    return float(-np.log10(max(distance, 1e-6)))


def aeroblade_analysis(source: ImageSource, refs: list[VaeRef]) -> Analysis:
    """The report's analysis: best VAE, its score and verdict, and a heatmap of the reconstruction error."""
    w, h = source.rgb.shape[1], source.rgb.shape[0]
    if not refs:
        return Analysis("not-run", "No autoencoder (VAE) is available to test the picture with.",
                        signals=[make(SIGNAL, None, False)])
    if source.downscaled or w * h > MAX_PIXELS:
        return Analysis("not-run", f"Not run at {w}×{h}: the decoders of latent diffusion models make smaller "
                        "pictures, and resizing erases what this test measures.", signals=[make(SIGNAL, None, False)])
    best, by_vae, failed = best_reconstruction(source.rgb, refs)
    data: dict[str, Any] = {"distances": by_vae, "metric": "mean |high-pass luminance error| (0..1)"}
    shown = {ref.name: ref.shown for ref in refs}
    findings = [Finding(f"Reconstruction error with {shown.get(name, name)} VAE", f"{d * 100:.2f}% of full scale")
                for name, d in by_vae.items()]
    findings += [Finding("VAE that could not be used", text) for text in failed]
    if best is None:
        return Analysis("not-run", "The picture is too small for the autoencoders available.", findings, data=data,
                        signals=[make(SIGNAL, None, False)])
    score = score_of(best.distance)
    data.update({"matched_vae": best.vae, "distance": round(best.distance, 6), "score": round(score, 4),
                 "tiles": best.tiles, "area": list(best.box)})
    findings.insert(0, Finding("Best-matching VAE", f"{best.shown} VAE",
                               "The autoencoder that reconstructs the picture most exactly; a generated picture is "
                               "reconstructed best by its own model's VAE."))
    findings.append(Finding("How often this fires on natural photos", rate_words(SIGNAL),
                            f"Flagged from a score of {threshold(SIGNAL):.2f}. Known causes on real photos: flat, "
                            "smooth or blurred pictures and small ones reconstruct well with any VAE."))
    if flagged(SIGNAL, score):
        state = "reconstructed-closely"
        name = best.shown[0].upper() + best.shown[1:]
        summary = (f"{name} VAE reconstructs this picture unusually exactly (score {score:.2f}): pictures "
                   "that came out of that autoencoder's decoder do this, and so do very smooth photos. It is a "
                   "reason to look further, not a finding that a model made it.")
    else:
        state = "reconstructed-like-photos"
        summary = (f"No available VAE reconstructs the picture more exactly than it does natural photos (best: "
                   f"{best.shown} VAE, score {score:.2f}). Pictures of models whose VAE is not here look like "
                   "photos to this test.")
    full = np.zeros((h, w), np.float32)
    x0, y0, x1, y1 = best.box
    full[y0:y1, x0:x1] = best.error
    heat = np.clip(full / max(float(np.percentile(best.error, 99)), 1e-4), 0.0, 1.0)
    return Analysis(state, summary, findings, heatmap=heat, data=data, signals=[make(SIGNAL, score)],
                    heatmap_explanation=f"Autoencoder reconstruction error with {best.shown} VAE: brighter pixels came "
                                        "back less exactly from encoding and decoding; only the tested tiles "
                                        "are shown.")
