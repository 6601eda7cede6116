"""``studio motion list|info|folders|options`` and ``studio video regenerate``; :func:`regenerate_clip`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio.api import BadInputError, ClipInput, Command, JobState, OutputClip, PluginContext, Record, StudioError

from .engine import folder_digest
from .modules import MotionLibrary, inspect_motion

FOLDER_KEYS = {"add": "motion_dirs", "a1111": "a1111_dirs", "comfyui": "comfyui_dirs", "models": "model_dirs"}


def regenerate_clip(ctx: PluginContext, record: Record, init_video: ClipInput | None = None,
                    model: str | None = None, motion_module: str | None = None) -> OutputClip:
    """Run a recorded ``video.generate`` again (a timeline FramesClip's record, or one read from a file)."""
    if record.action != "video.generate":
        raise BadInputError(f"This record is of '{record.action}', not of a generated video.")
    action = ctx.action("video.generate")
    names = {p.name for p in action.params}
    params = {k: v for k, v in record.params.items() if k in names}
    if record.extra.get("mode") == "vid2vid" and init_video is None:
        raise BadInputError("This clip was made from an init video; give the same one (--init-video FILE).")
    params["init_video"] = init_video
    if model:
        params["model"] = model
    if motion_module:
        params["motion_module"] = motion_module
    wanted = (record.extra.get("motion_module") or {}).get("sha256")
    job = ctx.run_action(action, params)
    if job.state == JobState.FAILED:
        raise StudioError(job.error)
    if job.state != JobState.FINISHED or job.result is None or not job.result.clips:
        raise StudioError("The regeneration was cancelled.")
    clip = job.result.clips[0]
    got = ((clip.record.extra if clip.record else {}).get("motion_module") or {}).get("sha256")
    if wanted and got != wanted:
        raise StudioError("The motion module found is not the one recorded (its SHA-256 differs).",
                          "Give the recorded module with --motion-module.")
    return clip


def record_from_video(path: Path) -> Record:
    """The Studio record a video written by Studio carries in its ``comment`` metadata."""
    import av

    try:
        with av.open(str(path)) as container:
            text = container.metadata.get("comment", "")
    except FileNotFoundError:
        raise BadInputError(f"{path} does not exist.") from None
    except (av.error.FFmpegError, OSError) as exc:
        raise BadInputError(f"{path.name} cannot be read: {exc}.") from None
    try:
        return Record.from_dict(json.loads(text))
    except (ValueError, TypeError):
        raise BadInputError(f"{path.name} carries no Studio record.") from None


def _regen_configure(parser: Any) -> None:
    parser.add_argument("file", metavar="FILE", help="an MP4/WebM written by 'studio video generate'")
    parser.add_argument("--init-video", metavar="VIDEO", help="the init video, for video-to-video clips")
    parser.add_argument("--model", metavar="FOLDER", help="the model, if it moved")
    parser.add_argument("--motion-module", metavar="PATH", help="the motion module, if it moved")
    parser.add_argument("--out", "-o", metavar="FILE", help="where to write the clip (default: FILE-regenerated.mp4)")


def _regen_run(args: Any, ctx: PluginContext) -> int:
    source = Path(args.file)
    record = record_from_video(source)
    init = ClipInput.from_file(args.init_video) if args.init_video else None
    clip = regenerate_clip(ctx, record, init, args.model, args.motion_module)
    out = Path(args.out) if args.out else source.with_name(f"{source.stem}-regenerated.mp4")
    assert clip.record is not None
    report = ctx.export_clip(ClipInput.from_frames(clip.frames, clip.fps, clip.name, clip.record), out,
                             ctx.export_options(args))
    if args.json:
        print(json.dumps({"path": str(out), "frames": len(clip.frames), "export": report.to_dict()}, indent=2))
    else:
        print(f"wrote {out} ({len(clip.frames)} frames)")
    return 0


def _list_run(args: Any, ctx: PluginContext) -> int:
    found = MotionLibrary(ctx.settings).scan()
    if args.json:
        print(json.dumps([m.to_dict() for m in found], indent=2))
    else:
        for m in found:
            print(f"{m.name:<32} {m.kind.label}\n{'':<32} {m.path} [{m.source}]")
        if not found:
            print("No motion modules found. Add a folder with 'studio motion folders --add PATH'.")
    return 0


def _info_configure(parser: Any) -> None:
    parser.add_argument("path", metavar="PATH", help="a motion module or motion LoRA file, or a MotionAdapter folder")
    parser.add_argument("--no-hash", action="store_true", help="do not compute the SHA-256")


def _info_run(args: Any, ctx: PluginContext) -> int:
    item = inspect_motion(args.path, bool(ctx.settings.get("allow_pickle", False)))
    data = item.to_dict() | {"details": item.kind.details}
    if not args.no_hash:
        data["sha256"] = folder_digest(item.path)
    print(json.dumps(data, indent=2) if args.json else f"{item.name}: {item.kind.label}\n  path: {item.path}")
    return 0


def _folders_configure(parser: Any) -> None:
    parser.add_argument("--add", metavar="PATH", action="append", default=[], help="a folder of motion modules")
    parser.add_argument("--models", metavar="PATH", action="append", default=[],
                        help="a folder of text-to-image models (diffusers folders)")
    parser.add_argument("--a1111", metavar="ROOT", action="append", default=[],
                        help="an AUTOMATIC1111 installation (models/AnimateDiff, models/motion_lora, the extension)")
    parser.add_argument("--comfyui", metavar="ROOT", action="append", default=[],
                        help="a ComfyUI installation (models/animatediff_models, models/AnimateDiff)")


def _folders_run(args: Any, ctx: PluginContext) -> int:
    for option, key in FOLDER_KEYS.items():
        for folder in getattr(args, option):
            path = Path(folder).expanduser().resolve()
            if not path.is_dir():
                raise BadInputError(f"{folder} is not a folder.")
            current = ctx.settings.setdefault(key, [])
            if str(path) not in current:
                current.append(str(path))
    ctx.save_settings()
    roots = [{"path": str(p), "source": s, "exists": p.is_dir()} for p, s in MotionLibrary(ctx.settings).roots()]
    print(json.dumps(roots, indent=2) if args.json else "\n".join(f"{r['source']:<14} {r['path']}" for r in roots))
    return 0


def _options_configure(parser: Any) -> None:
    import argparse

    parser.add_argument("--allow-pickle", dest="allow_pickle", action=argparse.BooleanOptionalAction, default=None,
                        help="load .ckpt/.pt modules weights-only (never full unpickling)")
    parser.add_argument("--cpu-offload", dest="cpu_offload", choices=("none", "model"))
    parser.add_argument("--default", dest="default_module", metavar="PATH", help="the motion module used by default")


def _options_run(args: Any, ctx: PluginContext) -> int:
    for name in ("allow_pickle", "cpu_offload", "default_module"):
        value = getattr(args, name)
        if value is not None:
            ctx.settings[name] = value
    ctx.save_settings()
    shown = {k: v for k, v in ctx.settings.items() if not k.endswith("_dirs")}
    print(json.dumps(shown, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in shown.items()))
    return 0


COMMANDS = [
    Command(("motion", "list"), "list the motion modules and motion LoRAs Studio can find", lambda p: None, _list_run),
    Command(("motion", "info"), "identify a motion module or motion LoRA from its header", _info_configure, _info_run),
    Command(("motion", "folders"), "add folders searched for motion modules (incl. AUTOMATIC1111, ComfyUI)",
            _folders_configure, _folders_run),
    Command(("motion", "options"), "pickles, CPU offload and the default motion module", _options_configure,
            _options_run),
    Command(("video", "regenerate"), "make a generated clip again from the record inside it", _regen_configure,
            _regen_run),
]
