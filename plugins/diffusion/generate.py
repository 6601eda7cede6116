"""The ``generate`` action: text-to-image, image-to-image and inpainting, one declaration for GUI and CLI."""

from __future__ import annotations

import re
import secrets
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.api import lazy_numpy as np  # imported on first use: the window appears first

from studio.api import (
    Action,
    ActionResult,
    BadInputError,
    Ingredient,
    JobContext,
    OutputImage,
    Param,
    PluginContext,
    Progress,
)

from .choices import add_model_folder, job_title, lora_choices, model_choices, suggest, vae_choices
from .engine import Engine, EngineOptions, Loaded
from .library import ModelInfo, ModelLibrary
from .offline import go_offline
from .records import build_record, library_versions
from .schedulers import CHOICES, SCHEDULERS, describe, make_scheduler, sampler_label
from .worker import run_pipeline

MAX_SIDE = 4096
MAX_SEED = 2**31 - 1
MAX_BATCH = 16

SCHEDULER_LABELS = {"auto": "The model's own", **{name: label for name, (label, _cls, _x) in SCHEDULERS.items()}}

PARAMS = (
    Param("prompt", "text", required=True, help="what to make"),
    Param("negative_prompt", "text", "", help="what to avoid"),
    Param("model", "str", "", help="a model name from 'studio models list' or a path (empty: the default model)",
          metavar="PATH_OR_NAME", choices_from=model_choices, add_folder=add_model_folder),
    Param("steps", "int", 0, help="denoising steps (0: the model's default)", minimum=0, maximum=200,
          minimum_label="The model's default"),
    Param("guidance", "float", -1.0, help="classifier-free guidance scale (-1: the model's default)",
          minimum=-1.0, maximum=50.0, step=0.5, widget="slider", soft_range=(0.0, 20.0)),
    Param("size", "str", "", help="WIDTHxHEIGHT, e.g. 512x768 (empty: the model's native size, or the init "
          "image's)", metavar="WxH"),
    Param("seed", "int", -1, help="random seed (-1: a new one each time)", minimum=-1, maximum=MAX_SEED,
          minimum_label="Random", random_button=True),
    Param("batch_size", "int", 1, help="images per run (seeds seed, seed+1, …)", minimum=1, maximum=MAX_BATCH),
    Param("scheduler", "choice", "auto", help="sampler (auto: the model's own)", choices=CHOICES,
          labels=SCHEDULER_LABELS),
    Param("init", "image", help="start from this image (image-to-image)", metavar="IMAGE", label="Init image"),
    Param("strength", "float", 0.75, help="how much of the init image to repaint (0..1)", minimum=0.0,
          maximum=1.0, step=0.05, widget="slider"),
    Param("mask", "mask", help="repaint only where the mask is white (inpainting; needs --init)", metavar="IMAGE"),
    Param("vae", "str", "", help="a VAE name or path to use instead of the model's own", metavar="PATH_OR_NAME",
          label="VAE", choices_from=vae_choices),
    Param("lora", "str", "", help="LoRAs as NAME[:WEIGHT], comma-separated", metavar="NAME:W,…",
          label="LoRAs", choices_from=lora_choices, widget="weighted"),
)


def engine_for(ctx: PluginContext) -> Engine:
    """The engine (pipeline cache and worker thread) of this plugin in this application (``ctx.state``)."""
    with ctx.lock:
        engine = ctx.state.get("engine")
        if engine is None:
            size = int(ctx.settings.get("cache_size", 1) or 1)
            engine = ctx.state["engine"] = Engine(cache_size=size)
    assert isinstance(engine, Engine)
    return engine


def parse_size(text: str) -> tuple[int, int] | None:
    text = text.strip().lower().replace("×", "x").replace(" ", "")
    if not text:
        return None
    match = re.fullmatch(r"(\d+)(?:x(\d+))?", text)
    if not match:
        raise BadInputError(f"The size '{text}' is not WIDTHxHEIGHT (for example 512x768).")
    width = int(match.group(1))
    height = int(match.group(2) or width)
    return width, height


def check_size(width: int, height: int, multiple: int) -> None:
    if not (16 <= width <= MAX_SIDE and 16 <= height <= MAX_SIDE):
        raise BadInputError(f"The size {width}x{height} is outside 16..{MAX_SIDE} pixels a side.")
    if width % multiple or height % multiple:
        raise BadInputError(f"The size {width}x{height} must be a multiple of {multiple} on each side for this "
                            f"model (try {width // multiple * multiple}x{height // multiple * multiple}).")


def parse_loras(text: str) -> list[tuple[str, float]]:
    out = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, weight = item.rpartition(":") if re.search(r":-?[\d.]+$", item) else (item, "", "1")
        try:
            out.append((name.strip(), float(weight)))
        except ValueError:
            raise BadInputError(f"The LoRA weight in '{item}' is not a number.") from None
    return out


