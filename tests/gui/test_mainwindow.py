"""The desktop shell, offscreen: canvas, layers, actions, jobs, timeline, notifications."""

import subprocess
import sys
import time

import numpy as np
import pytest
from fixture_plugins import faulty
from helpers import MEDIA, ROOT
from PySide6.QtCore import QPoint, Qt, QTimer

from studio.application import StudioApp
from studio.document import Box, BoxClip, FramesClip, Layer, ScoreClip
from studio.jobs import JobState

SCREENSHOTS = ROOT / "out" / "screenshots"


def wait_for(qtbot, predicate, timeout=10000):
    qtbot.waitUntil(predicate, timeout=timeout)


def test_screenshot_with_a_document_open(make_window, qtbot):
    window = make_window()
    assert window.open_file(MEDIA / "earth_apollo17.jpg")
    window.doc.timeline.add_clip(FramesClip(name="earth", frames=[window.doc.layers[0].rgb()] * 24))
    window.doc.timeline.add_clip(ScoreClip(name="score", scores=list(np.linspace(0, 1, 24))))
    window.run_action(window.app.action("adjust.blur"), {"image": window.doc.layers[0], "radius": 8.0})
    wait_for(qtbot, lambda: len(window.doc.layers) == 2)
    wait_for(qtbot, lambda: "earth_apollo17.jpg" in window.report_panel.toPlainText()
             and bool(window.report_panel.sections))  # the report, not "Analysing…"
    window.resize(1400, 900)
    qtbot.wait(50)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "main-window.png"
    assert window.grab().save(str(path))
    from PIL import Image

    with Image.open(path) as im:
        assert im.size[0] >= 1000
        # the canvas really shows the picture: many distinct colours, not an empty grey view
        assert len(set(map(tuple, np.asarray(im.convert("RGB").resize((200, 120))).reshape(-1, 3).tolist()))) > 500


def test_run_button_turns_a_layer_into_a_new_layer(make_window, qtbot, png_file):
    window = make_window()
    window.open_file(png_file)
    panel = window.action_panels["adjust.levels"]
    panel.refresh_layers()
    panel.editors["black"].setValue(40)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: len(window.doc.layers) == 2)
    result = window.doc.layers[-1]
    assert "levels" in result.name and result.record.params["black"] == 40
    assert window.runner.jobs[0].state == JobState.FINISHED
    assert window.jobs_panel.tree.topLevelItem(0).text(1) == "finished"
    assert len(window.doc.results) == 1 and window.history_list.count() == 1
    window.undo_action.trigger()
    assert len(window.doc.layers) == 1
    window.redo_action.trigger()
    assert len(window.doc.layers) == 2


def test_event_loop_keeps_running_during_a_job_and_previews_arrive(make_window, qtbot):
    app = StudioApp()
    app.host.register(faulty.ActionsThatMisbehave(), "faulty")
    window = make_window(app)
    layer = window.doc.add_layer(Layer(np.zeros((32, 32, 3), np.uint8)))
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    job = window.run_action(app.action("faulty.slow"), {"image": layer})
    wait_for(qtbot, lambda: job.state.done, timeout=20000)
    timer.stop()
    assert job.state == JobState.FINISHED
    gaps = np.diff(ticks)
    assert len(ticks) > 100, "the timer stopped firing while the job ran"
    assert gaps.max() < 0.25
    assert window.jobs_panel.preview.pixmap() is not None and not window.jobs_panel.preview.pixmap().isNull()


def test_cancel_from_the_jobs_panel(make_window, qtbot):
    app = StudioApp()
    app.host.register(faulty.ActionsThatMisbehave(), "faulty")
    window = make_window(app)
    layer = window.doc.add_layer(Layer(np.zeros((8, 8, 3), np.uint8)))
    job = window.run_action(app.action("faulty.slow"), {"image": layer})
    wait_for(qtbot, lambda: job.step >= 3)
    qtbot.mouseClick(window.jobs_panel.cancel_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: job.state.done)
    assert job.state == JobState.CANCELLED and len(window.doc.layers) == 1


