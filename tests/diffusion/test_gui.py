"""The generate panel in the window: results become layers, enter the History, and bring their settings back."""

from __future__ import annotations

import pytest

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


def test_generate_from_the_panel_and_restore_settings_from_history(qtbot, window, sd1_folder):
    from PySide6.QtCore import Qt

    panel = window.action_panels["generate"]
    panel.editors["prompt"].setPlainText("a yellow star")
    panel.editors["model"].set_param_value(str(sd1_folder))
    panel.editors["steps"].setValue(3)
    panel.editors["size"].setText("64x64")
    panel.editors["seed"].set_param_value(5)
    panel.editors["scheduler"].setCurrentText("DDIM")
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.doc.layers) == 1, timeout=60_000)
    job = window.runner.jobs[0]
    assert job.preview is not None and job.total == 3
    layer = window.doc.layers[0]
    assert layer.size == (64, 64) and layer.record.parameters_text.startswith("a yellow star\nSteps: 3, Sampler: DDIM")
    assert window.history_list.count() == 1
    # a result on the canvas does not silently turn the next run into image-to-image
    assert panel.values()["init"] is None

    panel.editors["prompt"].setPlainText("something else")
    panel.editors["seed"].set_param_value(99)
    panel.editors["scheduler"].setCurrentText("Euler")
    window._history_to_canvas(window.history_list.item(0))
    assert len(window.doc.layers) == 2
    values = panel.values()
    assert (values["prompt"], values["seed"], values["steps"], values["size"], values["scheduler"]) == (
        "a yellow star", 5, 3, "64x64", "ddim")
