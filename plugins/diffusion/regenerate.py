"""Regenerate an image from its record: the same settings through the same path, checked against the model hash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from studio.api import BadInputError, Command, JobState, Layer, PluginContext, Record, StudioError

from .edit_records import EDIT_IMAGE
from .edit_regenerate import regenerate_edit
from .hashing import model_sha256
from .library import ModelLibrary


def record_from_png(path: Path) -> Record:
    """The Studio record stored in a PNG's ``studio`` text chunk."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            text = getattr(im, "text", {}).get("studio")
    except FileNotFoundError:
        raise BadInputError(f"{path} does not exist.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BadInputError(f"{path.name} cannot be read: {exc}.") from None
    if not text:
        raise BadInputError(f"{path.name} carries no Studio record (no 'studio' PNG text chunk).")
    try:
        return Record.from_dict(json.loads(text))
    except (ValueError, TypeError) as exc:
        raise BadInputError(f"{path.name}: its Studio record is damaged ({exc}).") from None


def regenerate(ctx: PluginContext, record: Record, init: Layer | None = None, mask: Layer | None = None,
               model: str | None = None) -> tuple[np.ndarray, Record]:
    """Run the recorded generation again and return (pixels, new record) of the recorded batch position."""
    if record.action != "generate":
        raise BadInputError(f"This record is of '{record.action}', not of a generation.")
    action = ctx.action("generate")
    params = {k: v for k, v in record.params.items() if k in {p.name for p in action.params}}
    mode = record.extra.get("mode", "txt2img")
    if mode in ("img2img", "inpaint") and init is None:
        raise BadInputError("This image was made from an init image; give the same one (--init IMAGE).")
    if mode == "inpaint" and mask is None:
        raise BadInputError("This image was inpainted; give the same mask as well (--mask IMAGE).")
    params["init"] = init if mode != "txt2img" else None
    params["mask"] = mask if mode == "inpaint" else None
    wanted = (record.model or {}).get("sha256")
    library = ModelLibrary(ctx.settings)
    params["model"] = model or _find_model(library, params.get("model", ""), record, wanted)
    job = ctx.run_action(action, params)
    if job.state == JobState.FAILED:
        raise StudioError(job.error)
    if job.state != JobState.FINISHED or job.result is None:
        raise StudioError("The regeneration was cancelled.")
    index = int(record.extra.get("batch_index", 0))
    image = job.result.images[index]
    assert image.record is not None
    if wanted and image.record.model and image.record.model.get("sha256") != wanted:
        raise StudioError(f"The model '{params['model']}' is not the one recorded (its SHA-256 differs).",
                          "Give the recorded model with --model.")
    return image.pixels, image.record


def _find_model(library: ModelLibrary, ref: str, record: Record, wanted: str | None, kind: str = "checkpoint") -> str:
    """The recorded model reference if it still names the same file; else a library model with that hash."""
    try:
        info = library.resolve(ref or (record.model or {}).get("name", ""), kind)
        if not wanted or model_sha256(info.path) == wanted:
            return str(info.path)
    except StudioError:
        pass
    if wanted:
        for info in library.scan():
            if info.kind == kind and model_sha256(info.path) == wanted:
                return str(info.path)
    name = (record.model or {}).get("name", ref)
    raise BadInputError(f"The recorded model '{name}' (SHA-256 {str(wanted)[:12]}…) was not found.",
                        "Add its folder with 'studio models folders --add PATH' or give it with --model.")


def _configure(parser: Any) -> None:
    parser.add_argument("file", metavar="FILE", help="a PNG written by 'studio generate' (its record is inside)")
    parser.add_argument("--init", metavar="IMAGE", help="the init image, for image-to-image results; for an edit "
                        "by instruction, the edited picture (found from the record when it is still where it was)")
    parser.add_argument("--mask", metavar="IMAGE", help="the mask, for inpainted results and masked edits")
    parser.add_argument("--model", metavar="PATH_OR_NAME", help="the model, if it moved")
    parser.add_argument("--out", "-o", metavar="FILE", help="where to write the regenerated image")


def _run(args: Any, ctx: PluginContext) -> int:
    from studio.api import load_image, load_mask

    source = Path(args.file)
    record = record_from_png(source)
    init = mask = None
    if args.init:
        loaded = load_image(args.init)
        init = Layer(loaded.pixels, name=Path(args.init).name, record=Record.opened(args.init, loaded.sha256))
    if args.mask:
        mask = Layer(load_mask(args.mask), name=Path(args.mask).name, kind="mask")
    if record.action == EDIT_IMAGE:
        pixels, new_record = regenerate_edit(ctx, record, init, mask, args.model)
    else:
        pixels, new_record = regenerate(ctx, record, init, mask, args.model)
    out = Path(args.out) if args.out else source.with_name(f"{source.stem}-regenerated.png")
    same = None
    if source.suffix.lower() == ".png":  # the new pixels, before export steps, against the original file's
        original = load_image(source).pixels[..., :3]
        same = bool(original.shape == pixels[..., :3].shape and np.array_equal(original, pixels[..., :3]))
    report = ctx.export_image(pixels, out, new_record, ctx.export_options())
    if args.json:
        print(json.dumps({"path": str(out), "identical_pixels": same, "export": report.to_dict()}, indent=2))
    else:
        print(f"wrote {out}")
        if same is True:
            print("pixels: identical to the original")
        elif same is False:
            print("pixels: differ from the original file (expected if that file was exported with an invisible "
                  "watermark, or edited)")
    return 0


COMMANDS = [Command(path=("regenerate",), help="make a generated or edited PNG again from the record inside it",
                    configure=_configure, run=_run)]
