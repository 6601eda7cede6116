"""Architectures of Studio's built-in "studio-shapes" latent diffusion model.

All are standard diffusers / transformers classes so the exported folder loads with
``StableDiffusionPipeline.from_pretrained``: a small AutoencoderKL (64x64 RGB <-> 16x16x8),
a ~6 M-parameter UNet2DConditionModel with cross-attention at 16x16 and 8x8, and a tiny
CLIPTextModel over a whole-word vocabulary.
"""

from __future__ import annotations

import torch
from diffusers import (
    AutoencoderKL,
    DDPMScheduler,
    DPMSolverMultistepScheduler,
    EulerDiscreteScheduler,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

IMAGE_SIZE = 64
LATENT_SIZE = 16
LATENT_CHANNELS = 8
TEXT_DIM = 128

#: Shared noise-schedule settings: zero terminal SNR + v-prediction + trailing timesteps, so
#: sampling starts from pure noise and background colours are not leaked by the schedule.
SCHEDULE = dict(
    num_train_timesteps=1000,
    beta_schedule="scaled_linear",
    beta_start=0.00085,
    beta_end=0.012,
    prediction_type="v_prediction",
    rescale_betas_zero_snr=True,
    timestep_spacing="trailing",
    steps_offset=1,
)


def build_vae() -> AutoencoderKL:
    """A ~1 M-parameter KL autoencoder with 3 blocks (downsampling factor 4) and 8 latent
    channels (4 channels blur small stars into pentagons)."""
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 3,
        up_block_types=("UpDecoderBlock2D",) * 3,
        block_out_channels=(32, 64, 64),
        layers_per_block=1,
        latent_channels=LATENT_CHANNELS,
        norm_num_groups=32,
        sample_size=IMAGE_SIZE,
        scaling_factor=1.0,  # measured after VAE training
        force_upcast=False,
    )


def build_unet() -> UNet2DConditionModel:
    """A ~5.9 M-parameter conditional UNet over 16x16x8 latents."""
    return UNet2DConditionModel(
        sample_size=LATENT_SIZE,
        in_channels=LATENT_CHANNELS,
        out_channels=LATENT_CHANNELS,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        block_out_channels=(64, 128, 128),
        layers_per_block=1,
        cross_attention_dim=TEXT_DIM,
        attention_head_dim=4,  # diffusers' legacy name: this is the number of heads
        norm_num_groups=32,
    )


def build_text_encoder(tokenizer: CLIPTokenizer) -> CLIPTextModel:
    """A tiny CLIP text transformer (hidden 128, 3 layers) sized to ``tokenizer``."""
    config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=TEXT_DIM,
        intermediate_size=4 * TEXT_DIM,
        num_hidden_layers=3,
        num_attention_heads=4,
        max_position_embeddings=tokenizer.model_max_length,
        projection_dim=TEXT_DIM,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return CLIPTextModel(config)


def build_noise_scheduler() -> DDPMScheduler:
    """The training noise scheduler."""
    return DDPMScheduler(clip_sample=False, **SCHEDULE)


def build_sampler(kind: str = "euler") -> EulerDiscreteScheduler | DPMSolverMultistepScheduler:
    """An inference scheduler with the training schedule ("euler" or "dpm++")."""
    if kind == "euler":
        return EulerDiscreteScheduler(**SCHEDULE)
    if kind in ("dpm++", "dpmpp", "dpm"):
        return DPMSolverMultistepScheduler(
            algorithm_type="dpmsolver++", solver_order=2, final_sigmas_type="zero", **SCHEDULE
        )
    raise ValueError(f"unknown sampler {kind!r}")


def count_parameters(module: torch.nn.Module) -> int:
    """Number of parameters of ``module``."""
    return sum(p.numel() for p in module.parameters())
