"""The ``video.generate`` action (``studio video generate``): text-to-video and video-to-video with a motion module.

Everything the user gave is checked before anything is loaded or written: the prompt, the frame count, the size,
the prompt-travel frames, the checkpoint and the motion module (truncated, pickled, made for another base), the
motion LoRAs and the init video (it must decode and hold enough frames).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.api import lazy_numpy as np

from studio.api import (
    TRAINED_ALGORITHMIC_MEDIA,
    Action,
    ActionResult,
    BadInputError,
    ClipInput,
    Ingredient,
    JobContext,
    OutputClip,
    Param,
    Progress,
    Record,
    __version__,
)

from .engine import check_fits, engine_for, library_for, resolve_model
from .modules import MotionFile
from .worker import run_animatediff

MAX_FRAMES = 512
MAX_SIDE = 2048
MAX_SEED = 2**31 - 1
WINDOW = 16  # the frames AnimateDiff modules were trained on; longer clips use context windows

PARAMS = (
    Param("prompt", "text", required=True, help="what happens in the clip"),
    Param("negative_prompt", "text", "", help="what to avoid"),
    Param("model", "str", "", help="the text-to-image model: a diffusers folder or its name (empty: the built-in "
          "model)", metavar="FOLDER"),
    Param("motion_module", "str", "", help="an AnimateDiff motion module (.safetensors or MotionAdapter folder) or "
          "its name (empty: the built-in module)", metavar="PATH_OR_NAME", label="Motion module"),
    Param("frames", "int", 16, help="how many frames", minimum=1, maximum=MAX_FRAMES),
    Param("fps", "float", 8.0, help="frames per second of the clip", minimum=1.0, maximum=60.0),
    Param("seed", "int", -1, help="random seed (-1: a new one each time)", minimum=-1, maximum=MAX_SEED,
          minimum_label="Random", random_button=True),
    Param("steps", "int", 0, help="denoising steps (0: the model's or the module's default)", minimum=0,
          maximum=200, minimum_label="Default"),
    Param("guidance", "float", -1.0, help="classifier-free guidance (-1: the default)", minimum=-1.0, maximum=30.0,
          step=0.5),
    Param("size", "str", "", help="WIDTHxHEIGHT (empty: the model's native size)", metavar="WxH"),
    Param("loop", "bool", False, help="make the last frame lead into the first (the seam is denoised inside the "
          "motion module's window)"),
    Param("prompt_at", "text", "", help="prompt travel: from frame FRAME on, TEXT is the prompt", metavar="FRAME:TEXT",
          label="Prompt travel", repeat=True),
    Param("init_video", "clip", help="start from this video (video-to-video)", metavar="VIDEO", label="Init video"),
    Param("strength", "float", 0.6, help="how much of the init video to repaint (0..1)", minimum=0.0, maximum=1.0,
          step=0.05),
    Param("motion_lora", "text", "", help="a motion LoRA as FILE[:WEIGHT]", metavar="FILE[:WEIGHT]",
          label="Motion LoRAs", repeat=True),
    Param("context_length", "int", WINDOW, help="frames per context window for clips longer than it", minimum=4,
          maximum=64),
    Param("context_stride", "int", 4, help="frames between context windows", minimum=1, maximum=32),
    Param("decode_chunk", "int", 8, help="frames decoded at once (lower: less memory)", minimum=1, maximum=64),
)


@dataclass
class Plan:
    """A run's concrete settings, all checked."""

    prompt: str
    travel: dict[int, str]
    frames: int
    width: int
    height: int
    steps: int
    guidance: float
    seed: int
    model: Path
    module: MotionFile
    loras: list[tuple[MotionFile, float]]
    init: list[np.ndarray] | None
    windows: bool


def parse_size(text: str) -> tuple[int, int] | None:
    text = text.strip().lower().replace("×", "x").replace(" ", "")
    if not text:
        return None
    match = re.fullmatch(r"(\d+)(?:x(\d+))?", text)
    if not match:
        raise BadInputError(f"The size '{text}' is not WIDTHxHEIGHT (for example 512x512).")
    return int(match.group(1)), int(match.group(2) or match.group(1))


