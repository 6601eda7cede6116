"""The text-to-image checkpoint, the motion module, and the AnimateDiff pipelines built from them.

The checkpoint is a local diffusers folder of an SD 1.x-layout ``StableDiffusionPipeline`` (the built-in
``studio-shapes`` by default). Its components and a ``MotionAdapter`` make an ``AnimateDiffPipeline``; the
video-to-video pipeline is made from the same components (``from_pipe``, no reload). The last pair stays loaded
(in the plugin's ``ctx.state``); every pipeline call runs on one worker thread.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api import BadInputError, PluginContext, StudioError, sha256_file

from .modules import MotionFile, MotionLibrary, builtin_dir, load_adapter, lora_state_dict

BUILTIN_MODEL = "studio-shapes"
MEMORY_HINT = ("Try fewer frames or a smaller size, decode in smaller chunks (--decode-chunk 2), or turn on CPU "
               "offload: 'studio motion options --cpu-offload model'.")
MEMORY_WINDOW_HINT = "Try fewer frames or a smaller size, a smaller decode chunk, or CPU offload in Settings."


def quiet_offline() -> None:
    """The hub libraries offline (a missing file is an error, never a download) and their chatter off."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "DIFFUSERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
        os.environ[key] = "1"
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()
    diffusers_logging.disable_progress_bar()


def dtype_kwargs(dtype: Any) -> dict[str, Any]:
    """``dtype=`` for diffusers that renamed ``torch_dtype`` (0.36+), else ``torch_dtype=``."""
    from diffusers.utils import deprecation_utils

    return {"dtype" if hasattr(deprecation_utils, "_TORCH_DTYPE_DEPRECATION_MESSAGE") else "torch_dtype": dtype}


