"""Prompt-adherence benchmark of the built-in "studio-shapes" text-to-image model.

Generates one image per sampled single-shape caption (fixed seeds) through
``diffusers.StableDiffusionPipeline`` loaded offline from the model folder, reads each image
back with the classical analyzer ``studio.world.analyze`` and prints per-attribute accuracy,
the all-attributes-correct rate and seconds per image. The analyzer is also scored on the
rendered ground truth of the same captions as a baseline (should be ~100%).

    .venv/bin/python bench/prompt_adherence.py --n 200 --steps 25 --sheet out/adherence.png
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from studio.world import caption, render, sample_scene, short_caption  # noqa: E402
from studio.world.analyze import analyze  # noqa: E402

ATTRIBUTES = ("background", "kind", "colour", "size", "position")
DEFAULT_MODEL = REPO / "assets" / "models" / "studio-shapes"


def load_pipeline(model: Path, sampler: str):  # noqa: ANN201 - diffusers type
    """Load the pipeline offline in float32 on CPU with the chosen scheduler."""
    import torch
    from diffusers import DPMSolverMultistepScheduler, EulerDiscreteScheduler, StableDiffusionPipeline
    from diffusers.utils import logging as dlogging

    dlogging.disable_progress_bar()
    dlogging.set_verbosity_error()
    pipe = StableDiffusionPipeline.from_pretrained(
        model, dtype=torch.float32, safety_checker=None, requires_safety_checker=False
    )
    if sampler in ("dpm++", "dpmpp"):
        pipe.scheduler = DPMSolverMultistepScheduler.from_config(
            pipe.scheduler.config, algorithm_type="dpmsolver++", solver_order=2, final_sigmas_type="zero"
        )
    elif sampler == "euler":
        pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)
    else:
        raise SystemExit(f"unknown sampler {sampler!r}")
    pipe.set_progress_bar_config(disable=True)
    return pipe


def score(images: list[np.ndarray], truths: list[dict[str, str]]) -> tuple[dict[str, float], float, list[bool]]:
    """Per-attribute accuracy, all-correct rate and per-image all-correct flags (of the attributes each
    caption asks for: all five for full captions, fewer for short ones)."""
    hits = {a: 0 for a in ATTRIBUTES}
    asked = {a: 0 for a in ATTRIBUTES}
    all_ok: list[bool] = []
    for image, truth in zip(images, truths, strict=True):
        got = analyze(image).as_dict()
        ok = [got[a] == truth[a] for a in ATTRIBUTES if a in truth]
        for a in ATTRIBUTES:
            if a in truth:
                asked[a] += 1
                hits[a] += got[a] == truth[a]
        all_ok.append(all(ok))
    n = max(len(images), 1)
    return {a: hits[a] / max(asked[a], 1) for a in ATTRIBUTES}, sum(all_ok) / n, all_ok


def contact_sheet(images: list[np.ndarray], ok: list[bool], path: Path, cols: int = 10, scale: int = 3) -> None:
    """Grid of generated images; a green frame marks all-correct images, red the others."""
    from PIL import Image

    h, w = images[0].shape[:2]
    cell_h, cell_w = h * scale + 4, w * scale + 4
    rows = (len(images) + cols - 1) // cols
    sheet = np.full((rows * cell_h, cols * cell_w, 3), 40, dtype=np.uint8)
    for i, (img, good) in enumerate(zip(images, ok, strict=True)):
        r, c = divmod(i, cols)
        y, x = r * cell_h, c * cell_w
        sheet[y : y + cell_h, x : x + cell_w] = (40, 200, 60) if good else (220, 40, 40)
        big = np.kron(img, np.ones((scale, scale, 1), dtype=np.uint8))
        sheet[y + 2 : y + 2 + h * scale, x + 2 : x + 2 + w * scale] = big
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(path)


def _training_state(model: Path) -> dict:
    """The exported model's training_state.json (steps, seed), if it has one."""
    try:
        return json.loads((model / "training_state.json").read_text())
    except (OSError, ValueError):
        return {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--guidance", type=float, default=5.0)
    ap.add_argument("--sampler", default="euler", choices=["euler", "dpm++"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--sheet", type=Path, default=None, help="write a contact sheet PNG here")
    ap.add_argument("--json", type=Path, default=None, help="write the figures as JSON here")
    ap.add_argument("--short", action="store_true",
                    help="short prompts that leave attributes out (\"a blue square\", \"a star on white\"); only "
                         "the attributes a prompt asks for are scored")
    args = ap.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    scenes = [sample_scene(rng, n_shapes=1) for _ in range(args.n)]
    if args.short:
        prompts, truths = [], []
        for s in scenes:
            while True:  # a short prompt leaves at least one attribute out
                text, asked = short_caption(s, rng)
                if len(asked) < 5:
                    break
            prompts.append(text)
            truths.append(asked)
    else:
        prompts = [caption(s) for s in scenes]
        truths = [s.attributes() for s in scenes]

    base_acc, base_all, _ = score([render(s) for s in scenes], truths)

    pipe = load_pipeline(args.model, args.sampler)
    images: list[np.ndarray] = []
    start = time.perf_counter()
    for i in range(0, args.n, args.batch):
        chunk = prompts[i : i + args.batch]
        gens = [torch.Generator().manual_seed(args.seed * 100003 + i + j) for j in range(len(chunk))]
        out = pipe(
            chunk, num_inference_steps=args.steps, guidance_scale=args.guidance, generator=gens, output_type="np"
        ).images
        images.extend((np.asarray(out) * 255).round().clip(0, 255).astype(np.uint8))
    seconds = (time.perf_counter() - start) / max(args.n, 1)
    acc, all_rate, ok = score(images, truths)

    print(
        f"model {args.model}  n={args.n} steps={args.steps} sampler={args.sampler} "
        f"guidance={args.guidance} threads={torch.get_num_threads()}" + (" prompts=short" if args.short else "")
    )
    print(f"{'attribute':<12}{'generated':>10}{'analyzer on truth':>20}")
    for a in ATTRIBUTES:
        print(f"{a:<12}{acc[a]:>10.1%}{base_acc[a]:>20.1%}")
    print(f"{'all correct':<12}{all_rate:>10.1%}{base_all:>20.1%}")
    print(f"seconds per image: {seconds:.3f}")
    if args.sheet:
        contact_sheet(images[:100], ok[:100], args.sheet)
        print(f"contact sheet: {args.sheet}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "model": str(args.model),
                    "training_state": _training_state(args.model),
                    "n": args.n,
                    "prompts": "short" if args.short else "full",
                    "steps": args.steps,
                    "sampler": args.sampler,
                    "guidance": args.guidance,
                    "accuracy": acc,
                    "all_correct": all_rate,
                    "seconds_per_image": seconds,
                    "analyzer_baseline": base_acc,
                    "analyzer_baseline_all": base_all,
                },
                indent=2,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