def parse_travel(text: str, prompt: str, frames: int) -> dict[int, str]:
    """``FRAME:TEXT`` lines → {frame: prompt}, frame 0 being the main prompt."""
    travel = {0: prompt}
    for line in filter(None, (part.strip() for part in text.splitlines())):
        head, sep, body = line.partition(":")
        if not sep or not head.strip().isdigit() or not body.strip():
            raise BadInputError(f"Prompt travel '{line}' is not FRAME:TEXT (for example 8:a blue square).")
        frame = int(head)
        if not 0 <= frame < frames:
            raise BadInputError(f"Prompt travel at frame {frame}: the clip has frames 0–{frames - 1}.")
        travel[frame] = body.strip()
    return dict(sorted(travel.items()))


def parse_loras(text: str) -> list[tuple[str, float]]:
    out = []
    for line in filter(None, (part.strip() for part in text.replace(",", "\n").splitlines())):
        match = re.fullmatch(r"(.+?):(-?\d+(?:\.\d*)?)", line)
        name, weight = (match.group(1), float(match.group(2))) if match else (line, 1.0)
        out.append((name.strip(), weight))
    return out


def native_size(model: Path) -> int:
    try:
        unet = json.loads((model / "unet" / "config.json").read_text(encoding="utf-8"))
        vae = json.loads((model / "vae" / "config.json").read_text(encoding="utf-8"))
        return int(unet["sample_size"]) * 2 ** (len(vae["block_out_channels"]) - 1)
    except (OSError, ValueError, KeyError, TypeError):
        return 512


def model_defaults(model: Path) -> dict[str, Any]:
    try:
        data = json.loads((model / "studio.json").read_text(encoding="utf-8"))
        return dict(data.get("defaults") or {})
    except (OSError, ValueError, AttributeError):
        return {}


def init_frames(clip: ClipInput, frames: int, width: int, height: int) -> list[np.ndarray]:
    """The first ``frames`` frames of the init video, at the clip's size; BadInputError if it does not decode."""
    import cv2

    if clip.count < frames:
        raise BadInputError(f"The init video {clip.name} has {clip.count} frames; {frames} were asked for.",
                            f"Ask for at most {clip.count} frames (--frames {clip.count}).")
    out: list[np.ndarray] = []
    try:
        for pixels in clip.frames():
            out.append(cv2.resize(np.ascontiguousarray(pixels[..., :3]), (width, height),
                                  interpolation=cv2.INTER_AREA))
            if len(out) == frames:
                break
    except BadInputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure is the file's fault
        raise BadInputError(f"The init video {clip.name} does not decode: {str(exc)[:200]}") from None
    if len(out) < frames:
        raise BadInputError(f"The init video {clip.name} decoded only {len(out)} of {frames} frames.")
    return out


def plan(ctx: JobContext, params: dict[str, Any]) -> Plan:
    """Check everything and fill in the defaults; nothing is loaded (but headers) and nothing written."""
    settings = ctx.plugin.settings
    prompt = str(params["prompt"]).strip()
    if not prompt:
        raise BadInputError("Write a prompt first.")
    frames = int(params["frames"])
    if not 1 <= frames <= MAX_FRAMES:
        raise BadInputError(f"A clip has 1 to {MAX_FRAMES} frames, not {frames}.")
    travel = parse_travel(str(params.get("prompt_at") or ""), prompt, frames)
    size = parse_size(str(params["size"]))
    model = resolve_model(settings, str(params["model"]))
    library = library_for(ctx.plugin)
    module = library.resolve(str(params["motion_module"]), "module")
    check_fits(module, model)
    loras = []
    for ref, weight in parse_loras(str(params.get("motion_lora") or "")):
        lora = library.resolve(ref, "lora")
        if lora.kind.channels[: len(module.kind.channels)] != module.kind.channels:
            raise BadInputError(f"The motion LoRA {lora.path.name} is for channels {lora.kind.channels}, not for the "
                                f"module {module.name} ({module.kind.channels}).")
        loras.append((lora, weight))
    defaults = {**model_defaults(model), **module.kind.defaults}
    if size is None:
        size = parse_size(str(defaults.get("size", ""))) or (native_size(model),) * 2
    width, height = size
    if not (16 <= width <= MAX_SIDE and 16 <= height <= MAX_SIDE) or width % 8 or height % 8:
        raise BadInputError(f"The size {width}x{height} must be multiples of 8 between 16 and {MAX_SIDE}.")
    steps = int(params["steps"]) or int(defaults.get("steps", 20))
    guidance = float(params["guidance"])
    if guidance < 0:
        guidance = float(defaults.get("guidance", 7.5))
    clip = params.get("init_video")
    init = init_frames(clip, frames, width, height) if clip is not None else None
    strength = float(params["strength"])
    if init is not None and int(steps * strength) < 1:
        raise BadInputError(f"{steps} steps at strength {strength:g} leave no step to run; raise either.")
    seed = int(params["seed"])
    if seed < 0:
        seed = secrets.randbelow(MAX_SEED + 1)
    window = min(int(params["context_length"]), module.kind.positions)
    windows = frames > window
    if frames > module.kind.positions and not windows:
        raise BadInputError(f"{frames} frames exceed the module's {module.kind.positions} positions.")
    return Plan(prompt, travel, frames, width, height, steps, guidance, seed, model, module, loras, init, windows)


