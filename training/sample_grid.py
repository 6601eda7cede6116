"""Contact sheet of the exported model: a few captions x seeds, loaded offline through
``diffusers.StableDiffusionPipeline.from_pretrained``.

    .venv/bin/python training/sample_grid.py out/samples.png [--model assets/models/studio-shapes]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
for p in (str(REPO), str(REPO / "bench"), str(REPO / "training")):
    if p not in sys.path:
        sys.path.insert(0, p)

from shapes_model.data import PREVIEW_PROMPTS as DEFAULT_CAPTIONS  # noqa: E402


def make_sheet(rows: list[tuple[str, list[np.ndarray]]], scale: int = 2) -> Image.Image:  # noqa: F821
    """One row per caption: the caption text above its images."""
    from PIL import Image, ImageDraw

    h, w = rows[0][1][0].shape[:2]
    cols = max(len(imgs) for _, imgs in rows)
    text_h, pad = 14, 4
    row_h = text_h + h * scale + pad
    sheet = Image.new("RGB", (max(cols * (w * scale + pad), 560), len(rows) * row_h), (30, 30, 30))
    draw = ImageDraw.Draw(sheet)
    for r, (text, imgs) in enumerate(rows):
        y = r * row_h
        draw.text((2, y + 1), text, fill=(230, 230, 230))
        for c, img in enumerate(imgs):
            big = Image.fromarray(img).resize((w * scale, h * scale), Image.NEAREST)
            sheet.paste(big, (c * (w * scale + pad), y + text_h))
    return sheet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="PNG to write")
    ap.add_argument("--model", type=Path, default=REPO / "assets" / "models" / "studio-shapes")
    ap.add_argument("--captions", nargs="*", default=DEFAULT_CAPTIONS)
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--guidance", type=float, default=5.0)
    ap.add_argument("--sampler", default="euler", choices=["euler", "dpm++"])
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()

    import torch
    from prompt_adherence import load_pipeline

    if args.threads:
        torch.set_num_threads(args.threads)
    pipe = load_pipeline(args.model, args.sampler)
    rows = []
    for text in args.captions:
        gens = [torch.Generator().manual_seed(s) for s in range(args.seeds)]
        out = pipe(
            [text] * args.seeds,
            num_inference_steps=args.steps,
            guidance_scale=args.guidance,
            generator=gens,
            output_type="np",
        ).images
        rows.append((text, list((np.asarray(out) * 255).round().clip(0, 255).astype(np.uint8))))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    make_sheet(rows).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
