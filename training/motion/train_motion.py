"""Train Studio's built-in motion module (``assets/models/studio-shapes-motion``) on the shapes world.

AnimateDiff's recipe at toy scale: the text-to-image model (``--base``, the built-in ``studio-shapes``)
stays frozen; a ``MotionAdapter`` whose temporal layers fit its UNet (channels 64/128/128, one layer a
level, a mid block, 32 positions) learns, on 16-frame clips of one shape crossing the picture
(``studio.world.motion.sample_motion``: "a small red circle moving right on a black background"), to
denoise all frames together (v-prediction, the base's zero-terminal-SNR schedule, 10% captions dropped).
Clips are VAE-encoded into a pool that is refreshed a little each step.

Resumable: state (adapter, optimizer, step, RNGs) is checkpointed atomically to
``~/.cache/studio-training/motion/latest.pt`` every few minutes and on SIGTERM; the same command
continues. ``--export`` writes the adapter (diffusers MotionAdapter folder, safetensors) to the assets.

    STUDIO_TRAIN_THREADS=2 .venv/bin/python training/motion/train_motion.py --steps 4000
    .venv/bin/python training/motion/train_motion.py --export
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "training")]

from shapes_model.checkpoint import save_atomic  # noqa: E402

from studio.world.motion import sample_motion  # noqa: E402

CKPT_DIR = Path(os.environ.get("STUDIO_TRAIN_DIR", Path.home() / ".cache" / "studio-training")) / "motion"
BASE = REPO / "assets" / "models" / "studio-shapes"
EXPORT_DIR = REPO / "assets" / "models" / "studio-shapes-motion"
ADAPTER = dict(block_out_channels=(64, 128, 128), motion_layers_per_block=1, motion_norm_num_groups=32,
               motion_num_attention_heads=8, motion_max_seq_length=32, use_motion_mid_block=True)


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=Path, default=BASE)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=4, help="clips per step (16 frames each)")
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--pool", type=int, default=256, help="clips kept encoded")
    ap.add_argument("--refresh", type=int, default=1, help="new clips per step")
    ap.add_argument("--caption-dropout", type=float, default=0.1)
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--export", action="store_true")
    return ap.parse_args()


class Motion:
    def __init__(self, args: argparse.Namespace) -> None:
        from diffusers import AutoencoderKL, DDPMScheduler, MotionAdapter, UNet2DConditionModel, UNetMotionModel
        from transformers import CLIPTextModel, CLIPTokenizer

        self.args = args
        base = args.base
        self.vae = AutoencoderKL.from_pretrained(base / "vae").eval().requires_grad_(False)
        self.tokenizer = CLIPTokenizer.from_pretrained(base / "tokenizer")
        self.text = CLIPTextModel.from_pretrained(base / "text_encoder").eval().requires_grad_(False)
        unet = UNet2DConditionModel.from_pretrained(base / "unet")
        sched = DDPMScheduler.from_pretrained(base / "scheduler")
        self.noise = DDPMScheduler.from_config(sched.config)
        torch.manual_seed(args.seed)
        adapter = MotionAdapter(**ADAPTER)
        self.unet = UNetMotionModel.from_unet2d(unet, adapter)
        self.unet.freeze_unet2d_params()
        self.params = [p for p in self.unet.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(self.params, lr=args.lr, weight_decay=1e-2)
        self.rng = np.random.default_rng(args.seed)
        self.step = 0
        self._text_cache: dict[str, torch.Tensor] = {}
        self.pool_latents: torch.Tensor | None = None
        self.pool_captions: list[str] = []

    # -- data ---------------------------------------------------------------------------------
    @torch.no_grad()
    def _clip(self) -> tuple[torch.Tensor, str]:
        clip = sample_motion(self.rng, self.args.frames)
        x = torch.from_numpy(np.stack(clip.frames)).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        z = self.vae.encode(x).latent_dist.mean * self.vae.config.scaling_factor  # (F, C, h, w)
        return z.permute(1, 0, 2, 3).half(), clip.caption  # (C, F, h, w)

    def _fill(self) -> None:
        items = [self._clip() for _ in range(self.args.pool)]
        self.pool_latents = torch.stack([z for z, _ in items])
        self.pool_captions = [c for _, c in items]

    def _refresh(self) -> None:
        assert self.pool_latents is not None
        for _ in range(self.args.refresh):
            i = int(self.rng.integers(len(self.pool_captions)))
            self.pool_latents[i], self.pool_captions[i] = self._clip()

    @torch.no_grad()
    def _encode_text(self, captions: list[str]) -> torch.Tensor:
        out = []
        for c in captions:
            if c not in self._text_cache:
                ids = self.tokenizer([c], padding="max_length", max_length=self.tokenizer.model_max_length,
                                     truncation=True, return_tensors="pt").input_ids
                self._text_cache[c] = self.text(ids)[0][0]
            out.append(self._text_cache[c])
        return torch.stack(out)

    # -- training -----------------------------------------------------------------------------
    def train_step(self) -> float:
        a = self.args
        if self.pool_latents is None:
            self._fill()
        else:
            self._refresh()
        assert self.pool_latents is not None
        idx = self.rng.integers(len(self.pool_captions), size=a.batch)
        latents = self.pool_latents[torch.from_numpy(idx)].float()  # (B, C, F, h, w)
        captions = ["" if self.rng.random() < a.caption_dropout else self.pool_captions[int(i)] for i in idx]
        cond = self._encode_text(captions)
        noise = torch.randn_like(latents)
        t = torch.from_numpy(self.rng.integers(0, self.noise.config.num_train_timesteps, size=a.batch))
        noisy = self.noise.add_noise(latents, noise, t)
        target = self.noise.get_velocity(latents, noise, t)
        fall = 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, self.step / a.steps)))
        lr = a.lr * min(1.0, (self.step + 1) / 200) * fall
        for g in self.opt.param_groups:
            g["lr"] = lr
        self.unet.train()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            # the UNet takes one text embedding per frame (as AnimateDiffPipeline passes them)
            pred = self.unet(noisy, t, cond.repeat_interleave(a.frames, dim=0)).sample.float()
        loss = F.mse_loss(pred, target)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.opt.step()
        self.step += 1
        return float(loss.detach())

    def motion_state(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in self.unet.state_dict().items() if "motion_modules" in k}

    def state_dict(self) -> dict:
        return {"motion": self.motion_state(), "opt": self.opt.state_dict(), "step": self.step,
                "rng": self.rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "args": vars(self.args) | {
                    "base": str(self.args.base)}}

    def restore(self, state: dict) -> None:
        missing = self.unet.load_state_dict(state["motion"], strict=False)
        assert not missing.unexpected_keys, missing.unexpected_keys
        self.opt.load_state_dict(state["opt"])
        self.step = int(state["step"])
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])

    def export(self, out: Path) -> None:
        import shutil

        tmp = out.with_name(out.name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        self.unet.save_motion_modules(str(tmp), safe_serialization=True)
        if out.exists():
            old = out.with_name(out.name + ".old")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old)
        else:
            os.replace(tmp, out)
        print(f"exported step {self.step} to {out}", flush=True)


def main() -> None:
    args = parse_args()
    torch.set_num_threads(int(os.environ.get("STUDIO_TRAIN_THREADS", "1")))
    latest = CKPT_DIR / "latest.pt"
    m = Motion(args)
    if latest.exists():
        m.restore(torch.load(latest, map_location="cpu", weights_only=True))
        print(f"resumed at step {m.step}", flush=True)
    if args.export:
        m.export(EXPORT_DIR)
        return
    print(f"trainable motion parameters: {sum(p.numel() for p in m.params) / 1e6:.2f} M", flush=True)
    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(flag=True))
    last = t0 = time.time()
    total = 0.0
    while not stop["flag"] and m.step < args.steps:
        total += m.train_step()
        if m.step % 25 == 0:
            print(f"step {m.step} loss {total / 25:.4f} ({(time.time() - t0) / 25:.2f} s/step)", flush=True)
            total, t0 = 0.0, time.time()
        if time.time() - last > args.ckpt_minutes * 60:
            save_atomic(m.state_dict(), latest)
            last = time.time()
    save_atomic(m.state_dict(), latest)
    print(f"checkpoint at step {m.step}", flush=True)


if __name__ == "__main__":
    main()
