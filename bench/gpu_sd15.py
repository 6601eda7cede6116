"""SD 1.5 at full size on a GPU: bare diffusers against Studio's path, with and without the speed-ups.

    .venv/bin/python bench/gpu_sd15.py                 # on a machine with a CUDA GPU
    .venv/bin/python bench/gpu_sd15.py --dry-run       # tiny model on the CPU: checks the script itself

The UNet, VAE and text encoder are built from the configs this plugin ships
(``plugins/diffusion/configs/sd1``) with random weights: the arithmetic is that
of the real model, and nothing is downloaded. 512×512, 25 steps, fp16, batch 1,
classifier-free guidance 7.5. Measured, each as the median of ``--repeats``
runs after a warm-up:

1. bare diffusers: ``StableDiffusionPipeline`` on the GPU (PyTorch SDPA attention, diffusers' default);
2. Studio's path: the ``generate`` action on the same weights saved as a diffusers folder
   (model library, hash, cached pipeline, worker thread, previews, record);
3. Studio's path with the speed-ups switched on in the plugin settings: channels-last UNet, fused QKV
   projections and ``torch.compile`` of the UNet (``--compile-mode``; ``reduce-overhead`` uses CUDA graphs,
   ``max-autotune`` also autotunes the kernels and takes minutes to compile).

"it/s" is denoising steps per second inside the loop (first to last step, the GPU synchronised at both
ends); "s/image" is the whole call (text encoding, loop, VAE decode). Published reference for bare
diffusers with SDPA on an A100: ~31 it/s; with torch.compile and channels-last ~47 it/s. Goal: Studio's
fast path ≥ 1.3× bare diffusers on the same GPU. Results are printed and written as JSON to ``--json``
(default ``$OUT/gpu_sd15.json`` when ``$OUT`` is set).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PROMPT = "a photograph of an astronaut riding a horse on the moon, highly detailed"


def build_pipeline(device: str, dtype: Any, dry_run: bool) -> Any:
    """Full-size SD 1.5 from the shipped configs with random weights (tiny with --dry-run)."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    from studio_plugins.diffusion import testing
    from studio_plugins.diffusion.tokenizer_files import CONFIGS, write_tokenizer

    if dry_run:
        pipe = testing.tiny_sd1().to(device)
        pipe.set_progress_bar_config(disable=True)
        return pipe
    root = CONFIGS / "sd1"

    def config(part: str) -> dict[str, Any]:
        return json.loads((root / part / "config.json").read_text())

    torch.manual_seed(0)
    with torch.device(device):
        unet = UNet2DConditionModel.from_config(config("unet")).to(dtype)
        vae = AutoencoderKL.from_config(config("vae")).to(dtype)
        text_encoder = CLIPTextModel(CLIPTextConfig(**config("text_encoder"))).to(dtype)
    tokenizer = CLIPTokenizer.from_pretrained(str(write_tokenizer(Path(tempfile.mkdtemp()) / "tokenizer")))
    scheduler_config = json.loads((root / "scheduler" / "scheduler_config.json").read_text())
    scheduler = EulerDiscreteScheduler.from_config(scheduler_config)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


