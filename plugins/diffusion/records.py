"""The reproducibility record of a generated image, and its AUTOMATIC1111 ``parameters`` text."""

from __future__ import annotations

import functools
import importlib.metadata
import re
from typing import Any

from studio.api import APP_NAME, TRAINED_ALGORITHMIC_MEDIA, Record, __version__

LIBRARIES = ("torch", "diffusers", "transformers", "safetensors", "accelerate", "peft", "numpy")


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str | None], ...]:
    versions: dict[str, str | None] = {"studio": __version__}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return tuple(versions.items())


def library_versions() -> dict[str, str | None]:
    """Versions of the libraries that decide the pixels (read once per process)."""
    return dict(_versions())


def _number(value: float) -> str:
    return f"{value:g}"


def parameters_text(params: dict[str, Any], extra: dict[str, Any], model: dict[str, Any]) -> str:
    """AUTOMATIC1111's ``parameters`` text: prompt, negative prompt, then ``Key: value`` pairs."""
    prompt = str(params.get("prompt", ""))
    for lora in extra.get("loras", []):
        prompt += f" <lora:{lora['name']}:{_number(lora['weight'])}>"
    lines = [prompt]
    if params.get("negative_prompt"):
        lines.append(f"Negative prompt: {params['negative_prompt']}")
    width, height = extra["width"], extra["height"]
    pairs: list[tuple[str, str]] = [
        ("Steps", str(params["steps"])),
        ("Sampler", extra["sampler"]),
        ("CFG scale", _number(float(params["guidance"]))),
        ("Seed", str(extra["seed"])),
        ("Size", f"{width}x{height}"),
        ("Model hash", str(model.get("sha256", ""))[:10]),
        ("Model", str(model.get("name", ""))),
    ]
    if extra.get("mode") in ("img2img", "inpaint"):
        pairs.append(("Denoising strength", _number(float(params["strength"]))))
    if extra.get("batch_size", 1) > 1:
        pairs += [("Batch size", str(extra["batch_size"])), ("Batch pos", str(extra["batch_index"]))]
    if extra.get("vae"):
        pairs += [("VAE hash", extra["vae"]["sha256"][:10]), ("VAE", extra["vae"]["name"])]
    if extra.get("loras"):
        hashes = ", ".join(f"{lora['name']}: {lora['sha256'][:12]}" for lora in extra["loras"])
        pairs.append(("Lora hashes", f'"{hashes}"'))
    pairs.append(("Version", f"{APP_NAME} {__version__}"))
    lines.append(", ".join(f"{k}: {v}" for k, v in pairs))
    return "\n".join(lines)


PAIR = re.compile(r'\s*([\w ]+):\s*("(?:\\.|[^"])*"|[^,]*)(?:,|$)')


def parse_parameters(text: str) -> dict[str, str]:
    """Read an AUTOMATIC1111 ``parameters`` text back into a dict (prompt, negative prompt, pairs)."""
    lines = text.strip().split("\n")
    settings = lines.pop() if lines and re.match(r"^\s*Steps: ", lines[-1]) else ""
    out: dict[str, str] = {}
    negative = [i for i, line in enumerate(lines) if line.startswith("Negative prompt:")]
    if negative:
        out["Prompt"] = "\n".join(lines[:negative[0]])
        out["Negative prompt"] = "\n".join(lines[negative[0]:])[len("Negative prompt:"):].strip()
    else:
        out["Prompt"] = "\n".join(lines)
    for key, value in PAIR.findall(settings):
        out[key.strip()] = value.strip().strip('"')
    return out


def build_record(
    params: dict[str, Any], extra: dict[str, Any], model: dict[str, Any], title: str, mode: str,
) -> Record:
    """The record of one generated image: what, with which model and settings, on which device."""
    record = Record(
        action="generate",
        title=title,
        c2pa_action="c2pa.edited" if mode == "inpaint" else "c2pa.created",
        params=dict(params),
        digital_source=TRAINED_ALGORITHMIC_MEDIA,
        model=dict(model),
        extra=dict(extra),
    )
    record.parameters_text = parameters_text(params, extra, model)
    return record
