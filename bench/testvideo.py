"""A long 1080p H.264 test video for the benchmarks, made once with PyAV and kept in the cache folder.

    python bench/testvideo.py [--minutes 10]

The picture is a textured background panning slowly, with moving shapes and a bar that counts frames,
so that decoding costs what a real video costs (not a flat colour). libx264 ``ultrafast``, a keyframe
every 2 seconds (what phones and cameras do, so a seek decodes up to 2 s of frames), 30 frames a second.
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

WIDTH, HEIGHT, FPS = 1920, 1080, 30
KEYINT_SECONDS = 2


def cache_folder() -> Path:
    from studio.settings import cache_dir

    folder = cache_dir() / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _background(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A smooth, textured picture larger than the frame (it pans), as Y, U and V planes (4:2:0)."""
    import cv2

    width, height = WIDTH + 480, HEIGHT + 192
    small = rng.integers(0, 256, (height // 40, width // 40, 3), np.uint8)
    big = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    big = cv2.add(big, rng.integers(0, 16, big.shape, np.uint8))
    yuv = cv2.cvtColor(big, cv2.COLOR_RGB2YUV)
    y = np.ascontiguousarray(yuv[..., 0])
    u = np.ascontiguousarray(cv2.resize(yuv[..., 1], (width // 2, height // 2), interpolation=cv2.INTER_AREA))
    v = np.ascontiguousarray(cv2.resize(yuv[..., 2], (width // 2, height // 2), interpolation=cv2.INTER_AREA))
    return y, u, v


def make_video(minutes: float = 10.0, path: Path | None = None, quiet: bool = False) -> tuple[Path, float]:
    """The test video (made if it is not in the cache yet); returns (path, seconds it took to make, 0 if cached)."""
    import av
    import cv2

    frames = int(round(minutes * 60 * FPS))
    path = path or cache_folder() / f"pan_{WIDTH}x{HEIGHT}_{FPS}fps_{frames}f_ultrafast_k{KEYINT_SECONDS}s.mp4"
    if path.exists() and path.stat().st_size > 0:
        return path, 0.0
    tmp = path.with_suffix(".part.mp4")
    started = time.perf_counter()
    rng = np.random.default_rng(7)
    by, bu, bv = _background(rng)
    planes = np.empty((HEIGHT * 3 // 2, WIDTH), np.uint8)  # I420: Y, then U and V, each a quarter
    y_plane = planes[:HEIGHT]
    u_plane = planes[HEIGHT:HEIGHT + HEIGHT // 4].reshape(HEIGHT // 2, WIDTH // 2)
    v_plane = planes[HEIGHT + HEIGHT // 4:].reshape(HEIGHT // 2, WIDTH // 2)
    with av.open(str(tmp), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(FPS))
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "23", "g": str(FPS * KEYINT_SECONDS),
                          "keyint_min": str(FPS * KEYINT_SECONDS), "sc_threshold": "0"}
        stream.thread_type = "AUTO"
        for n in range(frames):
            x = int(240 + 200 * np.sin(n / 400)) // 2 * 2
            y = int(96 + 80 * np.cos(n / 300)) // 2 * 2
            y_plane[:] = by[y:y + HEIGHT, x:x + WIDTH]
            u_plane[:] = bu[y // 2:y // 2 + HEIGHT // 2, x // 2:x // 2 + WIDTH // 2]
            v_plane[:] = bv[y // 2:y // 2 + HEIGHT // 2, x // 2:x // 2 + WIDTH // 2]
            cx, cy = int((n * 7) % WIDTH), int(HEIGHT / 2 + 300 * np.sin(n / 45))
            cv2.circle(y_plane, (cx, cy), 90, 200, -1)  # a moving disc
            cv2.circle(v_plane, (cx // 2, cy // 2), 45, 220, -1)
            y_plane[HEIGHT - 40:, : int(WIDTH * (n + 1) / frames)] = 235  # a bar that counts frames
            frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            frame.pts = n
            for packet in stream.encode(frame):
                container.mux(packet)
            if not quiet and n % (FPS * 60) == 0:
                spent = time.perf_counter() - started
                print(f"  making the test video: {n / frames:5.1%} after {spent:.0f} s", flush=True)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(path)
    return path, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    path, took = make_video(args.minutes)
    size = path.stat().st_size / 2**20
    print(f"{path} ({size:.0f} MB)" + (f", made in {took:.0f} s" if took else ", from the cache"))


if __name__ == "__main__":
    main()