class LoopClock:
    """Step timestamps from callback_on_step_end; the GPU is synchronised at the first and last step only."""

    def __init__(self, steps: int, cuda: bool) -> None:
        self.steps, self.cuda = steps, cuda
        self.first = self.last = 0.0

    def __call__(self, pipe: Any, i: int, t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        if i in (0, self.steps - 1):
            if self.cuda:
                import torch

                torch.cuda.synchronize()
            if i == 0:
                self.first = time.perf_counter()
            else:
                self.last = time.perf_counter()
        return {}

    @property
    def its(self) -> float:
        return (self.steps - 1) / max(self.last - self.first, 1e-9)


def time_bare(pipe: Any, steps: int, side: int, repeats: int, cuda: bool) -> dict[str, Any]:
    import torch

    def once() -> tuple[float, float]:
        clock = LoopClock(steps, cuda)
        start = time.perf_counter()
        pipe(PROMPT, num_inference_steps=steps, guidance_scale=7.5, height=side, width=side,
             generator=torch.Generator("cpu").manual_seed(0), callback_on_step_end=clock, output_type="np")
        if cuda:
            torch.cuda.synchronize()
        return clock.its, time.perf_counter() - start

    once()
    runs = [once() for _ in range(repeats)]
    return {"it_s": statistics.median(r[0] for r in runs), "s_image": statistics.median(r[1] for r in runs),
            "runs_it_s": [round(r[0], 2) for r in runs]}


def time_studio(app: Any, folder: Path, steps: int, side: int, repeats: int, cuda: bool) -> dict[str, Any]:
    """The generate action; step times from the job's progress (the GPU synchronised at both ends)."""
    import torch

    from studio.jobs import Job, JobState, execute

    action = app.action("generate")
    params = {"prompt": PROMPT, "model": str(folder), "steps": steps, "guidance": 7.5, "size": f"{side}x{side}",
              "seed": 0, "scheduler": "euler"}

    def once() -> tuple[float, float, int]:
        marks: dict[int, float] = {}

        def listen(job: Any) -> None:
            if job.total == steps and job.step in (1, steps) and job.step not in marks:
                if cuda:
                    torch.cuda.synchronize()
                marks[job.step] = time.perf_counter()

        start = time.perf_counter()
        job = execute(Job(action, dict(params)), app, listen)
        if job.state != JobState.FINISHED:
            raise SystemExit(f"studio run failed: {job.error}")
        elapsed = time.perf_counter() - start
        return (steps - 1) / max(marks[steps] - marks[1], 1e-9), elapsed, len(marks)

    t = time.perf_counter()
    once()  # loads (and compiles) the model
    warm = time.perf_counter() - t
    runs = [once() for _ in range(repeats)]
    return {"it_s": statistics.median(r[0] for r in runs), "s_image": statistics.median(r[1] for r in runs),
            "runs_it_s": [round(r[0], 2) for r in runs], "first_run_s": round(warm, 1)}


def studio_app(tmp: Path, device: str, options: dict[str, Any]) -> Any:
    from studio.application import StudioApp
    from studio.settings import Settings

    settings = Settings(path=tmp / "settings.json")
    settings.plugins["diffusion"] = dict(options)
    return StudioApp(settings=settings, device=device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compile-mode", default="reduce-overhead",
                        choices=("off", "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"))
    parser.add_argument("--bare-compiled", action="store_true",
                        help="also time bare diffusers with the same speed-ups (a fairness check)")
    parser.add_argument("--dry-run", action="store_true", help="tiny model on the CPU, to check the script")
    parser.add_argument("--json", type=Path, default=Path(os.environ["OUT"]) / "gpu_sd15.json"
                        if os.environ.get("OUT") else None)
    args = parser.parse_args()

    import torch

    cuda = torch.cuda.is_available() and not args.dry_run
    if not cuda and not args.dry_run:
        raise SystemExit("No CUDA GPU here; run on a GPU machine, or use --dry-run to check the script on the CPU.")
    device = "cuda" if cuda else "cpu"
    dtype = torch.float16 if cuda else torch.float32
    steps, side = (args.steps, args.size) if cuda else (3, 64)
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    results: dict[str, Any] = {"device": torch.cuda.get_device_name(0) if cuda else "cpu (dry run)",
                               "torch": torch.__version__, "steps": steps, "size": side,
                               "dtype": str(dtype).replace("torch.", "")}
    import diffusers

    results["diffusers"] = diffusers.__version__
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["STUDIO_CONFIG_DIR"] = str(tmp / "config")
        os.environ["STUDIO_CACHE_DIR"] = str(tmp / "cache")
        t = time.perf_counter()
        pipe = build_pipeline(device, dtype, args.dry_run)
        results["build_s"] = round(time.perf_counter() - t, 1)
        print(f"{results['device']}: SD 1.5 architecture, random weights, {side}x{side}, {steps} steps, "
              f"{results['dtype']}, batch 1", flush=True)

        results["bare"] = time_bare(pipe, steps, side, args.repeats, cuda)
        print(f"bare diffusers (SDPA)        : {results['bare']['it_s']:7.2f} it/s  "
              f"{results['bare']['s_image']:.3f} s/image", flush=True)

        folder = tmp / "sd15-random"
        t = time.perf_counter()
        pipe.save_pretrained(str(folder), safe_serialization=True)
        results["save_s"] = round(time.perf_counter() - t, 1)
        if args.bare_compiled and cuda:
            pipe.fuse_qkv_projections()
            pipe.unet.to(memory_format=torch.channels_last)
            pipe.unet = torch.compile(pipe.unet, mode=args.compile_mode, fullgraph=True)
            results["bare_compiled"] = time_bare(pipe, steps, side, args.repeats, cuda)
            print(f"bare diffusers + speed-ups   : {results['bare_compiled']['it_s']:7.2f} it/s", flush=True)
        del pipe
        if cuda:
            torch.cuda.empty_cache()

        base = {"dtype": "float16"} if cuda else {}
        app = studio_app(tmp, device, base)
        results["studio"] = time_studio(app, folder, steps, side, args.repeats, cuda)
        studio = results["studio"]
        print(f"studio path                  : {studio['it_s']:7.2f} it/s  {studio['s_image']:.3f} s/image  "
              f"(first run incl. load {studio['first_run_s']} s)", flush=True)
        from studio_plugins.diffusion.generate import engine_for

        engine_for(app.host.context("diffusion")).shutdown()

        if cuda and args.compile_mode != "off":
            fast = {**base, "channels_last": True, "fuse_qkv": True, "compile": args.compile_mode}
            app = studio_app(tmp, device, fast)
            results["studio_fast"] = time_studio(app, folder, steps, side, args.repeats, cuda)
            results["studio_fast"]["options"] = fast
            print(f"studio path + speed-ups      : {results['studio_fast']['it_s']:7.2f} it/s  "
                  f"{results['studio_fast']['s_image']:.3f} s/image  (first run incl. load and compile "
                  f"{results['studio_fast']['first_run_s']} s)", flush=True)
            engine_for(app.host.context("diffusion")).shutdown()

    bare = results["bare"]["it_s"]
    results["ratio_studio"] = round(results["studio"]["it_s"] / bare, 3)
    print(f"studio / bare                : {results['ratio_studio']:.3f}x")
    if "studio_fast" in results:
        results["ratio_studio_fast"] = round(results["studio_fast"]["it_s"] / bare, 3)
        verdict = "met" if results["ratio_studio_fast"] >= 1.3 else "NOT met"
        print(f"studio + speed-ups / bare    : {results['ratio_studio_fast']:.3f}x  (goal >= 1.3: {verdict})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
