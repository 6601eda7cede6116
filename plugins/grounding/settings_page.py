"""The Grounding page of the Settings dialog: where grounding and segmentation models are found."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.api import BadInputError, PluginContext, Setting, SettingsPage


def check_folder(value: Any) -> None:
    if not Path(str(value)).expanduser().is_dir():
        raise BadInputError(f"{value} is not a folder.")


def status(ctx: PluginContext) -> str:
    from .builtin import default_model_dir

    ok = (default_model_dir() / "model.safetensors").is_file()
    return ("The built-in shapes-world model is always available, and faces have a detector of their own."
            if ok else "The built-in grounding model is missing: reinstall Studio.")


def page() -> SettingsPage:
    return SettingsPage(
        title="Grounding",
        description=("Finding objects from words. Besides the built-in model, Studio uses Grounding DINO, OWLv2, "
                     "OWL-ViT and Florence-2 models, and SAM/SAM2 for masks, from folders on this computer "
                     "(a model's own folder with config.json and .safetensors weights, or a ComfyUI/AUTOMATIC1111 "
                     "installation). Nothing is downloaded."),
        status=status,
        settings=(
            Setting("model_dirs", "folders", "Grounding model folders", default=[],
                    help="Folders searched (with their subfolders) for grounding and segmentation models.",
                    check=check_folder),
        ),
    )
