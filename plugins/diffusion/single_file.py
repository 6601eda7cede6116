"""Offline configs for single-file checkpoints: the shipped family configs, fitted to the file.

A single ``.safetensors`` checkpoint holds weights in the original (LDM) key
layout but no configs. The family's shipped configs (``configs/<family>``)
give everything the weights cannot tell (attention heads, the scheduler, the
tokenizer); the dimensions the weights do tell (channels, depths, input
channels of an inpainting UNet, text-encoder widths) are read from the header,
so variants such as inpainting checkpoints load from the same files. The
result is written once to a cached folder in diffusers layout, which
``from_single_file(config=...)`` reads without any network access.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from studio.api import cache_dir

from .families import FAMILIES, UNET, Identity
from .header import SafetensorsHeader
from .tokenizer_files import CONFIGS, EOS, write_tokenizer

SCHEMA = 1  # bump when the fitting rules change, so cached folders are rebuilt


def _levels(header: SafetensorsHeader) -> list[dict[str, Any]]:
    """The UNet's down path: per level, its channels, resnet count and transformer depth."""
    levels: list[dict[str, Any]] = []
    current: dict[str, Any] = {"channels": 0, "resnets": 0, "depth": 0}
    i = 1
    while header.has_prefix(f"{UNET}input_blocks.{i}."):
        base = f"{UNET}input_blocks.{i}."
        if header.has(base + "0.op.weight"):
            levels.append(current)
            current = {"channels": 0, "resnets": 0, "depth": 0}
        else:
            shape = header.shape(base + "0.out_layers.3.weight")
            current["channels"] = shape[0] if shape else current["channels"]
            current["resnets"] += 1
            blocks = {int(m.group(1)) for k in header.tensors
                      if (m := re.match(re.escape(base) + r"1\.transformer_blocks\.(\d+)\.", k))}
            current["depth"] = max(current["depth"], len(blocks))
        i += 1
    levels.append(current)
    return levels


