"""``studio inspect FILE``: every plugin's evidence about a file, as text or JSON.

A core command, since it gathers the sections of all plugins
(``studio_file_report``). The file is checked (decoded) first so that a
corrupt, truncated, empty or wrong-type file gives one clear error and a
non-zero exit instead of a report in which every plugin quietly failed.
Heatmaps can be written as colour-mapped PNGs with ``--heatmaps DIR``. Plugins
add their own options (``--detector FILE``) through ``studio_report_options``.
"""

from __future__ import annotations

import argparse
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from studio.formats import is_video
from studio.imageio import MAX_PIXELS, check_file, check_pixel_count, decoding
from studio.report import ReportSection, Signal
from studio.video import first_frame_size

WIDTH = 100
HELP = "evidence report for an image or video: credentials, watermarks, metadata and pixel forensics"


def configure(parser: argparse.ArgumentParser, app: Any) -> None:
    parser.add_argument("file", metavar="FILE", help="the image or video to inspect")
    parser.add_argument("--heatmaps", metavar="DIR", help="also write each heatmap as a PNG into DIR")
    for option in app.report_options.values():
        parser.add_argument(option.flag, dest=f"report_{option.name}", metavar=option.metavar, action="append",
                            default=[], help=option.help)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def check_media(path: Path) -> str:
    """Decode enough of ``path`` to know it is usable; returns 'image' or 'video' (else a BadInputError)."""
    check_file(path, "an image or a video")
    if is_video(path, sniff=True):
        first_frame_size(path)
        return "video"
    check_image(path)
    return "image"


def check_image(path: Path) -> None:
    """Decode the whole image; every failure is one clear line.

    A JPEG is decoded at 1/8 scale: every byte of it is still read and entropy-decoded (so truncation and
    corrupt data show), at a fraction of the cost, since the plugins decode it again for their analyses.
    """
    from PIL import Image

    with decoding(path, "an image or a video"), Image.open(path) as im:
        width, height = im.size
        check_pixel_count(path, width, height, MAX_PIXELS)
        if im.format == "JPEG":
            im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
        im.load()


def report_options(app: Any, args: argparse.Namespace) -> dict[str, list[Any]]:
    """The plugins' report options given on the command line, each value loaded (refused values raise)."""
    given: dict[str, list[Any]] = {}
    for option in app.report_options.values():
        values = getattr(args, f"report_{option.name}", None) or []
        if values:
            given[option.name] = [option.load(v) if option.load is not None else v for v in values]
    return given


def run(app: Any, args: argparse.Namespace) -> int:
    path = Path(args.file)
    options = report_options(app, args)
    kind = check_media(path)
    faults_before = {name: len(info.faults) for name, info in app.host.plugins.items()}
    sections: list[ReportSection] = app.file_report(path, options)
    faults = [f"{name}: {fault}" for name, info in app.host.plugins.items()
              for fault in info.faults[faults_before.get(name, 0):]]
    written = write_heatmaps(sections, Path(args.heatmaps), path) if args.heatmaps else []
    if args.json:
        print(json.dumps({"file": str(path), "kind": kind, "combined_score": None,
                          "signals": [signal.to_dict() for signal in all_signals(sections)],
                          "sections": [s.to_dict() for s in sections], "heatmaps_written": written,
                          "plugin_faults": faults}, indent=2, default=str))
    else:
        print(render_text(path, kind, sections, written, faults))
    return 0


def all_signals(sections: list[ReportSection]) -> list[Signal]:
    """Every section's scored signals, in report order (an id twice: the first one is kept)."""
    seen: set[str] = set()
    found: list[Signal] = []
    for section in sections:
        for signal in section.signals:
            if signal.id not in seen:
                seen.add(signal.id)
                found.append(signal)
    return found


def signal_line(signal: Signal) -> str:
    """One scored signal in words: "label [id]: flagged (score 12.3; flagged on 2.1% of natural photos)"."""
    score = "no score" if signal.score is None else f"score {signal.score:.3g}"
    rate = ("flagged rate on natural photos not measured" if signal.false_positive_rate is None
            else f"flagged on {signal.false_positive_rate:.1%} of natural photos (measured)")
    return f"{signal.label} [{signal.id}]: {signal.verdict} ({score}; {rate})"


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
        for signal in s.signals:
            lines += wrap(f"◦ {signal_line(signal)}", "   ")
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
