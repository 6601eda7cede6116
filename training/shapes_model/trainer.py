"""The training state machine behind ``train_default_model.py``: models, optimizers, EMA,
RNG state, one VAE step, one UNet step, previews, (de)serialisation."""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from diffusers.models.attention_processor import AttnProcessor
from PIL import Image
from transformers import CLIPTokenizer

from shapes_model.build_tokenizer import write_tokenizer
from shapes_model.data import PREVIEW_PROMPTS, LatentPool, grid, render_batch, to_uint8
from shapes_model.models import build_noise_scheduler, build_text_encoder, build_unet, build_vae
from shapes_model.vae_check import format_accuracy, reconstruction_accuracy


def _gradient_l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """L1 between image gradients: rewards sharp, well-placed edges."""
    dx = (a[..., :, 1:] - a[..., :, :-1]) - (b[..., :, 1:] - b[..., :, :-1])
    dy = (a[..., 1:, :] - a[..., :-1, :]) - (b[..., 1:, :] - b[..., :-1, :])
    return dx.abs().mean() + dy.abs().mean()


class Trainer:
    """Holds the whole training state; ``state_dict``/``restore`` make it resumable."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        tok_dir = Path(args.ckpt_dir) / "tokenizer"
        write_tokenizer(tok_dir)
        self.tokenizer = CLIPTokenizer.from_pretrained(tok_dir)
        torch.manual_seed(args.seed)
        self.rng = np.random.default_rng(args.seed)
        self.vae = build_vae()
        self.unet = build_unet()
        self.text_encoder = build_text_encoder(self.tokenizer)
        # The classic attention processor trains ~2x faster on CPU than PyTorch's SDPA kernel.
        for model in (self.vae, self.unet):
            model.set_attn_processor(AttnProcessor())
        self.ema_unet = copy.deepcopy(self.unet).requires_grad_(False)
        self.ema_te = copy.deepcopy(self.text_encoder).requires_grad_(False)
        self.noise = build_noise_scheduler()
        self.opt_vae = torch.optim.AdamW(self.vae.parameters(), lr=args.vae_lr, weight_decay=0.0)
        params = list(self.unet.parameters()) + list(self.text_encoder.parameters())
        self.opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
        self.stage = "vae"
        self.vae_step = 0
        self.unet_step = 0
        self.decoder_step = 0  # decoder-only fine-tuning steps during stage 2
        self.pool: LatentPool | None = None  # built at the first UNet step (from self.rng)
        self._log: list[float] = []
        self._t0 = time.time()

    # ----------------------------------------------------------------- stage 1: VAE
    def vae_train_step(self) -> None:
        """One VAE step: L1 + MSE + gradient-L1 reconstruction and a tiny KL term."""
        a = self.args
        images, _ = render_batch(self.rng, a.vae_batch, single_fraction=0.6)
        warm = min(1.0, (self.vae_step + 1) / 200)
        decay = 0.5 * (1 + math.cos(math.pi * min(1.0, self.vae_step / max(a.vae_steps, 1))))
        for g in self.opt_vae.param_groups:
            g["lr"] = a.vae_lr * warm * (0.05 + 0.95 * decay)
        self.vae.train()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            post = self.vae.encode(images).latent_dist
            recon = self.vae.decode(post.sample()).sample.float()
        loss = (recon - images).abs().mean() + F.mse_loss(recon, images) + 0.5 * _gradient_l1(recon, images)
        kl = post.kl().mean() / images[0].numel()
        total = loss + 1e-4 * kl
        self.opt_vae.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(self.vae.parameters(), 1.0)
        self.opt_vae.step()
        self.vae_step += 1
        self._report("vae", self.vae_step, float(loss.detach()))

    def decoder_train_step(self) -> None:
        """Fine-tune only the VAE decoder (the latent space, hence the UNet, is unchanged)."""
        a = self.args
        images, _ = render_batch(self.rng, a.vae_batch, single_fraction=0.6)
        for g in self.opt_vae.param_groups:
            g["lr"] = a.decoder_lr
        self.vae.eval()  # no dropout anyway; keeps the encoder in inference mode
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            z = self.vae.encode(images).latent_dist.sample().float()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            recon = self.vae.decode(z).sample.float()
        loss = (recon - images).abs().mean() + F.mse_loss(recon, images) + 0.5 * _gradient_l1(recon, images)
        self.opt_vae.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.vae.parameters(), 1.0)
        self.opt_vae.step()
        self.decoder_step += 1

    @torch.no_grad()
    def finish_vae(self) -> None:
        """Measure the latent scale (1/std), record it in the VAE config, switch stage."""
        self.vae.eval()
        rng = np.random.default_rng(self.args.seed + 1)
        images, _ = render_batch(rng, 256, single_fraction=0.8)
        z = self.vae.encode(images).latent_dist.sample()
        scale = float(1.0 / z.flatten().std())
        self.vae.register_to_config(scaling_factor=scale)
        print(
            f"VAE done: latent std {1 / scale:.4f} mean {float(z.mean()):.4f} -> scaling_factor {scale:.4f}", flush=True
        )
        self.stage = "unet"

    # ----------------------------------------------------------------- stage 2: UNet
    def encode_text(self, captions: list[str], encoder: torch.nn.Module | None = None) -> torch.Tensor:
        ids = self.tokenizer(
            captions,
            padding="max_length",
            max_length=self.tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        ).input_ids
        return (encoder or self.text_encoder)(ids)[0]

    @torch.no_grad()
    def _encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and std of the VAE posterior of ``images``."""
        self.vae.eval()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            dist = self.vae.encode(images).latent_dist
        return dist.mean.float(), dist.std.float()

    def unet_train_step(self) -> None:
        """One joint UNet + text-encoder step on v-prediction MSE."""
        a = self.args
        if self.pool is None:
            self.pool = LatentPool(self._encode, self.rng, a.pool_size, a.single_fraction,
                                   short_fraction=getattr(a, "short_captions", 0.0),
                                   motion_fraction=getattr(a, "motion_captions", 0.0))
        else:
            self.pool.refresh(a.pool_refresh)
        latents, captions = self.pool.sample(a.batch, a.caption_dropout)
        latents = latents * self.vae.config.scaling_factor
        noise = torch.randn_like(latents)
        t = torch.randint(0, self.noise.config.num_train_timesteps, (latents.shape[0],))
        noisy = self.noise.add_noise(latents, noise, t)
        target = self.noise.get_velocity(latents, noise, t)
        lr = a.lr * min(1.0, (self.unet_step + 1) / 500) * self.lr_factor(self.unet_step)
        for g in self.opt.param_groups:
            g["lr"] = lr
        self.unet.train()
        self.text_encoder.train()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            cond = self.encode_text(captions)
            pred = self.unet(noisy, t, cond).sample.float()
        loss = F.mse_loss(pred, target)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(self.unet.parameters()) + list(self.text_encoder.parameters()), 1.0)
        self.opt.step()
        self.unet_step += 1
        self._update_ema()
        self._report("unet", self.unet_step, float(loss.detach()))
        if a.decoder_every and self.unet_step % a.decoder_every == 0:
            self.decoder_train_step()

    def lr_factor(self, step: int) -> float:
        """The learning-rate multiplier at UNet ``step``: 1, then a cosine fall to ``final_lr_fraction``
        over ``decay_steps`` steps from ``decay_start`` (the end of a run: sharper shapes)."""
        a = self.args
        steps = int(getattr(a, "decay_steps", 0) or 0)
        if steps <= 0 or step < a.decay_start:
            return 1.0
        progress = min(1.0, (step - a.decay_start) / steps)
        final = float(a.final_lr_fraction)
        return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * progress))

    @torch.no_grad()
    def _update_ema(self) -> None:
        decay = min(0.999, (1 + self.unet_step) / (10 + self.unet_step))
        for ema, live in ((self.ema_unet, self.unet), (self.ema_te, self.text_encoder)):
            e = list(ema.parameters())
            torch._foreach_lerp_(e, [p.detach() for p in live.parameters()], 1.0 - decay)

    def _report(self, stage: str, step: int, loss: float) -> None:
        self._log.append(loss)
        if step % self.args.log_every == 0:
            dt = (time.time() - self._t0) / len(self._log)
            print(f"{stage} step {step} loss {np.mean(self._log):.5f} {dt:.3f}s/step", flush=True)
            self._log.clear()
            self._t0 = time.time()

    # ----------------------------------------------------------------- previews
    @torch.no_grad()
    def write_preview(self, out_dir: Path) -> None:
        """VAE reconstructions, and (in stage 2) EMA samples of fixed prompts."""
        out_dir = Path(out_dir)
        self.vae.eval()
        images, _ = render_batch(np.random.default_rng(7), 8, single_fraction=0.6)
        recon = self.vae.decode(self.vae.encode(images).latent_dist.mode()).sample
        both = np.concatenate([to_uint8(images), to_uint8(recon)])
        Image.fromarray(grid(both, 8)).resize((1024, 256), Image.NEAREST).save(out_dir / "vae_recon.png")
        if self.stage == "vae" or self.args.decoder_every:
            acc = reconstruction_accuracy(self.vae, n=128)
            print(
                f"vae step {self.vae_step} (+{self.decoder_step} decoder-only) reconstruction analyzer accuracy: "
                f"{format_accuracy(acc)}",
                flush=True,
            )
        if self.stage == "unet":
            pipe = self.pipeline(ema=True)
            gen = torch.Generator().manual_seed(0)
            out = pipe(
                PREVIEW_PROMPTS, num_inference_steps=20, guidance_scale=4.0, generator=gen, output_type="np"
            ).images
            arr = (np.asarray(out) * 255).round().astype(np.uint8)
            Image.fromarray(grid(arr, 8)).resize((1024, 128), Image.NEAREST).save(out_dir / "preview.png")

    def pipeline(self, ema: bool = True):  # noqa: ANN201 - diffusers type
        """An in-memory StableDiffusionPipeline over the current (EMA) weights."""
        from diffusers import StableDiffusionPipeline

        from shapes_model.models import build_sampler

        pipe = StableDiffusionPipeline(
            vae=self.vae,
            text_encoder=self.ema_te if ema else self.text_encoder,
            tokenizer=self.tokenizer,
            unet=self.ema_unet if ema else self.unet,
            scheduler=build_sampler("euler"),
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        )
        pipe.set_progress_bar_config(disable=True)
        return pipe

    # ----------------------------------------------------------------- (de)serialise
    def state_dict(self) -> dict[str, Any]:
        return {
            "format": 1,
            "stage": self.stage,
            "vae_step": self.vae_step,
            "unet_step": self.unet_step,
            "decoder_step": self.decoder_step,
            "scaling_factor": float(self.vae.config.scaling_factor),
            "vae": self.vae.state_dict(),
            "unet": self.unet.state_dict(),
            "text_encoder": self.text_encoder.state_dict(),
            "ema_unet": self.ema_unet.state_dict(),
            "ema_te": self.ema_te.state_dict(),
            "opt_vae": self.opt_vae.state_dict(),
            "opt": self.opt.state_dict(),
            "np_rng": self.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(self.args).items()},
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.stage = state["stage"]
        self.vae_step = int(state["vae_step"])
        self.unet_step = int(state["unet_step"])
        self.decoder_step = int(state.get("decoder_step", 0))
        self.vae.load_state_dict(state["vae"])
        self.vae.register_to_config(scaling_factor=float(state["scaling_factor"]))
        self.unet.load_state_dict(state["unet"])
        self.text_encoder.load_state_dict(state["text_encoder"])
        self.ema_unet.load_state_dict(state["ema_unet"])
        self.ema_te.load_state_dict(state["ema_te"])
        self.opt_vae.load_state_dict(state["opt_vae"])
        self.opt.load_state_dict(state["opt"])
        self.rng.bit_generator.state = state["np_rng"]
        torch.set_rng_state(state["torch_rng"])

    def warm_start(self, folder: Path) -> None:
        """Initialise from an exported model folder (weights only; fresh optimizer)."""
        from diffusers import AutoencoderKL, UNet2DConditionModel
        from transformers import CLIPTextModel

        vae = AutoencoderKL.from_pretrained(folder / "vae", torch_dtype=torch.float32)
        unet = UNet2DConditionModel.from_pretrained(folder / "unet", torch_dtype=torch.float32)
        te = CLIPTextModel.from_pretrained(folder / "text_encoder", torch_dtype=torch.float32)
        self.vae.load_state_dict(vae.state_dict())
        self.vae.register_to_config(scaling_factor=float(vae.config.scaling_factor))
        for dst, src in ((self.unet, unet), (self.ema_unet, unet), (self.text_encoder, te), (self.ema_te, te)):
            dst.load_state_dict(src.state_dict())
        info_path = folder / "training_state.json"
        info = json.loads(info_path.read_text()) if info_path.exists() else {}
        self.vae_step = int(info.get("vae_step", self.args.vae_steps))
        self.unet_step = int(info.get("unet_step", 0))
        self.decoder_step = int(info.get("decoder_step", 0))
        self.stage = "unet"
