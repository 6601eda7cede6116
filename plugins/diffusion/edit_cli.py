"""``studio edit IMAGE INSTRUCTION``: a picture (or every frame of a video) changed by an instruction.

Everything the user gave is checked before a model is loaded (the instruction, the files, the output's
format and folder, the mask, the model's kind); the result goes through the export pipeline (invisible
watermark, Content Credentials) and appears atomically, so a refused or failed edit writes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from studio.api import (
    BadInputError,
    ClipInput,
    Command,
    JobState,
    Layer,
    PluginContext,
    Record,
    StudioError,
    formats,
    load_image,
    load_mask,
    sha256_file,
)

from .edit_plan import MAX_SEED, MAX_STEPS, check_instruction
from .edit_records import EDIT_CLIP, EDIT_IMAGE


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="IMAGE", help="the picture to edit, or a video (every frame is edited with "
                        "one seed; --start/--end choose a range)")
    parser.add_argument("instruction", metavar="INSTRUCTION", help='what to change, e.g. "make it blue"')
    parser.add_argument("--model", default="", metavar="PATH_OR_NAME",
                        help="an InstructPix2Pix model: a diffusers folder, a .safetensors file, or its name in the "
                             "model folders [default: 'studio models options --default-edit']")
    parser.add_argument("--image-guidance", dest="image_guidance", type=float, default=1.5, metavar="X",
                        help="how closely to keep the original picture, 1..10 (raise it when the edit changes too "
                             "much) [default: 1.5]")
    parser.add_argument("--guidance", type=float, default=7.5, metavar="X",
                        help="how strongly to follow the instruction, 1..30 [default: 7.5]")
    parser.add_argument("--steps", type=int, default=20, metavar="N", help=f"denoising steps, 1..{MAX_STEPS} "
                        "[default: 20]")
    parser.add_argument("--seed", type=int, default=-1, metavar="N", help=f"random seed, 0..{MAX_SEED} "
                        "[default: a new one]")
    parser.add_argument("--mask", metavar="MASK", help="edit only where this picture is white (grayscale, or its "
                        "alpha); it must have the picture's size; pixels outside it stay as they were")
    parser.add_argument("--start", type=float, default=None, metavar="SEC", help="video: start in seconds")
    parser.add_argument("--end", type=float, default=None, metavar="SEC", help="video: end in seconds")
    parser.add_argument("--out", "-o", metavar="OUT", help="where to write the result [default: IMAGE-edited.png, "
                        "or VIDEO-edited.mp4]")
    for option, what in (("watermark", "the invisible watermark"), ("sign", "Content Credentials")):
        parser.add_argument(f"--{option}", dest=f"export_{option}", action=argparse.BooleanOptionalAction,
                            default=None, help=f"{what} on the result (default: the export settings)")


def _destination(source: Path, out: str | None, video: bool) -> Path:
    dest = Path(out) if out else source.with_name(f"{source.stem}-edited{'.mp4' if video else '.png'}")
    formats.export_format(dest, None, "clip" if video else "image")  # a clear error before any work
    known = formats.of_path(dest)
    if known is not None and known.kind != ("video" if video else "image") and not (video and dest.is_dir()):
        raise BadInputError(f"{dest.name}: the edit of a {'video' if video else 'picture'} is a "
                            f"{'video' if video else 'picture'}; give an output name with a "
                            f"{'.mp4, .webm or .gif' if video else '.png, .jpg or .webp'} ending.")
    if not dest.expanduser().resolve().parent.is_dir():
        raise BadInputError(f"The folder for the output does not exist: {dest.parent}")
    return dest


def _opened(path: Path, what: str) -> Path:
    if not path.is_file():
        raise BadInputError(f"The {what} {path} does not exist." if not path.exists() else f"{path} is not a file.")
    return path


def _progress(job: Any) -> None:
    if not sys.stderr.isatty() or not job.total:
        return
    done = int(24 * job.step / job.total)
    sys.stderr.write(f"\rEdit [{'#' * done}{'.' * (24 - done)}] {job.step}/{job.total} {job.message}"[:120]
                     + ("\n" if job.step >= job.total else ""))
    sys.stderr.flush()


def run(args: argparse.Namespace, ctx: PluginContext) -> int:
    check_instruction({"instruction": args.instruction})
    source = _opened(Path(args.file), "picture")
    video = formats.is_video(source)
    dest = _destination(source, args.out, video)
    params: dict[str, Any] = {"instruction": args.instruction, "model": args.model,
                              "image_guidance": args.image_guidance, "guidance": args.guidance, "steps": args.steps,
                              "seed": args.seed, "mask": None}
    if args.mask:
        mask_path = _opened(Path(args.mask), "mask")
        params["mask"] = Layer(load_mask(mask_path), name=mask_path.name, kind="mask",
                               record=Record.opened(str(mask_path), sha256_file(mask_path)))
    clip = None
    if video:
        clip = ClipInput.from_file(source, args.start, args.end)
        params["clip"] = clip
    else:
        loaded = load_image(source)
        params["image"] = Layer(loaded.pixels, name=source.name, record=Record.opened(str(source), loaded.sha256))
    job = ctx.run_action(EDIT_CLIP if video else EDIT_IMAGE, params, _progress)
    if job.state == JobState.FAILED:
        raise StudioError(job.error)
    if job.state != JobState.FINISHED or job.result is None:
        raise StudioError("Cancelled.")
    result = job.result
    options = ctx.export_options(args)
    if clip is not None:
        out = result.clips[0]
        frames = ClipInput.from_frames(out.frames, out.fps, out.name, out.record)
        frames.audio = list(clip.audio)  # the source's sound, over the same range
        report = ctx.export_clip(frames, dest, options)
        entry = report.to_dict() | {"kind": "clip", "size": list(out.size), "fps": out.fps, "frames": len(out.frames)}
    else:
        image = result.images[0]
        assert image.record is not None
        report = ctx.export_image(image.pixels, dest, image.record, options)
        entry = report.to_dict() | {"kind": "image",
                                    "size": [int(image.pixels.shape[1]), int(image.pixels.shape[0])]}
    if args.json:
        print(json.dumps({"action": job.action.id, "outputs": [entry], "messages": result.messages,
                          "data": result.data}, indent=2, default=str))
        return 0
    for message in result.messages:
        print(message)
    frames_text = f", {entry['frames']} frames at {entry['fps']:g} fps" if clip is not None else ""
    print(f"wrote {report.path} ({entry['size'][0]}×{entry['size'][1]} {report.format}{frames_text})")
    for notice in report.notices:
        print(f"  note: {notice}")
    return 0


COMMANDS = [Command(path=("edit",), help="change a picture (or every frame of a video) by an instruction, with an "
                    "InstructPix2Pix model", configure=configure, run=run)]
