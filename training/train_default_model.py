"""Train Studio's built-in "studio-shapes" text-to-image model on the shapes world.

Stage 1 trains the VAE on rendered images; stage 2 trains the UNet and the text encoder
jointly (v-prediction, zero terminal SNR, 10% caption dropout for classifier-free
guidance) on VAE latents of freshly rendered scenes. Everything is seeded; the full state
(models, EMA, optimizers, steps, RNG states) is checkpointed atomically to
``~/.cache/studio-training/latest.pt`` every few minutes and on SIGTERM, and training
resumes from it. Without a checkpoint it warm-starts from the exported model folder when
one exists. Export with ``training/export_default_model.py``.

    STUDIO_TRAIN_THREADS=1 .venv/bin/python training/train_default_model.py --hours 2.8
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
for p in (str(REPO), str(REPO / "training")):
    if p not in sys.path:
        sys.path.insert(0, p)

from shapes_model.checkpoint import DEFAULT_DIR, LATEST, load, save_atomic  # noqa: E402
from shapes_model.trainer import Trainer  # noqa: E402

DEFAULT_MODEL_DIR = REPO / "assets" / "models" / "studio-shapes"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt-dir", type=Path, default=DEFAULT_DIR, help="checkpoints (outside the repo)")
    ap.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR, help="exported model (warm start)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--vae-steps", type=int, default=3000)
    ap.add_argument("--vae-batch", type=int, default=16)
    ap.add_argument("--vae-lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--decay-start", type=int, default=0, help="UNet step where the learning rate starts to fall")
    ap.add_argument(
        "--decay-steps", type=int, default=0, help="cosine fall of the UNet learning rate over this many steps (0: off)"
    )
    ap.add_argument("--final-lr-fraction", type=float, default=0.05, help="learning rate after the fall, times --lr")
    ap.add_argument("--max-steps", type=int, default=0, help="stop the UNet stage here (0: no limit)")
    ap.add_argument("--hours", type=float, default=float("inf"), help="wall-clock budget of this run")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--single-fraction", type=float, default=0.85)
    ap.add_argument(
        "--decoder-every", type=int, default=4, help="stage 2: one decoder-only VAE step every N UNet steps (0: off)"
    )
    ap.add_argument("--decoder-lr", type=float, default=1e-4)
    ap.add_argument("--pool-size", type=int, default=8192, help="scenes in the latent pool")
    ap.add_argument("--pool-refresh", type=int, default=16, help="new scenes per UNet step")
    ap.add_argument("--caption-dropout", type=float, default=0.1)
    ap.add_argument("--short-captions", type=float, default=0.0,
                    help="share of captions that leave attributes out (\"a blue square\", \"a star on white\")")
    ap.add_argument("--motion-captions", type=float, default=0.0,
                    help="share of scenes that are a frame of a motion clip, captioned \"... moving right ...\"")
    ap.add_argument("--no-warm-start", action="store_true")
    ap.add_argument("--log-every", type=int, default=25)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(int(os.environ.get("STUDIO_TRAIN_THREADS", "1")))
    ckpt_path = args.ckpt_dir / LATEST
    trainer = Trainer(args)
    state = load(ckpt_path)
    if state is not None:
        trainer.restore(state)
        print(
            f"resumed from {ckpt_path}: stage={trainer.stage} vae_step={trainer.vae_step} "
            f"unet_step={trainer.unet_step}",
            flush=True,
        )
    elif not args.no_warm_start and (args.model_dir / "model_index.json").exists():
        trainer.warm_start(args.model_dir)
        print(f"warm-started from {args.model_dir}: unet_step={trainer.unet_step}", flush=True)
    else:
        print("starting from scratch", flush=True)

    stop = {"flag": False}

    def on_term(signum: int, _frame: object) -> None:
        print(f"signal {signum}: checkpointing and stopping", flush=True)
        stop["flag"] = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    deadline = time.time() + args.hours * 3600.0
    last_ckpt = time.time()

    def checkpoint() -> None:
        save_atomic(trainer.state_dict(), ckpt_path)
        trainer.write_preview(args.ckpt_dir)
        print(
            f"checkpoint saved: stage={trainer.stage} vae_step={trainer.vae_step} unet_step={trainer.unet_step}",
            flush=True,
        )

    while not stop["flag"] and time.time() < deadline:
        if trainer.stage == "vae":
            if trainer.vae_step >= args.vae_steps:
                trainer.finish_vae()
                checkpoint()
                last_ckpt = time.time()
                continue
            trainer.vae_train_step()
        else:
            if args.max_steps and trainer.unet_step >= args.max_steps:
                break
            trainer.unet_train_step()
        if time.time() - last_ckpt > args.ckpt_minutes * 60.0:
            checkpoint()
            last_ckpt = time.time()
    checkpoint()
    print("done", flush=True)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