@dataclass
class Settings:
    """The concrete settings of one run, with the model's defaults filled in."""

    steps: int
    guidance: float
    width: int
    height: int
    scheduler: str


def resolve_settings(params: dict[str, Any], info: ModelInfo, loaded: Loaded, init: Any) -> Settings:
    family = loaded.family
    turbo = info.identity is not None and info.identity.variant == "turbo"
    folder = info.defaults
    steps = int(params["steps"]) or int(folder.get("steps") or (4 if turbo else family.steps))
    guidance = float(params["guidance"])
    if guidance < 0:
        guidance = float(folder.get("guidance", 0.0 if turbo else family.guidance))
    size = parse_size(params["size"]) or parse_size(str(folder.get("size", "")))
    if size is None and init is not None:
        w, h = init.size
        m = family.size_multiple
        size = (max(m, w // m * m), max(m, h // m * m))
    if size is None:
        pipe = loaded.base
        denoiser = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
        native = int(denoiser.config.sample_size) * int(pipe.vae_scale_factor) if denoiser is not None else family.size
        if info.format != "diffusers":  # single files: the family's size (SD 2.x base and Turbo: 512)
            eps_sd2 = family.id == "sd2" and info.identity is not None and \
                info.identity.details.get("prediction_type") == "epsilon"
            native = 512 if turbo or eps_sd2 else family.size
        size = (native, native)
    check_size(size[0], size[1], family.size_multiple)
    scheduler = params["scheduler"]
    if scheduler == "auto" and folder.get("scheduler") in family.schedulers:
        scheduler = str(folder["scheduler"])
    return Settings(steps, guidance, size[0], size[1], scheduler)


def _resize(pixels: np.ndarray, width: int, height: int, interpolation: str = "area") -> np.ndarray:
    import cv2

    if pixels.shape[1] == width and pixels.shape[0] == height:
        return pixels
    grow = width > pixels.shape[1] or height > pixels.shape[0]
    flag = cv2.INTER_LINEAR if interpolation == "linear" else (cv2.INTER_LANCZOS4 if grow else cv2.INTER_AREA)
    return cv2.resize(pixels, (width, height), interpolation=flag)


def run_generate(ctx: JobContext, params: dict[str, Any]) -> Generator[Progress, None, ActionResult]:
    go_offline()
    plugin = ctx.plugin
    settings = plugin.settings
    library = ModelLibrary(settings)
    prompt = str(params["prompt"]).strip()
    if not prompt:
        raise BadInputError("Write a prompt first.")
    init, mask = params.get("init"), params.get("mask")
    if mask is not None and init is None:
        raise BadInputError("Inpainting needs an init image as well as the mask (--init IMAGE --mask MASK).")
    mode = "inpaint" if mask is not None else ("img2img" if init is not None else "txt2img")
    explicit = parse_size(params["size"])  # refuse a malformed size before loading anything
    info = library.resolve(params["model"], "checkpoint")
    vae_info = library.resolve(params["vae"], "vae") if params["vae"].strip() else None
    loras = [(library.resolve(ref, "lora"), weight) for ref, weight in parse_loras(params["lora"])]
    choice = plugin.runtime.choice()
    options = EngineOptions.from_settings(settings, choice.device, choice.dtype)
    if explicit:
        from .families import FAMILIES

        check_size(*explicit, FAMILIES[info.family or "sd1"].size_multiple)
    engine = engine_for(plugin)
    yield Progress(0, 1, f"loading {info.name}")
    loaded = engine.load(info, options)
    ctx.check_cancelled()
    vae = engine.set_vae(loaded, vae_info)
    lora_records = engine.set_loras(loaded, loras)
    run = resolve_settings(params, info, loaded, init)
    pipe = engine.pipeline(loaded, mode)
    if run.scheduler not in CHOICES:
        raise BadInputError(f"Unknown scheduler '{run.scheduler}'.")
    pipe.scheduler = make_scheduler(run.scheduler, loaded.scheduler, loaded.family.schedulers)
    strength = float(params["strength"])
    if mode != "txt2img" and int(run.steps * strength) < 1:
        raise BadInputError(f"{run.steps} steps at strength {strength:g} leave no step to run; raise either.")
    seed = int(params["seed"])
    if seed < 0:
        seed = secrets.randbelow(MAX_SEED + 1)
    batch = int(params["batch_size"])
    kwargs, init_rgb, mask_px = _call_arguments(pipe, loaded, mode, prompt, params, run, strength, seed, batch,
                                                init, mask)
    total = run.steps if mode == "txt2img" else max(1, int(run.steps * strength))
    loaded.preview.reset()
    output = yield from run_pipeline(engine, pipe, kwargs, lambda: ctx.cancelled, total, loaded.preview,
                                     f"{run.width}x{run.height}")
    images = (np.clip(output.images, 0.0, 1.0) * 255.0).round().astype(np.uint8)
    if mode == "inpaint" and init_rgb is not None and mask_px is not None:
        weight = (mask_px.astype(np.float32) / 255.0)[..., None]
        images = (init_rgb[None].astype(np.float32) * (1.0 - weight) + images.astype(np.float32) * weight)
        images = images.round().astype(np.uint8)
    return ActionResult(images=_outputs(ctx, params, info, loaded, pipe, run, mode, seed, batch, strength, images,
                                        vae, lora_records, init, mask))


def _call_arguments(pipe: Any, loaded: Loaded, mode: str, prompt: str, params: dict[str, Any], run: Settings,
                    strength: float, seed: int, batch: int, init: Any, mask: Any,
                    ) -> tuple[dict[str, Any], np.ndarray | None, np.ndarray | None]:
    import inspect

    import torch
    from PIL import Image

    accepted = inspect.signature(type(pipe).__call__).parameters

    kwargs: dict[str, Any] = {
        "prompt": prompt,
        "negative_prompt": str(params["negative_prompt"]) or None,
        "num_inference_steps": run.steps,
        "guidance_scale": run.guidance,
        "num_images_per_prompt": batch,
        # noise always comes from CPU generators: the same seed gives the same start on every device
        "generator": [torch.Generator("cpu").manual_seed(seed + i) for i in range(batch)],
        "output_type": "np",
    }
    init_rgb = mask_px = None
    if init is not None:
        init_rgb = _resize(init.rgb(), run.width, run.height)
        kwargs["image"] = Image.fromarray(init_rgb)
        kwargs["strength"] = strength
    if mask is not None:
        mask_px = _resize(mask.pixels if mask.kind == "mask" else mask.rgb().max(axis=2), run.width, run.height,
                          "linear")
        kwargs["mask_image"] = Image.fromarray(mask_px)
    if loaded.inpainting_model and mode != "inpaint":  # an inpainting model paints a blank canvas for txt2img
        kwargs.setdefault("image", Image.new("RGB", (run.width, run.height), (127, 127, 127)))
        kwargs["mask_image"] = Image.new("L", (run.width, run.height), 255)
        kwargs.setdefault("strength", 1.0)
    if "height" in accepted:
        kwargs["height"], kwargs["width"] = run.height, run.width
    return kwargs, init_rgb, mask_px


def _outputs(ctx: JobContext, params: dict[str, Any], info: ModelInfo, loaded: Loaded, pipe: Any, run: Settings,
             mode: str, seed: int, batch: int, strength: float, images: np.ndarray, vae: Any,
             loras: list[dict[str, Any]], init: Any, mask: Any) -> list[OutputImage]:
    options = loaded.options
    choice = ctx.plugin.runtime.choice()
    concrete = {
        "prompt": str(params["prompt"]).strip(), "negative_prompt": str(params["negative_prompt"]),
        "model": params["model"].strip() or info.name, "steps": run.steps, "guidance": run.guidance,
        "size": f"{run.width}x{run.height}", "seed": seed, "batch_size": batch, "scheduler": params["scheduler"],
        "strength": strength, "vae": params["vae"], "lora": params["lora"],
    }
    model = {"name": info.name, "sha256": loaded.sha256, "family": loaded.family.id, "type": info.label,
             "format": info.format}
    ingredients = []
    if init is not None:
        ingredients.append(Ingredient(title=init.name, relationship="parentOf" if mode == "inpaint" else "inputTo",
                                      role="Init image", record=init.record))
    if mask is not None:
        ingredients.append(Ingredient(title=mask.name, relationship="inputTo", role="Mask", record=mask.record))
    outputs = []
    for index, pixels in enumerate(images):
        extra = {
            "seed": seed + index, "batch_index": index, "batch_size": batch, "mode": mode,
            "width": run.width, "height": run.height, "sampler": sampler_label(pipe.scheduler),
            "scheduler": describe(pipe.scheduler), "noise": "cpu generator per image (seed + index)",
            "device": options.device, "device_name": choice.name, "dtype": options.dtype,
            "options": {k: v for k, v in vars(options).items() if k not in ("device", "dtype")},
            "libraries": library_versions(), "vae": vae, "loras": loras,
        }
        title = str(params["prompt"]).strip()[:48] + (f" #{index + 1}" if batch > 1 else "")
        record = build_record(concrete, extra, model, title, mode)
        record.plugin = ctx.plugin.name
        record.plugin_version = ctx.plugin.version
        record.ingredients = list(ingredients)
        outputs.append(OutputImage(pixels, name=f"{title} (seed {seed + index})", record=record))
    return outputs


GENERATE = Action(
    id="generate",
    title="Generate",
    run=run_generate,
    params=PARAMS,
    description="Make images with a local diffusion model: from a prompt, from an init image (image-to-image) "
                "or inside a mask (inpainting).",
    c2pa_action="c2pa.created",
    digital_source="trainedAlgorithmicMedia",
    suggest=suggest,
    job_title=job_title,
)
