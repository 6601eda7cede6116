"""Tiny random-weight pipelines from the real diffusers classes, for tests and benchmarks (no hub).

Like diffusers' own tests, but the tokenizers are built from the CLIP
vocabulary shipped with this plugin, so nothing is downloaded. ``scale``
widens the UNet for benchmarks that need realistic step times.

(``diffusers``' package typing resolves its model classes to placeholder
objects without torch's methods, hence the ``type: ignore`` on ``.eval()``.)
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from .tokenizer_files import EOS, write_tokenizer

SD_SCHEDULE = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
                   steps_offset=1, timestep_spacing="leading", prediction_type="epsilon")


def tokenizer(pad_token: str = EOS) -> Any:
    from transformers import CLIPTokenizer

    folder = Path(tempfile.mkdtemp(prefix="studio-tok-"))
    return CLIPTokenizer.from_pretrained(str(write_tokenizer(folder, pad_token=pad_token)))


def clip_text(hidden: int = 32, layers: int = 2, projection: int | None = None, seed: int = 0) -> Any:
    """A tiny CLIP text encoder over the real 49,408-token vocabulary (1 head per 64 channels, at least 1)."""
    import torch
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(seed)
    config = CLIPTextConfig(vocab_size=49408, hidden_size=hidden, intermediate_size=hidden * 2 + 5,
                            num_attention_heads=max(1, hidden // 64), num_hidden_layers=layers,
                            max_position_embeddings=77, projection_dim=projection or hidden,
                            bos_token_id=0, eos_token_id=2, pad_token_id=1, hidden_act="quick_gelu")
    return (CLIPTextModelWithProjection if projection else CLIPTextModel)(config).eval()


def vae(channels: tuple[int, ...] = (32, 64), seed: int = 0, latent_channels: int = 4, **extra: Any) -> Any:
    import torch
    from diffusers import AutoencoderKL

    torch.manual_seed(seed)
    return AutoencoderKL(block_out_channels=channels, in_channels=3, out_channels=3,
                         down_block_types=("DownEncoderBlock2D",) * len(channels),
                         up_block_types=("UpDecoderBlock2D",) * len(channels), latent_channels=latent_channels,
                         layers_per_block=extra.pop("layers_per_block", 1),
                         norm_num_groups=extra.pop("norm_num_groups", 32), **extra).eval()  # type: ignore[attr-defined]


def tiny_sd1(seed: int = 0, channels: tuple[int, ...] = (32, 64), sample_size: int = 32,
             in_channels: int = 4, vae_channels: tuple[int, ...] = (32, 64)) -> Any:
    """An SD 1.x-layout pipeline (cross-attention, then plain blocks), 64×64 native with the tiny VAE."""
    import torch
    from diffusers import EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel

    torch.manual_seed(seed)
    levels = len(channels)
    unet = UNet2DConditionModel(
        block_out_channels=channels, layers_per_block=2, sample_size=sample_size, in_channels=in_channels,
        out_channels=4, cross_attention_dim=32, attention_head_dim=8, norm_num_groups=32,
        down_block_types=("CrossAttnDownBlock2D",) * (levels - 1) + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * (levels - 1),
    ).eval()  # type: ignore[attr-defined]
    return StableDiffusionPipeline(
        vae=vae(vae_channels, seed=seed), text_encoder=clip_text(seed=seed), tokenizer=tokenizer(), unet=unet,
        scheduler=EulerDiscreteScheduler(**SD_SCHEDULE), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False,
    )


def tiny_sdxl(seed: int = 0) -> Any:
    """An SDXL-layout pipeline: two text encoders, text-time conditioning (as in diffusers' tests)."""
    import torch
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=2, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4), use_linear_projection=True, addition_embed_type="text_time",
        addition_time_embed_dim=8, transformer_layers_per_block=(1, 2), projection_class_embeddings_input_dim=80,
        cross_attention_dim=64, norm_num_groups=32,
    ).eval()  # type: ignore[attr-defined]
    return StableDiffusionXLPipeline(
        vae=vae(seed=seed, scaling_factor=0.13025), text_encoder=clip_text(seed=seed),
        text_encoder_2=clip_text(projection=32, seed=seed + 1), tokenizer=tokenizer(), tokenizer_2=tokenizer("!"),
        unet=unet, scheduler=EulerDiscreteScheduler(**SD_SCHEDULE), force_zeros_for_empty_prompt=True,
    )


def tiny_sd3(seed: int = 0) -> Any:
    """An SD 3.x-layout pipeline (MMDiT transformer, flow matching), without the optional T5 encoder."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, SD3Transformer2DModel, StableDiffusion3Pipeline

    torch.manual_seed(seed)
    transformer = SD3Transformer2DModel(
        sample_size=32, patch_size=1, in_channels=16, num_layers=1, attention_head_dim=8, num_attention_heads=4,
        caption_projection_dim=32, joint_attention_dim=64, pooled_projection_dim=64, out_channels=16,
    ).eval()  # type: ignore[attr-defined]
    return StableDiffusion3Pipeline(
        transformer=transformer, scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae((4,), seed=seed, latent_channels=16, layers_per_block=1, norm_num_groups=1, use_quant_conv=False,
                use_post_quant_conv=False, shift_factor=0.0609, scaling_factor=1.5035),
        text_encoder=clip_text(projection=32, seed=seed), tokenizer=tokenizer(),
        text_encoder_2=clip_text(projection=32, seed=seed + 1), tokenizer_2=tokenizer(),
        text_encoder_3=None, tokenizer_3=None,
    )


def save(pipe: Any, folder: Path) -> Path:
    """Save as a diffusers folder with safetensors weights."""
    pipe.save_pretrained(str(folder), safe_serialization=True)
    return folder


def tiny_instruct_pix2pix(seed: int = 0) -> Any:
    """An InstructPix2Pix pipeline: the tiny SD 1.x layout with an 8-channel UNet input (4 for the noise, 4 for
    the picture's latents) and the scheduler of the shipped InstructPix2Pix config (so that its diffusers folder
    and its single file, which loads with that config, make the same pixels)."""
    import json

    from diffusers import EulerAncestralDiscreteScheduler, StableDiffusionInstructPix2PixPipeline

    from .tokenizer_files import CONFIGS

    sd = tiny_sd1(seed=seed, in_channels=8)
    config = json.loads((CONFIGS / "instruct-pix2pix" / "scheduler" / "scheduler_config.json").read_text("utf-8"))
    return StableDiffusionInstructPix2PixPipeline(
        vae=sd.vae, text_encoder=sd.text_encoder, tokenizer=sd.tokenizer, unet=sd.unet,
        scheduler=EulerAncestralDiscreteScheduler.from_config(config), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False,
    )
