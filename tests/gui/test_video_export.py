"""File → Export video…: the dialog's words, the export as a job with progress, and a cancel that leaves nothing."""

import threading

import numpy as np
import pytest
from helpers import MEDIA
from PySide6.QtCore import QPoint, Qt

from studio.document import FramesClip, VideoClip
from studio.gui.exportdialog import VideoExportRequest, explain
from studio.gui.frameserver import FrameServer
from studio.jobs import JobState
from studio.video import VideoSource, probe


def gradient_frames(n=12, size=(256, 320)):
    y, x = np.mgrid[0:size[0], 0:size[1]]
    return [np.dstack([(x + 9 * i) % 256, y % 256, np.full_like(x, 60 + i)]).astype(np.uint8) for i in range(n)]


@pytest.fixture
def short_timeline(make_window, qtbot):
    """12 generated frames of 320×256, then the sample video (60 frames at 30 fps, 720×1280, with sound)."""
    window = make_window()
    doc = window.doc
    doc.set_fps(30)
    doc.add_clip(FramesClip(name="Generated", frames=gradient_frames()))
    assert window.open_file(MEDIA / "legacy.mp4")
    assert doc.timeline.duration == 72
    return window


def test_export_dialog_says_what_each_step_will_do(short_timeline, qtbot):
    window = short_timeline
    assert window.video_export.action.isEnabled()
    dialog = window.video_export.make_dialog()
    qtbot.addWidget(dialog)
    assert (dialog.start_box.value(), dialog.end_box.value()) == (0, 71)
    assert "2.40 s" in dialog.range_words.text() and "72 frames" in dialog.range_words.text()
    assert dialog.watermark_box.isChecked() and dialog.sign_box.isChecked()  # the settings' defaults
    dialog.set_format("WEBM")
    assert dialog.path_edit.text().endswith(".webm")
    assert "WebM files cannot carry Content Credentials: this file will not be signed." in dialog.lines
    dialog.set_format("PNGSEQ")
    assert dialog.path_edit.text().endswith("_frames")
    assert any("each picture is signed" in line for line in dialog.lines)
    assert any("every picture gets an invisible mark" in line for line in dialog.lines)
    assert any("carries no sound" in line for line in dialog.lines)
    dialog.sign_box.setChecked(False)
    assert any("Content Credentials: off" in line for line in dialog.lines)
    # the selected clip's frames
    window.timeline.area.select(window.doc.timeline.clips[0])
    dialog = window.video_export.make_dialog()
    qtbot.addWidget(dialog)
    assert (dialog.start_box.value(), dialog.end_box.value()) == (0, 11)
    assert "320×256" in dialog.explanation.text()
    # nothing internal on screen
    text = dialog.explanation.text() + " ".join(dialog.format_box.itemText(i) for i in range(dialog.format_box.count()))
    assert "PNGSEQ" not in text and "studio" not in text.lower()


def test_explain_follows_what_the_steps_support(make_app):
    steps = make_app().export.steps()
    gif = explain(steps, "GIF", True, True, (640, 480))
    mp4_small = explain(steps, "MP4", True, True, (60, 60))
    # whatever this version can mark, the words match the pipeline's steps
    mark = next(s for s in steps if s.option == "watermark")
    if "GIF" in mark.formats:
        assert any("256 colours" in line for line in gif)
    else:
        assert any("cannot mark GIF" in line for line in gif)
    if "MP4" in mark.formats:
        assert any("smaller than 64 pixels" in line for line in mp4_small)
    small = explain(steps, "PNGSEQ", True, True, (80, 50))
    assert any("80×50 pixels: frames smaller than 64 pixels on a side cannot carry the mark" in line
               for line in small)
    assert explain([], "MP4", True, True, None)[0].startswith("Invisible watermark: no watermark plugin")


