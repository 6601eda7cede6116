"""The edit actions: a picture (a layer or a timeline frame) or a clip, changed by an instruction with an
InstructPix2Pix model (``StableDiffusionInstructPix2PixPipeline``).

The result keeps the input's size exactly: the model works at a multiple of 8 pixels a side and its result is
resized back. With a mask, the edit is blended in where the mask is white, and every pixel where it is black is
the input's own. A clip is edited frame by frame with one seed, and the result says how steady it came out
(:mod:`.edit_consistency`). Everything is checked (:mod:`.edit_plan`) before a model is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.api import lazy_numpy as np

from studio.api import (
    Action,
    ActionResult,
    BadInputError,
    JobContext,
    OutputClip,
    OutputImage,
    Param,
    Progress,
    StudioError,
)

from .edit_consistency import FrameChange, describe
from .edit_plan import PARAMS, EditPlan, plan_edit
from .edit_records import EDIT_CLIP, EDIT_IMAGE, edit_record, input_ingredients
from .engine import Engine, EngineOptions, Loaded
from .generate import _resize, engine_for
from .offline import go_offline
from .schedulers import make_scheduler
from .worker import run_pipeline

MAX_CLIP_FRAMES = 600

Run = Generator[Progress, None, ActionResult]


def load_edit_model(ctx: JobContext, plan: EditPlan) -> tuple[Engine, Loaded, Any]:
    """The engine, the loaded model (cached between runs) and its InstructPix2Pix pipeline."""
    plugin = ctx.plugin
    choice = plugin.runtime.choice()
    options = EngineOptions.from_settings(plugin.settings, choice.device, choice.dtype)
    engine = engine_for(plugin)
    loaded = engine.load(plan.info, options)
    return engine, loaded, engine.pipeline(loaded, "edit")


def apply_mask(original: np.ndarray, edited: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """The edit where the mask is white (blended where it is gray); the original, bit for bit, where it is black."""
    if mask is None:
        return edited
    weight = (mask.astype(np.float32) / 255.0)[..., None]
    blended = (original.astype(np.float32) * (1.0 - weight) + edited.astype(np.float32) * weight).round()
    return np.where(mask[..., None] == 0, original, blended.astype(np.uint8))


def edit_pixels(engine: Engine, loaded: Loaded, pipe: Any, plan: EditPlan, rgb: np.ndarray,
                cancelled: Callable[[], bool]) -> Generator[Progress, None, np.ndarray]:
    """One picture (H×W×3) through the pipeline at the plan's work size; back at its own size, the mask applied."""
    import torch
    from PIL import Image

    pipe.scheduler = make_scheduler("auto", loaded.scheduler, loaded.family.schedulers)
    kwargs = {
        "prompt": plan.instruction,
        "image": Image.fromarray(_resize(rgb, *plan.work)),
        "num_inference_steps": plan.steps,
        "guidance_scale": plan.guidance,
        "image_guidance_scale": plan.image_guidance,
        # the noise comes from a CPU generator: the same seed gives the same start on every device
        "generator": torch.Generator("cpu").manual_seed(plan.seed),
        "output_type": "np",
    }
    loaded.preview.reset()
    output = yield from run_pipeline(engine, pipe, kwargs, cancelled, plan.steps, loaded.preview,
                                     f"{plan.work[0]}x{plan.work[1]}")
    edited = (np.clip(output.images[0], 0.0, 1.0) * 255.0).round().astype(np.uint8)
    return apply_mask(rgb, _resize(edited, *plan.size), plan.mask)


def _device(ctx: JobContext, loaded: Loaded) -> dict[str, str]:
    choice = ctx.plugin.runtime.choice()
    return {"device": loaded.options.device, "device_name": choice.name, "dtype": loaded.options.dtype}


def _sign(record: Any, ctx: JobContext) -> Any:
    record.plugin = ctx.plugin.name
    record.plugin_version = ctx.plugin.version
    return record


def run_edit_image(ctx: JobContext, params: dict[str, Any]) -> Run:
    go_offline()
    layer = params.get("image")
    if layer is None:
        raise BadInputError("Choose the picture to edit (a layer, or the timeline's frame at the playhead) first.")
    plan = plan_edit(ctx.plugin.settings, params, layer.size)
    yield Progress(0, plan.steps, f"loading {plan.info.name}")
    engine, loaded, pipe = load_edit_model(ctx, plan)
    ctx.check_cancelled()
    rgb = layer.rgb()
    edited = yield from edit_pixels(engine, loaded, pipe, plan, rgb, lambda: ctx.cancelled)
    alpha = layer.pixels[..., 3:] if layer.pixels.ndim == 3 and layer.pixels.shape[2] == 4 else None
    if alpha is not None and alpha.min() < 255:  # a transparent picture keeps its transparency
        edited = np.concatenate([edited, alpha], axis=2)
    record = _sign(edit_record(EDIT_IMAGE, plan, loaded, pipe, str(params.get("model") or "").strip(),
                               input_ingredients(layer, params.get("mask")), _device(ctx, loaded)), ctx)
    return ActionResult(images=[OutputImage(edited, name=f"{plan.instruction[:40]} (seed {plan.seed})",
                                            record=record)],
                        data={"seed": plan.seed, "size": list(plan.size), "model_size": list(plan.work)})


