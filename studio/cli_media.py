"""The command line's side of media: action inputs from files, results to files, and ``studio video``.

Inputs: an ``image``/``mask`` is a picture file; a ``frame`` is a picture file or a video with
``--NAME-frame N``; a ``clip`` is a video with ``--NAME-start SEC``/``--NAME-end SEC``; ``boxes`` is a
JSON file as ``--json`` writes it. Outputs go through :func:`studio.document.apply.apply_result` into a
scratch document, and what it added is exported: layers as pictures, clips as video files (every export
through the one pipeline: watermark, Content Credentials), boxes as JSON (and an overlay picture with
``--overlay``), score tracks as JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from studio import formats
from studio.actions import Action, Param
from studio.atomic import atomic_write_bytes
from studio.document import BoxClip, BoxLayer, Document, FramesClip, Layer, Record, ScoreClip
from studio.document.apply import apply_result
from studio.errors import BadInputError
from studio.export import export_options
from studio.results import ActionResult, OutputBoxes

# -- inputs ------------------------------------------------------------------------------------


def add_input_options(parser: argparse.ArgumentParser, action: Action) -> None:
    """The extra options frame and clip inputs need: which frame (``--frame N``), which time range
    (``--start SEC --end SEC``). With several such inputs, or when a parameter already has that name,
    the options carry the parameter's name (``--NAME-frame``, ``--NAME-start``, ``--NAME-end``)."""
    names = {p.name.replace("_", "-") for p in action.params}
    for kind, words in (("frame", ("frame",)), ("clip", ("start", "end"))):
        inputs = [p for p in action.params if p.kind == kind]
        for param in inputs:
            prefix = "" if len(inputs) == 1 and not names & set(words) else param.name.replace("_", "-") + "-"
            if kind == "frame":
                parser.add_argument(f"--{prefix}frame", dest=f"{param.name}__frame", type=int, default=0,
                                    metavar="N", help=f"which frame of a video {param.name} to use (default: 0)")
            else:
                parser.add_argument(f"--{prefix}start", dest=f"{param.name}__start", type=float, default=None,
                                    metavar="SEC", help=f"start of the {param.name} in seconds (default: 0)")
                parser.add_argument(f"--{prefix}end", dest=f"{param.name}__end", type=float, default=None,
                                    metavar="SEC", help=f"end of the {param.name} in seconds (default: its end)")


def load_input(param: Param, raw: str, args: argparse.Namespace) -> Any:
    """A CLI value (a file name) as the object the action receives for ``param``."""
    from studio.imageio import load_image, load_mask, sha256_file
    from studio.media import ClipInput
    from studio.video import VideoSource

    path = Path(raw)
    if param.kind == "mask":
        return Layer(load_mask(path), name=path.name, kind="mask")
    if param.kind == "clip":
        if not formats.is_video(path):
            raise BadInputError(f"'{param.name}' needs a video file, not {path.name}.")
        return ClipInput.from_file(path, getattr(args, f"{param.name}__start", None),
                                   getattr(args, f"{param.name}__end", None))
    if param.kind == "boxes":
        return load_boxes(path)
    if param.kind == "frame" and formats.is_video(path):
        index = int(getattr(args, f"{param.name}__frame", 0) or 0)
        source = VideoSource(path, cache_bytes=0)
        try:
            if not 0 <= index < source.frame_count:
                raise BadInputError(f"{path.name} has frames 0–{source.frame_count - 1}; there is no frame {index}.")
            pixels = source.frame(index)
        finally:
            source.close()
        sha = sha256_file(path)
        layer = Layer(pixels, name=f"{path.name} · frame {index}",
                      record=Record(action="timeline.frame", title=f"{path.name}, frame {index}",
                                    c2pa_action="c2pa.placed", params={"frame": index},
                                    ingredients=Record.opened(str(path), sha).ingredients))
        layer.source = {"file": str(path), "frame": index}
        return layer
    loaded = load_image(path)
    return Layer(loaded.pixels, name=path.name, record=Record.opened(str(path), loaded.sha256))


