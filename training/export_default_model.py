"""Export the current training state to ``assets/models/studio-shapes/`` (diffusers layout).

Writes a standard StableDiffusionPipeline folder (vae/, unet/, text_encoder/, tokenizer/,
scheduler/, model_index.json; fp16 safetensors; no safety checker) plus README.md and
training_state.json into a temporary sibling folder, then swaps it into place.

    .venv/bin/python training/export_default_model.py [--ckpt ~/.cache/studio-training/latest.pt]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
for p in (str(REPO), str(REPO / "training")):
    if p not in sys.path:
        sys.path.insert(0, p)

from shapes_model.checkpoint import DEFAULT_DIR, LATEST, load  # noqa: E402

DEFAULT_OUT = REPO / "assets" / "models" / "studio-shapes"

CARD = """# studio-shapes

Studio's built-in text-to-image model: a tiny latent diffusion model (standard diffusers
`StableDiffusionPipeline` layout) trained from scratch by the Studio project on its own
procedurally rendered "shapes world" (`studio/world/`): circles, squares, triangles and stars
in 7 colours, 2 sizes and 9 positions on black, gray or white backgrounds, 64x64 pixels.
No external data or pretrained weights were used.

- Image size: 64x64 RGB; VAE latents 16x16x8 (scaling factor {scaling_factor:.4f})
- UNet: {unet_m:.2f} M parameters; text encoder: {te_m:.2f} M parameters (CLIP, 3 layers,
  whole-word vocabulary of {vocab} tokens); VAE: {vae_m:.2f} M parameters
- Training: VAE {vae_step} steps (+{decoder_step} decoder-only fine-tuning steps), then UNet + text
  encoder jointly for {unet_step} steps of batch {batch} ({samples} samples drawn from a pool of
  rendered scenes, ~{scenes} distinct scenes, ~{single:.0%} single-shape), v-prediction,
  zero-terminal-SNR schedule, 10% caption dropout, AdamW at {lr:g}{decay}; exported weights are
  the EMA weights (fp16)
- Sampling: Euler (default scheduler here) or DPM++ 2M, 20-25 steps, guidance scale ~4-6
- Prompts: "a large red circle in the top left on a black background"; several shapes are
  joined with "and". Words outside the world's vocabulary are not understood.
- Reproduce: `training/train_default_model.py` (seeded; see training/README.md),
  measure: `bench/prompt_adherence.py`
- Exported: {date}
- Licence: Apache-2.0, the Studio project's own licence; produced entirely by the project
  (no third-party data or weights).
"""


def _declare_float32(config_path: Path) -> None:
    """Weights are stored in fp16 to save space, but transformers loads the dtype named in
    the config while diffusers loads float32: declare float32 so a plain
    ``StableDiffusionPipeline.from_pretrained(folder)`` gets one consistent dtype."""
    config = json.loads(config_path.read_text())
    for key in ("dtype", "torch_dtype"):
        if key in config:
            config[key] = "float32"
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def adherence_section(figures: dict) -> str:
    """The model card's "measured" section from ``bench/prompt_adherence.py --json`` figures."""
    acc = figures["accuracy"]
    rows = "\n".join(f"| {name} | {acc[name]:.1%} |" for name in ("background", "colour", "size", "position", "kind"))
    return f"""
## Measured prompt adherence

`bench/prompt_adherence.py --n {figures['n']} --steps {figures['steps']} --guidance {figures['guidance']:g}
--sampler {figures['sampler']}`: {figures['n']} single-shape captions with fixed seeds, each image read
back by the classical analyzer of `studio/world/analyze.py` (which scores
{figures['analyzer_baseline_all']:.0%} on rendered ground truth).

| attribute | accuracy |
| --- | --- |
{rows}
| **all correct** | **{figures['all_correct']:.1%}** |

{figures['seconds_per_image']:.2f} s per image on a 2-core CPU.
"""


