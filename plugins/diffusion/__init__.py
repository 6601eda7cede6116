"""Built-in plugin: the diffusion engine.

Local models (diffusers folders and single ``.safetensors`` checkpoints of SD
1.x, 2.x, SDXL and Turbo, SD 3.x folders, InstructPix2Pix edit models, VAEs and
LoRAs, also from AUTOMATIC1111 and ComfyUI folders), loaded offline; text-to-image,
image-to-image and inpainting as one ``generate`` action (GUI panel and
``studio generate``), edits by instruction of a picture or a clip (``edit_image``,
``edit_clip``, ``studio edit``), with step previews, cancellation and a
reproducibility record (AUTOMATIC1111 ``parameters`` text included) on every result.

Modules: ``header`` (safetensors headers), ``families`` (model families and
recognition), ``single_file`` (offline configs for single files),
``tokenizer_files`` (CLIP tokenizer from the shipped vocabulary), ``library``
(finding models), ``hashing`` (cached SHA-256), ``engine`` (loading, cache,
device and memory), ``worker`` (running a call with progress), ``schedulers``,
``preview``, ``records``, ``generate`` (the action), ``regenerate`` and
``commands`` (CLI); ``edit_plan`` (an edit's checks and sizes), ``edit`` (the
edit actions), ``edit_consistency``, ``edit_records``, ``edit_regenerate`` and
``edit_cli`` (``studio edit``).
"""

from __future__ import annotations

from typing import Any

from studio.api import hookimpl

__version__ = "0.1.0"


@hookimpl
def studio_actions() -> list[Any]:
    from .edit import EDIT_CLIP_ACTION, EDIT_IMAGE_ACTION
    from .generate import GENERATE

    return [GENERATE, EDIT_IMAGE_ACTION, EDIT_CLIP_ACTION]


@hookimpl
def studio_commands() -> list[Any]:
    from .commands import COMMANDS
    from .edit_cli import COMMANDS as EDIT
    from .regenerate import COMMANDS as REGENERATE

    return [*COMMANDS, *REGENERATE, *EDIT]


@hookimpl
def studio_settings() -> Any:
    from .settings_page import page

    return page()


@hookimpl
def studio_doctor() -> dict[str, Any]:
    from .library import BUILTIN_MODEL, builtin_dir

    builtin = builtin_dir() / BUILTIN_MODEL
    return {
        "builtin_model": f"{builtin} ({'present' if (builtin / 'model_index.json').is_file() else 'missing'})",
        "single_file_configs": "shipped (SD 1.x, SD 2.x, SDXL, InstructPix2Pix; CLIP BPE vocabulary)",
    }
