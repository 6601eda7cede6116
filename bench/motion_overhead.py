"""Studio's video path against the bare ``AnimateDiffPipeline``, and speed/memory against frame count.

    .venv/bin/python bench/motion_overhead.py [--frames 16] [--steps 4] [--size 64] [--repeats 5]

A tiny random SD 1.x-layout checkpoint and a random motion module that fits it are written to a temporary
folder. The bare baseline calls the very pipeline object the engine built (same weights, same scheduler) with
the same arguments, on a worker thread as Studio does; the studio path runs ``video.generate`` through
``studio.jobs.execute`` (checks, module header, cached pipeline, previews, record). Runs alternate; medians
are compared (target: ratio ≤ 1.05). Then frames per second and peak resident memory (``ru_maxrss``, which
only grows: the counts run in increasing order) for 16, 32 and 64 frames with context windows of 16.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "motion"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scaling", default="16,32,64", help="frame counts for the speed/memory table")
    args = parser.parse_args()

    import torch
    from conftest import CHANNELS, build_base

    from studio.application import StudioApp
    from studio.jobs import Job, JobState, execute
    from studio.settings import Settings
    from studio_plugins.motion.engine import engine_for
    from studio_plugins.motion.testing import save_single_file, tiny_adapter

    tmp = Path(tempfile.mkdtemp(prefix="motion-bench-"))
    os.environ["STUDIO_CONFIG_DIR"] = str(tmp / "config")
    os.environ["STUDIO_CACHE_DIR"] = str(tmp / "cache")
    base = build_base(tmp / "tiny-sd1")
    module = save_single_file(tiny_adapter(CHANNELS, 1), tmp / "mm_tiny.safetensors")
    app = StudioApp(settings=Settings.load(tmp / "config" / "settings.json"), device="cpu")
    action = app.action("video.generate")
    params = {"prompt": "a red circle moving right", "model": str(base), "motion_module": str(module),
              "frames": args.frames, "steps": args.steps, "size": f"{args.size}x{args.size}", "seed": 1,
              "guidance": 7.5}

    def studio(**extra: object) -> float:
        job = Job(action=action, params=params | extra)
        start = time.perf_counter()
        execute(job, app)
        assert job.state == JobState.FINISHED, job.error
        return time.perf_counter() - start

    studio()  # load and warm up
    engine = engine_for(app.host.context("motion"))
    assert engine.loaded is not None
    pipe = engine.loaded.pipe
    pool = ThreadPoolExecutor(1)

    def bare() -> float:
        kwargs = dict(prompt=params["prompt"], num_frames=args.frames, height=args.size, width=args.size,
                      num_inference_steps=args.steps, guidance_scale=7.5, output_type="np", decode_chunk_size=8,
                      generator=torch.Generator("cpu").manual_seed(1))
        start = time.perf_counter()

        def call() -> None:
            with torch.inference_mode():
                pipe(**kwargs)

        pool.submit(call).result()
        return time.perf_counter() - start

    bare()
    times: dict[str, list[float]] = {"studio": [], "bare": []}
    for _ in range(args.repeats):
        times["bare"].append(bare())
        times["studio"].append(studio())
    s, b = statistics.median(times["studio"]), statistics.median(times["bare"])
    print(f"{args.frames} frames {args.size}² {args.steps} steps, torch threads {torch.get_num_threads()}")
    print(f"studio {s:.3f} s, bare AnimateDiffPipeline on a thread {b:.3f} s: ratio {s / b:.3f} (target ≤ 1.05)")

    print("frames  windows  seconds  frames/s  peak RSS (MiB)")
    for count in (int(c) for c in args.scaling.split(",")):
        seconds = studio(frames=count, context_length=16)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{count:>6}  {'yes' if count > 16 else 'no':>7}  {seconds:7.2f}  {count / seconds:8.1f}  {peak:10.0f}")
    pool.shutdown()
    engine.shutdown()


if __name__ == "__main__":
    main()
