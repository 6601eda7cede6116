"""What a motion file is, read from its safetensors header: module or motion LoRA, for which base, which version.

AnimateDiff modules come in the original layout (``down_blocks.0.motion_modules.0.temporal_transformer.…``,
``…attention_blocks.0.pos_encoder.pe``) and in the diffusers layout (``down_blocks.0.motion_modules.0.norm.…``,
``…attn1.pos_embed.pe``). The shapes give the layout: the channels of each level (SD 1.5: 320, 640, 1280,
1280; SDXL: 320, 640, 1280), motion layers per level, whether there is a mid block (v2, Lightning, AnimateLCM)
and how many frame positions the module knows (v1: 24; v2, v3: 32). The file name or its metadata tells the
few-step variants apart (AnimateDiff-Lightning, AnimateLCM), which only change the recommended sampler.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api import BadInputError, SafetensorsHeader

CONFIGS = Path(__file__).parent / "configs"
SD15_CHANNELS = (320, 640, 1280, 1280)
SDXL_CHANNELS = (320, 640, 1280)
MOTION_KEY = re.compile(r"^(?:unet\.)?(down_blocks|up_blocks)\.(\d+)\.motion_modules\.(\d+)\.")
LORA_MARKERS = ("lora_A", "lora_B", "lora_down", "lora_up", "_lora.down", "_lora.up", ".lora.down", ".lora.up")

# recommended settings of the few-step variants (their model cards)
VARIANT_DEFAULTS: dict[str, dict[str, Any]] = {
    "lightning": {"steps": 4, "guidance": 1.0, "scheduler": "euler-trailing"},
    "lcm": {"steps": 6, "guidance": 1.5, "scheduler": "lcm"},
}


@dataclass(frozen=True)
class MotionKind:
    """A motion file's identity (``kind``: ``module`` or ``lora``)."""

    kind: str
    base: str  # "sd15" | "sdxl" | "custom"
    version: str  # "v1" | "v2" | "v3" | "sdxl-beta" | "custom" | "lora"
    channels: tuple[int, ...]
    layers_per_block: int
    mid_block: bool
    positions: int
    variant: str = ""  # "" | "lightning" | "lcm"
    layout: str = "original"  # "original" | "diffusers"
    details: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def label(self) -> str:
        custom = "custom ({})".format(",".join(map(str, self.channels)))
        base = {"sd15": "SD 1.5", "sdxl": "SDXL"}.get(self.base, custom)
        if self.kind == "lora":
            return f"motion LoRA for {base}"
        variant = {"lightning": " (AnimateDiff-Lightning)", "lcm": " (AnimateLCM)"}.get(self.variant, "")
        version = "" if self.version in ("custom", "sdxl-beta") else f" {self.version}"
        return f"AnimateDiff{version} motion module for {base}{variant}"

    @property
    def defaults(self) -> dict[str, Any]:
        return dict(VARIANT_DEFAULTS.get(self.variant, {}))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "base": self.base, "version": self.version, "channels": list(self.channels),
                "layers_per_block": self.layers_per_block, "mid_block": self.mid_block, "positions": self.positions,
                "variant": self.variant, "layout": self.layout, "label": self.label}


def _variant(name: str, metadata: dict[str, str]) -> str:
    text = (name + " " + " ".join(f"{k} {v}" for k, v in metadata.items() if len(v) < 300)).lower()
    if "lightning" in text:
        return "lightning"
    if "animatelcm" in text or re.search(r"(^|[^a-z])lcm([^a-z]|$)", text):
        return "lcm"
    return ""


