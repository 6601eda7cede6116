"""Paths and helpers shared by the tests."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MEDIA = SHARED / "media-samples"
C2PA_SAMPLES = SHARED / "c2pa-samples"
THIRDPARTY = Path(__file__).parent / "fixture_plugins" / "thirdparty"


def cli_env(extra_path: Path | None = None) -> dict[str, str]:
    """The environment for a ``studio`` subprocess, optionally with an extra import path."""
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(extra_path), env.get("PYTHONPATH", "")])
    return env


def write_test_video(path: Path, frames: int = 24, size: tuple[int, int] = (320, 256), fps: int = 24,
                     audio: bool = False, codec: str = "libx264", container: str | None = None,
                     keyint: int = 12) -> Path:
    """A small video whose frame ``n`` shows its number: a bar ``n`` steps across and brightness ``8 n``.

    Frame n carries its number in binary along the top-left (see :func:`stamp`; readable after compression).
    """
    from fractions import Fraction

    import av
    import numpy as np

    width, height = size
    out = av.open(str(path), mode="w", format=container)
    stream = out.add_stream(codec, rate=fps)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    if codec == "libx264":
        stream.options = {"crf": "12", "preset": "ultrafast", "g": str(keyint)}
    astream = out.add_stream("aac", rate=48000) if audio else None
    if astream is not None:
        astream.layout = "stereo"
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 60, (height, width, 3), np.uint8)
    sample = 0
    for n in range(frames):
        img = texture.copy()
        stamp(img, n)
        x = (n * 7) % max(1, width - 20)
        img[height // 2:height // 2 + 20, x:x + 20] = (220, 40, 40)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = n
        frame.time_base = Fraction(1, fps)
        for packet in stream.encode(frame):
            out.mux(packet)
        if astream is not None:
            while sample < (n + 1) * 48000 // fps:
                t = (sample + np.arange(1024)) / 48000
                tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
                aframe = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
                aframe.sample_rate = 48000
                aframe.pts = sample
                aframe.time_base = Fraction(1, 48000)
                for packet in astream.encode(aframe):
                    out.mux(packet)
                sample += 1024
    for packet in stream.encode():
        out.mux(packet)
    if astream is not None:
        for packet in astream.encode():
            out.mux(packet)
    out.close()
    return path


BITS = 8


def stamp(img, n: int) -> None:
    """Write ``n`` into ``img`` as 8 black or white 8×8 squares along the top-left (bit 0 first)."""
    for bit in range(BITS):
        img[:8, bit * 8:(bit + 1) * 8] = 235 if (n >> bit) & 1 else 20


def frame_number(pixels) -> int:
    """The number :func:`stamp` wrote into a frame (of :func:`write_test_video`, say)."""
    return sum(1 << bit for bit in range(BITS) if float(pixels[2:6, bit * 8 + 2:bit * 8 + 6, :3].mean()) > 128)


def write_rgb_clip(path: Path, frames, fps: int = 8) -> Path:
    """Encode RGB frames (H.264, nearly lossless) — e.g. the shapes world's rendered motion."""
    import av

    with av.open(str(path), "w") as box:
        stream = box.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        stream.options = {"crf": "12"}
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    return path
