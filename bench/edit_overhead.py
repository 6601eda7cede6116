"""Studio's edit path against the bare diffusers InstructPix2Pix pipeline: same model, same picture, same settings.

    .venv/bin/python bench/edit_overhead.py [--model PATH] [--steps 20] [--size 128] [--repeats 5]

The bare baseline loads the model folder with ``StableDiffusionInstructPix2PixPipeline`` and calls it
directly on the picture; the studio path runs the ``edit_image`` action through ``studio.jobs.execute``
(checks, model library, cached pipeline, worker thread, a preview every step, the resize back to the
picture's size, the record). The picture's sides are multiples of 8, so neither path resizes. The bare
pipeline is also timed on a worker thread, as Studio runs it: "studio / bare on a thread" isolates what
Studio itself adds. Runs alternate so that load from other processes hits all alike; medians are compared.
Without ``--model`` a small random-weight InstructPix2Pix model (SD 1.x layout, 8-channel UNet input) is
built for the run. Target: ratio at most 1.05.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402


def pick_model(arg: str | None, workdir: Path) -> Path:
    from diffusers import StableDiffusionInstructPix2PixPipeline

    from studio_plugins.diffusion import testing

    if arg:
        return Path(arg)
    folder = workdir / "small-ip2p"
    # SD-like proportions at a CPU-friendly size, as bench/generation_overhead.py: VAE factor 4
    sd = testing.tiny_sd1(channels=(64, 128, 256), sample_size=32, vae_channels=(32, 64, 64), in_channels=8)
    pipe = StableDiffusionInstructPix2PixPipeline(
        vae=sd.vae, text_encoder=sd.text_encoder, tokenizer=sd.tokenizer, unet=sd.unet,
        scheduler=testing.tiny_instruct_pix2pix().scheduler, safety_checker=None, feature_extractor=None,
        requires_safety_checker=False)
    testing.save(pipe, folder)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--size", type=int, default=128, help="the picture's side (a multiple of 8)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--guidance", type=float, default=7.5)
    parser.add_argument("--image-guidance", type=float, default=1.5)
    args = parser.parse_args()

    import torch
    from diffusers import StableDiffusionInstructPix2PixPipeline
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("STUDIO_CONFIG_DIR", str(Path(tmp) / "config"))
        os.environ.setdefault("STUDIO_CACHE_DIR", str(Path(tmp) / "cache"))
        from studio.application import StudioApp
        from studio.document.layers import Layer
        from studio.jobs import Job, JobState, execute

        folder = pick_model(args.model, Path(tmp))
        bare = StableDiffusionInstructPix2PixPipeline.from_pretrained(str(folder), dtype=torch.float32,
                                                                      local_files_only=True)
        bare.set_progress_bar_config(disable=True)
        side = args.size
        y, x = np.mgrid[0:side, 0:side]
        rgb = np.dstack([x * 2, y * 2, (x + y)]).astype(np.uint8)
        instruction, seed = "make the square blue", 1234

        def run_bare() -> np.ndarray:
            out = bare(instruction, image=Image.fromarray(rgb), num_inference_steps=args.steps,
                       guidance_scale=args.guidance, image_guidance_scale=args.image_guidance,
                       generator=torch.Generator("cpu").manual_seed(seed), output_type="np")
            return (np.clip(out.images[0], 0, 1) * 255).round().astype(np.uint8)

        app = StudioApp(device="cpu")
        action = app.action("edit_image")
        params = {"instruction": instruction, "model": str(folder), "steps": args.steps, "guidance": args.guidance,
                  "image_guidance": args.image_guidance, "seed": seed}
        previews: list[set[int]] = []

        def run_studio() -> np.ndarray:
            steps: set[int] = set()
            previews.append(steps)
            job = execute(Job(action, dict(params, image=Layer(rgb, name="picture.png"))), app,
                          lambda j: steps.add(j.step) if j.preview is not None else None)
            if job.state != JobState.FINISHED:
                raise SystemExit(f"studio run failed: {job.error}")
            return job.result.images[0].pixels[..., :3]

        from concurrent.futures import ThreadPoolExecutor

        worker = ThreadPoolExecutor(max_workers=1)

        def run_bare_thread() -> np.ndarray:
            return worker.submit(run_bare).result()

        same = np.array_equal(run_bare(), run_studio())  # warm-up: loads, first-call costs
        run_bare_thread()
        runs: dict[str, list[float]] = {"bare diffusers": [], "bare on a thread": [], "studio path": []}
        for _ in range(args.repeats):
            for label, fn in zip(runs, (run_bare, run_bare_thread, run_studio), strict=True):
                t = time.perf_counter()
                fn()
                runs[label].append(time.perf_counter() - t)
        worker.shutdown()
        med = {label: statistics.median(times) for label, times in runs.items()}
        print(f"model: {folder.name} ({side}x{side}, {args.steps} steps, CPU, {torch.get_num_threads()} threads)")
        for label, times in runs.items():
            print(f"{label:<17}: median {med[label]:.3f} s  ({args.steps / med[label]:.2f} it/s)  "
                  f"runs {[round(x, 3) for x in times]}")
        s = med["studio path"]
        print(f"ratio studio / bare diffusers:   {s / med['bare diffusers']:.3f}  (target <= 1.05)")
        print(f"ratio studio / bare on a thread: {s / med['bare on a thread']:.3f}  (Studio's own overhead)")
        print(f"same picture from both paths: {'yes' if same else 'NO'}; previews per studio run: "
              f"{min(len(p) for p in previews)}")
        from studio_plugins.diffusion.generate import engine_for

        engine_for(app.host.context("diffusion")).shutdown()


if __name__ == "__main__":
    main()
