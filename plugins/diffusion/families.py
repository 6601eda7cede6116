"""Model families: what each one is called, which diffusers pipelines run it, and how to recognise it.

Adding a family is one :class:`Family` entry in :data:`FAMILIES` (its pipeline
classes, defaults and preview projection) plus, if single ``.safetensors``
files of it should load, a folder of component configs under ``configs/`` and
a clause in :func:`identify_header`. SD 3.x shows the pattern for a
transformer-based family that loads from diffusers folders; InstructPix2Pix one
for a family of another kind (``edit``: a picture and an instruction in, the
edited picture out), told apart by its UNet's 8 input channels (4 for the noise,
4 for the picture's latents).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api import StudioError

from .header import SafetensorsHeader, read_header

UNET = "model.diffusion_model."
SD_SCHEDULERS = ("euler", "euler_a", "dpmpp_2m_karras", "ddim", "lcm")

# Latent → RGB projections (one row per latent channel) used for step previews.
SD_LATENT_RGB = ((0.3512, 0.2297, 0.3227), (0.3250, 0.4974, 0.2350),
                 (-0.2829, 0.1762, 0.2721), (-0.2120, -0.2616, -0.7177))
SDXL_LATENT_RGB = ((0.3651, 0.4232, 0.4341), (-0.2533, -0.0042, 0.1068),
                   (0.1076, 0.1111, -0.0362), (-0.3165, -0.2492, -0.2188))
SDXL_LATENT_BIAS = (0.1084, -0.0175, -0.0011)
EDIT_FAMILY = "instruct-pix2pix"
EDIT_IN_CHANNELS = 8  # an InstructPix2Pix UNet: 4 latent channels of noise + 4 of the picture to edit (4 out)


@dataclass(frozen=True)
class Family:
    """One kind of model the engine can run."""

    id: str
    label: str
    pipelines: dict[str, str]  # mode ("txt2img", "img2img", "inpaint") -> diffusers pipeline class
    config_dir: str | None = None  # shipped component configs for single files (None: folders only)
    schedulers: tuple[str, ...] = SD_SCHEDULERS
    steps: int = 25
    guidance: float = 7.0
    size: int = 512
    latent_rgb: tuple[tuple[float, float, float], ...] | None = SD_LATENT_RGB
    latent_bias: tuple[float, float, float] = (0.0, 0.0, 0.0)
    text_encoder_keys: tuple[str, ...] = ()
    size_multiple: int = 8
    optional_components: tuple[str, ...] = ()  # may be missing from a folder: loaded as None
    notes: str = ""
    kind: str = "checkpoint"  # what its models are: "checkpoint" (text to image) or "edit" (InstructPix2Pix)
    base: str = ""  # the family whose single-file layout it shares (its configs are fitted alike); "": itself

    @property
    def layout(self) -> str:
        return self.base or self.id

    @property
    def single_file(self) -> bool:
        return self.config_dir is not None


FAMILIES: dict[str, Family] = {f.id: f for f in (
    Family(
        "sd1", "SD 1.x",
        {"txt2img": "StableDiffusionPipeline", "img2img": "StableDiffusionImg2ImgPipeline",
         "inpaint": "StableDiffusionInpaintPipeline"},
        config_dir="sd1", size=512,
    ),
    Family(
        "sd2", "SD 2.x",
        {"txt2img": "StableDiffusionPipeline", "img2img": "StableDiffusionImg2ImgPipeline",
         "inpaint": "StableDiffusionInpaintPipeline"},
        config_dir="sd2", size=768,
    ),
    Family(
        "sdxl", "SDXL",
        {"txt2img": "StableDiffusionXLPipeline", "img2img": "StableDiffusionXLImg2ImgPipeline",
         "inpaint": "StableDiffusionXLInpaintPipeline"},
        config_dir="sdxl", size=1024, latent_rgb=SDXL_LATENT_RGB, latent_bias=SDXL_LATENT_BIAS,
    ),
    Family(
        "sd3", "SD 3.x",
        {"txt2img": "StableDiffusion3Pipeline", "img2img": "StableDiffusion3Img2ImgPipeline",
         "inpaint": "StableDiffusion3InpaintPipeline"},
        schedulers=("euler",), steps=28, guidance=7.0, size=1024, latent_rgb=None, size_multiple=16,
        optional_components=("text_encoder_3", "tokenizer_3"),
        notes="flow matching (Euler only); loads from diffusers folders; the T5 encoder is optional",
    ),
    Family(
        EDIT_FAMILY, "InstructPix2Pix", {"edit": "StableDiffusionInstructPix2PixPipeline"},
        config_dir="instruct-pix2pix", steps=20, guidance=7.5, size=512, kind="edit", base="sd1",
        notes="edits a picture by an instruction; an SD 1.x UNet with 8 input channels (noise + picture latents)",
    ),
)}

# diffusers pipeline class in model_index.json -> family id
PIPELINE_CLASSES = {cls: f.id for f in FAMILIES.values() for cls in f.pipelines.values()}
PIPELINE_CLASSES["StableDiffusionXLPipeline"] = "sdxl"

# recognised, but not something this engine can run (shown to the user as found)
UNSUPPORTED_PIPELINES = {
    "FluxPipeline": "Flux", "StableDiffusionUpscalePipeline": "SD x4 upscaler",
    "StableCascadeCombinedPipeline": "Stable Cascade",
}


@dataclass
class Identity:
    """What a file or folder was recognised as."""

    kind: str  # "checkpoint" | "edit" | "vae" | "lora"
    family: str | None  # a FAMILIES key, or None (a VAE or LoRA for an unknown base)
    variant: str = ""  # "", "inpainting", "turbo", "v-prediction", ...
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        fam = FAMILIES[self.family].label if self.family in FAMILIES else (self.details.get("base") or "unknown base")
        variant = f" ({self.variant})" if self.variant else ""
        kind = {"checkpoint": "model", "edit": "edit model", "vae": "VAE", "lora": "LoRA"}[self.kind]
        return f"{fam}{variant} {kind}"


class UnknownModelError(ValueError):
    """A file that is not a model this engine knows; the message says what was found."""


def _context_dim_to_family(dim: int | None) -> str | None:
    return {768: "sd1", 1024: "sd2", 2048: "sdxl"}.get(dim or -1)


def _turbo(header: SafetensorsHeader) -> bool:
    text = " ".join(header.metadata.get(k, "") for k in ("modelspec.architecture", "modelspec.title",
                                                          "modelspec.description")).lower()
    return "turbo" in text or "turbo" in header.path.name.lower()


def identify_header(header: SafetensorsHeader) -> Identity:
    """Recognise a single-file checkpoint, VAE or LoRA from tensor names and shapes."""
    t = header.tensors
    keys = list(t)
    # LoRA: low-rank pairs
    if any(re.search(r"(lora_down|lora_up|lora_A|lora_B|lora\.down|lora\.up)\.weight$", k) for k in keys):
        return _identify_lora(header)
    if header.has(UNET + "input_blocks.0.0.weight"):
        return _identify_ldm_checkpoint(header)
    if header.has_prefix(UNET + "joint_blocks.") or header.has_prefix("joint_blocks."):
        raise UnknownModelError(
            "an SD 3.x checkpoint in a single file; SD 3.x loads from a diffusers folder "
            "(model_index.json with transformer/, vae/, text_encoder*/ and tokenizer*/ subfolders)"
        )
    if header.has_prefix(UNET + "double_blocks.") or header.has_prefix("double_blocks."):
        raise UnknownModelError("a Flux transformer; Flux models are not supported yet")
    for prefix in ("first_stage_model.", "vae.", ""):
        if header.has(prefix + "encoder.conv_in.weight") and header.has(prefix + "decoder.conv_out.weight"):
            latent = (header.shape(prefix + "encoder.conv_out.weight") or (8,))[0] // 2
            family = "sd1" if latent == 4 else None
            base = "SD 1.x/2.x/SDXL" if latent == 4 else f"{latent}-channel latents (SD 3.x/Flux)"
            layout = "diffusers" if header.has_prefix(prefix + "encoder.down_blocks.") else "ldm"
            return Identity("vae", family, details={"latent_channels": latent, "base": base, "layout": layout,
                                                    "prefix": prefix})
    if header.has("conv_in.weight") and header.has("time_embedding.linear_1.weight"):
        raise UnknownModelError("a UNet alone in diffusers layout, without a VAE or text encoder")
    raise UnknownModelError(f"{len(keys)} tensors with prefixes {', '.join(header.prefixes())}")


def _identify_ldm_checkpoint(header: SafetensorsHeader) -> Identity:
    in_channels = (header.shape(UNET + "input_blocks.0.0.weight") or (0, 4))[1]
    out_channels = (header.shape(UNET + "out.2.weight") or (4,))[0]
    if is_edit_unet(in_channels, out_channels):
        return _identify_edit_checkpoint(header)
    if in_channels not in (4, 9):
        raise UnknownModelError(f"a UNet with {in_channels} input channels (an upscaler?); not supported")
    details: dict[str, Any] = {"in_channels": in_channels}
    if header.has_prefix("conditioner.embedders.1.model."):
        family = "sdxl"
    elif header.has_prefix("conditioner.embedders.0.model."):
        raise UnknownModelError("an SDXL refiner checkpoint; refiners are not supported yet")
    elif header.has_prefix("cond_stage_model.transformer."):
        family = "sd1"
    elif header.has_prefix("cond_stage_model.model."):
        family = "sd2"
    else:
        raise UnknownModelError("a Stable Diffusion UNet without its text encoder "
                                "(no cond_stage_model or conditioner tensors)")
    variant = ""
    if in_channels == 9:
        variant = "inpainting"
    elif _turbo(header):
        variant = "turbo"
    prediction = header.metadata.get("modelspec.prediction_type", "")
    if header.has("v_pred") or "v" == prediction[:1]:
        details["prediction_type"] = "v_prediction"
    elif family == "sd2" and not variant and not re.search(r"base|512", header.path.name.lower()):
        details["prediction_type"] = "v_prediction"
    else:
        details["prediction_type"] = "epsilon"
    if details["prediction_type"] == "v_prediction" and not variant:
        variant = "v-prediction"
    return Identity("checkpoint", family, variant, details)


def _identify_edit_checkpoint(header: SafetensorsHeader) -> Identity:
    """An InstructPix2Pix checkpoint (8 UNet input channels): SD 1.x-based ones run; others are named."""
    if header.has_prefix("conditioner.embedders."):
        raise UnknownModelError("an SDXL-based edit checkpoint (8 input channels, like CosXL Edit); only SD 1.x-based "
                                "InstructPix2Pix models run for now")
    if header.has_prefix("cond_stage_model.model."):
        raise UnknownModelError("an SD 2.x-based edit checkpoint (8 input channels); only SD 1.x-based "
                                "InstructPix2Pix models run for now")
    if not header.has_prefix("cond_stage_model.transformer."):
        raise UnknownModelError("an InstructPix2Pix UNet without its text encoder (no cond_stage_model tensors)")
    return Identity("edit", EDIT_FAMILY, "", {"in_channels": EDIT_IN_CHANNELS, "prediction_type": "epsilon",
                                              "base": "SD 1.x"})


def _identify_lora(header: SafetensorsHeader) -> Identity:
    dims = set()
    sdxl_te2 = False
    for key, info in header.tensors.items():
        if ("te2" in key or "text_encoder_2" in key) and "lora" in key.lower():
            sdxl_te2 = True
        if ("attn2" in key) and ("to_k" in key) and re.search(r"(lora_down|lora_A|lora\.down)\.weight$", key):
            if len(info.shape) >= 2:
                dims.add(info.shape[1])
    family: str | None
    if any(k.startswith("transformer.") or k.startswith("lora_transformer_") for k in header.tensors):
        family, base = "sd3", ""
    else:
        family = "sdxl" if sdxl_te2 else _context_dim_to_family(max(dims) if dims else None)
        base = "" if family else (f"cross-attention width {sorted(dims)}" if dims else "unknown base")
    kohya = any(k.startswith("lora_unet_") or k.startswith("lora_te") for k in header.tensors)
    style = "kohya" if kohya else "diffusers"
    return Identity("lora", family, details={"base": base, "style": style, "tensors": len(header.tensors)})


def identify_folder(path: Path) -> Identity:
    """Recognise a diffusers pipeline folder (``model_index.json``) or a diffusers VAE folder."""
    index = path / "model_index.json"
    if index.is_file():
        try:
            data = json.loads(index.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UnknownModelError(f"a model_index.json that cannot be read ({exc})") from None
        cls = str(data.get("_class_name", ""))
        if cls in UNSUPPORTED_PIPELINES:
            raise UnknownModelError(f"a {UNSUPPORTED_PIPELINES[cls]} pipeline ({cls}); not supported yet")
        family = PIPELINE_CLASSES.get(cls)
        if family is None:
            raise UnknownModelError(f"a diffusers pipeline of class '{cls or '?'}', which this engine does not run")
        details: dict[str, Any] = {"pipeline": cls}
        variant = ""
        unet = _read_json(path / "unet" / "config.json")
        in_channels, out_channels = folder_unet_channels(path, unet)
        if family == EDIT_FAMILY or is_edit_unet(in_channels, out_channels):
            if in_channels not in (None, EDIT_IN_CHANNELS):
                raise UnknownModelError(f"an InstructPix2Pix pipeline whose UNet takes {in_channels} input channels "
                                        f"({EDIT_IN_CHANNELS} expected)")
            if family not in (EDIT_FAMILY, "sd1", "sd2"):
                raise UnknownModelError("an edit pipeline (8 UNet input channels) that is not SD 1.x-based; only "
                                        "SD 1.x-based InstructPix2Pix models run for now")
            return Identity("edit", EDIT_FAMILY, "", details | {"in_channels": EDIT_IN_CHANNELS})
        if family in ("sd1", "sd2") and unet:
            dim = unet.get("cross_attention_dim")
            family = _context_dim_to_family(dim) or "sd1"
            if _context_dim_to_family(dim) is None:
                variant = "custom"
                details["cross_attention_dim"] = dim
        if unet and unet.get("in_channels") == 9:
            variant = "inpainting"
        if "turbo" in path.name.lower():
            variant = "turbo"
        return Identity("checkpoint", family, variant, details)
    config = _read_json(path / "config.json")
    if config and config.get("_class_name") in ("AutoencoderKL", "AutoencoderTiny"):
        latent = int(config.get("latent_channels", 4))
        return Identity("vae", "sd1" if latent == 4 else None,
                        details={"latent_channels": latent, "layout": "diffusers-folder",
                                 "base": "SD 1.x/2.x/SDXL" if latent == 4 else f"{latent}-channel latents"})
    raise UnknownModelError("a folder without model_index.json (not a diffusers pipeline) or a VAE config.json")


def is_edit_unet(in_channels: int | None, out_channels: int | None) -> bool:
    """An InstructPix2Pix UNet: 8 input channels, the 4 latent channels it predicts and the picture's 4.

    8 input channels alone do not say it: a model on an 8-channel VAE (the built-in ``studio-shapes``) has
    8 in and 8 out; an edit UNet takes twice what it gives back.
    """
    return in_channels == EDIT_IN_CHANNELS and out_channels == EDIT_IN_CHANNELS // 2


def folder_unet_channels(path: Path, unet_config: dict[str, Any] | None) -> tuple[int | None, int | None]:
    """(input, output) channels of a diffusers folder's UNet: from its weights' header (``conv_in.weight``,
    ``conv_out.weight``), else from its config; None where neither tells."""
    config = unet_config or {}
    found: list[int | None] = [c if isinstance(c, int) else None
                               for c in (config.get("in_channels"), config.get("out_channels"))]
    for name in ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors"):
        weights = path / "unet" / name
        if weights.is_file():
            try:
                header = read_header(weights)
            except (StudioError, OSError):
                break  # a damaged file is reported when it is loaded
            conv_in, conv_out = header.shape("conv_in.weight"), header.shape("conv_out.weight")
            if conv_in and len(conv_in) == 4:
                found[0] = int(conv_in[1])
            if conv_out and len(conv_out) == 4:
                found[1] = int(conv_out[0])
            break
    return found[0], found[1]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
