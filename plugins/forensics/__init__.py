"""Built-in plugin: forensics, the verification toolkit.

For any image or video it adds to the evidence report: metadata markers (IPTC
digital source type, generator text chunks, EXIF), pixel forensics with
heatmaps (error level, noise residual, frequency spectrum, JPEG history,
copy-move, faces), a small upsampling-trace detector trained in this
repository, and detectors the user supplies. ``studio inspect FILE`` (a core
command) prints every plugin's sections; this plugin adds its ``--detector
FILE`` option. Nothing here says "fake" or "real": each signal says what it
can and cannot tell.

Settings (``plugins.forensics`` in settings.json): ``detectors``, a list of
``.safetensors`` detector files to run on every inspected image.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.api import PluginContext, ReportOption, ReportSection, hookimpl

__version__ = "0.1.0"
FACE_SCORE = 0.9  # faces from another plugin's detector: this sure at least (MTCNN's real faces score ≥ 0.99)


def configured_detectors(ctx: PluginContext) -> tuple[list[Any], list[ReportSection]]:
    """The user's detectors from the settings, and a section for each one that cannot be loaded."""
    from studio.api import StudioError

    from .userdetector import load_user_detector

    loaded, failed = [], []
    for entry in ctx.settings.get("detectors", []) or []:
        try:
            loaded.append(load_user_detector(entry))
        except StudioError as exc:
            failed.append(ReportSection(title=f"Your detector: {Path(str(entry)).name}", state="error",
                                        outcome="Could not be loaded", summary=str(exc), data={"path": str(entry)}))
    return loaded, failed


def face_finder(ctx: PluginContext) -> Callable[[Any], tuple[list[tuple[float, float, float, float]], str] | None]:
    """Faces through another plugin (the grounding plugin's detector) when one answers; None makes the
    faces analysis fall back to its own cascade."""

    def find(rgb: Any) -> tuple[list[tuple[float, float, float, float]], str] | None:
        found = ctx.find_objects(rgb, ["face"], threshold=FACE_SCORE)
        if found is None:
            return None
        return [(b.x0, b.y0, b.x1, b.y1) for b in found.boxes], found.name

    return find


def _load_detector(value: str) -> Any:
    from .userdetector import load_user_detector

    return load_user_detector(value)


@hookimpl(trylast=True)  # Content Credentials and watermarks lead: they are the strongest signals when present
def studio_file_report(path: Path, ctx: PluginContext, options: dict[str, list[Any]]) -> list[ReportSection]:
    from .sections import file_sections
    from .source import is_video

    if is_video(path):
        return file_sections(path)
    detectors, failed = configured_detectors(ctx)
    extra = list(options.get("detector", []))  # studio inspect --detector FILE
    sections = file_sections(path, detectors + extra, face_finder(ctx))
    cut = len(sections) - len(extra)
    return sections[:cut] + failed + sections[cut:]


@hookimpl
def studio_report_options() -> list[ReportOption]:
    return [ReportOption("detector", metavar="FILE", load=_load_detector,
                         help="also run a detector you supply (.safetensors: a CNNDetection-style ResNet or a "
                              "linear probe on Studio's features); may be repeated")]


@hookimpl
def studio_doctor() -> dict[str, Any]:
    from .detector import builtin_path

    path = builtin_path()
    return {"detector": f"{path} ({'present' if path.exists() else 'MISSING'})"}
