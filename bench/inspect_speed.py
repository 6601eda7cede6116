"""How long the evidence report takes for a 12-megapixel JPEG (the budget is 2 s on the development CPU).

    .venv/bin/python bench/inspect_speed.py [--repeat 3]

Makes a 4000×3000 JPEG with camera EXIF from scikit-image's pictures (plus
sensor-like noise), then times, best of ``--repeat`` runs:

- the baseline: decoding the JPEG with Pillow (what any viewer must do);
- the forensics plugin's sections alone (its ``studio_file_report`` hook);
- the whole report, ``app.file_report`` (every plugin: credentials, watermark, forensics...), and each
  plugin's hook on its own;
- ``studio inspect --json`` end to end in a fresh process (start-up included), once.

Wall-clock and CPU seconds are printed, with ratios to the baseline and to
the 2 s budget, and each forensic signal's own time. The machine is shared,
so wall-clock times vary with its load; CPU time varies less.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BUDGET = 2.0


def make_jpeg(path: Path) -> None:
    import cv2
    import skimage.data
    from PIL import Image

    rng = np.random.default_rng(0)
    tiles = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea(), skimage.data.rocket()]
    rows = []
    for r in range(2):
        row = [cv2.resize(tiles[(r * 2 + c) % 4], (2000, 1500), interpolation=cv2.INTER_CUBIC) for c in range(2)]
        rows.append(np.concatenate(row, axis=1))
    picture = np.concatenate(rows, axis=0).astype(np.float32)
    picture += rng.normal(0, 3.0, picture.shape).astype(np.float32)  # sensor-like noise
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0131] = "Canon", "Canon EOS R5", "Firmware Version 1.8.1"
    exif.get_ifd(0x8769)[0x8827] = 400
    Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8)).save(path, quality=92, exif=exif)


def timed(fn, repeat: int) -> tuple[float, float, object]:
    best_wall, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from PIL import Image

    from studio.application import StudioApp
    from studio_plugins.forensics import studio_file_report

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("STUDIO_CONFIG_DIR", str(Path(tmp) / "config"))
        path = Path(tmp) / "camera-12mp.jpg"
        make_jpeg(path)
        with Image.open(path) as im:
            size = im.size
        print(f"file: {size[0]}×{size[1]} JPEG ({size[0] * size[1] / 1e6:.1f} MP, {path.stat().st_size / 1e6:.1f} MB); "
              f"best of {args.repeat}; {os.cpu_count()} CPU(s), load {os.getloadavg()[0]:.2f}")

        def decode() -> object:
            with Image.open(path) as im:
                im.load()
                return im.size

        app = StudioApp()
        app.file_report(path)  # warm up: lazy imports, the detector, the face cascade
        base_wall, base_cpu, _ = timed(decode, args.repeat)
        ctx = app.host.context("forensics")
        ours_wall, ours_cpu, sections = timed(lambda: studio_file_report(path, ctx, {}), args.repeat)
        full_wall, full_cpu, everything = timed(lambda: app.file_report(path), args.repeat)
        per_plugin = {}
        for name in sorted({s.plugin for s in everything}):
            wall, cpu, _ = timed(lambda n=name: app.host.call("studio_file_report", only=n, path=path, options={}),
                                 args.repeat)
            per_plugin[name] = (wall, cpu)
        start = time.perf_counter()
        cli = subprocess.run([sys.executable, "-m", "studio.cli", "inspect", str(path), "--json"],
                             capture_output=True, text=True, timeout=300)
        cli_wall = time.perf_counter() - start
        if cli.returncode != 0:
            print(cli.stderr)
            return 1

    print(f"{'':40s} {'wall s':>8s} {'cpu s':>8s} {'× decode':>9s} {'of 2 s':>8s}")
    for label, wall, cpu in (("baseline: Pillow decode", base_wall, base_cpu),
                             ("forensics sections alone", ours_wall, ours_cpu),
                             ("full report (app.file_report)", full_wall, full_cpu)):
        print(f"{label:40s} {wall:8.3f} {cpu:8.3f} {wall / base_wall:9.1f} {wall / BUDGET:8.0%}")
    print(f"{'studio inspect --json (fresh process)':40s} {cli_wall:8.3f} {'':>8s} {cli_wall / base_wall:9.1f} "
          f"{cli_wall / BUDGET:8.0%}")
    print("each plugin's hook alone:")
    for name, (wall, cpu) in per_plugin.items():
        print(f"  {name:38s} {wall:8.3f} {cpu:8.3f} {wall / base_wall:9.1f} {wall / BUDGET:8.0%}")
    print("forensic signals (last run):")
    for section in sections:
        seconds = section.data.get("seconds")
        if seconds is not None:
            print(f"  {section.title:52s} {seconds:6.3f} s  {section.state}")
    verdict = "within" if full_wall <= BUDGET else "OVER"
    print(f"full report {full_wall:.2f} s wall ({full_cpu:.2f} s CPU): {verdict} the {BUDGET:.0f} s budget")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