def test_stuck_plugin_is_abandoned_and_the_queue_goes_on(make_window, qtbot, monkeypatch):
    import studio.gui.worker as worker

    monkeypatch.setattr(worker, "ABANDON_AFTER", 0.3)
    app = StudioApp()
    app.host.register(faulty.ActionsThatMisbehave(), "faulty")
    window = make_window(app)
    layer = window.doc.add_layer(Layer(np.zeros((8, 8, 3), np.uint8)))
    faulty.STUCK_STARTED.clear()
    stuck = window.run_action(app.action("faulty.stuck"), {"image": layer})
    after = window.run_action(app.action("adjust.blur"), {"image": layer, "radius": 1.0})
    assert after.state == JobState.QUEUED
    wait_for(qtbot, faulty.STUCK_STARTED.is_set)
    window.runner.cancel(stuck)
    wait_for(qtbot, lambda: after.state == JobState.FINISHED, timeout=5000)
    assert stuck.state == JobState.CANCELLED and "abandoned" in stuck.error
    assert any("did not stop" in f for f in app.host.plugins["faulty"].faults)


def test_failed_job_shows_its_error_and_the_window_stays_up(make_window, qtbot):
    app = StudioApp()
    app.host.register(faulty.ActionsThatMisbehave(), "faulty")
    window = make_window(app)
    layer = window.doc.add_layer(Layer(np.zeros((8, 8, 3), np.uint8)))
    job = window.run_action(app.action("faulty.boom"), {"image": layer})
    wait_for(qtbot, lambda: job.state.done)
    wait_for(qtbot, lambda: window.notification_list.count() > 0)
    assert "the plugin's own bug" in window.notification_list.item(0).text()
    assert "the plugin's own bug" in window.jobs_panel.error.text()
    assert window.isVisible()


def test_thirdparty_plugin_in_the_gui(thirdparty, make_window, qtbot):
    from studio.gui.pluginsdialog import PluginsDialog

    window = make_window(StudioApp())
    ids = [window.action_picker.itemData(i) for i in range(window.action_picker.count())]
    assert "example.invert" in ids and "adjust.blur" in ids
    dialog = PluginsDialog(window.app.host, window)
    qtbot.addWidget(dialog)
    rows = {dialog.table.item(r, 1).text(): dialog.table.item(r, 4).text() for r in range(dialog.table.rowCount())}
    assert rows["example"] == "loaded" and "failed to load" in rows["nowhere"]
    wait_for(qtbot, lambda: any("nowhere" in window.notification_list.item(i).text()
                                for i in range(window.notification_list.count())))


def test_bad_files_are_notified_and_nothing_changes(make_window, qtbot, tmp_path):
    window = make_window()
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    text = tmp_path / "notes.jpg"
    text.write_text("hello")
    assert not window.open_file(empty)
    assert not window.open_file(text)
    assert window.doc.layers == []
    wait_for(qtbot, lambda: window.notification_list.count() == 2)
    assert "empty" in window.notification_list.item(1).text()


def test_uncaught_exception_becomes_a_notification(make_window, qtbot):
    window = make_window()
    window.notifier.install_excepthooks()
    try:
        def explode():
            raise RuntimeError("a bug in a slot")

        QTimer.singleShot(0, explode)
        wait_for(qtbot, lambda: window.notification_list.count() > 0)
        assert "a bug in a slot" in window.notification_list.item(0).text()
    finally:
        sys.excepthook = sys.__excepthook__


def test_layers_panel_edits_are_undoable(make_window, qtbot, png_file):
    window = make_window()
    window.open_file(png_file)
    item = window.layers_panel.list.item(0)
    item.setCheckState(Qt.CheckState.Unchecked)
    assert window.doc.layers[0].visible is False
    item = window.layers_panel.list.item(0)
    item.setText("renamed")
    assert window.doc.layers[0].name == "renamed"
    window.doc.undo()
    window.doc.undo()
    assert window.doc.layers[0].visible and window.doc.layers[0].name == "gradient.png"