def _offset(steps: Generator[Progress, None, Any], done: int, total: int, label: str
            ) -> Generator[Progress, None, Any]:
    """``steps``' progress as part of a longer run: ``done`` steps before it, ``total`` in all."""
    try:
        while True:
            try:
                progress = next(steps)
            except StopIteration as stop:
                return stop.value
            yield Progress(done + progress.step, total, f"{label}, step {progress.step}/{progress.total}",
                           preview=progress.preview)
    finally:
        steps.close()


def run_edit_clip(ctx: JobContext, params: dict[str, Any]) -> Run:
    go_offline()
    clip = params.get("clip")
    if clip is None:
        raise BadInputError("Choose the clip to edit (on the timeline) first.")
    if clip.count > MAX_CLIP_FRAMES:
        raise BadInputError(f"The clip {clip.name} has {clip.count} frames; an edit takes at most {MAX_CLIP_FRAMES}.",
                            "Edit a shorter range (--start SEC --end SEC).")
    plan = plan_edit(ctx.plugin.settings, params, clip.size, "clip")
    total = clip.count * plan.steps
    yield Progress(0, total, f"loading {plan.info.name}")
    engine, loaded, pipe = load_edit_model(ctx, plan)
    frames: list[np.ndarray] = []
    change = FrameChange()
    try:
        for index, frame in enumerate(clip.frames()):
            ctx.check_cancelled()
            rgb = np.ascontiguousarray(frame[..., :3])
            if (rgb.shape[1], rgb.shape[0]) != plan.size:
                raise BadInputError(f"Frame {index} of {clip.name} is {rgb.shape[1]}×{rgb.shape[0]}, not "
                                    f"{plan.size[0]}×{plan.size[1]} as the clip's first.")
            edited = yield from _offset(edit_pixels(engine, loaded, pipe, plan, rgb, lambda: ctx.cancelled),
                                        index * plan.steps, total, f"frame {index + 1}/{clip.count}")
            change.add(rgb, edited)
            frames.append(edited)
    except (StudioError, GeneratorExit):
        raise
    except (OSError, ValueError, RuntimeError) as exc:
        if not frames:
            raise BadInputError(f"The clip {clip.name} does not decode: {str(exc)[:200]}") from None
        raise
    if not frames:
        raise BadInputError(f"The clip {clip.name} has no frame to edit.")
    figure = change.figure()
    record = _sign(edit_record(EDIT_CLIP, plan, loaded, pipe, str(params.get("model") or "").strip(),
                               input_ingredients(clip, params.get("mask"), "Edited clip"), _device(ctx, loaded),
                               {"frames": len(frames), "fps": clip.fps, "consistency": figure}), ctx)
    message = f"{len(frames)} frames edited with seed {plan.seed}; {describe(figure)}"
    return ActionResult(clips=[OutputClip(frames, fps=clip.fps, name=f"{plan.instruction[:40]} (seed {plan.seed})",
                                          record=record)],
                        messages=[message],
                        data={"seed": plan.seed, "frames": len(frames), "size": list(plan.size),
                              "model_size": list(plan.work), "consistency": figure})


def job_title(params: dict[str, Any], result: ActionResult | None) -> str:
    """"make it blue · seed 42" (the seed a run chose once it finished)."""
    instruction = " ".join(str(params.get("instruction") or "").split())
    short = instruction if len(instruction) <= 32 else instruction[:32].rstrip() + "…"
    seed = result.data.get("seed") if result is not None else params.get("seed")
    return f"{short or 'Edit'} · " + (f"seed {seed}" if isinstance(seed, int) and seed >= 0 else "random seed")


EDIT_IMAGE_ACTION = Action(
    id=EDIT_IMAGE,
    title="Edit with instruction…",
    run=run_edit_image,
    params=(PARAMS[0], Param("image", "frame", required=True, help="the picture to edit: a layer, or the "
                             "timeline's frame at the playhead"), *PARAMS[1:]),
    description="Change a picture by an instruction (\"make it blue\") with an InstructPix2Pix model; the result "
                "keeps the picture's size, and a mask limits the change to a region.",
    c2pa_action="c2pa.edited",
    digital_source="compositeWithTrainedAlgorithmicMedia",
    job_title=job_title,
)

EDIT_CLIP_ACTION = Action(
    id=EDIT_CLIP,
    title="Edit clip with instruction…",
    run=run_edit_clip,
    params=(PARAMS[0], Param("clip", "clip", required=True, help="the clip to edit, every frame with one seed"),
            *PARAMS[1:]),
    description="Change every frame of a clip by an instruction with an InstructPix2Pix model (one seed for all), "
                "and say how steady the result is.",
    c2pa_action="c2pa.edited",
    digital_source="compositeWithTrainedAlgorithmicMedia",
    job_title=job_title,
)