def identify(header: SafetensorsHeader) -> MotionKind:
    """The motion file ``header`` describes; BadInputError if it holds no motion modules."""
    name = header.path.name
    keys = list(header.tensors)
    motion = [k for k in keys if ".motion_modules." in k]
    if not motion:
        raise BadInputError(f"{name} is not a motion module: it holds no 'motion_modules' tensors "
                            f"(it holds {', '.join(header.prefixes()) or 'nothing known'}).")
    if any(k.startswith(("controlnet_cond_embedding", "conv_in")) for k in keys) and header.has_prefix("controlnet"):
        raise BadInputError(f"{name} is a SparseCtrl ControlNet, not a motion module.")
    lora = any(marker in k for k in motion for marker in LORA_MARKERS)
    layers: dict[int, set[int]] = {}
    channels: dict[int, int] = {}
    for key in motion:
        match = MOTION_KEY.match(key)
        if not match or match.group(1) != "down_blocks":
            continue
        level, index = int(match.group(2)), int(match.group(3))
        layers.setdefault(level, set()).add(index)
        shape = header.shape(key)
        if key.endswith(("proj_in.weight", "to_q.weight")) and shape and level not in channels:
            channels[level] = int(shape[-1])
        if lora and shape and ("to_q" in key and ("down" in key or "lora_A" in key)):
            channels.setdefault(level, int(shape[-1]))
    if not layers:
        raise BadInputError(f"{name} holds motion tensors but no down blocks: it is not a motion module Studio knows.")
    levels = sorted(layers)
    if levels != list(range(len(levels))) or set(levels) - set(channels):
        raise BadInputError(f"{name} has an unusual motion layout (levels {levels}): it is not a module Studio knows.")
    chans = tuple(channels[i] for i in levels)
    per_block = max(len(v) for v in layers.values())
    mid = any(k.startswith(("mid_block.motion_modules.", "unet.mid_block.motion_modules.")) for k in motion)
    positions = 32
    for key in motion:
        if key.endswith(("pos_encoder.pe", "pos_embed.pe")):
            shape = header.shape(key)
            if shape and len(shape) == 3:
                positions = int(shape[1])
                break
    layout = "original" if any(".temporal_transformer." in k for k in motion) else "diffusers"
    base = "sd15" if chans == SD15_CHANNELS else ("sdxl" if chans == SDXL_CHANNELS else "custom")
    if lora:
        version = "lora"
    elif base == "sdxl":
        version = "sdxl-beta"
    elif base == "sd15":
        version = "v2" if mid else ("v1" if positions == 24 else "v3")
    else:
        version = "custom"
    return MotionKind("lora" if lora else "module", base, version, chans, per_block, mid, positions,
                      "" if lora else _variant(name, header.metadata), layout,
                      {"tensors": len(keys), "parameters": header.parameters(), "dtypes": header.dtypes()})


def adapter_config(kind: MotionKind, metadata: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``MotionAdapter`` config for a module: its version's shipped config, with the layout read from the file.

    ``motion_num_attention_heads`` cannot be read from shapes: AnimateDiff uses 8 everywhere; a file may say
    otherwise in its metadata (``motion_num_attention_heads``).
    """
    folder = {"v1": "sd15-v1", "v2": "sd15-v2", "v3": "sd15-v3", "sdxl-beta": "sdxl-beta"}.get(kind.version, "sd15-v2")
    config = json.loads((CONFIGS / folder / "config.json").read_text(encoding="utf-8"))
    config = {k: v for k, v in config.items() if not k.startswith("_")}
    config.update(block_out_channels=list(kind.channels), motion_layers_per_block=kind.layers_per_block,
                  use_motion_mid_block=kind.mid_block, motion_max_seq_length=kind.positions)
    for key in ("motion_num_attention_heads", "motion_norm_num_groups"):
        value = (metadata or {}).get(key)
        if value and value.strip().isdigit():
            config[key] = int(value)
    return config


def folder_kind(path: Path) -> MotionKind:
    """The identity of a diffusers ``MotionAdapter`` folder (from its ``config.json``)."""
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{path.name} is not a motion module folder: its config.json cannot be read ({exc}).") \
            from None
    if not isinstance(config, dict) or config.get("_class_name") != "MotionAdapter":
        raise BadInputError(f"{path.name} is not a motion module folder (config.json is not a MotionAdapter's).")
    chans = tuple(int(c) for c in config.get("block_out_channels", SD15_CHANNELS))
    per_block = config.get("motion_layers_per_block", 2)
    per_block = int(per_block if isinstance(per_block, int) else max(per_block))
    mid = bool(config.get("use_motion_mid_block", True))
    positions = int(config.get("motion_max_seq_length", 32))
    base = "sd15" if chans == SD15_CHANNELS else ("sdxl" if chans == SDXL_CHANNELS else "custom")
    if base == "sd15":
        version = "v2" if mid else ("v1" if positions == 24 else "v3")
    else:
        version = "sdxl-beta" if base == "sdxl" else "custom"
    return MotionKind("module", base, version, chans, per_block, mid, positions, _variant(path.name, {}), "diffusers")
