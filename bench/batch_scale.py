"""How ``studio batch inspect`` scales: files per second for 1, 2 and N workers, locally and through Ray.

    .venv/bin/python bench/batch_scale.py                  # 500 files, workers 1, 2 and N (cores), local and Ray
    .venv/bin/python bench/batch_scale.py --files 120 --no-ray

The shared samples (``/work/shared/media-samples`` and ``/work/shared/c2pa-samples``: JPEG, PNG, TIFF, WebP,
MP4, signed and unsigned) are copied round-robin into a temporary folder until it holds ``--files`` files.
Each configuration inspects the whole folder into a fresh results file (:func:`studio.batch.runner.run_inspect`,
the code of the command). The baseline is the local pool with one worker, measured in the same run; every other
figure is given as a ratio to it. Two rates are printed: over the whole run (worker start-up included) and
steady (from the first row to the last, start-up excluded). Scaling efficiency at k workers = rate(k) /
(k × rate(1)); Ray overhead = 1 - rate(Ray, k) / rate(local, k). The machine's load (``/proc/loadavg``) is
printed before and after each configuration: other jobs on the same cores make every figure lower. The
workers' CPU seconds per file (local pool) tell the pool's own overhead apart from a lack of free cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = Path("/work/shared")
SOURCES = (SHARED / "media-samples", SHARED / "c2pa-samples")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def make_corpus(folder: Path, count: int) -> list[Path]:
    from studio.batch.inputs import is_media

    samples = sorted(p for source in SOURCES if source.is_dir() for p in source.iterdir() if is_media(p))
    if not samples:
        raise SystemExit(f"no samples in {', '.join(map(str, SOURCES))}")
    files = []
    for n in range(count):
        sample = samples[n % len(samples)]
        dest = folder / f"{n // len(samples):03d}" / sample.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample, dest)
        files.append(dest)
    return files


def measure(folder: Path, out: Path, workers: int, ray: str | None) -> dict[str, float | int | str]:
    import resource

    from studio.batch.runner import run_inspect

    stamps: list[float] = []
    load_before = loadavg()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    summary = run_inspect(folder, out, workers=workers, ray=ray,
                          on_progress=lambda done, total, errors: stamps.append(time.monotonic()) if done else None)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the local pool's workers, once joined (not Ray's)
    cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 and stamps[-1] > stamps[0] else 0.0
    return {"workers": workers, "backend": f"ray {ray}" if ray else "local", "files": summary.done,
            "errors": summary.errors, "seconds": round(wall, 2), "rate": summary.done / wall,
            "steady_rate": steady, "worker_cpu_s_per_file": round(cpu / max(1, summary.done), 3) if not ray else None,
            "first_row_s": round(stamps[0] - start, 2) if stamps else None,
            "load_before": load_before, "load_after": loadavg()}


def main() -> int:
    from studio.batch.runner import default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500, help="files in the corpus (default 500)")
    parser.add_argument("--workers", type=int, nargs="*", help="worker counts (default: 1, 2 and the cores)")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray runs")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    cores = default_workers()
    counts = sorted(set(args.workers or [1, 2, cores]))
    try:
        import ray  # noqa: F401

        with_ray = not args.no_ray
    except ImportError:
        with_ray = False
        print("ray is not installed: the Ray runs are skipped (pip install 'studio-media[ray]')")
    work = Path(tempfile.mkdtemp(prefix="batch-scale-", dir="/tmp"))
    print(f"cores: {cores}; load before: {loadavg()}; corpus: {args.files} files in {work}")
    try:
        corpus = work / "corpus"
        make_corpus(corpus, args.files)
        runs = []
        for n in counts:
            runs.append(measure(corpus, work / f"local-{n}.jsonl", n, None))
            print(json.dumps(runs[-1]), flush=True)
            if with_ray and n > 1:
                runs.append(measure(corpus, work / f"ray-{n}.jsonl", n, "local"))
                print(json.dumps(runs[-1]), flush=True)
        base = next(r for r in runs if r["backend"] == "local" and r["workers"] == 1) if 1 in counts else runs[0]
        print()
        print(f"{'backend':<10} {'workers':>7} {'files/s':>8} {'×base':>6} {'eff.':>6} {'steady/s':>9} {'×base':>6} "
              f"{'eff.':>6}  load before → after")
        for r in runs:
            k = int(r["workers"]) / int(base["workers"])
            ratio = float(r["rate"]) / float(base["rate"])
            steady_ratio = float(r["steady_rate"]) / float(base["steady_rate"]) if base["steady_rate"] else 0.0
            print(f"{r['backend']:<10} {r['workers']:>7} {float(r['rate']):>8.3f} {ratio:>6.2f} {ratio / k:>6.0%} "
                  f"{float(r['steady_rate']):>9.3f} {steady_ratio:>6.2f} {steady_ratio / k:>6.0%}  "
                  f"{r['load_before']} → {r['load_after']}")
        print()
        for r in runs:
            if r["worker_cpu_s_per_file"] is not None:
                print(f"local, {r['workers']} worker(s): {r['worker_cpu_s_per_file']} CPU s per file in the workers "
                      "(the same at every worker count means the pool adds no work; the wall-clock scaling is then "
                      "bounded by the CPU the machine's other jobs leave)")
        print()
        for r in runs:
            if r["backend"] != "local":
                twin = next((x for x in runs if x["backend"] == "local" and x["workers"] == r["workers"]), None)
                if twin:
                    overhead = 1 - float(r["rate"]) / float(twin["rate"])
                    steady = 1 - float(r["steady_rate"]) / float(twin["steady_rate"]) if twin["steady_rate"] else 0
                    print(f"Ray overhead at {r['workers']} workers: {overhead:.1%} over the whole run, "
                          f"{steady:.1%} steady (target ≤ 15%)")
        two = next((r for r in runs if r["backend"] == "local" and r["workers"] == 2), None)
        if two and 1 in counts:
            print(f"scaling efficiency at 2 workers: {float(two['rate']) / (2 * float(base['rate'])):.0%} over the "
                  f"whole run, {float(two['steady_rate']) / (2 * float(base['steady_rate'])):.0%} steady "
                  "(target ≥ 80%)")
        if args.json:
            Path(args.json).write_text(json.dumps({"cores": cores, "files": args.files, "runs": runs}, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("STUDIO_CONFIG_DIR", tempfile.mkdtemp(prefix="batch-scale-config-"))
    os.environ.setdefault("STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="batch-scale-data-"))
    raise SystemExit(main())
