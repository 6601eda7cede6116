"""How well do VAE reconstructions keep the world's attributes? The analyzer's accuracy on
reconstructed single-shape scenes is an upper bound for the prompt-adherence benchmark.

    .venv/bin/python training/shapes_model/vae_check.py [--ckpt ~/.cache/studio-training/latest.pt]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]
for p in (str(REPO), str(REPO / "training")):
    if p not in sys.path:
        sys.path.insert(0, p)

from studio.world import render, sample_scene  # noqa: E402
from studio.world.analyze import analyze  # noqa: E402

ATTRIBUTES = ("background", "kind", "colour", "size", "position")


@torch.no_grad()
def reconstruction_accuracy(vae: torch.nn.Module, n: int = 128, seed: int = 99) -> dict[str, float]:
    """Per-attribute analyzer accuracy (and "all") on VAE reconstructions of ``n`` scenes."""
    rng = np.random.default_rng(seed)
    scenes = [sample_scene(rng, n_shapes=1) for _ in range(n)]
    images = np.stack([render(s) for s in scenes])
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    was_training = vae.training
    vae.eval()
    recon = vae.decode(vae.encode(x).latent_dist.mode()).sample
    vae.train(was_training)
    out = ((recon.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    hits: Counter[str] = Counter()
    for scene, img in zip(scenes, out, strict=True):
        got = analyze(img).as_dict()
        shape = scene.shapes[0]
        truth = {
            "background": scene.background,
            "kind": shape.kind,
            "colour": shape.colour,
            "size": shape.size,
            "position": shape.position,
        }
        ok = [got[a] == truth[a] for a in ATTRIBUTES]
        hits.update(a for a, good in zip(ATTRIBUTES, ok, strict=True) if good)
        hits["all"] += all(ok)
    return {a: hits[a] / n for a in (*ATTRIBUTES, "all")}


def format_accuracy(acc: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.0%}" for k, v in acc.items())


def main() -> None:
    from shapes_model.checkpoint import DEFAULT_DIR, LATEST, load
    from shapes_model.models import build_vae

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ckpt", type=Path, default=DEFAULT_DIR / LATEST)
    ap.add_argument("--n", type=int, default=256)
    args = ap.parse_args()
    torch.set_num_threads(1)
    state = load(args.ckpt)
    if state is None:
        raise SystemExit(f"no checkpoint at {args.ckpt}")
    vae = build_vae()
    vae.load_state_dict(state["vae"])
    print(f"vae_step {state['vae_step']}: {format_accuracy(reconstruction_accuracy(vae, args.n))}")


if __name__ == "__main__":
    main()
