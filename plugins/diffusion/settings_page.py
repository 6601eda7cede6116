"""The Models page of the Settings dialog: where models are found, and how they are loaded.

Declared as data (:class:`studio.api.SettingsPage`); the same settings as ``studio models folders``
and ``studio models options``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.api import BadInputError, PluginContext, Setting, SettingsPage


def check_folder(value: Any) -> None:
    if not Path(str(value)).expanduser().is_dir():
        raise BadInputError(f"{value} is not a folder.")


def check_installation(value: Any) -> None:
    check_folder(value)
    if not (Path(str(value)).expanduser() / "models").is_dir():
        raise BadInputError(f"{Path(str(value)).name} has no 'models' folder: choose the folder the program is "
                            "installed in (the one that holds 'models').")


def status(ctx: PluginContext) -> str:
    from .library import builtin_dir

    return f"The built-in model is always available (in {builtin_dir()})."


def page() -> SettingsPage:
    return SettingsPage(
        title="Models",
        description=("Studio finds models where you keep them, without copying them: in folders of model "
                     "files (.safetensors) and diffusers folders, and in the model folders of AUTOMATIC1111 "
                     "and ComfyUI."),
        status=status,
        settings=(
            Setting("model_dirs", "folders", "Model folders", default=[],
                    help="Folders searched for checkpoints, VAEs and LoRAs (and their subfolders).",
                    check=check_folder),
            Setting("a1111_dirs", "folders", "AUTOMATIC1111 installations", default=[],
                    help="Its models/Stable-diffusion, VAE and Lora folders are searched.",
                    check=check_installation),
            Setting("comfyui_dirs", "folders", "ComfyUI installations", default=[],
                    help="Its models/checkpoints, vae and loras folders are searched.", check=check_installation),
            Setting("allow_pickle", "bool", "Open older model files (.ckpt, .pt, .bin)", default=False,
                    help="Their weights only are read, never code; still, prefer .safetensors files."),
            Setting("cache_size", "int", "Models kept loaded", default=1, minimum=1, maximum=8,
                    help="More is faster when switching models, and needs more memory."),
            Setting("cpu_offload", "choice", "Save graphics memory", default="none",
                    choices=("none", "model", "sequential"),
                    choice_labels=("No", "Move idle parts to main memory", "As much as possible (slow)"),
                    help="For graphics cards with little memory."),
            Setting("vae_tiling", "bool", "Decode large pictures in tiles", default=False,
                    help="Uses less memory for large pictures."),
            Setting("attention_slicing", "bool", "Compute attention in slices", default=False,
                    help="Uses less memory, a little slower."),
        ),
    )
