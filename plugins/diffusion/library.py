"""The model library: finds local models where the user keeps them, without copying anything.

Searched, in order: the built-in models (``assets/models`` in the repository),
the folders listed in the plugin settings (``model_dirs``), and the model
folders of AUTOMATIC1111 (``a1111_dirs``: ``models/Stable-diffusion``,
``models/VAE``, ``models/Lora``) and ComfyUI (``comfyui_dirs``:
``models/checkpoints``, ``models/diffusers``, ``models/vae``, ``models/loras``)
installations. Each file's type comes from its safetensors header; each
folder's from its ``model_index.json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api import BadInputError, StudioError

from .families import FAMILIES, Identity, UnknownModelError, identify_folder, identify_header
from .header import (
    PICKLE_SUFFIXES,
    SafetensorsHeader,
    header_from_state_dict,
    load_pickle_state_dict,
    read_header,
)

BUILTIN_MODEL = "studio-shapes"
MODEL_SUFFIXES = (".safetensors", *PICKLE_SUFFIXES)
A1111_LAYOUT = {"models/Stable-diffusion": "checkpoint", "models/VAE": "vae", "models/Lora": "lora",
                "models/LyCORIS": "lora"}
COMFYUI_LAYOUT = {"models/checkpoints": "checkpoint", "models/diffusers": "checkpoint", "models/vae": "vae",
                  "models/loras": "lora"}
MAX_DEPTH = 3


def builtin_dir() -> Path:
    """Where the built-in models live (``STUDIO_BUILTIN_MODELS`` overrides it)."""
    from studio.api import builtin_models_dir

    override = os.environ.get("STUDIO_BUILTIN_MODELS")
    return Path(override) if override else builtin_models_dir()


@dataclass
class ModelInfo:
    """One model found on disk, and what it is."""

    path: Path
    identity: Identity | None
    format: str  # "diffusers" | "safetensors" | "pickle"
    source: str = "folder"
    error: str = ""
    header: SafetensorsHeader | None = field(default=None, repr=False)
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name if self.format == "diffusers" else self.path.stem

    @property
    def kind(self) -> str:
        return self.identity.kind if self.identity else "unknown"

    @property
    def family(self) -> str | None:
        return self.identity.family if self.identity else None

    @property
    def label(self) -> str:
        if self.identity is None:
            return "not usable"
        fmt = {"diffusers": "diffusers folder", "safetensors": "single file", "pickle": "pickle file"}[self.format]
        return f"{self.identity.label}, {fmt}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "path": str(self.path), "kind": self.kind, "family": self.family,
            "variant": self.identity.variant if self.identity else "", "type": self.label,
            "format": self.format, "source": self.source, "error": self.error or None,
        }


def inspect_model(path: str | Path, allow_pickle: bool = False, source: str = "folder") -> ModelInfo:
    """Identify a model file or folder; raise BadInputError naming the file and what is wrong."""
    path = Path(path).expanduser()
    if not path.exists():
        raise BadInputError(f"{path} does not exist.")
    if path.is_dir():
        try:
            identity = identify_folder(path)
        except UnknownModelError as exc:
            raise BadInputError(f"{path.name} is not a model this program can use: it is {exc}.") from None
        return ModelInfo(path, identity, "diffusers", source, defaults=_folder_defaults(path))
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        if not allow_pickle:
            raise BadInputError(
                f"{path.name} is a pickle checkpoint ({suffix}); pickle files can run code when loaded, so "
                "Studio does not open them.",
                "Use a .safetensors version of the model, or allow weights-only loading of pickle files with "
                "'studio models options --allow-pickle'.",
                "Use a .safetensors version of the model, or allow weights-only loading of pickle files in "
                "Settings → Models.",
            )
        header = header_from_state_dict(path, load_pickle_state_dict(path))
        fmt = "pickle"
    elif suffix == ".safetensors":
        header = read_header(path)
        fmt = "safetensors"
    else:
        raise BadInputError(f"{path.name} is not a model file (.safetensors, or a diffusers folder).")
    try:
        identity = identify_header(header)
    except UnknownModelError as exc:
        raise BadInputError(f"{path.name} is not a model this program can use: it holds {exc}.") from None
    return ModelInfo(path, identity, fmt, source, header=header)


def _folder_defaults(path: Path) -> dict[str, Any]:
    """Optional recommended settings a model folder may carry in ``studio.json`` (``{"defaults": {...}}``)."""
    try:
        data = json.loads((path / "studio.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    defaults = data.get("defaults") if isinstance(data, dict) else None
    return {k: v for k, v in (defaults or {}).items() if k in ("steps", "guidance", "scheduler", "size")}


class ModelLibrary:
    """The models found in the configured folders (scanned on demand)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    @property
    def allow_pickle(self) -> bool:
        return bool(self.settings.get("allow_pickle", False))

    def roots(self) -> list[tuple[Path, str, str | None]]:
        """(folder, source label, expected kind or None) for every place searched."""
        roots: list[tuple[Path, str, str | None]] = [(builtin_dir(), "built-in", "checkpoint")]
        for folder in self.settings.get("model_dirs", []) or []:
            roots.append((Path(folder).expanduser(), "folder", None))
        for key, layout, label in (("a1111_dirs", A1111_LAYOUT, "AUTOMATIC1111"),
                                   ("comfyui_dirs", COMFYUI_LAYOUT, "ComfyUI")):
            for base in self.settings.get(key, []) or []:
                for sub, kind in layout.items():
                    roots.append((Path(base).expanduser() / sub, label, kind))
        return roots

    def scan(self) -> list[ModelInfo]:
        found: list[ModelInfo] = []
        seen: set[Path] = set()
        for root, source, _kind in self.roots():
            for candidate in _candidates(root):
                resolved = candidate.resolve()
                if resolved in seen:
                    continue
                seen.add(resolved)
                try:
                    found.append(inspect_model(candidate, self.allow_pickle, source))
                except StudioError as exc:
                    fmt = "diffusers" if candidate.is_dir() else (
                        "pickle" if candidate.suffix.lower() in PICKLE_SUFFIXES else "safetensors")
                    found.append(ModelInfo(candidate, None, fmt, source, error=str(exc)))
        return found

    def resolve(self, ref: str, kind: str = "checkpoint") -> ModelInfo:
        """A model by path or by name (file stem or folder name, case-insensitive)."""
        ref = ref.strip()
        if not ref:
            return self.default(kind)
        path = Path(ref).expanduser()
        looks_like_path = os.sep in ref or "/" in ref or path.suffix.lower() in MODEL_SUFFIXES
        if looks_like_path or (path.exists() and path.is_dir()):
            if not path.exists():
                raise BadInputError(f"{ref} does not exist.")
            info = inspect_model(path, self.allow_pickle)
            self._check_kind(info, kind)
            return info
        wanted = ref.lower()
        matches = [m for m in self.scan() if m.name.lower() == wanted or m.path.name.lower() == wanted]
        usable = [m for m in matches if m.identity is not None and m.kind == kind]
        if len(usable) == 1:
            return usable[0]
        if len(usable) > 1:
            where = "; ".join(str(m.path) for m in usable)
            raise BadInputError(f"More than one {kind} is called '{ref}': {where}.", "Give the path instead.")
        if matches and matches[0].error:
            raise BadInputError(matches[0].error)
        if matches:
            raise wrong_kind(matches[0], kind, ref)
        names = sorted({m.name for m in self.scan() if m.kind == kind})
        listing = ", ".join(names[:12]) + (" …" if len(names) > 12 else "") if names else "none found"
        raise BadInputError(f"No {kind} called '{ref}' (known: {listing}).",
                            "Give a path, or add its folder with 'studio models folders --add PATH'.",
                            "Add its folder in Settings → Models.")

    def default(self, kind: str = "checkpoint") -> ModelInfo:
        """The configured default model, else the built-in one (``kind="edit"``: the configured default edit
        model; there is no built-in one)."""
        if kind == "edit":
            configured = str(self.settings.get("default_edit_model") or "").strip()
            if configured:
                return self.resolve(configured, "edit")
            raise BadInputError(
                "No edit model given: editing by instruction needs an InstructPix2Pix model (a diffusers folder or a "
                "single .safetensors file), and Studio ships none.",
                "Give one with --model PATH, or set a default with 'studio models options --default-edit NAME'.",
                "Choose an InstructPix2Pix model, or add the folder that holds one in Settings → Models.",
            )
        configured = str(self.settings.get("default_model") or "").strip()
        if configured:
            return self.resolve(configured)
        folder = builtin_dir() / BUILTIN_MODEL
        if (folder / "model_index.json").is_file():
            return inspect_model(folder, source="built-in")
        raise StudioError(
            "No model is configured and the built-in model is missing "
            f"({folder} has no model_index.json).",
            "Pass --model PATH, or set a default with 'studio models options --default NAME'.",
            "Choose a model, or add a folder of models in Settings → Models.",
        )

    @staticmethod
    def _check_kind(info: ModelInfo, kind: str) -> None:
        if info.kind != kind:
            raise wrong_kind(info, kind)
        if kind in ("checkpoint", "edit") and info.family not in FAMILIES:
            raise BadInputError(f"{info.path.name}: no engine for {info.label}.")


