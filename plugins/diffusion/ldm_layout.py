"""Diffusers → original (LDM) key layout for SD 1.x-style pipelines: one ``.safetensors`` checkpoint.

The inverse of diffusers' single-file conversion (``convert_ldm_unet_checkpoint``,
``convert_ldm_vae_checkpoint``), written from the UNet's and VAE's configs so it
handles any number of levels. Tests use it to write single-file checkpoints of
tiny models; ``save_single_file`` also lets a user export a diffusers SD 1.x
folder as a file AUTOMATIC1111 and ComfyUI can open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

RESNET = {"norm1": "in_layers.0", "conv1": "in_layers.2", "time_emb_proj": "emb_layers.1",
          "norm2": "out_layers.0", "conv2": "out_layers.3", "conv_shortcut": "skip_connection"}
VAE_ATTN = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}


def _rename(key: str, prefixes: dict[str, str], inner: dict[str, dict[str, str]]) -> str | None:
    best = max((p for p in prefixes if key.startswith(p)), key=len, default=None)
    if best is None:
        return None
    rest = key[len(best):]
    for old, new in inner.get(best, {}).items():
        if rest.startswith(old + "."):
            rest = new + rest[len(old):]
            break
    return prefixes[best] + rest


def unet_prefixes(config: Any) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    lpb = int(config["layers_per_block"])
    levels = len(config["block_out_channels"])
    up_types = config["up_block_types"]
    m = {"time_embedding.linear_1.": "time_embed.0.", "time_embedding.linear_2.": "time_embed.2.",
         "add_embedding.linear_1.": "label_emb.0.0.", "add_embedding.linear_2.": "label_emb.0.2.",
         "conv_in.": "input_blocks.0.0.", "conv_norm_out.": "out.0.", "conv_out.": "out.2.",
         "mid_block.resnets.0.": "middle_block.0.", "mid_block.attentions.0.": "middle_block.1.",
         "mid_block.resnets.1.": "middle_block.2."}
    resnets = ["mid_block.resnets.0.", "mid_block.resnets.1."]
    for i in range(levels):
        for j in range(lpb):
            m[f"down_blocks.{i}.resnets.{j}."] = f"input_blocks.{(lpb + 1) * i + j + 1}.0."
            m[f"down_blocks.{i}.attentions.{j}."] = f"input_blocks.{(lpb + 1) * i + j + 1}.1."
            resnets.append(f"down_blocks.{i}.resnets.{j}.")
        if i < levels - 1:
            m[f"down_blocks.{i}.downsamplers.0.conv."] = f"input_blocks.{(lpb + 1) * (i + 1)}.0.op."
        for j in range(lpb + 1):
            m[f"up_blocks.{i}.resnets.{j}."] = f"output_blocks.{(lpb + 1) * i + j}.0."
            m[f"up_blocks.{i}.attentions.{j}."] = f"output_blocks.{(lpb + 1) * i + j}.1."
            resnets.append(f"up_blocks.{i}.resnets.{j}.")
        if i < levels - 1:
            slot = 2 if "CrossAttn" in up_types[i] else 1
            m[f"up_blocks.{i}.upsamplers.0."] = f"output_blocks.{(lpb + 1) * i + lpb}.{slot}."
    return m, {r: RESNET for r in resnets}


def unet_to_ldm(state: dict[str, Any], config: Any) -> dict[str, Any]:
    prefixes, inner = unet_prefixes(config)
    out = {}
    for key, value in state.items():
        new = _rename(key, prefixes, inner)
        if new is None:
            raise KeyError(f"no LDM name for UNet key {key}")
        out["model.diffusion_model." + new] = value
    return out


def vae_to_ldm(state: dict[str, Any], config: Any) -> dict[str, Any]:
    levels = len(config["block_out_channels"])
    m = {"encoder.conv_norm_out.": "encoder.norm_out.", "decoder.conv_norm_out.": "decoder.norm_out.",
         "encoder.mid_block.attentions.0.": "encoder.mid.attn_1.",
         "decoder.mid_block.attentions.0.": "decoder.mid.attn_1."}
    inner: dict[str, dict[str, str]] = {}
    for part in ("encoder", "decoder"):
        for r in range(2):
            m[f"{part}.mid_block.resnets.{r}."] = f"{part}.mid.block_{r + 1}."
            inner[f"{part}.mid_block.resnets.{r}."] = {"conv_shortcut": "nin_shortcut"}
        inner[f"{part}.mid_block.attentions.0."] = VAE_ATTN
    for i in range(levels):
        for j in range(int(config["layers_per_block"]) + 1):
            m[f"encoder.down_blocks.{i}.resnets.{j}."] = f"encoder.down.{i}.block.{j}."
            m[f"decoder.up_blocks.{i}.resnets.{j}."] = f"decoder.up.{levels - 1 - i}.block.{j}."
            inner[f"encoder.down_blocks.{i}.resnets.{j}."] = {"conv_shortcut": "nin_shortcut"}
            inner[f"decoder.up_blocks.{i}.resnets.{j}."] = {"conv_shortcut": "nin_shortcut"}
        m[f"encoder.down_blocks.{i}.downsamplers.0.conv."] = f"encoder.down.{i}.downsample.conv."
        m[f"decoder.up_blocks.{i}.upsamplers.0.conv."] = f"decoder.up.{levels - 1 - i}.upsample.conv."
    out = {}
    for key, value in state.items():
        new = _rename(key, m, inner)
        if new is None:
            new = key  # conv_in, conv_out, quant_conv, post_quant_conv keep their names
        if ".mid.attn_1." in new and new.endswith(".weight") and value.ndim == 2:
            value = value[:, :, None, None]  # LDM's attention projections are 1×1 convolutions
        out["first_stage_model." + new] = value
    return out


def sd1_to_ldm(pipe: Any) -> dict[str, Any]:
    """An SD 1.x-style pipeline's weights in the original single-file layout."""
    state = unet_to_ldm(pipe.unet.state_dict(), pipe.unet.config)
    state.update(vae_to_ldm(pipe.vae.state_dict(), pipe.vae.config))
    for key, value in pipe.text_encoder.state_dict().items():
        # original checkpoints use transformers' older names (text_model.embeddings…), whatever
        # layout the installed transformers uses for CLIPTextModel
        key = key if key.startswith("text_model.") or key.startswith("text_projection") else "text_model." + key
        state["cond_stage_model.transformer." + key] = value
    return state


def save_single_file(pipe: Any, path: Path, dtype: Any = None) -> Path:
    """Write an SD 1.x-style pipeline as one ``.safetensors`` checkpoint (LDM layout)."""
    from safetensors.torch import save_file

    state = {k: (v.to(dtype) if dtype is not None and v.is_floating_point() else v).contiguous()
             for k, v in sd1_to_ldm(pipe).items()}
    save_file(state, str(path), metadata={"format": "pt"})
    return path
