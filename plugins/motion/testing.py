"""Tiny random motion modules and motion LoRAs from the real diffusers classes, for tests and benchmarks.

Like diffusers' own AnimateDiff tests: a ``MotionAdapter`` whose channels and layers fit a given UNet,
randomly initialised, written as a diffusers folder or as one ``.safetensors`` file in the original
AnimateDiff key layout (as the published modules are), and a motion LoRA in the original layout. Nothing is
downloaded; write them to a temporary folder, never into ``assets/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def tiny_adapter(channels: tuple[int, ...] = (32, 64), layers_per_block: int = 1, mid_block: bool = True,
                 positions: int = 32, seed: int = 0, scale: float = 1.0, uniform: bool = False) -> Any:
    """A random ``MotionAdapter`` for a UNet with ``channels`` per level and ``layers_per_block``.

    ``scale`` multiplies the output projections (diffusers initialises them small; a larger one makes the
    motion module's effect on the frames easy to measure in tests). ``uniform`` zeroes the temporal
    attention's queries and keys, so each frame attends to every frame of its window alike: the strongest,
    simplest temporal coupling (a random module hardly couples frames, so what windows and loop do to the
    frames would not show).
    """
    import torch
    from diffusers import MotionAdapter

    torch.manual_seed(seed)
    adapter: Any = MotionAdapter(block_out_channels=tuple(channels), motion_layers_per_block=layers_per_block,
                            motion_norm_num_groups=32, motion_num_attention_heads=8, motion_max_seq_length=positions,
                            use_motion_mid_block=mid_block)
    if scale != 1.0 or uniform:
        with torch.no_grad():
            for name, param in adapter.named_parameters():
                if name.endswith("proj_out.weight"):
                    param.mul_(scale)
                if uniform and name.endswith(("to_q.weight", "to_k.weight")):
                    param.zero_()
    return adapter.eval()


def to_original_key(key: str) -> str:
    """A diffusers ``MotionAdapter`` key in the original AnimateDiff layout."""
    head, sep, rest = key.partition(".motion_modules.")
    index, _, rest = rest.partition(".")
    rest = (rest.replace(".attn1", ".attention_blocks.0").replace(".attn2", ".attention_blocks.1")
            .replace(".norm1", ".norms.0").replace(".norm2", ".norms.1").replace(".norm3", ".ff_norm"))
    return f"{head}{sep}{index}.temporal_transformer.{rest}"


def original_state_dict(adapter: Any) -> dict[str, Any]:
    out = {}
    for key, value in adapter.state_dict().items():
        if key.endswith("pos_embed.pe"):
            block = key[: -len("pos_embed.pe")]
            for n in (0, 1):
                out[to_original_key(f"{block}attn{n + 1}.pos_encoder.pe")] = value.clone().contiguous()
            continue
        out[to_original_key(key)] = value.clone().contiguous()
    return out


def save_folder(adapter: Any, folder: Path) -> Path:
    adapter.save_pretrained(str(folder), safe_serialization=True)
    return folder


def save_single_file(adapter: Any, path: Path, metadata: dict[str, str] | None = None) -> Path:
    """The adapter as one ``.safetensors`` in the original AnimateDiff layout (like ``mm_sd_v15_v2.safetensors``)."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(original_state_dict(adapter), str(path), metadata=metadata)
    return path


def save_motion_lora(adapter: Any, path: Path, rank: int = 4, seed: int = 0, scale: float = 1.0) -> Path:
    """A random motion LoRA on every temporal attention's q/k/v/out, in the original layout."""
    import torch
    from safetensors.torch import save_file

    generator = torch.Generator().manual_seed(seed)
    out = {}
    for key, value in adapter.state_dict().items():
        for proj in ("to_q", "to_k", "to_v", "to_out.0"):
            if key.endswith(f".{proj}.weight"):
                block = to_original_key(key[: -len(f".{proj}.weight")])
                name = "to_out" if proj == "to_out.0" else proj
                c_out, c_in = value.shape
                down = torch.randn(rank, c_in, generator=generator) * scale / c_in ** 0.5
                up = torch.randn(c_out, rank, generator=generator) * scale / rank ** 0.5
                out[f"{block}.processor.{name}_lora.down.weight"] = down.contiguous()
                out[f"{block}.processor.{name}_lora.up.weight"] = up.contiguous()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(out, str(path))
    return path
