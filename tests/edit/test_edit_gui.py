"""Edit with instruction… in the window: on the selected layer or the timeline's frame at the playhead, as a job
with progress and Cancel; the result is a new layer of the picture's size, with its record."""

from __future__ import annotations

import numpy as np
import pytest
from edit_helpers import picture

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, app):
    from studio.gui.mainwindow import MainWindow

    win = MainWindow(app)
    win.confirm_close = False
    qtbot.addWidget(win)
    yield win
    for job in win.runner.jobs:
        job.cancel()


def fill(panel, model, steps, seed=7):
    panel.editors["instruction"].setPlainText("make it blue")
    panel.editors["model"].set_param_value(str(model))
    panel.editors["steps"].setValue(steps)
    panel.editors["seed"].set_param_value(seed)


def test_edit_the_selected_layer_and_a_timeline_frame(qtbot, window, ip2p_folder):
    from PySide6.QtCore import Qt

    from studio.document.clips import FramesClip
    from studio.document.layers import Layer

    doc = window.doc
    photo = doc.add_layer(Layer(picture(), name="photo.png"))
    panel = window.action_panels["edit_image"]
    assert window.action_picker.findText("Edit with instruction…") >= 0
    fill(panel, ip2p_folder, steps=2)
    combo = panel.editors["image"]
    combo.setCurrentIndex(combo.findData(photo.id))
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(doc.layers) == 2, timeout=60_000)
    job = window.runner.jobs[0]
    assert job.total == 2 and job.preview is not None and job.title == "make it blue · seed 7"
    edited = doc.layers[1]
    assert edited.size == (67, 45) and edited.record.action == "edit_image"
    assert edited.record.ingredients[0].title == "photo.png" and edited.record.params["seed"] == 7
    assert window.history_list.count() == 1

    doc.add_clip(FramesClip(name="walk", frames=[picture(40, 24)] * 3, frame_rate=6.0))
    panel.refresh_layers()
    combo.setCurrentIndex(combo.findData("@playhead"))
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(doc.layers) == 3, timeout=60_000)
    frame_edit = doc.layers[2]
    assert frame_edit.size == (40, 24) and frame_edit.record.ingredients[0].title.startswith("walk · frame")


def test_cancel_from_the_jobs_panel_adds_nothing(qtbot, window, ip2p_folder):
    from PySide6.QtCore import Qt

    from studio.document.layers import Layer
    from studio.jobs import JobState

    doc = window.doc
    doc.add_layer(Layer(np.full((48, 64, 3), 90, np.uint8), name="grey.png"))
    panel = window.action_panels["edit_image"]
    fill(panel, ip2p_folder, steps=150)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.runner.jobs and window.runner.jobs[0].step >= 1, timeout=60_000)
    qtbot.mouseClick(window.jobs_panel.cancel_button, Qt.MouseButton.LeftButton)
    job = window.runner.jobs[0]
    qtbot.waitUntil(lambda: job.state == JobState.CANCELLED, timeout=30_000)
    assert job.step < 150 and len(doc.layers) == 1
