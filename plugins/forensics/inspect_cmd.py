"""``studio inspect FILE``: every plugin's evidence about a file, as text or JSON.

The file is checked (decoded) first so that a corrupt, truncated, empty or
wrong-type file gives one clear error and a non-zero exit instead of a report
in which every plugin quietly failed. Heatmaps can be written as colour-mapped
PNGs with ``--heatmaps DIR``.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from studio.actions import Command
from studio.errors import BadInputError
from studio.report import ReportSection
from studio_plugins.forensics import preload
from studio_plugins.forensics.source import is_video, open_image

WIDTH = 100


def configure(parser: Any) -> None:
    parser.add_argument("file", metavar="FILE", help="the image or video to inspect")
    parser.add_argument("--heatmaps", metavar="DIR", help="also write each heatmap as a PNG into DIR")
    parser.add_argument("--detector", metavar="FILE", action="append", default=[],
                        help="also run a detector you supply (.safetensors: a CNNDetection-style ResNet or a "
                             "linear probe on Studio's features); may be repeated")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def validate(path: Path) -> str:
    """Decode enough of ``path`` to know it is usable; returns 'image' or 'video'."""
    if is_video(path):
        from studio_plugins.forensics.video import probe_video

        probe_video(path)
        return "video"
    preload.put(open_image(path))
    return "image"


def run(args: Any, app: Any) -> int:
    from studio_plugins.forensics.userdetector import load_user_detector, user_detector_section

    path = Path(args.file)
    detectors = [load_user_detector(p) for p in args.detector]
    kind = validate(path)
    faults_before = {name: len(info.faults) for name, info in app.host.plugins.items()}
    try:
        sections: list[ReportSection] = app.file_report(path)
    finally:
        preload.clear()
    # Content Credentials and watermarks first: they are the strongest signals when present
    sections.sort(key=lambda s: s.plugin == "forensics")
    if detectors and kind == "image":
        source = open_image(path)
        sections += [user_detector_section(d, source) for d in detectors]
    faults = [f"{name}: {fault}" for name, info in app.host.plugins.items()
              for fault in info.faults[faults_before.get(name, 0):]]
    written = write_heatmaps(sections, Path(args.heatmaps), path) if args.heatmaps else []
    if args.json:
        print(json.dumps({"file": str(path), "kind": kind, "combined_score": None,
                          "sections": [s.to_dict() for s in sections], "heatmaps_written": written,
                          "plugin_faults": faults}, indent=2, default=str))
    else:
        print(render_text(path, kind, sections, written, faults))
    return 0


def render_text(path: Path, kind: str, sections: list[ReportSection], written: list[str], faults: list[str]) -> str:
    lines = [f"{path.name} ({kind}) — {len(sections)} signal(s). Evidence to weigh, not a verdict; "
             "no combined score (the signals are not calibrated against each other)."]

    def wrap(text: str, indent: str) -> list[str]:
        return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent]

    for s in sections:
        lines.append("")
        lines.append(f"== {s.title} [{s.plugin or '?'}]: {s.state}")
        lines += wrap(s.summary, "   ")
        for f in s.findings:
            lines += wrap(f"• {f.label}: {f.value}", "   ")
            if f.explanation:
                lines += wrap(f.explanation, "       ")
        for h in s.heatmaps:
            lines += wrap(f"Heatmap '{h.name}' ({h.values.shape[1]}×{h.values.shape[0]}): {h.explanation}", "   ")
        if s.can_tell:
            lines += wrap(f"Can tell: {s.can_tell}", "   ")
        if s.cannot_tell:
            lines += wrap(f"Cannot tell: {s.cannot_tell}", "   ")
    if written:
        lines += ["", f"Heatmaps written: {', '.join(written)}"]
    for fault in faults:
        lines.append(f"note: a plugin failed on this file: {fault}")
    return "\n".join(lines)


def colourise(values: np.ndarray) -> np.ndarray:
    """A 0..1 heatmap as RGB uint8 (OpenCV's 'inferno' colour map)."""
    import cv2

    v = (np.clip(np.nan_to_num(values), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return np.ascontiguousarray(cv2.applyColorMap(v, cv2.COLORMAP_INFERNO)[..., ::-1])


def write_heatmaps(sections: list[ReportSection], folder: Path, path: Path) -> list[str]:
    from PIL import Image

    from studio.atomic import atomic_path

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for s in sections:
        for h in s.heatmaps:
            slug = re.sub(r"[^a-z0-9]+", "-", h.name.lower()).strip("-") or "heatmap"
            dest = folder / f"{path.stem}.{slug}.png"
            with atomic_path(dest) as tmp:
                Image.fromarray(colourise(h.values)).save(tmp, format="PNG")
            written.append(str(dest))
    return written


def inspect_command() -> Command:
    return Command(path=("inspect",), help="evidence report for an image or video: credentials, watermarks, "
                   "metadata and pixel forensics", configure=configure, run=run)


__all__ = ["inspect_command", "render_text", "validate", "BadInputError"]