def export(state: dict, out_dir: Path, adherence: dict | None = None) -> Path:
    """Build the pipeline from a training state and write it atomically to ``out_dir``."""
    from diffusers import StableDiffusionPipeline
    from shapes_model.build_tokenizer import write_tokenizer
    from shapes_model.models import build_sampler, build_text_encoder, build_unet, build_vae, count_parameters
    from transformers import CLIPTokenizer

    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp-export")
    old = out_dir.with_name(out_dir.name + ".old")
    for d in (tmp, old):
        if d.exists():
            shutil.rmtree(d)
    tok_dir = tmp / "tokenizer"
    write_tokenizer(tok_dir)
    tokenizer = CLIPTokenizer.from_pretrained(tok_dir)
    vae, unet, te = build_vae(), build_unet(), build_text_encoder(tokenizer)
    vae.load_state_dict(state["vae"])
    vae.register_to_config(scaling_factor=float(state["scaling_factor"]))
    unet.load_state_dict(state["ema_unet"])
    te.load_state_dict(state["ema_te"])
    pipe = StableDiffusionPipeline(
        vae=vae.half(),
        text_encoder=te.half(),
        tokenizer=tokenizer,
        unet=unet.half(),
        scheduler=build_sampler("euler"),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(tmp, safe_serialization=True)
    _declare_float32(tmp / "text_encoder" / "config.json")
    args = state.get("args", {})
    info = {
        "vae_step": int(state["vae_step"]),
        "unet_step": int(state["unet_step"]),
        "decoder_step": int(state.get("decoder_step", 0)),
        "stage": state["stage"],
        "batch": int(args.get("batch", 64)),
        "seed": int(args.get("seed", 0)),
        "lr": float(args.get("lr", 3e-4)),
        "lr_decay": {k: args[k] for k in ("decay_start", "decay_steps", "final_lr_fraction") if k in args},
        "exported": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    (tmp / "training_state.json").write_text(json.dumps(info, indent=2) + "\n")
    # the settings the engine uses for this model when the user leaves them on "the model's default"
    defaults = {"steps": 25, "guidance": 5.0, "scheduler": "euler", "size": "64x64"}
    (tmp / "studio.json").write_text(json.dumps({"defaults": defaults}, indent=2) + "\n")
    (tmp / "README.md").write_text(
        CARD.format(
            scaling_factor=float(state["scaling_factor"]),
            unet_m=count_parameters(unet) / 1e6,
            te_m=count_parameters(te) / 1e6,
            vae_m=count_parameters(vae) / 1e6,
            vocab=len(tokenizer),
            vae_step=info["vae_step"],
            unet_step=info["unet_step"],
            decoder_step=info["decoder_step"],
            batch=info["batch"],
            samples=info["unet_step"] * info["batch"],
            scenes=int(args.get("pool_size", 8192)) + info["unet_step"] * int(args.get("pool_refresh", 16)),
            lr=info["lr"],
            decay=(
                f" falling (cosine) to {info['lr_decay']['final_lr_fraction']:g}x over steps "
                f"{info['lr_decay']['decay_start']}-{info['lr_decay']['decay_start'] + info['lr_decay']['decay_steps']}"
                if info["lr_decay"].get("decay_steps")
                else ""
            ),
            single=float(args.get("single_fraction", 0.85)),
            date=info["exported"][:10],
        )
        + (adherence_section(adherence) if adherence else "")
    )
    if out_dir.exists():
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old.exists():
        shutil.rmtree(old)
    return out_dir


def folder_size_mb(folder: Path) -> float:
    """Total size of the weight files in ``folder``, in MB."""
    return sum(f.stat().st_size for f in folder.rglob("*.safetensors")) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, default=DEFAULT_DIR / LATEST)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--adherence", type=Path, default=None,
                    help="figures from bench/prompt_adherence.py --json, quoted in the model card")
    args = ap.parse_args()
    try:
        adherence = json.loads(args.adherence.read_text()) if args.adherence else None
    except (OSError, ValueError) as exc:
        raise SystemExit(f"cannot read the adherence figures {args.adherence}: {exc}") from None
    state = load(args.ckpt)
    if state is None:
        raise SystemExit(f"no checkpoint at {args.ckpt}")
    if state["stage"] != "unet":
        raise SystemExit("the VAE stage is not finished yet; nothing useful to export")
    with torch.no_grad():
        out = export(state, args.out, adherence)
    print(f"exported unet_step={state['unet_step']} to {out} ({folder_size_mb(out):.2f} MB of weights)")


if __name__ == "__main__":
    main()