def _hold(start: int, end: int, start_tensor: Any, end_tensor: Any) -> Any:
    """Prompt travel as cuts: a frame keeps its prompt until the next travel frame (no blend before it)."""
    import torch

    return torch.cat([start_tensor.repeat(end - start, 1, 1), end_tensor], dim=0)


def _scheduler(pipe: Any, original: Any, variant: str) -> Any:
    from diffusers import EulerDiscreteScheduler, LCMScheduler

    if variant == "lightning":
        return EulerDiscreteScheduler.from_config(original.config, timestep_spacing="trailing",
                                                  beta_schedule="linear")
    if variant == "lcm":
        return LCMScheduler.from_config(original.config, beta_schedule="linear")
    return type(original).from_config(original.config)


def run_generate(ctx: JobContext, params: dict[str, Any]) -> Generator[Progress, None, ActionResult]:
    import torch
    from PIL import Image

    p = plan(ctx, params)
    plugin = ctx.plugin
    choice = plugin.runtime.choice()
    engine = engine_for(plugin)
    yield Progress(0, 1, f"loading {p.model.name} + {p.module.name}")
    loaded = engine.load(p.model, p.module, choice.device, choice.dtype if choice.device != "cpu" else "float32",
                         str(plugin.settings.get("cpu_offload", "none")))
    ctx.check_cancelled()
    mode = "vid2vid" if p.init is not None else "txt2vid"
    pipe = engine.pipeline(loaded, mode)
    pipe.scheduler = _scheduler(pipe, loaded.scheduler, p.module.kind.variant)
    window = min(int(params["context_length"]), p.module.kind.positions)
    stride = int(params["context_stride"])
    travel = len(p.travel) > 1
    wanted = (min(window, p.frames), stride) if p.windows or travel else None
    current = next(((o._free_noise_context_length, o._free_noise_context_stride) for o in loaded.modes.values()
                    if o.free_noise_enabled), None)
    if wanted != current or not (pipe.free_noise_enabled or wanted is None):
        # FreeNoise swaps the UNet's transformer blocks by copying their weights, which LoRA-wrapped layers
        # break (diffusers): unload the LoRAs first; set_loras loads them again below
        engine.unload_loras(loaded)
        for other in loaded.modes.values():  # the pipelines share one UNet
            if other.free_noise_enabled:
                other.disable_free_noise()
        if wanted is not None:
            pipe.enable_free_noise(context_length=wanted[0], context_stride=wanted[1],
                                   prompt_interpolation_callback=_hold)
    lora_records = engine.set_loras(loaded, p.loras)
    kwargs: dict[str, Any] = {
        "prompt": p.travel if travel else p.prompt,
        "negative_prompt": str(params["negative_prompt"]) or None,
        "num_frames": p.frames, "height": p.height, "width": p.width,
        "num_inference_steps": p.steps, "guidance_scale": p.guidance,
        "generator": torch.Generator("cpu").manual_seed(p.seed),
        "output_type": "np", "decode_chunk_size": int(params["decode_chunk"]),
    }
    total = p.steps
    if p.init is not None:
        kwargs.pop("num_frames")
        kwargs["video"] = [Image.fromarray(f) for f in p.init]
        kwargs["strength"] = float(params["strength"])
        total = max(1, int(p.steps * float(params["strength"])))
    output = yield from run_animatediff(engine, pipe, kwargs, lambda: ctx.cancelled, total, bool(params["loop"]),
                                       p.frames, preview_every=max(1, total // 8))
    video = np.asarray(output.frames[0])
    frames = [(np.clip(f, 0.0, 1.0) * 255.0).round().astype(np.uint8) for f in video]
    record = _record(ctx, params, p, loaded, pipe, lora_records, window, stride)
    clip = OutputClip(frames, fps=float(params["fps"]), name=f"{p.prompt[:40]} (seed {p.seed})", record=record)
    return ActionResult(clips=[clip], data={"seed": p.seed, "frames": len(frames), "windows": p.windows})


def prompts_per_frame(travel: dict[int, str], frames: int) -> list[str]:
    keys = sorted(travel)
    return [travel[max(k for k in keys if k <= f)] for f in range(frames)]


def _record(ctx: JobContext, params: dict[str, Any], p: Plan, loaded: Any, pipe: Any,
            loras: list[dict[str, Any]], window: int, stride: int) -> Record:
    concrete = {k: params[k] for k in ("prompt", "negative_prompt", "fps", "loop", "prompt_at", "strength",
                                      "motion_lora", "context_length", "context_stride", "decode_chunk")}
    concrete.update(model=str(params["model"]).strip() or p.model.name,
                    motion_module=str(params["motion_module"]).strip() or p.module.name,
                    frames=p.frames, seed=p.seed, steps=p.steps, guidance=p.guidance, size=f"{p.width}x{p.height}")
    extra = {
        "mode": "vid2vid" if p.init is not None else "txt2vid",
        "motion_module": {"name": p.module.name, "sha256": loaded.module_sha256, **p.module.kind.to_dict()},
        "prompts": {str(k): v for k, v in p.travel.items()},
        "prompts_per_frame": prompts_per_frame(p.travel, p.frames),
        "context_windows": {"used": p.windows, "length": min(window, p.frames), "stride": stride,
                            "method": "diffusers FreeNoise"} if p.windows or len(p.travel) > 1 else {"used": False},
        "loop": {"asked": bool(params["loop"]),
                 "method": "latents rolled along the frames every step (seam inside the window), unrolled at the end"}
        if params["loop"] else {"asked": False},
        "scheduler": type(pipe.scheduler).__name__, "motion_loras": loras,
        "noise": "one cpu generator (seed)", "studio": __version__,
    }
    model = {"name": p.model.name, "sha256": loaded.model_sha256, "family": "sd1", "format": "diffusers"}
    record = Record(action="video.generate", title=p.prompt[:48], c2pa_action="c2pa.created",
                    params=concrete, digital_source=TRAINED_ALGORITHMIC_MEDIA, model=model, extra=extra)
    record.plugin = ctx.plugin.name
    record.plugin_version = ctx.plugin.version
    clip = params.get("init_video")
    if clip is not None:
        source = clip.sources[0] if clip.sources else None
        record.ingredients = [Ingredient(title=clip.name, relationship="parentOf", role="Init video",
                                         path=source.path if source else None,
                                         sha256=source.sha256 if source else None, record=clip.record)]
    return record


def job_title(params: dict[str, Any], result: ActionResult | None) -> str:
    seed = (result.data.get("seed") if result is not None else None) or params.get("seed")
    return f"{str(params.get('prompt', ''))[:32]}… · {params.get('frames')} frames · seed {seed}"


GENERATE = Action(
    id="video.generate",
    title="Generate video",
    run=run_generate,
    params=PARAMS,
    description="Make a short clip with an AnimateDiff motion module on a text-to-image model: from a prompt, "
                "with prompt travel, looping, motion LoRAs, or from an init video.",
    c2pa_action="c2pa.created",
    digital_source="trainedAlgorithmicMedia",
    job_title=job_title,
)
