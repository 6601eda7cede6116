"""Built-in plugin: forensics, the verification toolkit.

For any image or video it adds to the evidence report: metadata markers (IPTC
digital source type, generator text chunks, EXIF), pixel forensics with
heatmaps (error level, noise residual, frequency spectrum, JPEG history,
copy-move, faces), a small upsampling-trace detector trained in this
repository, and detectors the user supplies. ``studio inspect FILE`` prints
every plugin's sections. Nothing here says "fake" or "real": each signal says
what it can and cannot tell.

Settings (``plugins.forensics`` in settings.json): ``detectors``, a list of
``.safetensors`` detector files to run on every inspected image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.actions import Command
from studio.hookspecs import hookimpl
from studio.report import ReportSection

__version__ = "0.1.0"
PLUGIN = "forensics"


def configured_detectors(app: Any) -> tuple[list[Any], list[ReportSection]]:
    """The user's detectors from the settings, and a section for each one that cannot be loaded."""
    from studio.errors import StudioError
    from studio_plugins.forensics.userdetector import load_user_detector

    loaded, failed = [], []
    for entry in app.settings.plugin_settings(PLUGIN).get("detectors", []) or []:
        try:
            loaded.append(load_user_detector(entry))
        except StudioError as exc:
            failed.append(ReportSection(title=f"Your detector: {Path(str(entry)).name}", state="error",
                                        summary=str(exc), data={"path": str(entry)}))
    return loaded, failed


@hookimpl
def studio_file_report(path: Path, app: Any) -> list[ReportSection]:
    from studio_plugins.forensics.sections import file_sections
    from studio_plugins.forensics.source import is_video

    detectors, failed = ([], []) if is_video(path) else configured_detectors(app)
    return file_sections(path, detectors) + failed


@hookimpl
def studio_commands() -> list[Command]:
    from studio_plugins.forensics.inspect_cmd import inspect_command

    return [inspect_command()]


@hookimpl
def studio_doctor() -> dict[str, Any]:
    from studio_plugins.forensics.detector import builtin_path

    path = builtin_path()
    return {"detector": f"{path} ({'present' if path.exists() else 'MISSING'})"}
