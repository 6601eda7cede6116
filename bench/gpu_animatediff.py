"""AnimateDiff at SD 1.5 size on a CUDA device: bare ``AnimateDiffPipeline`` against Studio's path.

    python bench/gpu_animatediff.py [--frames 16] [--size 512] [--steps 20] [--repeats 3] [--dtype float16]

Random weights in the real SD 1.5 layout (UNet 320/640/1280/1280, 2 layers per level, cross-attention 768;
VAE 128/256/512/512; a 12-layer CLIP text encoder of width 768) and a random AnimateDiff v2-layout motion
module (mid block, 32 positions) are written to a temporary folder — nothing is downloaded. Both paths run
fp16 on the GPU; runs alternate and medians are compared (target: studio / bare ≤ 1.05). Also prints peak
GPU memory per path and the frames per second. Not run in CI: it needs a CUDA machine (about 8 GB free).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def build_sd15(folder: Path) -> Path:
    import torch
    from diffusers import DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel

    from studio_plugins.diffusion import testing

    torch.manual_seed(0)
    unet = UNet2DConditionModel(sample_size=64, cross_attention_dim=768, attention_head_dim=8)  # SD 1.5 defaults
    vae = testing.vae((128, 256, 512, 512), layers_per_block=2)
    text = testing.clip_text(hidden=768, layers=12)
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=text, tokenizer=testing.tokenizer(), unet=unet,
        scheduler=DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="linear", clip_sample=False,
                                steps_offset=1),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.to(torch.float16)
    return testing.save(pipe, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    if not torch.cuda.is_available():
        raise SystemExit("This benchmark needs a CUDA device.")
    from studio.application import StudioApp
    from studio.jobs import Job, JobState, execute
    from studio.settings import Settings
    from studio_plugins.motion.engine import engine_for
    from studio_plugins.motion.testing import save_single_file, tiny_adapter

    tmp = Path(tempfile.mkdtemp(prefix="motion-gpu-"))
    os.environ["STUDIO_CONFIG_DIR"] = str(tmp / "config")
    os.environ["STUDIO_CACHE_DIR"] = str(tmp / "cache")
    t0 = time.perf_counter()
    base = build_sd15(tmp / "sd15-random")
    module = save_single_file(tiny_adapter((320, 640, 1280, 1280), 2, mid_block=True).half(),
                              tmp / "mm_sd_v15_v2_random.safetensors")
    print(f"built random SD 1.5 + motion module in {time.perf_counter() - t0:.0f} s")

    app = StudioApp(settings=Settings.load(tmp / "config" / "settings.json"), device="cuda")
    action = app.action("video.generate")
    params = {"prompt": "a red circle moving right", "model": str(base), "motion_module": str(module),
              "frames": args.frames, "steps": args.steps, "size": f"{args.size}x{args.size}", "seed": 1,
              "guidance": 7.5}

    def studio() -> tuple[float, float]:
        torch.cuda.reset_peak_memory_stats()
        job = Job(action=action, params=params)
        start = time.perf_counter()
        execute(job, app)
        torch.cuda.synchronize()
        assert job.state == JobState.FINISHED, job.error
        return time.perf_counter() - start, torch.cuda.max_memory_allocated() / 2**30

    studio()
    engine = engine_for(app.host.context("motion"))
    assert engine.loaded is not None
    pipe = engine.loaded.pipe
    print(f"dtype {pipe.unet.dtype}, device {pipe.unet.device}")
    pool = ThreadPoolExecutor(1)

    def bare() -> tuple[float, float]:
        torch.cuda.reset_peak_memory_stats()
        kwargs = dict(prompt=params["prompt"], num_frames=args.frames, height=args.size, width=args.size,
                      num_inference_steps=args.steps, guidance_scale=7.5, output_type="np", decode_chunk_size=8,
                      generator=torch.Generator("cpu").manual_seed(1))

        def call() -> None:
            with torch.inference_mode():
                pipe(**kwargs)
            torch.cuda.synchronize()

        start = time.perf_counter()
        pool.submit(call).result()
        return time.perf_counter() - start, torch.cuda.max_memory_allocated() / 2**30

    bare()
    runs: dict[str, list[tuple[float, float]]] = {"studio": [], "bare": []}
    for _ in range(args.repeats):
        runs["bare"].append(bare())
        runs["studio"].append(studio())
    for name, values in runs.items():
        seconds = statistics.median(v[0] for v in values)
        peak = max(v[1] for v in values)
        print(f"{name:<7} {seconds:7.2f} s  {args.frames / seconds:6.2f} frames/s  peak {peak:.2f} GiB")
    ratio = statistics.median(v[0] for v in runs["studio"]) / statistics.median(v[0] for v in runs["bare"])
    print(f"studio / bare: {ratio:.3f} (target ≤ 1.05)")
    pool.shutdown()
    engine.shutdown()


if __name__ == "__main__":
    main()