def load_boxes(path: Path) -> OutputBoxes:
    """Boxes from a JSON file: ``{"size": [w, h], "boxes": [{"x0":…, "label":…}, …]}`` (as ``--json`` writes)."""
    from studio.document import Box
    from studio.imageio import check_file

    check_file(path, "a JSON file of boxes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "outputs" in data:  # a whole `--json` result: take its first boxes
            data = next(o for o in data["outputs"] if o.get("kind") == "boxes")
        boxes = [Box.from_dict(b) for b in data["boxes"]]
        size = tuple(int(v) for v in data.get("size", (0, 0)))
    except (ValueError, KeyError, TypeError, StopIteration, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path.name} is not a JSON file of boxes ({exc}).",
                            'Expected {"size": [W, H], "boxes": [{"x0": …, "y0": …, "x1": …, "y1": …}]}.') from None
    return OutputBoxes(boxes=boxes, size=(size[0], size[1]), name=path.stem,
                       frame_count=int(data.get("frame_count") or 0), fps=data.get("fps"))


# -- outputs -----------------------------------------------------------------------------------


def write_outputs(app: Any, action: Action, result: ActionResult, args: argparse.Namespace,
                  first_input: Path | None, inputs: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Apply ``result`` to a scratch document and write what it added; one entry per written file.

    ``inputs`` are the action's parameter values: boxes are drawn (``--overlay``) on its first picture.
    """
    picture = next((v.rgb() for v in (inputs or {}).values() if isinstance(v, Layer) and v.kind == "image"), None)
    doc = Document()
    applied = apply_result(doc, result, action.title)
    out = Path(args.out) if args.out else None
    options = export_options(args, app)
    items = [*applied.layers, *applied.clips]
    written: list[dict[str, Any]] = []
    for n, item in enumerate(items):
        if isinstance(item, (BoxLayer, BoxClip)):
            written.append(_write_boxes(item, out, action, first_input, n, len(items),
                                        picture if getattr(args, "overlay", False) else None, result))
        elif isinstance(item, ScoreClip):
            written.append(_write_scores(item, out, action, first_input, n, len(items)))
        elif isinstance(item, FramesClip):
            written.append(_write_clip(app, item, out, action, first_input, n, len(items), options))
        elif isinstance(item, Layer):
            dest = _numbered(out or _default_out(action, first_input, ".png"), n, len(items))
            assert item.record is not None
            report = app.export.export_image(item.pixels if item.kind != "mask" else item.pixels,
                                             dest, item.record, options)
            written.append(report.to_dict() | {"kind": item.kind, "size": list(item.size)})
    return written


def _numbered(dest: Path, n: int, total: int) -> Path:
    return dest.with_name(f"{dest.stem}-{n + 1}{dest.suffix}") if total > 1 else dest


def _default_out(action: Action, source: Path | None, suffix: str) -> Path:
    name = action.cli_path[-1]
    if source is not None:
        known = formats.of_path(source)
        keep = suffix == ".png" and known is not None and known.writable and known.kind == "image"
        return source.with_name(f"{source.stem}-{name}{source.suffix if keep else suffix}")
    return Path(f"{name}{suffix}")


def _write_clip(app: Any, clip: FramesClip, out: Path | None, action: Action, first_input: Path | None, n: int,
                total: int, options: dict[str, Any]) -> dict[str, Any]:
    from studio.media import ClipInput

    out_format = formats.of_path(out) if out is not None else None
    dest = out if out is not None and out_format is not None and out_format.kind == "video" \
        else _default_out(action, first_input, ".mp4")
    dest = _numbered(dest, n, total)
    clip_input = ClipInput.from_frames(clip.frames, clip.fps or 8.0, clip.name, clip.record)
    report = app.export.export_clip(clip_input, dest, options)
    first = clip.frames[0]
    return report.to_dict() | {"kind": "clip", "size": [int(first.shape[1]), int(first.shape[0])],
                               "fps": clip.fps, "frames": len(clip.frames)}


def _write_boxes(item: BoxLayer | BoxClip, out: Path | None, action: Action, first_input: Path | None, n: int,
                 total: int, picture: np.ndarray | None, result: ActionResult) -> dict[str, Any]:
    dest = out.with_suffix(".json") if out is not None else _default_out(action, first_input, ".json")
    dest = _numbered(dest, n, total)
    size = item.canvas_size if isinstance(item, BoxLayer) else next(
        (b.size for b in result.boxes if b.name == item.name), (0, 0))
    data = {"kind": "boxes", "name": item.name, "size": list(size),
            "frame_count": item.frame_count if isinstance(item, BoxClip) else 0,
            "fps": item.fps if isinstance(item, BoxClip) else None,
            "boxes": [b.to_dict() for b in item.boxes],
            "record": item.record.to_dict() if item.record else None}
    atomic_write_bytes(dest, json.dumps(data, indent=2).encode())
    entry: dict[str, Any] = {"path": str(dest), "format": "JSON", "kind": "boxes", "boxes": len(item.boxes),
                             "notices": []}
    if picture is not None and isinstance(item, BoxLayer):
        entry["overlay"] = str(write_overlay(picture, item, dest.with_name(f"{dest.stem}-overlay.png")))
    return entry


def write_overlay(picture: np.ndarray, layer: BoxLayer, dest: Path) -> Path:
    """The picture with its boxes drawn on it: a look at the result, written as a plain PNG."""
    import cv2

    pixels = np.ascontiguousarray(picture[..., :3]).copy()
    for box in layer.boxes:
        p0, p1 = (int(round(box.x0)), int(round(box.y0))), (int(round(box.x1)), int(round(box.y1)))
        cv2.rectangle(pixels, p0, p1, (255, 220, 0), 2)
        if box.label:
            cv2.putText(pixels, box.label, (p0[0], max(12, p0[1] - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                        (255, 220, 0), 1, cv2.LINE_AA)
    from PIL import Image

    from studio.atomic import atomic_path

    with atomic_path(dest) as tmp:
        Image.fromarray(pixels).save(tmp, format="PNG")
    return dest


def _write_scores(item: ScoreClip, out: Path | None, action: Action, first_input: Path | None, n: int,
                  total: int) -> dict[str, Any]:
    dest = _numbered(out.with_suffix(".json") if out is not None else _default_out(action, first_input, ".json"),
                     n, total)
    atomic_write_bytes(dest, json.dumps({"kind": "scores", "name": item.name, "fps": item.fps,
                                         "values": item.scores}, indent=2).encode())
    return {"path": str(dest), "format": "JSON", "kind": "scores", "notices": []}


# -- studio video info / export -------------------------------------------------------------------


def configure_info(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a video file")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_info(app: Any, args: argparse.Namespace) -> int:
    from studio.video import probe

    info = probe(args.file)
    data = {"frames": info.frames, "fps": round(info.fps, 6), "duration": round(info.duration, 6),
            "width": info.width, "height": info.height, "codec": info.codec, "audio": info.audio,
            "variable_frame_rate": info.variable_frame_rate, "path": info.path}
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        sound = f", sound: {info.audio}" if info.audio else ", no sound"
        vfr = " (variable frame rate)" if info.variable_frame_rate else ""
        print(f"{Path(info.path).name}: {info.width}×{info.height} {info.codec}, {info.fps:.3f} fps{vfr}, "
              f"{info.frames} frames, {info.duration:.2f} s{sound}")
    return 0


def configure_export(parser: argparse.ArgumentParser, app: Any) -> None:
    from studio.cli import add_export_flags

    parser.add_argument("input", metavar="INPUT", help="a video file")
    parser.add_argument("--start", type=float, default=None, metavar="SEC", help="start in seconds (default: 0)")
    parser.add_argument("--end", type=float, default=None, metavar="SEC", help="end in seconds (default: the end)")
    parser.add_argument("--out", "-o", required=True, metavar="OUT",
                        help="output: .mp4 (H.264), .webm (VP9), .gif, or a folder for a PNG sequence")
    add_export_flags(parser, app)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_export(app: Any, args: argparse.Namespace) -> int:
    import sys

    from studio.media import ClipInput

    source = Path(args.input)
    if not formats.is_video(source):
        raise BadInputError(f"{source.name} is not a video file (expected one of {', '.join(formats.VIDEO_SUFFIXES)}).")
    dest = Path(args.out)
    formats.export_format(dest, None, "clip")  # a clear error before anything is decoded
    clip = ClipInput.from_file(source, args.start, args.end)
    first = clip.record
    assert first is not None
    clip.record = Record(action="video.export", title=dest.name, c2pa_action="c2pa.edited",
                         params={"start": args.start, "end": args.end}, ingredients=first.ingredients)
    show = sys.stderr.isatty()

    def progress(done: int, total: int, message: str) -> None:
        if show:
            sys.stderr.write(f"\rExport [{done}/{total}] {message}".ljust(40) + ("\n" if done >= total else ""))

    report = app.export.export_clip(clip, dest, export_options(args, app), progress=progress)
    data = report.to_dict() | {"size": list(clip.size), "fps": clip.fps, "duration": round(clip.duration, 6)}
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(f"wrote {report.path} ({clip.size[0]}×{clip.size[1]} {report.format}, {report.frames} frames, "
              f"{clip.duration:.2f} s)")
        for notice in report.notices:
            print(f"  note: {notice}")
    return 0