def fit_unet(base: dict[str, Any], header: SafetensorsHeader, family: str) -> dict[str, Any]:
    config = copy.deepcopy(base)
    conv_in = header.shape(UNET + "input_blocks.0.0.weight")
    conv_out = header.shape(UNET + "out.2.weight")
    levels = _levels(header)
    channels = [lv["channels"] for lv in levels]
    attn = [lv["depth"] > 0 for lv in levels]
    if conv_in:
        config["in_channels"] = conv_in[1]
    if conv_out:
        config["out_channels"] = conv_out[0]
    config["block_out_channels"] = channels
    config["layers_per_block"] = levels[0]["resnets"]
    config["down_block_types"] = ["CrossAttnDownBlock2D" if a else "DownBlock2D" for a in attn]
    config["up_block_types"] = ["CrossAttnUpBlock2D" if a else "UpBlock2D" for a in reversed(attn)]
    depths = [max(1, lv["depth"]) for lv in levels]
    if family == "sdxl" or len(set(depths)) > 1:
        config["transformer_layers_per_block"] = depths
    key = next((k for k in header.tensors if k.endswith("attn2.to_k.weight")), None)
    if key:
        config["cross_attention_dim"] = header.tensors[key].shape[1]
        proj_in = header.shape(key.split("transformer_blocks.")[0] + "proj_in.weight")
        if proj_in:
            config["use_linear_projection"] = len(proj_in) == 2
    if family == "sd1":
        config["attention_head_dim"] = 8  # SD 1.x: 8 heads at every level
    else:  # SD 2.x and SDXL: heads of 64 channels
        config["attention_head_dim"] = [max(1, c // 64) for c in channels]
    label = header.shape(UNET + "label_emb.0.0.weight")
    if label:
        config["projection_class_embeddings_input_dim"] = label[1]
    return config


def fit_vae(base: dict[str, Any], header: SafetensorsHeader, prefix: str) -> dict[str, Any]:
    config = copy.deepcopy(base)
    channels = []
    i = 0
    while header.has(f"{prefix}encoder.down.{i}.block.0.conv2.weight"):
        channels.append(header.tensors[f"{prefix}encoder.down.{i}.block.0.conv2.weight"].shape[0])
        i += 1
    if not channels:
        return config
    config["block_out_channels"] = channels
    config["down_block_types"] = ["DownEncoderBlock2D"] * len(channels)
    config["up_block_types"] = ["UpDecoderBlock2D"] * len(channels)
    config["layers_per_block"] = len({k[len(prefix):].split(".")[4] for k in header.tensors
                                      if k.startswith(f"{prefix}encoder.down.0.block.")})
    conv_in = header.shape(prefix + "encoder.conv_in.weight")
    conv_out = header.shape(prefix + "decoder.conv_out.weight")
    latent = header.shape(prefix + "encoder.conv_out.weight")
    if conv_in:
        config["in_channels"] = conv_in[1]
    if conv_out:
        config["out_channels"] = conv_out[0]
    if latent:
        config["latent_channels"] = latent[0] // 2
    config["use_quant_conv"] = header.has(prefix + "quant_conv.weight")
    config["use_post_quant_conv"] = header.has(prefix + "post_quant_conv.weight")
    return config


def fit_clip(base: dict[str, Any], header: SafetensorsHeader, prefix: str) -> dict[str, Any]:
    """A CLIP text encoder stored in transformers' layout (``prefix`` + ``text_model.``)."""
    config = copy.deepcopy(base)
    tok = header.shape(prefix + "text_model.embeddings.token_embedding.weight")
    if not tok:
        return config
    config["vocab_size"], config["hidden_size"] = tok
    config["num_attention_heads"] = max(1, tok[1] // 64)
    pos = header.shape(prefix + "text_model.embeddings.position_embedding.weight")
    if pos:
        config["max_position_embeddings"] = pos[0]
    fc1 = header.shape(prefix + "text_model.encoder.layers.0.mlp.fc1.weight")
    if fc1:
        config["intermediate_size"] = fc1[0]
    config["num_hidden_layers"] = len({k[len(prefix):].split(".")[3] for k in header.tensors
                                       if k.startswith(prefix + "text_model.encoder.layers.")})
    proj = header.shape(prefix + "text_projection.weight")
    if proj:
        config["projection_dim"] = proj[0]
    return config


def fit_open_clip(base: dict[str, Any], header: SafetensorsHeader, prefix: str, drop_last: bool) -> dict[str, Any]:
    """An OpenCLIP text tower (SD 2.x uses the penultimate layer, so its last one is dropped)."""
    config = copy.deepcopy(base)
    tok = header.shape(prefix + "token_embedding.weight")
    if not tok:
        return config
    config["vocab_size"], config["hidden_size"] = tok
    config["num_attention_heads"] = max(1, tok[1] // 64)
    pos = header.shape(prefix + "positional_embedding")
    if pos:
        config["max_position_embeddings"] = pos[0]
    fc = header.shape(prefix + "transformer.resblocks.0.mlp.c_fc.weight")
    if fc:
        config["intermediate_size"] = fc[0]
    layers = len({k[len(prefix):].split(".")[2] for k in header.tensors
                  if k.startswith(prefix + "transformer.resblocks.")})
    config["num_hidden_layers"] = layers - 1 if drop_last else layers
    proj = header.shape(prefix + "text_projection")
    if proj and len(proj) == 2:
        config["projection_dim"] = proj[1]
    return config


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def fitted_configs(identity: Identity, header: SafetensorsHeader) -> dict[str, dict[str, Any]]:
    """Every component's config for this checkpoint: ``{"unet/config.json": {...}, ...}``."""
    family = FAMILIES[identity.family or ""]
    assert family.config_dir is not None
    root = CONFIGS / family.config_dir
    files = {str(p.relative_to(root)): _load(p) for p in sorted(root.rglob("*.json"))}
    layout = family.layout  # InstructPix2Pix files are SD 1.x files with an 8-channel UNet input
    files["unet/config.json"] = fit_unet(files["unet/config.json"], header, layout)
    files["vae/config.json"] = fit_vae(files["vae/config.json"], header, "first_stage_model.")
    if layout == "sd1":
        files["text_encoder/config.json"] = fit_clip(files["text_encoder/config.json"], header,
                                                     "cond_stage_model.transformer.")
    elif layout == "sd2":
        files["text_encoder/config.json"] = fit_open_clip(files["text_encoder/config.json"], header,
                                                          "cond_stage_model.model.", drop_last=True)
    elif layout == "sdxl":
        files["text_encoder/config.json"] = fit_clip(files["text_encoder/config.json"], header,
                                                     "conditioner.embedders.0.transformer.")
        files["text_encoder_2/config.json"] = fit_open_clip(files["text_encoder_2/config.json"], header,
                                                            "conditioner.embedders.1.model.", drop_last=False)
    scheduler = files["scheduler/scheduler_config.json"]
    scheduler["prediction_type"] = identity.details.get("prediction_type", scheduler.get("prediction_type", "epsilon"))
    if identity.variant == "turbo":
        scheduler["_class_name"] = "EulerAncestralDiscreteScheduler"
        scheduler["timestep_spacing"] = "trailing"
        files["model_index.json"]["scheduler"] = ["diffusers", "EulerAncestralDiscreteScheduler"]
    if identity.variant == "inpainting":
        files["model_index.json"]["_class_name"] = family.pipelines["inpaint"]
    return files


def config_folder(identity: Identity, header: SafetensorsHeader) -> Path:
    """The cached diffusers-layout config folder for this checkpoint (built on first use)."""
    return _materialise(str(identity.family), fitted_configs(identity, header))


def vae_config_folder(header: SafetensorsHeader, prefix: str, base: dict[str, Any]) -> Path:
    """A cached folder with ``vae/config.json`` for a standalone VAE file, fitted from ``base``
    (the pipeline's own VAE config, so its scaling factor and upcasting are kept)."""
    base = {k: v for k, v in base.items() if not k.startswith("_") or k == "_class_name"}
    return _materialise("vae", {"vae/config.json": fit_vae(base, header, prefix)})


def _materialise(name: str, files: dict[str, dict[str, Any]]) -> Path:
    digest = hashlib.sha256(json.dumps([SCHEMA, files], sort_keys=True).encode()).hexdigest()[:16]
    folder = cache_dir() / "diffusion" / "configs" / f"{name}-{digest}"
    marker = folder / next(iter(files))
    if marker.is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=folder.parent))
    try:
        for rel, data in files.items():
            if rel.endswith("tokenizer_options.json"):
                write_tokenizer(tmp / Path(rel).parent, pad_token=data.get("pad_token", EOS),
                                model_max_length=int(data.get("model_max_length", 77)))
                continue
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, folder)
    except OSError:
        if not marker.is_file():
            raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder
