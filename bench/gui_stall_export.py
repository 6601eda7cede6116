"""The longest GUI stall while a clip exports as a job: the largest gap between ticks of a 5 ms timer.

    python bench/gui_stall_export.py [--frames 150]

Measured in the same run: the idle window's gaps (the baseline: what the machine's scheduler gives an
idle event loop), then from the start of each export (File → Export video…, as a job) until its
notification is shown:

- a range of the 1080p test video (bench/testvideo.py, made once and cached) to MP4, signed;
- generated frames (512×512, in memory) to a PNG sequence, each picture watermarked and signed.

The target is a longest stall of at most 50 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_CONFIG = tempfile.TemporaryDirectory()  # a settings folder of its own: the signing identity is made there
os.environ.setdefault("STUDIO_CONFIG_DIR", _CONFIG.name)
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from gui_stall import measure  # noqa: E402  (bench/ is on the path)
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.application import StudioApp  # noqa: E402
from studio.document import FramesClip, Track  # noqa: E402
from studio.gui.exportdialog import VideoExportRequest  # noqa: E402
from studio.gui.mainwindow import MainWindow  # noqa: E402

TARGET_MS = 50.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=150, help="frames of the 1080p video to export")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the test video")
    args = parser.parse_args()
    from testvideo import make_video

    path, took = make_video(args.minutes)
    print(f"test video: {path.name}" + (f" (made in {took:.0f} s)" if took else " (from the cache)"))
    qt = QApplication.instance() or QApplication([])
    window = MainWindow(StudioApp())
    window.confirm_close = False
    window.heatmaps_on_open = False
    window.resize(1400, 900)
    window.show()
    doc = window.doc
    assert window.open_file(path)
    rng = np.random.default_rng(0)
    made = [rng.integers(0, 256, (512, 512, 3), np.uint8) for _ in range(48)]
    generated = FramesClip(name="Generated", frames=made, start=0)
    doc.add_clip(generated, doc.add_track("video", "Generated"))
    generated_track = doc.timeline.track_of(generated)
    assert isinstance(generated_track, Track)
    doc.move_track(generated_track, 0)  # under the video: the video shows where both are
    out = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    # the evidence report of the opened video runs in the background; let it finish before measuring
    end = time.perf_counter() + 300
    while time.perf_counter() < end and "Video frames" not in window.report_panel.toPlainText():
        qt.processEvents()
        time.sleep(0.01)

    idle_max, idle_p99, n, _ = measure(qt, 3.0)
    print(f"{'idle window (baseline)':<44} max gap {idle_max:7.1f} ms   p99 {idle_p99:6.1f} ms   ({n} ticks)")
    middle = doc.timeline.duration // 2
    cases = [
        (f"{args.frames} frames of 1080p video → MP4", VideoExportRequest(middle, middle + args.frames,
                                                                      out / "video.mp4", "MP4", {})),
    ]
    video_clip = doc.timeline.clips[0]
    for name, request in cases:
        run_case(qt, window, name, request, idle_max)
    # the generated frames alone (the video clip off the timeline for this one)
    doc.remove_clip(video_clip)
    run_case(qt, window, "48 frames 512×512 → PNG sequence (marked)",
             VideoExportRequest(0, 48, out / "frames", "PNGSEQ", {}), idle_max)
    window.close()


def run_case(qt: QApplication, window: MainWindow, name: str, request: VideoExportRequest, idle_max: float) -> None:
    jobs: list = []

    def start():  # type: ignore[no-untyped-def]
        jobs.append(window.video_export.start(request))
        return lambda: jobs[0].state.done and any(n.text.startswith(f"Exported {request.dest.name}")
                                                  or "failed" in n.text.lower() for n in window.notifier.notices)

    t0 = time.perf_counter()
    worst, p99, n, when = measure(qt, None, start)
    took = time.perf_counter() - t0
    job = jobs[0]
    said = next((n.text for n in window.notifier.notices if n.text.startswith(f"Exported {request.dest.name}")),
                job.error or job.state.value)
    verdict = "PASS" if worst <= TARGET_MS else "FAIL"
    print(f"{name:<44} max gap {worst:7.1f} ms   p99 {p99:6.1f} ms   ({n} ticks, {took:.1f} s, "
          f"{request.count / took:.1f} frames/s)   max/baseline {worst / idle_max:.1f}x   target ≤ {TARGET_MS:.0f} ms "
          f"{verdict}")
    print(f"{'':<44} longest stall {when:.1f} s after the start; {said}")


if __name__ == "__main__":
    main()
