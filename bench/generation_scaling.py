"""How generation time grows with the number of steps and with the number of pixels (studio path, CPU).

    .venv/bin/python bench/generation_scaling.py [--model PATH] [--repeats 3]

Uses the built-in model if present, else the same small random-weight SD 1.x
layout model as bench/generation_overhead.py. Prints a table and fits:
time = fixed + per_step × steps, and the exponent k in time ∝ pixels^k.
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
sys.path.insert(0, str(REPO / "bench"))

import numpy as np  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", default="5,10,20,40")
    parser.add_argument("--sizes", default="", help="square sides, e.g. 64,128,192,256 (default: from the model)")
    parser.add_argument("--size-steps", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("STUDIO_CONFIG_DIR", str(Path(tmp) / "config"))
        os.environ.setdefault("STUDIO_CACHE_DIR", str(Path(tmp) / "cache"))
        from generation_overhead import pick_model

        from studio.application import StudioApp
        from studio.jobs import Job, JobState, execute
        from studio_plugins.diffusion.generate import engine_for

        folder = pick_model(args.model, Path(tmp))
        app = StudioApp(device="cpu")
        action = app.action("generate")

        def timed(steps: int, side: int) -> float:
            times = []
            for _ in range(args.repeats):
                params = {"prompt": "a small blue square in the centre on a white background", "model": str(folder),
                          "steps": steps, "size": f"{side}x{side}", "seed": 7, "guidance": 5.0}
                t = time.perf_counter()
                job = execute(Job(action, params), app)
                times.append(time.perf_counter() - t)
                if job.state != JobState.FINISHED:
                    raise SystemExit(job.error)
            return statistics.median(times)

        first = execute(Job(action, {"prompt": "warm up", "model": str(folder), "steps": 2}), app)
        if first.state != JobState.FINISHED:
            raise SystemExit(first.error)
        native = first.result.images[0].pixels.shape[0]
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [native // 2, native, native * 3 // 2,
                                                                            native * 2]
        print(f"model: {folder.name}, native {native}x{native}, CPU; medians of {args.repeats} runs")
        print("\nsteps  seconds  s/step")
        steps_list = [int(s) for s in args.steps.split(",")]
        step_times = [timed(n, native) for n in steps_list]
        for n, t in zip(steps_list, step_times, strict=True):
            print(f"{n:5d}  {t:7.3f}  {t / n:6.3f}")
        per_step, fixed = np.polyfit(steps_list, step_times, 1)
        print(f"fit: time = {fixed:.3f} s + {per_step:.4f} s x steps")

        print(f"\nsize      pixels   seconds ({args.size_steps} steps)  s/step")
        size_times = [timed(args.size_steps, side) for side in sizes]
        for side, t in zip(sizes, size_times, strict=True):
            print(f"{side:4d}x{side:<4d} {side * side:7d}   {t:7.3f}              {t / args.size_steps:6.3f}")
        k = np.polyfit(np.log([s * s for s in sizes]), np.log(size_times), 1)[0]
        print(f"fit: time ∝ pixels^{k:.2f} (1.0 = linear; attention makes large sizes super-linear)")
        engine_for(app.host.context("diffusion")).shutdown()


if __name__ == "__main__":
    main()
