"""``studio ground FILE QUERY``: boxes for what the query names, on a picture or every frame of a video."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import BadInputError, Box, PluginContext, StudioError, formats

from . import engine
from .types import Found

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.api import lazy_numpy as np

PALETTE = [(255, 214, 0), (0, 200, 255), (255, 80, 160), (120, 255, 90), (255, 140, 0), (190, 120, 255),
           (255, 255, 255), (0, 255, 200)]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a picture or a video")
    parser.add_argument("query", metavar="QUERY", nargs="?", default=None,
                        help='what to find, e.g. "the red circle" or "faces"; several at once separated by "."')
    parser.add_argument("--model", metavar="MODEL",
                        help="a model folder (Grounding DINO, OWLv2, OWL-ViT, Florence-2), a name from the model "
                             "folders, or 'faces' [default: the built-in shapes-world model; faces go to the face "
                             "detector]")
    parser.add_argument("--threshold", type=float, default=0.3, metavar="X",
                        help="lowest score of a box, 0..1 [default: 0.3]")
    parser.add_argument("--max-boxes", type=int, default=10, metavar="N", help="at most N boxes per query "
                        "(per frame on a video) [default: 10]")
    parser.add_argument("--ask", metavar="QUESTION",
                        help='answer a question about the picture ("what colour is the star?") with the box it '
                             "rests on")
    parser.add_argument("--frame", type=int, default=None, metavar="N", help="video: only frame N (from 0)")
    parser.add_argument("--overlay", metavar="OUT", help="write the picture (PNG/JPEG) or the video (MP4/WebM/GIF) "
                        "with the boxes drawn")
    parser.add_argument("--coco", metavar="OUT.json", help="write the boxes as COCO JSON")
    parser.add_argument("--mask", metavar="OUT.png", help="picture: write a mask (white where the found objects "
                        "are) for inpainting or an edit")


def _model_folders(ctx: PluginContext) -> list[Path]:
    return [Path(p).expanduser() for p in ctx.settings.get("model_dirs", []) if p]


def _check_outputs(args: argparse.Namespace, video: bool) -> None:
    if args.overlay:
        suffix = Path(args.overlay).suffix.lower()
        if video and args.frame is None:
            if suffix not in (".mp4", ".webm", ".gif"):
                raise BadInputError(f"--overlay for a video writes a video: give it an .mp4, .webm or .gif name, "
                                    f"not {Path(args.overlay).name!r}.")
        elif suffix not in (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"):
            raise BadInputError("--overlay writes a picture: give it a .png or .jpg name, "
                                f"not {Path(args.overlay).name!r}.")
    if args.mask:
        if video and args.frame is None:
            raise BadInputError("--mask writes the mask of one picture: for a video add --frame N.")
        if Path(args.mask).suffix.lower() not in (".png", ".tif", ".tiff", ".webp"):
            raise BadInputError("--mask writes a lossless picture: give it a .png name.")
    if args.coco and Path(args.coco).suffix.lower() != ".json":
        raise BadInputError("--coco writes JSON: give it a .json name.")
    for name in ("overlay", "coco", "mask"):
        value = getattr(args, name)
        if value and not Path(value).expanduser().resolve().parent.is_dir():
            raise BadInputError(f"The folder for --{name} does not exist: {Path(value).parent}")


def draw_boxes(rgb: np.ndarray, boxes: list[Box]) -> np.ndarray:
    """The picture with each box drawn (a colour per track or label) and its label."""
    import cv2

    out = np.ascontiguousarray(rgb[..., :3]).copy()
    h, w = out.shape[:2]
    thick = max(1, round(min(h, w) / 200))
    labels: dict[str, int] = {}
    for b in boxes:
        key = b.track_id if b.track_id is not None else labels.setdefault(b.label, len(labels))
        colour = PALETTE[int(key) % len(PALETTE)]
        p0, p1 = (int(round(b.x0)), int(round(b.y0))), (int(round(b.x1)) - 1, int(round(b.y1)) - 1)
        cv2.rectangle(out, p0, p1, colour, thick)
        text = b.label + (f" {b.score:.2f}" if b.score is not None else "")
        scale = max(0.3, min(h, w) / 700)
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        ty = p0[1] - 2 if p0[1] - th - 4 >= 0 else min(h - 1, p1[1] + th + 2)
        cv2.rectangle(out, (p0[0], ty - th - 2), (min(w - 1, p0[0] + tw + 2), ty + 2), colour, -1)
        cv2.putText(out, text, (p0[0] + 1, ty), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def _write_picture(path: Path, rgb: np.ndarray) -> None:
    import cv2

    from studio.api import atomic_path

    with atomic_path(path) as tmp:
        ok, data = cv2.imencode(path.suffix.lower(), rgb[..., ::-1] if rgb.ndim == 3 else rgb)
        if not ok:
            raise StudioError(f"Could not encode {path.name}.")
        tmp.write_bytes(data.tobytes())


def _box_json(b: Box, video: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"label": b.label, "score": None if b.score is None else round(float(b.score), 4),
                            "box": [round(float(v), 2) for v in (b.x0, b.y0, b.x1, b.y1)]}
    if video:
        item["frame"] = b.frame
        item["track"] = b.track_id
    return item


def sam_folder(folders: list[Path]) -> Path | None:
    """The first SAM/SAM2 model in the grounding model folders (boxes become masks with it), or None."""
    from .library import find_models

    for model in find_models(folders):
        if model.segments:
            return model.path
    return None


def mask_of(rgb: np.ndarray, found: list[Found], sam: Path | None = None,
            cache: dict[str, Any] | None = None) -> tuple[np.ndarray, list[str]]:
    """One mask (uint8 0/255) of every found object: box-prompted SAM when a SAM model is given, else GrabCut
    from the box (seeded by the detector's own mask when it gives one)."""
    from .masks import box_to_mask

    h, w = rgb.shape[:2]
    out = np.zeros((h, w), dtype=bool)
    methods = []
    for f in found:
        hint = f.mask if f.mask is not None and f.mask.shape == (h, w) and f.mask.any() else None
        m, method = box_to_mask(rgb, f.box, sam_folder=sam, hint_mask=None if sam else hint, cache=cache)
        out |= m
        methods.append(method)
    return out.astype(np.uint8) * 255, methods


def run(args: argparse.Namespace, ctx: PluginContext) -> int:
    from studio.api import load_image

    path = Path(args.file)
    if not path.exists():
        raise BadInputError(f"No such file: {path}")
    threshold = engine.check_threshold(args.threshold)
    max_boxes = engine.check_max_boxes(args.max_boxes)
    if args.query is None and not args.ask:
        raise BadInputError("Say what to find (a QUERY such as \"the red circle\") or ask a question with --ask.")
    from .query import split_queries

    query_list = split_queries(args.query) if args.query is not None else []
    if args.ask is not None and not args.ask.split():
        raise BadInputError("The question is empty: ask e.g. --ask \"what colour is the star?\"")
    video = formats.is_video(path, sniff=True)
    _check_outputs(args, video)
    backend = engine.open_backend(args.model, _model_folders(ctx))

    if video and args.frame is None and not args.ask:
        return _run_video(args, ctx, path, backend, query_list, threshold, max_boxes)
    if video:
        rgb, size = _video_frame(path, args.frame or 0)
    else:
        loaded = load_image(path)
        rgb = loaded.pixels[..., :3]
        size = (rgb.shape[1], rgb.shape[0])
    result: dict[str, Any] = {"file": str(path), "model": backend.name, "size": list(size)}
    frame = args.frame if video else None
    found: list[Found] = []
    if query_list:
        found = backend.detect(rgb, query_list, threshold, max_boxes)
    if args.ask:
        ans = backend.answer(rgb, args.ask)
        result["question"] = args.ask
        result["answer"] = ans.answer
        found = found + ans.found if query_list else ans.found
    boxes = engine.to_boxes(found, frame)
    result["boxes"] = [_box_json(b, False) | ({"frame": frame} if video else {}) for b in boxes]
    notes = list(getattr(backend, "notes", []))
    if notes:
        result["notes"] = notes
    written = _write_outputs(args, ctx, rgb, boxes, found, size, path, None)
    if written:
        result["written"] = written
    if getattr(args, "mask_method", None):
        result["mask_method"] = args.mask_method
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    if args.ask:
        print(f"answer: {result['answer']}")
    if not boxes:
        print("no box: nothing matched" + (f" {args.query!r}" if args.query else ""))
    for b in boxes:
        print(f"{b.label}: [{b.x0:.0f}, {b.y0:.0f}, {b.x1:.0f}, {b.y1:.0f}] score {b.score:.2f}")
    for note in notes:
        print(f"note: {note}")
    for w in written:
        print(f"wrote {w}")
    return 0


def _video_frame(path: Path, index: int) -> tuple[np.ndarray, tuple[int, int]]:
    from studio.api import ClipInput

    clip = ClipInput.from_file(path)
    if not 0 <= index < clip.count:
        raise BadInputError(f"--frame {index} is outside the video (frames 0 to {clip.count - 1}).")
    for i, frame in enumerate(clip.frames()):
        if i == index:
            return frame[..., :3], clip.size
    raise BadInputError(f"The video ended before frame {index}.")


def _write_outputs(args: argparse.Namespace, ctx: PluginContext, rgb: np.ndarray | None, boxes: list[Box],
                   found: list[Found],
                   size: tuple[int, int], path: Path, video: engine.VideoResult | None) -> list[str]:
    written = []
    if args.coco:
        from studio.api import write_coco

        if video is not None:
            write_coco(Path(args.coco), boxes, size, path.name, frame_count=video.frames, fps=video.fps)
        else:
            write_coco(Path(args.coco), boxes, size, path.name)
        written.append(str(args.coco))
    if args.mask and rgb is not None:
        mask, methods = mask_of(rgb, found, sam_folder(_model_folders(ctx)), ctx.state)
        _write_picture(Path(args.mask), mask)
        written.append(str(args.mask))
        args.mask_method = ", ".join(dict.fromkeys(methods))
    if args.overlay and rgb is not None and video is None:
        _write_picture(Path(args.overlay), draw_boxes(rgb, boxes))
        written.append(str(args.overlay))
    return written


def _run_video(args: argparse.Namespace, ctx: PluginContext, path: Path, backend: Any, query_list: list[str],
               threshold: float, max_boxes: int) -> int:
    from studio.api import ClipInput

    clip = ClipInput.from_file(path)
    res = engine.ground_frames(backend, clip.frames(), query_list, threshold, max_boxes, clip.fps, clip.count,
                               clip.size)
    notes = res.notes + list(getattr(backend, "notes", []))
    written = _write_outputs(args, ctx, None, res.boxes, [], clip.size, path, res)
    if args.overlay:
        from studio.api import Record, encode_video

        by_frame: dict[int, list[Box]] = {}
        for b in res.boxes:
            by_frame.setdefault(int(b.frame or 0), []).append(b)
        frames = (draw_boxes(f, by_frame.get(i, [])) for i, f in enumerate(ClipInput.from_file(path).frames()))
        out = Path(args.overlay)
        fmt = {".mp4": "MP4", ".webm": "WEBM", ".gif": "GIF"}[out.suffix.lower()]
        encode_video(frames, out, fmt, clip.fps, clip.size, Record.opened(str(path), ""), count=res.frames)
        written.append(str(out))
    tracks = sorted({b.track_id for b in res.boxes if b.track_id is not None})
    result = {"file": str(path), "model": backend.name, "size": list(clip.size), "fps": clip.fps,
              "frames": res.frames, "tracks": len(tracks), "boxes": [_box_json(b, True) for b in res.boxes]}
    if notes:
        result["notes"] = notes
    if written:
        result["written"] = written
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    with_box = len({b.frame for b in res.boxes})
    print(f"{res.frames} frames: {len(res.boxes)} boxes in {with_box} frames, {len(tracks)} tracks")
    for t in tracks:
        own = [b for b in res.boxes if b.track_id == t]
        print(f"  track {t}: {own[0].label}, frames {own[0].frame}–{own[-1].frame} ({len(own)} boxes)")
    for note in notes:
        print(f"note: {note}")
    for w in written:
        print(f"wrote {w}")
    return 0
