"""The autoencoder-reconstruction detector (AEROBLADE-style) in-domain: generated pictures vs real photos.

    .venv/bin/python bench/aeroblade.py [--n 60] [--steps 20]

Generated: pictures of the built-in model (``assets/models/studio-shapes``, 64×64, its own VAE) and of
two tiny diffusers pipelines built here with their own random-initialised VAEs (64×64). Real: crops of
natural photos at the same size (the calibration photos, downscaled ×0.25–1 and cropped, PNG or JPEG
re-encoded) and, as a harder control for the built-in model, shapes-world scenes drawn by the world's
renderer (flat shapes like the model's, never through a VAE). Every picture is tested with every VAE (the
built-in one and both tiny ones); the score is the best over them, as in the report. Prints ROC AUC and
the true-positive rate at 1% false positives for three distances (high-pass luminance error: the one the
report uses; plain pixel error; both from the same round trip), and which VAE matched.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402

SHARED = Path("/work/shared/media-samples")


def roc_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(score of a generated picture > score of a real one), ties counted half."""
    p, n = positive[:, None], negative[None, :]
    return float(((p > n).sum() + 0.5 * (p == n).sum()) / (positive.size * negative.size))


def tpr_at_fpr(positive: np.ndarray, negative: np.ndarray, fpr: float = 0.01) -> tuple[float, float]:
    """(true-positive rate, threshold) where at most ``fpr`` of the negatives reach the threshold."""
    values = np.sort(negative)[::-1]
    allowed = int(np.floor(fpr * values.size))
    threshold = np.nextafter(values[allowed], np.inf) if allowed < values.size else -np.inf
    return float((positive >= threshold).mean()), float(threshold)


def builtin_outputs(n: int, steps: int, seed: int) -> list[np.ndarray]:
    import torch
    from diffusers import EulerDiscreteScheduler, StableDiffusionPipeline

    from studio.api import builtin_models_dir
    from studio.world.scene import caption, sample_scene

    folder = builtin_models_dir() / "studio-shapes"
    pipe = StableDiffusionPipeline.from_pretrained(str(folder), local_files_only=True, safety_checker=None,
                                                   requires_safety_checker=False)
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        prompt = caption(sample_scene(rng))
        image = pipe(prompt, num_inference_steps=steps, guidance_scale=5.0, height=64, width=64,
                     generator=torch.Generator().manual_seed(seed + i), output_type="np").images[0]
        out.append((np.clip(image, 0, 1) * 255).round().astype(np.uint8))
    return out


def tiny_outputs(pipe: object, n: int, steps: int, seed: int) -> list[np.ndarray]:
    import torch

    pipe.set_progress_bar_config(disable=True)  # type: ignore[attr-defined]
    out = []
    for i in range(n):
        image = pipe("a picture", num_inference_steps=steps, height=64, width=64,  # type: ignore[operator]
                     generator=torch.Generator().manual_seed(seed + i), output_type="np").images[0]
        out.append((np.clip(image, 0, 1) * 255).round().astype(np.uint8))
    return out


def photo_crops(n: int, seed: int, size: int = 64) -> list[np.ndarray]:
    import cv2
    from PIL import Image

    from studio_plugins.forensics import calibrate

    rng = np.random.default_rng(seed)
    names = calibrate.sources(SHARED)
    photos = {name: calibrate.load_source(name, SHARED) for name in names}
    out = []
    while len(out) < n:
        rgb = photos[names[int(rng.integers(len(names)))]]
        f = float(rng.uniform(0.25, 1.0))
        if f < 1.0:
            rgb = cv2.resize(rgb, (max(size, round(rgb.shape[1] * f)), max(size, round(rgb.shape[0] * f))),
                             interpolation=cv2.INTER_AREA)
        y, x = int(rng.integers(0, rgb.shape[0] - size + 1)), int(rng.integers(0, rgb.shape[1] - size + 1))
        crop = np.ascontiguousarray(rgb[y:y + size, x:x + size])
        if rng.random() < 0.5:
            buffer = io.BytesIO()
            Image.fromarray(crop).save(buffer, format="JPEG", quality=int(rng.integers(70, 96)))
            crop = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
        out.append(crop)
    return out


def rendered_scenes(n: int, seed: int) -> list[np.ndarray]:
    from studio.world.render import render
    from studio.world.scene import sample_scene

    rng = np.random.default_rng(seed)
    return [np.asarray(render(sample_scene(rng)))[..., :3].astype(np.uint8) for _ in range(n)]


def scores(images: list[np.ndarray], refs: list, metric: str) -> tuple[np.ndarray, list[str]]:
    from studio_plugins.forensics.aeroblade import best_reconstruction, score_of

    values, matched = [], []
    for rgb in images:
        best, _by_vae, _failed = best_reconstruction(rgb, refs, metric)
        assert best is not None
        values.append(score_of(best.distance))
        matched.append(best.vae)
    return np.asarray(values), matched


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="pictures per set")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from studio_plugins.diffusion import testing
    from studio_plugins.forensics.aeroblade import VaeRef, builtin_vae

    start = time.perf_counter()
    tiny_a = testing.tiny_sd1(seed=11)
    tiny_b = testing.tiny_sd1(seed=23, vae_channels=(32, 32))
    builtin = builtin_vae()
    assert builtin is not None, "the built-in model's VAE is missing"
    refs = [builtin, VaeRef("tiny-a", module=tiny_a.vae, tile=64), VaeRef("tiny-b", module=tiny_b.vae, tile=64)]
    sets = {
        "built-in model": builtin_outputs(args.n, args.steps, args.seed),
        "tiny pipeline A": tiny_outputs(tiny_a, args.n, args.steps, args.seed),
        "tiny pipeline B": tiny_outputs(tiny_b, args.n, args.steps, args.seed),
        "real photos": photo_crops(2 * args.n, args.seed),
        "rendered shapes": rendered_scenes(args.n, args.seed),
    }
    print(f"{sum(len(v) for v in sets.values())} pictures made in {time.perf_counter() - start:.0f} s "
          f"(64×64; VAEs: {', '.join(r.name for r in refs)})")
    for metric in ("high_pass", "pixel"):
        t0 = time.perf_counter()
        found = {name: scores(images, refs, metric) for name, images in sets.items()}
        seconds = (time.perf_counter() - t0) / sum(len(v) for v in sets.values())
        print(f"\ndistance: {metric} ({seconds * 1000:.0f} ms a picture, {len(refs)} VAEs)")
        real = found["real photos"][0]
        for name in ("built-in model", "tiny pipeline A", "tiny pipeline B"):
            values, matched = found[name]
            tpr, _ = tpr_at_fpr(values, real)
            share = {v: matched.count(v) / len(matched) for v in dict.fromkeys(matched)}
            print(f"  {name:16} vs real photos: AUC {roc_auc(values, real):.3f}, TPR@1%FPR {tpr:.0%}; matched "
                  + ", ".join(f"{k} {v:.0%}" for k, v in share.items()))
        shapes = found["rendered shapes"][0]
        tpr, _ = tpr_at_fpr(found["built-in model"][0], shapes)
        print(f"  built-in model   vs rendered shapes (control): AUC "
              f"{roc_auc(found['built-in model'][0], shapes):.3f}, TPR@1%FPR {tpr:.0%}")
        print(f"  real photos flagged-rate check: median score {np.median(real):.2f}, "
              f"generated median {np.median(found['built-in model'][0]):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
