"""Peak memory of the window opening and scrubbing a 10-minute 1080p H.264 video, minus an empty window.

    python bench/timeline_memory.py [--minutes 10] [--seeks 40] [--play 5]

The test video is made once with PyAV (libx264 ultrafast, a keyframe every 2 s; see bench/testvideo.py)
and kept in the cache folder. The measurement runs in a fresh process: an empty window is shown and its
resident memory (RSS) taken as the baseline; then the video is opened (its evidence report is built in
the background, as always), the playhead jumps to random frames (each time until the canvas shows
the frame) and the timeline plays for a few seconds. The peak RSS (sampled every 5 ms) minus the
baseline is the figure; the target is at most 600 MB. It also prints how long seeks take to show, how
many frames playback showed, and the longest GUI stall (gap between ticks of a 5 ms timer) against the
idle window's in the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TARGET_MB = 600.0


def measure(path: Path, seeks: int, play: float) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np
    import psutil
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.application import StudioApp
    from studio.gui.mainwindow import MainWindow

    process = psutil.Process()
    qt = QApplication.instance() or QApplication([])
    window = MainWindow(StudioApp())
    window.confirm_close = False
    window.resize(1400, 900)
    window.show()

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))

    def run_for(seconds: float, until=None) -> None:  # type: ignore[no-untyped-def]
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            qt.processEvents()
            if until is not None and until():
                return
            time.sleep(0.001)

    def max_gap(since: int) -> float:
        gaps = np.diff(ticks[since:]) * 1000
        return float(gaps.max()) if len(gaps) else 0.0

    run_for(1.0)
    timer.start()
    run_for(2.0)
    idle_gap = max_gap(0)
    base = process.memory_info().rss
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    canvas = window.canvas
    first = len(ticks)
    t0 = time.perf_counter()
    assert window.open_file(path)
    opened = time.perf_counter() - t0
    run_for(30.0, lambda: canvas.frame_key is not None and not canvas.frame_pending)
    first_frame = time.perf_counter() - t0
    timeline = window.doc.timeline
    rng = np.random.default_rng(1)
    latencies = []
    for frame in rng.integers(0, timeline.duration, seeks):
        t = time.perf_counter()
        timeline.seek(int(frame))
        run_for(10.0, lambda: not canvas.frame_pending)
        latencies.append((time.perf_counter() - t) * 1000)
    scrub_gap = max_gap(first)

    timeline.seek(int(rng.integers(0, max(1, timeline.duration - int(play * timeline.fps) - 1))))
    run_for(10.0, lambda: not canvas.frame_pending)
    shown: list[object] = []
    canvas.frame_shown.connect(shown.append)
    heads: list[int] = []
    timeline.playhead_changed.connect(heads.append)
    play_first = len(ticks)
    window.timeline.set_playing(True)
    run_for(play)
    window.timeline.set_playing(False)
    play_gap = max_gap(play_first)
    stop.set()
    sampler.join()
    timer.stop()

    mb = 2**20
    cached = sum(c.source.cached_bytes for c in timeline.clips if getattr(c, "source", None) is not None)
    extra = (peak[0] - base) / mb
    lat = np.array(latencies)
    print(f"video: {path.name}, {timeline.duration} frames at {timeline.fps:g} fps")
    print(f"empty window RSS (baseline)   {base / mb:8.0f} MB")
    print(f"peak RSS, open + scrub + play {peak[0] / mb:8.0f} MB")
    print(f"peak minus baseline           {extra:8.0f} MB   target ≤ {TARGET_MB:.0f} MB   "
          f"ratio to target {extra / TARGET_MB:.2f}x   {'PASS' if extra <= TARGET_MB else 'FAIL'}")
    print(f"  of which decoded-frame cache at the end {cached / mb:.0f} MB")
    print(f"open_file returned in {opened * 1000:.0f} ms; first frame shown after {first_frame * 1000:.0f} ms")
    print(f"{seeks} random seeks until shown: median {np.median(lat):.0f} ms, p90 {np.percentile(lat, 90):.0f} ms, "
          f"max {lat.max():.0f} ms")
    print(f"playback {play:g} s at {timeline.fps:g} fps: playhead moved {len(heads)} times, "
          f"{len(shown)} frames shown ({len(shown) / play:.1f} per second), "
          f"{canvas.frames.dropped} requests dropped in all")
    print(f"longest GUI stall: idle {idle_gap:.1f} ms (baseline); scrubbing {scrub_gap:.1f} ms "
          f"({scrub_gap / idle_gap:.1f}x); playing {play_gap:.1f} ms ({play_gap / idle_gap:.1f}x)")
    sys.stdout.flush()
    os._exit(0)  # the evidence report of a 10-minute video may still be reading it; do not wait


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seeks", type=int, default=40)
    parser.add_argument("--play", type=float, default=5.0)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.seeks, args.play)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from testvideo import make_video

    t0 = time.perf_counter()
    path, took = make_video(args.minutes)
    if took:
        print(f"made the test video in {took:.0f} s ({path.stat().st_size / 2**20:.0f} MB): {path}")
    else:
        print(f"test video from the cache ({path.stat().st_size / 2**20:.0f} MB, checked in "
              f"{time.perf_counter() - t0:.1f} s): {path}")
    with tempfile.TemporaryDirectory() as config:  # a settings folder of its own (recent files, identity)
        env = dict(os.environ, STUDIO_CONFIG_DIR=config)
        code = subprocess.call([sys.executable, __file__, "--measure", str(path), "--seeks", str(args.seeks),
                                "--play", str(args.play)], env=env)
    sys.exit(code)


if __name__ == "__main__":
    main()