def test_export_a_timeline_range_as_a_job(short_timeline, qtbot, tmp_path):
    window = short_timeline
    dest = tmp_path / "out.mp4"
    dialog = window.video_export.make_dialog()
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(dest))
    dialog.set_format("MP4")
    assert dialog.path_edit.text() == str(dest)
    request = dialog.request()
    assert (request.start, request.end, request.format) == (0, 72, "MP4")
    seen = []
    window.runner.job_changed.connect(lambda j: seen.append((j.state, j.step, j.total)))
    job = window.video_export.start(request)
    qtbot.waitUntil(lambda: job.state.done, timeout=120000)
    assert job.state == JobState.FINISHED, job.error
    assert window.jobs_panel.tree.topLevelItem(0).text(0) == "Export out.mp4"
    info = probe(dest)
    assert info.frames == 72 and (info.width, info.height) == (720, 1280)
    progress = [step for state, step, total in seen if state == JobState.RUNNING and total == 72]
    assert len(set(progress)) >= 3  # progress per frame reached the panel
    qtbot.waitUntil(lambda: any(n.text.startswith("Exported out.mp4") for n in window.notifier.notices))
    message = next(n.text for n in window.notifier.notices if n.text.startswith("Exported out.mp4"))
    assert "72 frames" in message
    # it says what was done: the pipeline signs MP4 files; it marks them only where the watermark step can
    steps = window.app.export.steps()
    signs = "MP4" in next(s for s in steps if s.option == "sign").formats
    marks = "MP4" in next(s for s in steps if s.option == "watermark").formats
    assert message.endswith(f"{'watermarked' if marks else 'not watermarked'}, {'signed' if signs else 'not signed'}")
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_a_cancelled_export_leaves_nothing(make_window, qtbot, tmp_path):
    window = make_window()
    window.doc.add_clip(FramesClip(name="Long", frames=gradient_frames(12) * 50))  # 600 frames
    dest = tmp_path / "never.mp4"
    job = window.video_export.start(VideoExportRequest(0, 600, dest, "MP4", {"watermark": False}))
    qtbot.waitUntil(lambda: job.step >= 5, timeout=60000)
    assert not job.state.done
    qtbot.mouseClick(window.jobs_panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.state.done, timeout=20000)
    assert job.state == JobState.CANCELLED
    assert list(tmp_path.iterdir()) == []
    qtbot.waitUntil(lambda: any("cancelled; nothing was written" in n.text for n in window.notifier.notices))


def test_editing_during_an_export_does_not_change_it(make_window, qtbot, tmp_path):
    window = make_window()
    doc = window.doc
    clip = FramesClip(name="Clip", frames=gradient_frames(30))
    doc.add_clip(clip)
    job = window.video_export.start(VideoExportRequest(0, 30, tmp_path / "a.gif", "GIF", {}))
    doc.remove_clip(clip)  # the export works on a copy taken when it started
    qtbot.waitUntil(lambda: job.state.done, timeout=60000)
    assert job.state == JobState.FINISHED, job.error
    assert (tmp_path / "a.gif").exists()


def test_scrubbing_a_video_never_decodes_on_the_gui_thread(make_window, qtbot, monkeypatch):
    threads = []
    errors = []
    original = VideoSource.frame

    def frame(self, index):
        threads.append(threading.current_thread())
        try:
            return original(self, index)
        except Exception as exc:
            errors.append(repr(exc))
            raise

    monkeypatch.setattr(VideoSource, "frame", frame)
    window = make_window()
    assert window.open_file(MEDIA / "legacy.mp4")
    area = window.timeline.area
    qtbot.mousePress(area, Qt.MouseButton.LeftButton, pos=QPoint(int(area.x_of(1)), 5))
    for f in range(2, 60, 3):
        qtbot.mouseMove(area, QPoint(int(area.x_of(f + 0.5)), 5))
    qtbot.mouseMove(area, QPoint(int(area.x_of(40.5)), 5))
    qtbot.mouseRelease(area, Qt.MouseButton.LeftButton, pos=QPoint(int(area.x_of(40.5)), 5))
    assert window.doc.timeline.playhead == 40
    window.timeline.set_playing(True)
    qtbot.wait(300)
    window.timeline.set_playing(False)
    window.doc.timeline.seek(40)
    qtbot.waitUntil(lambda: not window.canvas.frame_pending, timeout=10000)
    assert errors == []  # scrubbing back and looping seek backwards
    clip = window.doc.timeline.clips[0]
    assert isinstance(clip, VideoClip) and window.canvas.frame_key[-1] == 40
    ours = [t for t in threads if t.name == "frame-server"]
    assert ours, "the canvas never asked for a frame"
    assert all(t is not threading.main_thread() for t in threads)


def test_the_frame_server_keeps_only_the_latest_request(qapp, qtbot):
    server = FrameServer()
    gate = threading.Event()
    made = []

    def slow(n):
        def produce():
            gate.wait(5)
            made.append(n)
            return np.full((4, 4, 3), n, np.uint8)
        return produce

    results = []
    server.ready.connect(results.append)
    for n in range(5):
        server.request(slow(n), n)
    gate.set()
    qtbot.waitUntil(lambda: bool(results) and results[-1].key == 4, timeout=5000)
    assert made[-1] == 4 and len(made) <= 2  # the ones in between were dropped
    assert server.dropped >= 3
    assert results[-1].image.pixelColor(0, 0).red() == 4
    server.close()
