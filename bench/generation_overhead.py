"""Studio's generation path against the bare diffusers pipeline: same model, same settings, same run.

    .venv/bin/python bench/generation_overhead.py [--model PATH] [--steps 20] [--size 128] [--repeats 5]

The bare baseline loads the model folder with the family's diffusers pipeline
class and calls it directly; the studio path runs the ``generate`` action
through ``studio.jobs.execute`` (model library, cached pipeline, worker thread,
a preview every step, the record). The bare pipeline is also timed on a
worker thread, as Studio runs it: on a busy CPU that alone changes the speed,
so "studio / bare on a thread" isolates what Studio itself adds. Runs alternate
so that load from other processes hits all alike; medians are compared. Without
``--model`` it uses the built-in model if present, else a small random-weight
SD 1.x-layout model built for the run. Target: ratio at most 1.05.
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
    from studio_plugins.diffusion import testing
    from studio_plugins.diffusion.library import BUILTIN_MODEL, builtin_dir

    if arg:
        return Path(arg)
    builtin = builtin_dir() / BUILTIN_MODEL
    if (builtin / "model_index.json").is_file():
        return builtin
    folder = workdir / "small-sd1"
    # SD-like proportions at a CPU-friendly size: 128x128 pixels, 32x32 latents (VAE factor 4)
    testing.save(testing.tiny_sd1(channels=(64, 128, 256), sample_size=32, vae_channels=(32, 64, 64)), folder)
    return folder


def bare_pipeline(folder: Path):  # noqa: ANN201 - diffusers type
    import diffusers
    import torch

    from studio_plugins.diffusion.families import FAMILIES
    from studio_plugins.diffusion.library import inspect_model

    info = inspect_model(folder)
    cls = getattr(diffusers, FAMILIES[info.family].pipelines["txt2img"])
    pipe = cls.from_pretrained(str(folder), dtype=torch.float32, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--size", type=int, default=0, help="square side (0: the model's native size)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--guidance", type=float, default=5.0)
    args = parser.parse_args()

    import torch

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("STUDIO_CONFIG_DIR", str(Path(tmp) / "config"))
        os.environ.setdefault("STUDIO_CACHE_DIR", str(Path(tmp) / "cache"))
        from studio.application import StudioApp
        from studio.jobs import Job, JobState, execute

        folder = pick_model(args.model, Path(tmp))
        bare = bare_pipeline(folder)
        native = int(bare.unet.config.sample_size) * int(bare.vae_scale_factor)
        side = args.size or native
        prompt, seed = "a large red circle in the top left on a black background", 1234

        def run_bare() -> np.ndarray:
            out = bare(prompt, num_inference_steps=args.steps, guidance_scale=args.guidance, height=side,
                       width=side, generator=torch.Generator("cpu").manual_seed(seed), output_type="np")
            return (np.clip(out.images[0], 0, 1) * 255).round().astype(np.uint8)

        app = StudioApp(device="cpu")
        action = app.action("generate")
        params = {"prompt": prompt, "model": str(folder), "steps": args.steps, "guidance": args.guidance,
                  "size": f"{side}x{side}", "seed": seed}
        previews: list[set[int]] = []

        def run_studio() -> np.ndarray:
            steps: set[int] = set()
            previews.append(steps)
            job = execute(Job(action, dict(params)), app,
                          lambda j: steps.add(j.step) if j.preview is not None else None)
            if job.state != JobState.FINISHED:
                raise SystemExit(f"studio run failed: {job.error}")
            return job.result.images[0].pixels

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
        print(f"same image from both paths: {'yes' if same else 'NO'}; previews per studio run: "
              f"{min(len(p) for p in previews)}")
        from studio_plugins.diffusion.generate import engine_for

        engine_for(app.host.context("diffusion")).shutdown()


if __name__ == "__main__":
    main()
