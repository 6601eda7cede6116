"""Exporting a clip through Studio's pipeline against a bare PyAV encode of the same frames, same run.

    .venv/bin/python bench/video_export.py [--clip camera|smooth] [--seconds 10] [--size 1920x1080] [--repeats 1]

``--clip camera`` (the default) is camera-like footage: three shots with sensor grain (a phone video, a
pan, a zoom; see ``bench/video_watermark.py``), rendered into memory first. ``--clip smooth`` is a
grain-free slow pan across a photograph (media-samples/earth_apollo17.jpg), made on the fly: like a
generated clip, it is where the invisible mark's fine texture costs the encoder most (the mark is the
only detail there is to code). The bare baseline encodes the frames with PyAV as Studio does
(libx264, yuv420p, the same CRF and preset) and nothing else. The Studio side runs
``app.export.export_clip``: the watermark step marks every frame, the encoder writes the MP4, the
signing step embeds Content Credentials, and the file appears atomically. Afterwards the exported file
is decoded and the watermark looked for. Target: Studio / bare ≤ 1.5, the mark found.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402


def pan_frames(size: tuple[int, int], count: int):
    """``count`` frames of a slow pan across a photograph, each ``size`` (width, height)."""
    import cv2
    from PIL import Image

    width, height = size
    photo = np.asarray(Image.open(REPO.parent / "shared" / "media-samples" / "earth_apollo17.jpg").convert("RGB"))
    wide = cv2.resize(photo, (width + count * 2 + 8, height + 8), interpolation=cv2.INTER_CUBIC)

    def read():
        for n in range(count):
            yield np.ascontiguousarray(wide[4:4 + height, n * 2:n * 2 + width])

    return read


def bare_encode(read, path: Path, fps: int, size: tuple[int, int]) -> None:
    from fractions import Fraction

    import av

    from studio.media import MP4_CRF, MP4_PRESET

    with av.open(str(path), mode="w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.options = {"crf": str(MP4_CRF), "preset": MP4_PRESET}
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.thread_type = "AUTO"
        for n, pixels in enumerate(read()):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = n, Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", choices=("camera", "smooth"), default="camera")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--fps", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    count = int(round(args.seconds * args.fps))
    work = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    os.environ.setdefault("STUDIO_CONFIG_DIR", str(work / "config"))
    os.environ.setdefault("STUDIO_CACHE_DIR", str(work / "cache"))

    from studio.application import StudioApp
    from studio.document import Record
    from studio.media import ClipInput

    app = StudioApp()
    if args.clip == "camera":
        sys.path.insert(0, str(REPO / "bench"))
        from video_watermark import natural_clip

        frames = natural_clip(count, size[0], size[1])

        def read():
            return iter(frames)
    else:
        read = pan_frames(size, count)  # type: ignore[arg-type]
    t = time.perf_counter()
    for _ in read():
        pass
    making = time.perf_counter() - t
    bare, studio = [], []
    report = None
    for _ in range(args.repeats):
        t = time.perf_counter()
        bare_encode(read, work / "bare.mp4", args.fps, size)  # type: ignore[arg-type]
        bare.append(time.perf_counter() - t)
        clip = ClipInput(name="pan", fps=args.fps, count=count, size=size, read=read,  # type: ignore[arg-type]
                         record=Record(action="bench", title="pan", c2pa_action="c2pa.created"))
        t = time.perf_counter()
        report = app.export.export_clip(clip, work / "studio.mp4")
        studio.append(time.perf_counter() - t)
    assert report is not None
    b, s = statistics.median(bare), statistics.median(studio)
    print(f"{args.clip} clip: {count} frames {size[0]}×{size[1]} at {args.fps} fps ({args.seconds:g} s); "
          f"reading the frames {making:.1f} s (in both sides)")
    print(f"bare PyAV encode     {b:7.1f} s  ({b / count * 1000:.0f} ms/frame)")
    print(f"studio export        {s:7.1f} s  ({s / count * 1000:.0f} ms/frame)  steps: {', '.join(report.steps)}")
    print(f"studio / bare        {s / b:7.2f}   (target ≤ 1.5)")
    for notice in report.notices:
        print(f"  note: {notice}")
    from studio.cli import main as cli

    print("watermark on the exported file:")
    cli(["watermark", "detect", str(report.path)])
    print("credentials:")
    cli(["verify", str(report.path)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
