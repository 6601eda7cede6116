"""Motion adherence of a motion module on the built-in model, read back by the world's analyzer (issue 12).

    .venv/bin/python bench/motion_adherence.py [--module assets/models/studio-shapes-motion] [--n 100]

For ``--n`` captions "a {size} {colour} {kind} moving {direction} on a {background} background" (fixed
seeds, the four directions in turn) it generates 16 frames with diffusers' AnimateDiffPipeline on the
built-in text-to-image model and reads each clip back (``studio.world.motion.read_motion``): the net
direction of the shape, its kind and colour in every frame, frames without a shape, and the flicker (mean
frame-to-frame change of background pixels, 0-255).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from studio.world.motion import DIRECTIONS, motion_caption, read_motion  # noqa: E402
from studio.world.vocab import BACKGROUNDS, COLOURS, KINDS, SIZES  # noqa: E402


def pipeline(base: Path, module: Path):  # noqa: ANN201 - diffusers type
    from diffusers import AnimateDiffPipeline, EulerDiscreteScheduler, MotionAdapter, StableDiffusionPipeline

    sd = StableDiffusionPipeline.from_pretrained(base, local_files_only=True, safety_checker=None)
    adapter = MotionAdapter.from_pretrained(module, local_files_only=True)
    scheduler = EulerDiscreteScheduler.from_config(sd.scheduler.config)
    pipe = AnimateDiffPipeline(vae=sd.vae, text_encoder=sd.text_encoder, tokenizer=sd.tokenizer, unet=sd.unet,
                               motion_adapter=adapter, scheduler=scheduler)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=Path, default=REPO / "assets" / "models" / "studio-shapes")
    ap.add_argument("--module", type=Path, default=REPO / "assets" / "models" / "studio-shapes-motion")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--guidance", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    pipe = pipeline(args.base, args.module)
    rng = np.random.default_rng([args.seed, 12])
    direction_ok = held = present = frames_total = 0
    flicker = []
    start = time.perf_counter()
    dirs = list(DIRECTIONS)
    for i in range(args.n):
        direction = dirs[i % len(dirs)]
        background = list(BACKGROUNDS)[int(rng.integers(3))]
        colour = [c for c in COLOURS if c != background][int(rng.integers(6))]
        kind, size = KINDS[int(rng.integers(4))], SIZES[int(rng.integers(2))]
        prompt = motion_caption(size, colour, kind, direction, background)
        out = pipe(prompt, num_frames=16, num_inference_steps=args.steps, guidance_scale=args.guidance,
                   generator=torch.Generator().manual_seed(args.seed * 1000 + i), output_type="np").frames[0]
        frames = [(np.asarray(f) * 255).round().clip(0, 255).astype(np.uint8) for f in out]
        r = read_motion(frames)
        direction_ok += r.direction == direction
        held += sum(k == kind and c == colour for k, c in zip(r.kinds, r.colours, strict=True))
        present += sum(r.present)
        frames_total += len(frames)
        flicker.append(r.flicker)
    seconds = (time.perf_counter() - start) / max(1, args.n)
    print(f"module {args.module} on {args.base}: {args.n} captions, {args.steps} steps, guidance {args.guidance}")
    print(f"direction right:          {100 * direction_ok / args.n:.1f}%  (need ≥ 90)")
    print(f"colour and kind held:     {100 * held / frames_total:.1f}% of frames  (need ≥ 95)")
    print(f"frames with the shape:    {100 * present / frames_total:.1f}%  (need ≥ 95)")
    print(f"flicker (background):     {float(np.mean(flicker)):.2f} grey levels frame to frame")
    print(f"seconds per 16-frame clip: {seconds:.2f}")


if __name__ == "__main__":
    main()
