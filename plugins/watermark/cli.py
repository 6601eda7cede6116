"""``studio watermark detect FILE`` and ``studio watermark embed FILE --out OUT``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from studio.api import VIDEO_SUFFIXES, BadInputError, Command, PluginContext

from . import embed
from .api import check_image
from .keys import KEY_MODES, detection_keys, parse_payload
from .video import DEFAULT_MAX_FRAMES, detect_frames, read_frames


def configure_detect(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="an image or a video")
    parser.add_argument("--key-file", action="append", default=[], metavar="PATH",
                        help="also look with this key (another installation's watermark/key file); repeatable")
    parser.add_argument("--frames", type=int, default=DEFAULT_MAX_FRAMES, metavar="N",
                        help=f"video: how many frames to check, spread over the video [default: {DEFAULT_MAX_FRAMES}]")


def check_file(path: Path, key_files: list[str] | None = None, max_frames: int = DEFAULT_MAX_FRAMES) -> Any:
    """An ImageCheck (images) or a VideoCheck (videos) for ``path``."""
    from studio.api import load_image

    keys = detection_keys(list(key_files or []))
    if path.suffix.lower() in VIDEO_SUFFIXES:
        if max_frames < 1:
            raise BadInputError(f"--frames must be at least 1 (got {max_frames}).")
        return detect_frames(read_frames(path, max_frames), keys)
    loaded = load_image(path)
    return check_image(loaded.pixels, keys)


def run_detect(args: argparse.Namespace, ctx: PluginContext) -> int:
    path = Path(args.file)
    result = check_file(path, args.key_file, args.frames)
    if args.json:
        print(json.dumps({"file": str(path), **result.to_dict()}, indent=2))
        return 0
    print(result.summary())
    data = result.to_dict()
    sdxl = data.get("sdxl_watermark")
    if sdxl is not None:
        verdict = "matches" if sdxl["present"] else "does not match"
        print(f"SDXL watermark (weak signal): {verdict} ({sdxl['matched_bits']}/{sdxl['bits']} bits, "
              f"p = {sdxl['p_value']:.2g})")
    if not result.present:
        tried = ", ".join(data["keys_tried"])
        print(f"  looked with: {tried}. A mark made in private mode by another installation is found only "
              "with that installation's key file (--key-file).")
    for note in data.get("notes", []):
        print(f"  note: {note}")
    return 0


def configure_embed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the image to mark")
    parser.add_argument("--out", "-o", required=True, metavar="FILE", help="where to write the marked image")
    parser.add_argument("--payload", metavar="HEX",
                        help="the 64-bit payload as 16 hex digits [default: derived from the provenance record]")
    parser.add_argument("--strength", type=float, default=embed.DEFAULT_STRENGTH, metavar="X",
                        help=f"mark strength (above 0, at most {embed.MAX_STRENGTH:g}; 1 keeps PSNR ≥ 40 dB and "
                             "SSIM ≥ 0.98) [default: 1]")
    parser.add_argument("--key", choices=KEY_MODES, default=None,
                        help="studio: the public Studio default key (any Studio finds the mark) [default]; "
                             "private: this installation's secret key (only it finds the mark)")
    parser.add_argument("--sign", dest="export_sign", action=argparse.BooleanOptionalAction, default=None,
                        help="sign the output with Content Credentials when a signing plugin is installed")


def run_embed(args: argparse.Namespace, ctx: PluginContext) -> int:
    """Mark an existing file through the export pipeline, so that signing (if any) still runs last."""
    from studio.api import Record, load_image

    source, dest = Path(args.file), Path(args.out)
    if not 0.0 < args.strength <= embed.MAX_STRENGTH:
        raise BadInputError(f"--strength must be above 0 and at most {embed.MAX_STRENGTH:g} (got {args.strength:g}).")
    if args.payload is not None:
        parse_payload(args.payload)
    if source.suffix.lower() in VIDEO_SUFFIXES:
        raise BadInputError("Marking a video file is not supported yet; video exports will mark their frames.")
    loaded = load_image(source)
    record = Record.opened(str(source), loaded.sha256)  # the export step adds "c2pa.watermarked"
    options = ctx.export_options(args)
    options.update({"watermark": True, "watermark_required": True, "watermark_strength": args.strength})
    if args.key:
        options["watermark_key"] = args.key
    if args.payload:
        options["watermark_payload"] = args.payload
    report = ctx.export_image(loaded.pixels, dest, record, options)
    marked = next((p for p in report.performed if p.get("c2pa_action") == "c2pa.watermarked"), None)
    if marked is None:  # the step is missing (plugin disabled?) - say so rather than claim a mark
        raise BadInputError("The invisible watermark step did not run; is the watermark plugin enabled?")
    if args.json:
        print(json.dumps(report.to_dict() | {"payload": marked["payload"], "psnr_db": marked["psnr_db"]}, indent=2))
    else:
        print(f"wrote {report.path} with an invisible watermark (payload {marked['payload']}, "
              f"PSNR {marked['psnr_db']:.1f} dB, {marked['key_name']})")
        for notice in report.notices:
            print(f"  note: {notice}")
    return 0


def commands() -> list[Command]:
    return [
        Command(path=("watermark", "detect"), help="look for Studio's invisible watermark (and the SDXL mark)",
                configure=configure_detect, run=run_detect),
        Command(path=("watermark", "embed"), help="add Studio's invisible watermark to an existing image",
                configure=configure_embed, run=run_embed),
    ]
