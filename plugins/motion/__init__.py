"""Built-in plugin: text-to-video with AnimateDiff motion modules.

Motion modules (AnimateDiff v1/v2/v3 for SD 1.5, SDXL modules, AnimateDiff-Lightning, AnimateLCM, motion
LoRAs) load offline from MotionAdapter folders or single ``.safetensors`` files with the configs shipped in
``configs/``; their type is read from the file header. ``video.generate`` (``studio video generate``) makes
a clip on a text-to-image model, with context windows for long clips, prompt travel, looping, motion LoRAs
and video-to-video; the clip lands on the timeline as one clip with its record and exports watermarked and
signed through the spine.

Modules: ``kinds`` (header → module type, configs), ``modules`` (finding and loading), ``engine`` (the
pipelines), ``worker`` (a run with previews, cancel, loop), ``generate`` (the action), ``regenerate`` and
``commands`` (CLI), ``testing`` (tiny random modules for tests and benchmarks).
"""

from __future__ import annotations

from typing import Any

from studio.api import hookimpl

__version__ = "0.1.0"


@hookimpl
def studio_actions() -> list[Any]:
    from .generate import GENERATE

    return [GENERATE]


@hookimpl
def studio_commands() -> list[Any]:
    from .commands import COMMANDS

    return list(COMMANDS)


@hookimpl
def studio_doctor() -> dict[str, Any]:
    from .modules import BUILTIN_MODULE, builtin_dir

    folder = builtin_dir() / BUILTIN_MODULE
    return {"builtin_motion_module": f"{folder} ({'present' if (folder / 'config.json').is_file() else 'missing'})",
            "motion_configs": "shipped (AnimateDiff v1, v2, v3 for SD 1.5; SDXL beta)"}