def resolve_model(settings: dict[str, Any], ref: str) -> Path:
    """The text-to-image checkpoint folder: a path, a folder name in ``model_dirs``, or the built-in model."""
    ref = ref.strip() or str(settings.get("default_model") or "").strip()
    if not ref:
        folder = builtin_dir() / BUILTIN_MODEL
        if (folder / "model_index.json").is_file():
            return folder
        raise StudioError(f"No model given and the built-in model is missing ({folder}).", "Pass --model FOLDER.")
    path = Path(ref).expanduser()
    if not path.exists():
        for base in [builtin_dir(), *(Path(p).expanduser() for p in settings.get("model_dirs", []) or [])]:
            if (base / ref / "model_index.json").is_file():
                return base / ref
        raise BadInputError(f"No model called '{ref}' (a diffusers folder, by path or by name in the model folders).")
    if path.is_file():
        raise BadInputError(f"{path.name} is a single-file checkpoint; video generation needs a diffusers folder "
                            "(model_index.json with unet, vae, text_encoder…) for now.",
                            "Convert it once with diffusers' StableDiffusionPipeline.from_single_file(...)"
                            ".save_pretrained(FOLDER), or use the built-in model.")
    try:
        index = json.loads((path / "model_index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BadInputError(f"{path.name} is not a diffusers model folder (no readable model_index.json).") from None
    cls = index.get("_class_name", "") if isinstance(index, dict) else ""
    if cls not in ("StableDiffusionPipeline", "AnimateDiffPipeline"):
        raise BadInputError(f"{path.name} is a {cls or 'model'}; motion modules work on SD 1.x-layout checkpoints "
                            "(StableDiffusionPipeline folders).")
    return path


def unet_layout(model: Path) -> tuple[tuple[int, ...], int]:
    """(block_out_channels, layers_per_block) of a checkpoint's UNet, from its config (no weights read)."""
    try:
        config = json.loads((model / "unet" / "config.json").read_text(encoding="utf-8"))
        layers = config.get("layers_per_block", 2)
        per_level = int(layers if isinstance(layers, int) else max(layers))
        return tuple(int(c) for c in config["block_out_channels"]), per_level
    except (OSError, ValueError, KeyError, TypeError):
        raise BadInputError(f"{model.name} has no readable unet/config.json.") from None


def check_fits(module: MotionFile, model: Path) -> None:
    """Refuse a motion module (or LoRA) made for another base, before anything is loaded."""
    channels, layers = unet_layout(model)
    kind = module.kind
    if kind.channels != channels or (kind.kind == "module" and kind.layers_per_block != layers):
        what = {"sd15": "SD 1.5", "sdxl": "SDXL"}.get(kind.base, "a custom base")
        raise BadInputError(
            f"The {kind.label} {module.path.name} does not fit the model {model.name}: it is made for {what} "
            f"(channels {', '.join(map(str, kind.channels))}, {kind.layers_per_block} layers per level) and the "
            f"model's UNet has channels {', '.join(map(str, channels))} and {layers} layers per level.",
            "Choose a motion module made for this model's base (SD 1.5 modules for SD 1.5 checkpoints).")


def folder_digest(path: Path) -> str:
    """SHA-256 of a file, or of a folder's weight files (names and contents) for a diffusers folder."""
    if path.is_file():
        return sha256_file(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".safetensors", ".json", ".bin")):
        digest.update(str(file.relative_to(path)).encode())
        digest.update(bytes.fromhex(sha256_file(file)))
    return digest.hexdigest()


@dataclass
class Loaded:
    model: Path
    module: MotionFile
    pipe: Any
    model_sha256: str
    module_sha256: str
    modes: dict[str, Any] = field(default_factory=dict)
    adapters: dict[str, str] = field(default_factory=dict)  # adapter name -> LoRA sha256
    scheduler: Any = None  # the checkpoint's own scheduler, which each run's sampler is made from


class MotionEngine:
    """The loaded (checkpoint, module) pair and the worker thread of one application."""

    def __init__(self) -> None:
        self.loaded: Loaded | None = None
        self._key: tuple[Any, ...] | None = None
        self._lock = threading.RLock()
        self._executor: ThreadPoolExecutor | None = None
        self.loads = 0

    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="motion")
        return self._executor

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self.loaded = self._key = None

    def load(self, model: Path, module: MotionFile, device: str, dtype: str, offload: str = "none") -> Loaded:
        key = tuple((str(p.resolve()), p.stat().st_mtime_ns) for p in (model, module.path)) + (device, dtype, offload)
        with self._lock:
            if self._key == key and self.loaded is not None:
                return self.loaded
            self.loaded = self._key = None
        loaded = self._load(model, module, device, dtype, offload)
        with self._lock:
            self.loaded, self._key = loaded, key
        return loaded

    def _load(self, model: Path, module: MotionFile, device: str, dtype_name: str, offload: str) -> Loaded:
        import torch
        from diffusers import AnimateDiffPipeline, StableDiffusionPipeline

        quiet_offline()
        dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}.get(dtype_name, torch.float32)
        try:
            base = StableDiffusionPipeline.from_pretrained(str(model), local_files_only=True, use_safetensors=True,
                                                           **dtype_kwargs(dtype), safety_checker=None,
                                                           requires_safety_checker=False)
        except (OSError, ValueError, RuntimeError, TypeError) as exc:
            raise BadInputError(f"Could not load the model {model.name}: {str(exc).splitlines()[0][:200]}") from None
        adapter = load_adapter(module, dtype)
        pipe: Any = AnimateDiffPipeline(vae=base.vae, text_encoder=base.text_encoder, tokenizer=base.tokenizer,
                                   unet=base.unet, motion_adapter=adapter, scheduler=base.scheduler,
                                   feature_extractor=None, image_encoder=None)
        pipe.set_progress_bar_config(disable=True)
        if offload == "model" and not device.startswith("cpu"):
            pipe.enable_model_cpu_offload(device=device)
        else:
            pipe.to(device, dtype)
        self.loads += 1
        return Loaded(model, module, pipe, folder_digest(model), folder_digest(module.path), {"txt2vid": pipe},
                      scheduler=pipe.scheduler)

    def pipeline(self, loaded: Loaded, mode: str) -> Any:
        if mode not in loaded.modes:
            from diffusers import AnimateDiffVideoToVideoPipeline

            pipe = AnimateDiffVideoToVideoPipeline.from_pipe(loaded.pipe)
            pipe.set_progress_bar_config(disable=True)
            loaded.modes[mode] = pipe
        return loaded.modes[mode]

    def unload_loras(self, loaded: Loaded) -> None:
        if loaded.adapters:
            loaded.pipe.unload_lora_weights()
            loaded.adapters.clear()

    def set_loras(self, loaded: Loaded, loras: list[tuple[MotionFile, float]]) -> list[dict[str, Any]]:
        """Activate exactly these motion LoRAs with their weights (each file loaded once)."""
        pipes = list({id(p): p for p in loaded.modes.values()}.values())
        if not loras:
            if loaded.adapters:
                for pipe in pipes:
                    pipe.disable_lora()
            return []
        names, weights, described = [], [], []
        for item, weight in loras:
            sha = sha256_file(item.path)
            name = f"motion_lora_{sha[:12]}"
            if name not in loaded.adapters:
                try:
                    loaded.pipe.load_lora_weights(lora_state_dict(item), adapter_name=name)
                except (OSError, ValueError, KeyError, RuntimeError) as exc:
                    raise BadInputError(f"Could not load the motion LoRA {item.path.name}: {str(exc)[:200]}") from None
                loaded.adapters[name] = sha
            names.append(name)
            weights.append(float(weight))
            described.append({"name": item.name, "sha256": sha, "weight": float(weight)})
        for pipe in pipes:
            pipe.enable_lora()
            pipe.set_adapters(names, adapter_weights=weights)
        return described


def engine_for(ctx: PluginContext) -> MotionEngine:
    with ctx.lock:
        engine = ctx.state.get("engine")
        if engine is None:
            engine = ctx.state["engine"] = MotionEngine()
    assert isinstance(engine, MotionEngine)
    return engine


def library_for(ctx: PluginContext) -> MotionLibrary:
    return MotionLibrary(ctx.settings)


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, (RuntimeError, MemoryError)) and (
        isinstance(exc, MemoryError) or "out of memory" in str(exc).lower())
