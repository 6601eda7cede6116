"""Finding and loading motion modules and motion LoRAs, offline.

Searched: the built-in module (``assets/models/studio-shapes-motion``), the plugin's ``motion_dirs``, and in
AUTOMATIC1111 installations (``a1111_dirs``) ``models/AnimateDiff``, ``models/motion_lora`` and
``extensions/sd-webui-animatediff/model``, in ComfyUI installations (``comfyui_dirs``)
``models/animatediff_models``, ``models/AnimateDiff`` and ``models/animatediff_motion_lora``. A module is a
diffusers ``MotionAdapter`` folder or a single ``.safetensors`` file; pickles (``.ckpt``, ``.pt``…) only
when the user allowed them, and then weights-only.

A single file is never handed to ``MotionAdapter.from_single_file`` (which fetches its config from the hub):
its ``MotionAdapter`` is built from the shipped config of its version with the layout read from its header,
then the converted weights are loaded with every key checked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.api import (
    PICKLE_SUFFIXES,
    BadInputError,
    SafetensorsHeader,
    StudioError,
    builtin_models_dir,
    header_from_state_dict,
    load_pickle_state_dict,
    read_safetensors_header,
)

from .kinds import MotionKind, adapter_config, folder_kind, identify

BUILTIN_MODULE = "studio-shapes-motion"
SUFFIXES = (".safetensors", *PICKLE_SUFFIXES)
A1111_DIRS = ("models/AnimateDiff", "models/motion_lora", "extensions/sd-webui-animatediff/model",
              "extensions/sd-webui-animatediff/models")
COMFYUI_DIRS = ("models/animatediff_models", "models/AnimateDiff", "models/animatediff_motion_lora",
                "custom_nodes/ComfyUI-AnimateDiff-Evolved/models",
                "custom_nodes/ComfyUI-AnimateDiff-Evolved/motion_lora")


def builtin_dir() -> Path:
    override = os.environ.get("STUDIO_BUILTIN_MODELS")
    return Path(override) if override else builtin_models_dir()


@dataclass
class MotionFile:
    """A motion module or motion LoRA on disk and what it is."""

    path: Path
    kind: MotionKind
    format: str  # "diffusers" | "safetensors" | "pickle"
    source: str = "folder"
    header: SafetensorsHeader | None = None

    @property
    def name(self) -> str:
        return self.path.name if self.format == "diffusers" else self.path.stem

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "format": self.format, "source": self.source,
                **self.kind.to_dict()}


def inspect_motion(path: str | Path, allow_pickle: bool = False, source: str = "folder") -> MotionFile:
    """Identify a motion file or folder; BadInputError naming the file and the fault (truncated, wrong kind…)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise BadInputError(f"{path} does not exist.")
    if path.is_dir():
        return MotionFile(path, folder_kind(path), "diffusers", source)
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        if not allow_pickle:
            raise BadInputError(
                f"{path.name} is a pickle file ({suffix}); pickle files can run code when loaded, so Studio does not "
                "open them.",
                "Use a .safetensors version of the module, or allow weights-only loading of pickle files with "
                "'studio motion options --allow-pickle'.",
                "Use a .safetensors version of the module, or allow weights-only loading of pickle files in Settings.",
            )
        header = header_from_state_dict(path, load_pickle_state_dict(path))
        return MotionFile(path, identify(header), "pickle", source, header)
    if suffix != ".safetensors":
        raise BadInputError(f"{path.name} is not a motion module file (.safetensors, or a MotionAdapter folder).")
    header = read_safetensors_header(path)  # truncated or corrupt files are refused here, before any work
    return MotionFile(path, identify(header), "safetensors", source, header)