def test_timeline_scrub_and_play_show_frames_on_the_canvas(make_window, qtbot):
    window = make_window()
    frames = [np.full((16, 16, 3), (i * 20, 0, 0), np.uint8) for i in range(10)]
    window.doc.timeline.fps = 50
    window.doc.timeline.add_clip(FramesClip(frames=frames))
    window.doc.timeline.add_clip(BoxClip(boxes=[Box(2, 2, 8, 8, "thing", frame=f) for f in range(10)], frame_count=10))
    area = window.timeline.area
    x = int(area.x_of(4.5))
    qtbot.mouseClick(area, Qt.MouseButton.LeftButton, pos=QPoint(x, 5))  # the ruler
    assert window.doc.timeline.playhead == 4
    shown = window.canvas._frame_item.pixmap().toImage().pixelColor(0, 0).red()
    assert shown == window.doc.timeline.playhead * 20
    assert len(window.canvas.boxes.items) == 1
    seen = []
    window.doc.timeline.playhead_changed.connect(seen.append)
    window.timeline.set_playing(True)
    qtbot.wait(150)
    window.timeline.set_playing(False)
    # the playhead follows the clock: forward (a late tick skips frames rather than slowing down), looping
    assert len(seen) >= 3 and all(0 < (b - a) % 10 <= 3 for a, b in zip(seen, seen[1:], strict=False))


def test_save_and_reopen_project(make_window, qtbot, png_file, tmp_path):
    window = make_window()
    window.open_file(png_file)
    assert window._save_to(tmp_path / "p.studio")
    assert "p.studio" in window.windowTitle()
    other = make_window()
    assert other.open_file(tmp_path / "p.studio")
    assert [l.name for l in other.doc.layers] == ["gradient.png"]
    assert str((tmp_path / "p.studio").resolve()) in other.app.settings.recent_files


def test_export_from_the_window(make_window, qtbot, png_file, tmp_path):
    window = make_window()
    window.open_file(png_file)
    window.export_to(tmp_path / "e.webp").join(10)
    wait_for(qtbot, lambda: (tmp_path / "e.webp").exists())
    from PIL import Image

    assert Image.open(tmp_path / "e.webp").size == (64, 48)


def test_window_appears_before_torch_is_imported(tmp_path):
    code = (
        "import os, sys\n"
        "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from studio.application import StudioApp\n"
        "from studio.gui.mainwindow import MainWindow\n"
        "qt = QApplication([])\n"
        "w = MainWindow(StudioApp()); w.show(); qt.processEvents()\n"
        "print('torch' in sys.modules, w.isVisible())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_paste_image_and_drop_files(make_window, qtbot, png_file):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent, QGuiApplication

    from studio.gui.qimage import to_qimage

    window = make_window()
    pixels = np.zeros((10, 12, 3), np.uint8)
    pixels[..., 1] = 200
    QGuiApplication.clipboard().setImage(to_qimage(pixels))
    window.paste()
    assert len(window.doc.layers) == 1 and window.doc.layers[0].size == (12, 10)
    assert window.doc.layers[0].pixels[0, 0, 1] == 200
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(png_file))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.canvas.dropEvent(event)
    assert [l.name for l in window.doc.layers] == ["Pasted", "gradient.png"]
    assert window.doc.layers[1].record.c2pa_action == "c2pa.opened"


def test_canvas_zoom_and_fit(make_window, qtbot, png_file):
    window = make_window()
    window.open_file(png_file)
    window.canvas.set_zoom(1.0)
    window.canvas.zoom_in()
    assert window.canvas.zoom == pytest.approx(1.25)
    window.canvas.fit()
    assert window.canvas.zoom > 4  # a 64×48 image fills the view


def test_open_video_puts_its_frames_on_the_timeline(make_window, qtbot):
    window = make_window()
    assert window.open_file(MEDIA / "legacy.mp4")
    timeline = window.doc.timeline
    assert timeline.fps == 30 and timeline.duration == 60
    timeline.seek(30)
    frame = timeline.frame_at()
    assert frame.shape[2] == 3 and frame.std() > 5  # real picture content
    wait_for(qtbot, lambda: not window.canvas.frame_pending)  # decoded off the GUI thread
    shown = window.canvas._frame_item.pixmap()
    assert (shown.width(), shown.height()) == (frame.shape[1], frame.shape[0])


def test_bad_video_is_notified(make_window, qtbot, tmp_path):
    window = make_window()
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    assert not window.open_file(bad)
    wait_for(qtbot, lambda: window.notification_list.count() == 1)
    assert "clip.mp4" in window.notification_list.item(0).text()
    assert window.doc.timeline.duration == 0