def wrong_kind(info: ModelInfo, kind: str, ref: str = "") -> BadInputError:
    """The error for a model of another kind than asked: what it is, and what to use it (or instead) for."""
    name = info.path.name
    if info.kind == "edit" and kind == "checkpoint":
        return BadInputError(
            f"{name} is an {info.label}: it changes a picture you give it by an instruction (\"make it blue\"); it "
            "does not make pictures from a prompt.",
            f"Edit with it: 'studio edit IMAGE INSTRUCTION --model {info.path}'; to generate, choose a text-to-image "
            "model ('studio models list').",
            "Use it with Edit with instruction; to generate, choose a text-to-image model.",
        )
    if info.kind == "checkpoint" and kind == "edit":
        return BadInputError(
            f"{name} is an {info.label}, a text-to-image model: editing by instruction needs an InstructPix2Pix model "
            "(its UNet takes 8 input channels, the noise and the picture; this one takes "
            f"{info.identity.details.get('in_channels', 4) if info.identity else 4}).",
            "Give an InstructPix2Pix model with --model (a diffusers folder or a .safetensors file), or change the "
            f"picture with this model by image-to-image: 'studio generate PROMPT --init IMAGE --model {info.path}'.",
            "Choose an InstructPix2Pix model, or use this one with Generate and an init image.",
        )
    wanted = "an edit model" if kind == "edit" else f"a {kind}"
    return BadInputError(f"{f'{ref!r}' if ref else name} is a {info.label}, not {wanted}.")


def _candidates(root: Path, depth: int = 0) -> list[Path]:
    """Model files and diffusers folders under ``root`` (not descending into a model folder)."""
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
            if (entry / "model_index.json").is_file() or _is_vae_folder(entry):
                out.append(entry)
            elif depth < MAX_DEPTH:
                out.extend(_candidates(entry, depth + 1))
        elif entry.suffix.lower() in MODEL_SUFFIXES and not _inside_diffusers(entry):
            out.append(entry)
    return out


def _is_vae_folder(path: Path) -> bool:
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("_class_name") in ("AutoencoderKL", "AutoencoderTiny")


def _inside_diffusers(path: Path) -> bool:
    return (path.parent / "config.json").is_file() and path.name.startswith("diffusion_pytorch_model")