class MotionLibrary:
    """The motion modules and LoRAs in the configured folders (scanned on demand)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    @property
    def allow_pickle(self) -> bool:
        return bool(self.settings.get("allow_pickle", False))

    def roots(self) -> list[tuple[Path, str]]:
        roots = [(builtin_dir(), "built-in")]
        roots += [(Path(p).expanduser(), "folder") for p in self.settings.get("motion_dirs", []) or []]
        for key, subs, label in (("a1111_dirs", A1111_DIRS, "AUTOMATIC1111"),
                                 ("comfyui_dirs", COMFYUI_DIRS, "ComfyUI")):
            for base in self.settings.get(key, []) or []:
                roots += [(Path(base).expanduser() / sub, label) for sub in subs]
        return roots

    def scan(self) -> list[MotionFile]:
        found: list[MotionFile] = []
        seen: set[Path] = set()
        for root, source in self.roots():
            for candidate in _candidates(root, source == "built-in"):
                if candidate.resolve() in seen:
                    continue
                seen.add(candidate.resolve())
                try:
                    found.append(inspect_motion(candidate, self.allow_pickle, source))
                except StudioError:
                    continue
        return found

    def resolve(self, ref: str, kind: str = "module") -> MotionFile:
        """A module (or LoRA) by path or name; the built-in module when ``ref`` is empty."""
        ref = ref.strip()
        if not ref:
            return self.default()
        path = Path(ref).expanduser()
        if os.sep in ref or "/" in ref or path.suffix.lower() in SUFFIXES or path.exists():
            found = inspect_motion(path, self.allow_pickle)
        else:
            matches = [m for m in self.scan() if ref.lower() in (m.name.lower(), m.path.name.lower())
                       and m.kind.kind == kind]
            if not matches:
                names = sorted({m.name for m in self.scan() if m.kind.kind == kind})
                raise BadInputError(f"No motion {kind} called '{ref}' (known: {', '.join(names) or 'none found'}).",
                                    "Give a path, or add its folder with 'studio motion folders --add PATH'.")
            found = matches[0]
        if found.kind.kind != kind:
            raise BadInputError(f"{found.path.name} is a {found.kind.label}, not a motion {kind}.")
        return found

    def default(self) -> MotionFile:
        configured = str(self.settings.get("default_module") or "").strip()
        if configured:
            return self.resolve(configured)
        folder = builtin_dir() / BUILTIN_MODULE
        if (folder / "config.json").is_file():
            return inspect_motion(folder, source="built-in")
        raise StudioError(
            f"The built-in motion module is not installed yet ({folder} is missing).",
            "Give a motion module with --motion-module PATH (an AnimateDiff .safetensors file or a MotionAdapter "
            "folder), or set a default with 'studio motion options --default PATH'.",
            "Choose a motion module (an AnimateDiff .safetensors file or a MotionAdapter folder) in the Motion "
            "module field.",
        )


def _candidates(root: Path, builtin: bool, depth: int = 0) -> list[Path]:
    if not root.is_dir():
        return []
    out: list[Path] = []
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if (entry / "config.json").is_file() and (entry / "model_index.json").exists() is False:
                out.append(entry)
            elif depth < 2 and not builtin:
                out.extend(_candidates(entry, builtin, depth + 1))
        elif entry.suffix.lower() in SUFFIXES and not builtin:
            out.append(entry)
    return out


# -- loading ---------------------------------------------------------------------------------------


def state_dict(item: MotionFile) -> dict[str, Any]:
    """The raw tensors of a single-file module or LoRA."""
    if item.format == "pickle":
        return load_pickle_state_dict(item.path)
    from safetensors.torch import load_file

    try:
        return load_file(str(item.path), device="cpu")
    except (OSError, RuntimeError, ValueError) as exc:
        raise BadInputError(f"Could not read {item.path.name}: {str(exc)[:200]}") from None


def convert_module_keys(state: dict[str, Any]) -> dict[str, Any]:
    """Original AnimateDiff keys → diffusers ``MotionAdapter`` keys (position tables are recomputed, so dropped)."""
    out = {}
    for key, value in state.items():
        if "pos_encoder" in key or key.endswith("pos_embed.pe"):
            continue
        out[_rename(key)] = value
    return out


def _rename(key: str) -> str:
    return (key.replace(".norms.0", ".norm1").replace(".norms.1", ".norm2").replace(".ff_norm", ".norm3")
            .replace(".attention_blocks.0", ".attn1").replace(".attention_blocks.1", ".attn2")
            .replace(".temporal_transformer", ""))


def load_adapter(item: MotionFile, dtype: Any) -> Any:
    """A ``MotionAdapter`` from a folder or a single file, offline, every weight accounted for."""
    from diffusers import MotionAdapter

    if item.format == "diffusers":
        try:
            from .engine import dtype_kwargs

            return MotionAdapter.from_pretrained(str(item.path), local_files_only=True, use_safetensors=True,
                                                 **dtype_kwargs(dtype))
        except (OSError, ValueError, RuntimeError, TypeError) as exc:
            raise BadInputError(f"Could not load the motion module {item.path.name}: {str(exc)[:200]}") from None
    assert item.header is not None
    config = adapter_config(item.kind, item.header.metadata)
    adapter: Any = MotionAdapter(**config)
    weights = convert_module_keys(state_dict(item))
    expected = {k for k in adapter.state_dict() if not k.endswith("pos_embed.pe")}
    missing, unexpected = sorted(expected - set(weights)), sorted(set(weights) - expected)
    if missing or unexpected:
        sample = (missing or unexpected)[:3]
        raise BadInputError(f"{item.path.name} does not fit a {item.kind.label}: "
                            f"{len(missing)} weights missing, {len(unexpected)} unexpected (e.g. {', '.join(sample)}).")
    try:
        adapter.load_state_dict(weights, strict=False)
    except RuntimeError as exc:
        raise BadInputError(f"{item.path.name} does not fit its layout: {str(exc).splitlines()[-1][:200]}") from None
    return adapter.to(dtype=dtype).eval()


def lora_state_dict(item: MotionFile) -> dict[str, Any]:
    """A motion LoRA in the layout ``load_lora_weights`` reads (PEFT ``lora_A``/``lora_B`` under ``unet.``).

    The original AnimateDiff motion LoRAs (``…attention_blocks.0.processor.to_q_lora.down.weight``) are renamed
    like the modules; ones already in the diffusers layout pass through.
    """
    out = {}
    for key, value in state_dict(item).items():
        new = _rename(key).replace(".processor.", ".")
        for proj in ("to_q", "to_k", "to_v"):
            new = new.replace(f".{proj}_lora.down.", f".{proj}.lora_A.")
            new = new.replace(f".{proj}_lora.up.", f".{proj}.lora_B.")
        new = new.replace(".to_out_lora.down.", ".to_out.0.lora_A.").replace(".to_out_lora.up.", ".to_out.0.lora_B.")
        new = new.replace(".lora.down.", ".lora_A.").replace(".lora.up.", ".lora_B.")
        if not new.startswith("unet."):
            new = "unet." + new
        out[new] = value
    return out
