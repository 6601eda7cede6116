"""Loading pipelines offline, keeping them loaded, and placing them on the device.

One :class:`Engine` per application. It keeps the last loaded model(s) so the
next generation with the same model does not reload; switching between
text-to-image, image-to-image and inpainting reuses the loaded components
(``from_pipe``); a VAE or LoRA change swaps just that part. All pipeline calls
run on one long-lived worker thread, so compiled graphs (``torch.compile``,
CUDA graphs) stay valid between generations.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api import BadInputError, StudioError

from .families import FAMILIES, Family
from .hashing import model_sha256
from .library import ModelInfo
from .offline import go_offline
from .preview import LatentPreview, preview_for

log = logging.getLogger(__name__)

MEMORY_HINT = ("Try a smaller size or batch, or turn on memory savers: "
               "'studio models options --attention-slicing --vae-tiling --cpu-offload model'.")
MEMORY_WINDOW_HINT = ("Try a smaller size or batch, or turn on the memory savers (attention slicing, VAE tiling, "
                      "CPU offload) in Settings → Models.")
COMPILE_MODES = ("off", "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


@dataclass(frozen=True)
class EngineOptions:
    """Device and memory settings that decide how a pipeline is loaded and run."""

    device: str = "cpu"
    dtype: str = "float32"
    cpu_offload: str = "none"  # "none" | "model" | "sequential"
    attention_slicing: bool = False
    vae_slicing: bool = False
    vae_tiling: bool = False
    channels_last: bool = False
    fuse_qkv: bool = False
    compile: str = "off"
    allow_pickle: bool = False

    @classmethod
    def from_settings(cls, settings: dict[str, Any], device: str, runtime_dtype: str) -> EngineOptions:
        on_gpu = not device.startswith("cpu")
        dtype = str(settings.get("dtype", "auto"))
        if dtype not in ("auto", "float16", "bfloat16", "float32"):
            raise BadInputError(f"Unknown dtype '{dtype}' in the diffusion settings; use auto, float16, "
                                "bfloat16 or float32.")
        if dtype == "auto" or not on_gpu:
            dtype = runtime_dtype if on_gpu else "float32"
        offload = str(settings.get("cpu_offload", "none"))
        if offload not in ("none", "model", "sequential"):
            raise BadInputError(f"Unknown cpu_offload '{offload}'; use none, model or sequential.")
        compile_mode = str(settings.get("compile", "off"))
        if compile_mode not in COMPILE_MODES:
            raise BadInputError(f"Unknown compile mode '{compile_mode}'; use {', '.join(COMPILE_MODES)}.")
        return cls(
            device=device, dtype=dtype, cpu_offload=offload if on_gpu else "none",
            attention_slicing=bool(settings.get("attention_slicing", False)),
            vae_slicing=bool(settings.get("vae_slicing", False)),
            vae_tiling=bool(settings.get("vae_tiling", False)),
            channels_last=bool(settings.get("channels_last", False)) and on_gpu,
            fuse_qkv=bool(settings.get("fuse_qkv", False)) and on_gpu,
            compile=compile_mode if on_gpu else "off",
            allow_pickle=bool(settings.get("allow_pickle", False)),
        )

    @property
    def load_key(self) -> tuple[Any, ...]:
        return (self.device, self.dtype, self.cpu_offload, self.channels_last, self.fuse_qkv, self.compile)


@dataclass
class Loaded:
    """A loaded model and the pipelines built on it."""

    info: ModelInfo
    family: Family
    sha256: str
    base: Any
    options: EngineOptions
    preview: LatentPreview
    modes: dict[str, Any] = field(default_factory=dict)
    vae: tuple[str, str] | None = None  # (path, sha256) of a replacement VAE
    original_vae: Any = None
    scheduler: Any = None  # the model's own scheduler, which named schedulers are derived from
    adapters: dict[str, str] = field(default_factory=dict)  # adapter name -> LoRA sha256

    @property
    def inpainting_model(self) -> bool:
        return self.info.identity is not None and self.info.identity.variant == "inpainting"


def torch_dtype(name: str) -> Any:
    import torch

    return {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}[name]


def dtype_kwargs(name: str) -> dict[str, Any]:
    """``dtype=`` for diffusers that renamed ``torch_dtype`` (0.36+), else ``torch_dtype=``."""
    from diffusers.utils import deprecation_utils

    key = "dtype" if hasattr(deprecation_utils, "_TORCH_DTYPE_DEPRECATION_MESSAGE") else "torch_dtype"
    return {key: torch_dtype(name)}


class Engine:
    """The pipeline cache and the single worker thread of one application."""

    def __init__(self, cache_size: int = 1) -> None:
        self.cache_size = max(1, cache_size)
        self._cache: OrderedDict[tuple[Any, ...], Loaded] = OrderedDict()
        self._lock = threading.RLock()
        self._executor: ThreadPoolExecutor | None = None
        self.loads = 0  # how many times a model was read from disk (tests and benchmarks look)

    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="diffusion")
        return self._executor

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
        _empty_device_cache()

    # -- loading ----------------------------------------------------------------
    def load(self, info: ModelInfo, options: EngineOptions) -> Loaded:
        """The loaded pipeline for ``info`` with ``options``: from the cache, or read from disk once."""
        stat = info.path.stat()
        key = (str(info.path.resolve()), stat.st_size, stat.st_mtime_ns, options.load_key)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            while len(self._cache) >= self.cache_size:
                self._cache.popitem(last=False)
                _empty_device_cache()
        loaded = self._load(info, options)
        with self._lock:
            self._cache[key] = loaded
        return loaded

    def _load(self, info: ModelInfo, options: EngineOptions) -> Loaded:
        import diffusers

        go_offline()
        family = FAMILIES[info.family or ""]
        sha = model_sha256(info.path)
        dtype = dtype_kwargs(options.dtype)
        mode = "inpaint" if info.identity and info.identity.variant == "inpainting" else "txt2img"
        if mode not in family.pipelines:  # a family of one mode (InstructPix2Pix: "edit")
            mode = next(iter(family.pipelines))
        cls = getattr(diffusers, family.pipelines[mode])
        extra: dict[str, Any] = {}
        if "safety_checker" in inspect.signature(cls.__init__).parameters:
            extra = {"safety_checker": None, "requires_safety_checker": False}
        try:
            if info.format == "diffusers":
                extra.update({name: None for name in family.optional_components if not (info.path / name).is_dir()})
                pipe = cls.from_pretrained(str(info.path), **dtype, local_files_only=True,
                                           use_safetensors=None if options.allow_pickle else True,
                                           **_variant(info.path), **extra)
            else:
                from .single_file import config_folder

                assert info.header is not None and info.identity is not None
                folder = config_folder(info.identity, info.header)
                pipe = cls.from_single_file(str(info.path), config=str(folder), local_files_only=True,
                                            **dtype, **extra)
        except StudioError:
            raise
        except (OSError, ValueError, KeyError, RuntimeError, TypeError, AttributeError) as exc:
            raise _load_error(info.path, exc) from exc
        self.loads += 1
        pipe.set_progress_bar_config(disable=True)
        self._place(pipe, options)
        self._speedups(pipe, options)
        preview = preview_for(pipe, family.latent_rgb, family.latent_bias)
        loaded = Loaded(info=info, family=family, sha256=sha, base=pipe, options=options, preview=preview,
                        original_vae=pipe.vae, scheduler=pipe.scheduler)
        loaded.modes[mode] = pipe
        return loaded

    @staticmethod
    def _place(pipe: Any, options: EngineOptions) -> None:
        if options.cpu_offload == "model":
            pipe.enable_model_cpu_offload(device=options.device)
        elif options.cpu_offload == "sequential":
            pipe.enable_sequential_cpu_offload(device=options.device)
        else:
            pipe.to(options.device)

    @staticmethod
    def _speedups(pipe: Any, options: EngineOptions) -> None:
        import torch

        denoiser = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
        if options.fuse_qkv and hasattr(pipe, "fuse_qkv_projections"):
            pipe.fuse_qkv_projections()
        if options.channels_last and denoiser is not None:
            denoiser.to(memory_format=torch.channels_last)
        if options.compile != "off" and denoiser is not None:
            compiled = torch.compile(denoiser, mode=None if options.compile == "default" else options.compile,
                                     fullgraph=True)
            pipe.register_modules(**{"unet" if hasattr(pipe, "unet") else "transformer": compiled})

    def pipeline(self, loaded: Loaded, mode: str) -> Any:
        """The pipeline for ``mode`` built on the loaded components (no reload)."""
        import diffusers

        if loaded.inpainting_model:
            mode = "inpaint"
        with self._lock:
            pipe = loaded.modes.get(mode)
            if pipe is None:
                cls = getattr(diffusers, loaded.family.pipelines[mode])
                pipe = cls.from_pipe(loaded.base)
                pipe.set_progress_bar_config(disable=True)
                if loaded.options.cpu_offload != "none":
                    self._place(pipe, loaded.options)
                loaded.modes[mode] = pipe
        self._memory(pipe, loaded.options)
        return pipe

    @staticmethod
    def _memory(pipe: Any, options: EngineOptions) -> None:
        if hasattr(pipe, "enable_attention_slicing"):
            if options.attention_slicing:
                pipe.enable_attention_slicing()
            elif getattr(pipe, "_studio_slicing", False):
                pipe.disable_attention_slicing()
            pipe._studio_slicing = options.attention_slicing
        vae = pipe.vae
        vae.enable_slicing() if options.vae_slicing else vae.disable_slicing()
        vae.enable_tiling() if options.vae_tiling else vae.disable_tiling()

    # -- VAE and LoRA -----------------------------------------------------------
    def set_vae(self, loaded: Loaded, vae_info: ModelInfo | None) -> dict[str, Any] | None:
        """Use ``vae_info`` instead of the model's own VAE (None: back to the model's own)."""
        wanted = None if vae_info is None else str(vae_info.path.resolve())
        if (loaded.vae[0] if loaded.vae else None) == wanted:
            return None if loaded.vae is None else {"name": Path(loaded.vae[0]).stem, "sha256": loaded.vae[1]}
        if vae_info is None:
            vae = loaded.original_vae
            loaded.vae = None
        else:
            vae = self._load_vae(loaded, vae_info)
            loaded.vae = (wanted or "", model_sha256(vae_info.path))
        with self._lock:
            for pipe in {id(p): p for p in [loaded.base, *loaded.modes.values()]}.values():
                pipe.register_modules(vae=vae)
                if loaded.options.cpu_offload != "none":
                    self._place(pipe, loaded.options)
        loaded.preview = preview_for(loaded.base, loaded.family.latent_rgb, loaded.family.latent_bias)
        return None if loaded.vae is None else {"name": vae_info.name if vae_info else "", "sha256": loaded.vae[1]}

    def _load_vae(self, loaded: Loaded, info: ModelInfo) -> Any:
        from diffusers import AutoencoderKL

        dtype = dtype_kwargs(loaded.options.dtype)
        try:
            if info.format == "diffusers":
                vae = AutoencoderKL.from_pretrained(str(info.path), **dtype, local_files_only=True)
            else:
                from .single_file import vae_config_folder

                assert info.header is not None and info.identity is not None
                folder = vae_config_folder(info.header, info.identity.details.get("prefix", ""),
                                           dict(loaded.original_vae.config))
                vae = AutoencoderKL.from_single_file(str(info.path), config=str(folder), subfolder="vae",
                                                     **dtype, local_files_only=True)
        except (OSError, ValueError, KeyError, RuntimeError, TypeError) as exc:
            raise _load_error(info.path, exc) from exc
        if vae.config.latent_channels != loaded.original_vae.config.latent_channels:
            raise BadInputError(f"The VAE {info.path.name} has {vae.config.latent_channels} latent channels; "
                                f"this model needs {loaded.original_vae.config.latent_channels}.")
        return vae.to(loaded.options.device) if loaded.options.cpu_offload == "none" else vae

    def set_loras(self, loaded: Loaded, loras: list[tuple[ModelInfo, float]]) -> list[dict[str, Any]]:
        """Activate exactly these LoRAs with their weights (loading each file once)."""
        base = loaded.base
        if not loras:
            if loaded.adapters and hasattr(base, "disable_lora"):
                base.disable_lora()
            return []
        try:
            import peft  # noqa: F401
        except ImportError:
            raise StudioError("LoRAs need the 'peft' package.", "Install it with: pip install peft") from None
        names, weights, described = [], [], []
        for info, weight in loras:
            if info.family is not None and info.family != loaded.family.id:
                raise BadInputError(f"The LoRA {info.path.name} is for {FAMILIES[info.family].label}, "
                                    f"but the model is {loaded.family.label}.")
            sha = model_sha256(info.path)
            name = f"lora_{sha[:12]}"
            if name not in loaded.adapters:
                try:
                    base.load_lora_weights(str(info.path), adapter_name=name)
                except (OSError, ValueError, KeyError, RuntimeError) as exc:
                    raise _load_error(info.path, exc) from exc
                loaded.adapters[name] = sha
            names.append(name)
            weights.append(float(weight))
            described.append({"name": info.name, "sha256": sha, "weight": float(weight)})
        base.enable_lora()
        base.set_adapters(names, adapter_weights=weights)
        return described


def _variant(path: Path) -> dict[str, str]:
    """``variant="fp16"`` for diffusers folders that only hold ``*.fp16.safetensors`` weights."""
    for sub in ("unet", "transformer"):
        folder = path / sub
        if folder.is_dir():
            plain = list(folder.glob("*model.safetensors")) + list(folder.glob("*model.safetensors.index.json"))
            fp16 = list(folder.glob("*model.fp16.safetensors")) + list(folder.glob("*.fp16.safetensors.index.json"))
            if fp16 and not plain:
                return {"variant": "fp16"}
    return {}


def _load_error(path: Path, exc: BaseException) -> StudioError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    return BadInputError(f"Could not load the model {path.name}: {first}",
                         "Is the file complete, and does it match its type as shown by 'studio models info'?",
                         "Is the file complete, and is it the kind of model its name says?")


def _empty_device_cache() -> None:
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "mps backend out of memory" in text)


