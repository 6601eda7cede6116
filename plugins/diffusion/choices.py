"""What the window offers for ``generate``: the library's models, VAEs and LoRAs, each model's own
defaults, and a job title. Cheap: headers and JSON files are read, no weights, no torch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio.api import ActionResult, PluginContext, StudioError

from .families import FAMILIES
from .library import BUILTIN_MODEL, ModelInfo, ModelLibrary

SOURCE_WORDS = {"built-in": "built-in", "folder": "your folder", "AUTOMATIC1111": "AUTOMATIC1111",
                "ComfyUI": "ComfyUI"}
TITLE_CHARS = 32


def _scan(ctx: PluginContext, kind: str) -> list[ModelInfo]:
    try:
        found = ModelLibrary(ctx.settings).scan()
    except (OSError, StudioError):
        return []
    return [m for m in found if m.identity is not None and m.kind == kind
            and (kind not in ("checkpoint", "edit") or m.family in FAMILIES)]


def _value(info: ModelInfo) -> str:
    return info.name if info.source == "built-in" else str(info.path)


def _label(info: ModelInfo) -> str:
    """"inkstyle (SD 1.x, your folder)"; the built-in model is just "(built-in)"."""
    where = SOURCE_WORDS.get(info.source, info.source)
    if info.source == "built-in":
        return f"{info.name} (built-in)"
    family = FAMILIES[info.family].label if info.family in FAMILIES else ""
    return f"{info.name} ({family}, {where})" if family else f"{info.name} ({where})"


def _choice(info: ModelInfo) -> tuple[str, str, str]:
    """(value, label, tooltip) for the window."""
    assert info.identity is not None
    return _value(info), _label(info), f"{info.identity.label}, {info.format.replace('diffusers', 'folder')}\n" \
        f"{info.path}"


def model_choices(ctx: PluginContext) -> list[tuple[str, ...]]:
    """(value, label) of every usable model: the default first (the configured one, else the built-in one),
    then the others by name."""
    models = _scan(ctx, "checkpoint")
    configured = str(ctx.settings.get("default_model") or "").strip().lower()

    def is_default(m: ModelInfo) -> bool:
        if configured:
            return configured in (m.name.lower(), str(m.path).lower())
        return m.source == "built-in" and m.name == BUILTIN_MODEL

    models.sort(key=lambda m: (not is_default(m), m.source != "built-in", m.name.lower()))
    return [_choice(m) for m in models]


def edit_model_choices(ctx: PluginContext) -> list[tuple[str, ...]]:
    """(value, label, tooltip) of every InstructPix2Pix model found, the configured default first."""
    models = _scan(ctx, "edit")
    configured = str(ctx.settings.get("default_edit_model") or "").strip().lower()
    models.sort(key=lambda m: (configured not in (m.name.lower(), str(m.path).lower()), m.name.lower()))
    return [_choice(m) for m in models]


def vae_choices(ctx: PluginContext) -> list[tuple[str, ...]]:
    return [("", "The model's own"), *(_choice(m) for m in _scan(ctx, "vae"))]


def lora_choices(ctx: PluginContext) -> list[tuple[str, ...]]:
    return [_choice(m) for m in _scan(ctx, "lora")]


def add_model_folder(ctx: PluginContext, folder: str) -> None:
    """Search ``folder`` for models from now on (as ``studio models folders --add``)."""
    path = str(Path(folder).expanduser().resolve())
    folders = ctx.settings.setdefault("model_dirs", [])
    if path not in folders:
        folders.append(path)
        ctx.save_settings()


def _native_size(info: ModelInfo) -> int:
    family = FAMILIES[info.family or "sd1"]
    turbo = info.identity is not None and info.identity.variant == "turbo"
    if info.format != "diffusers":
        eps_sd2 = family.id == "sd2" and info.identity is not None and \
            info.identity.details.get("prediction_type") == "epsilon"
        return 512 if turbo or eps_sd2 else family.size
    try:  # the denoiser's sample size times the VAE's scale, as the pipeline computes it
        denoiser = next(info.path / d / "config.json" for d in ("unet", "transformer")
                        if (info.path / d / "config.json").is_file())
        sample = int(json.loads(denoiser.read_text(encoding="utf-8"))["sample_size"])
        vae = json.loads((info.path / "vae" / "config.json").read_text(encoding="utf-8"))
        return sample * 2 ** (len(vae.get("block_out_channels", [0, 0, 0, 0])) - 1)
    except (StopIteration, OSError, ValueError, KeyError, TypeError):
        return family.size


def suggest(ctx: PluginContext, values: dict[str, Any]) -> dict[str, Any]:
    """The chosen model's own steps, guidance, scheduler and size (its ``studio.json`` first, then its
    family's), as ``generate`` would fill in for 0, -1, ``auto`` and an empty size."""
    try:
        info = ModelLibrary(ctx.settings).resolve(str(values.get("model") or ""), "checkpoint")
    except (OSError, StudioError):
        return {}
    if info.family not in FAMILIES:
        return {}
    family = FAMILIES[info.family]
    turbo = info.identity is not None and info.identity.variant == "turbo"
    folder = info.defaults
    size = str(folder.get("size") or "")
    if not size:
        side = _native_size(info)
        size = f"{side}x{side}"
    scheduler = folder.get("scheduler")
    return {
        "steps": int(folder.get("steps") or (4 if turbo else family.steps)),
        "guidance": float(folder.get("guidance", 0.0 if turbo else family.guidance)),
        "scheduler": scheduler if scheduler in family.schedulers else "auto",
        "size": size,
    }


def job_title(params: dict[str, Any], result: ActionResult | None) -> str:
    """"a red circle in the… · seed 42" (the seed a run chose once it finished)."""
    prompt = " ".join(str(params.get("prompt") or "").split())
    short = prompt if len(prompt) <= TITLE_CHARS else prompt[:TITLE_CHARS].rstrip() + "…"
    seeds = [image.record.extra.get("seed", image.record.params.get("seed"))
             for image in (result.images if result else []) if image.record is not None]
    if seeds and seeds[0] is not None:
        seed = f"seeds {seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else f"seed {seeds[0]}"
    else:
        given = params.get("seed")
        seed = f"seed {given}" if isinstance(given, int) and given >= 0 else "random seed"
    return f"{short or 'Generate'} · {seed}"
