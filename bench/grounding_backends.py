"""Studio's transformers grounding backends against bare transformers: same folders, same picture, same run.

    .venv/bin/python bench/grounding_backends.py [--repeats 20] [--image-size 128] [--picture 640x480] [--threads N]

Tiny random OWLv2 and Grounding DINO folders are built for the run (``hf_testing``; nothing is downloaded).
For each, the paths are timed interleaved (in a rotating order) so that load from other processes hits
all alike, and the medians compared:

* studio: ``load_backend(folder).detect(rgb, queries, threshold, max_boxes)`` (cached model; per-query
  scores, clipping, suppression of overlapping boxes, ``max_boxes`` per query);
* bare model: the processor, the model and the processor's own post-processing
  (``post_process_grounded_object_detection`` with target sizes) — the same model work as studio;
* OWL only, bare pipeline: ``pipeline("zero-shot-object-detection")``, which runs the model once per
  query (studio runs it once for all queries).

Target: studio / bare model at most 1.05. Wall and CPU time are both given: on a busy machine the CPU
time (with ``--threads 1``) is the steadier measure of the work each path does. Boxes/s counts what each
path returns (studio keeps at most ``max_boxes`` per query and suppresses overlaps; the bare paths keep
every box above the threshold).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

QUERIES = ["a red cat", "a dog"]
THRESHOLD = 0.1
MAX_BOXES = 10


def owl_paths(folder: Path, rgb: np.ndarray) -> dict[str, Callable[[], int]]:
    import torch
    from PIL import Image
    from transformers import AutoModelForZeroShotObjectDetection, AutoProcessor, pipeline

    from studio_plugins.grounding.hf import load_backend

    height, width = rgb.shape[:2]
    backend = load_backend(folder)
    processor = AutoProcessor.from_pretrained(str(folder), local_files_only=True)
    model = AutoModelForZeroShotObjectDetection.from_pretrained(str(folder), local_files_only=True).eval()
    pipe = pipeline("zero-shot-object-detection", model=str(folder), device="cpu")

    def studio() -> int:
        return len(backend.detect(rgb, QUERIES, THRESHOLD, MAX_BOXES))

    def bare() -> int:
        inputs = processor(text=[QUERIES], images=Image.fromarray(rgb), return_tensors="pt")
        with torch.inference_mode():
            outputs = model(**inputs)
        result = processor.post_process_grounded_object_detection(
            outputs, threshold=THRESHOLD, target_sizes=[(height, width)], text_labels=[QUERIES])[0]
        return len(result["boxes"])

    def bare_pipeline() -> int:
        return len(pipe(Image.fromarray(rgb), candidate_labels=QUERIES, threshold=THRESHOLD))

    return {"studio": studio, "bare model": bare, "bare pipeline": bare_pipeline}


def dino_paths(folder: Path, rgb: np.ndarray) -> dict[str, Callable[[], int]]:
    import torch
    from PIL import Image
    from transformers import AutoModelForZeroShotObjectDetection, AutoProcessor

    from studio_plugins.grounding.hf import load_backend

    height, width = rgb.shape[:2]
    backend = load_backend(folder)
    processor = AutoProcessor.from_pretrained(str(folder), local_files_only=True)
    model = AutoModelForZeroShotObjectDetection.from_pretrained(str(folder), local_files_only=True).eval()
    caption = ". ".join(QUERIES) + "."

    def studio() -> int:
        return len(backend.detect(rgb, QUERIES, THRESHOLD, MAX_BOXES))

    def bare() -> int:
        inputs = processor(images=Image.fromarray(rgb), text=caption, return_tensors="pt")
        with torch.inference_mode():
            outputs = model(**inputs)
        result = processor.post_process_grounded_object_detection(
            outputs, inputs["input_ids"], threshold=THRESHOLD, text_threshold=THRESHOLD,
            target_sizes=[(height, width)])[0]
        return len(result["boxes"])

    return {"studio": studio, "bare model": bare}


def measure(name: str, paths: dict[str, Callable[[], int]], repeats: int) -> None:
    """Median wall time and median CPU time per picture for each path, interleaved."""
    for fn in paths.values():  # warm-up: first-call costs
        fn()
    wall: dict[str, list[float]] = {label: [] for label in paths}
    cpu: dict[str, list[float]] = {label: [] for label in paths}
    boxes: dict[str, int] = {}
    items = list(paths.items())
    for r in range(repeats):
        for label, fn in items[r % len(items):] + items[:r % len(items)]:  # rotated: no path always first
            c, t = time.process_time(), time.perf_counter()
            boxes[label] = fn()
            wall[label].append(time.perf_counter() - t)
            cpu[label].append(time.process_time() - c)
    med = {label: statistics.median(ts) for label, ts in wall.items()}
    med_cpu = {label: statistics.median(ts) for label, ts in cpu.items()}
    print(f"{name}:")
    for label in paths:
        print(f"  {label:<14}: median {med[label] * 1000:7.2f} ms wall, {med_cpu[label] * 1000:7.2f} ms CPU  "
              f"{1 / med[label]:6.1f} images/s  {boxes[label] / med[label]:7.1f} boxes/s  ({boxes[label]} boxes)")
    for label in paths:
        if label != "studio":
            note = "  (target <= 1.05)" if label == "bare model" else "  (the pipeline runs once per query)"
            print(f"  ratio studio / {label}: wall {med['studio'] / med[label]:.3f}, "
                  f"CPU {med_cpu['studio'] / med_cpu[label]:.3f}{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--image-size", type=int, default=128, help="the tiny models' input side")
    parser.add_argument("--picture", default="640x480", help="WIDTHxHEIGHT of the random picture")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    from studio_plugins.grounding import hf_testing

    width, height = (int(v) for v in args.picture.lower().split("x"))
    rgb = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        owl = hf_testing.tiny_owl(Path(tmp) / "owlv2", version=2, image_size=args.image_size)
        dino = hf_testing.tiny_grounding_dino(Path(tmp) / "grounding-dino", image_size=args.image_size,
                                              num_queries=100)
        print(f"picture {width}x{height}, queries {QUERIES}, threshold {THRESHOLD}, max_boxes {MAX_BOXES}, "
              f"model input {args.image_size} px, CPU, {torch.get_num_threads()} threads, {args.repeats} repeats")
        measure("OWLv2 (tiny, random)", owl_paths(owl, rgb), args.repeats)
        measure("Grounding DINO (tiny, random)", dino_paths(dino, rgb), args.repeats)


if __name__ == "__main__":
    main()
