"""Forms and the Jobs panel as a user sees them: Cancel only while something runs, the finished picture in
the preview, adjustments acting on the selected layer, no action ids on screen, numbers out of range."""

import numpy as np
from fixture_plugins import faulty
from PySide6.QtCore import Qt

from studio.actions import Param
from studio.application import StudioApp
from studio.document import Layer
from studio.gui.qimage import thumbnail


def test_cancel_is_enabled_only_while_a_job_runs(make_window, qtbot):
    app = StudioApp()
    app.host.register(faulty.ActionsThatMisbehave(), "faulty")
    window = make_window(app)
    cancel = window.jobs_panel.cancel_button
    assert not cancel.isEnabled()  # no job at all
    layer = window.doc.add_layer(Layer(np.zeros((16, 16, 3), np.uint8)))
    job = window.run_action(app.action("faulty.slow"), {"image": layer})
    qtbot.waitUntil(lambda: cancel.isEnabled())
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.state.done, timeout=10_000)
    qtbot.waitUntil(lambda: not cancel.isEnabled())


def test_the_jobs_preview_shows_the_finished_picture(make_window, qtbot, gradient):
    window = make_window()
    layer = window.doc.add_layer(Layer(gradient, name="gradient"))
    job = window.run_action(window.app.action("adjust.levels"), {"image": layer, "black": 60, "white": 200,
                                                                   "gamma": 1.0})
    qtbot.waitUntil(lambda: len(window.doc.layers) == 2)
    qtbot.waitUntil(lambda: window.jobs_panel.tree.topLevelItem(0).text(1) == "finished")
    result = job.result.images[0].pixels
    assert window.jobs_panel.preview.pixmap().toImage() == thumbnail(result, 160).toImage()
    assert not window.jobs_panel.cancel_button.isEnabled()


def test_resize_acts_on_the_selected_layer(make_window):
    window = make_window()
    first = window.doc.add_layer(Layer(np.zeros((20, 30, 3), np.uint8), name="first"))
    window.doc.add_layer(Layer(np.zeros((10, 10, 3), np.uint8), name="second"))
    panel = window.action_panels["adjust.resize"]
    assert panel.values()["image"].name == "second"
    window.doc.set_active(first)  # a click in the Layers list
    assert panel.values()["image"] is first


def test_no_action_ids_in_the_action_picker(make_window):
    window = make_window()
    texts = [window.action_picker.itemText(i) for i in range(window.action_picker.count())]
    assert "Resize" in texts and not any("." in text or "(" in text for text in texts)


def test_a_number_typed_out_of_range_is_shown_and_refused(make_window, qtbot, gradient):
    window = make_window()
    window.doc.add_layer(Layer(gradient, name="gradient"))
    panel = window.action_panels["adjust.levels"]
    black = panel.editors["black"]
    black.selectAll()
    qtbot.keyClicks(black, "300")
    assert black.value() == 300
    assert panel.problem_label.text() == "Black must be between 0 and 254 (not 300)."
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert window.runner.jobs == []


def test_out_of_range_wording():
    steps = Param("steps", "int", 0, minimum=0, maximum=200)
    assert steps.out_of_range(400) == "Steps must be between 0 and 200 (not 400)."
    assert steps.out_of_range(20) == ""
    assert Param("radius", "float", minimum=0.0).out_of_range(-1.5) == "Radius must be at least 0 (not -1.5)."
