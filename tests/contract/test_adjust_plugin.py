"""The built-in adjustments plugin does what it says on real pixels."""

import numpy as np

from studio.application import StudioApp
from studio.document import Layer, Record
from studio.jobs import Job, JobState, execute


def run(app, action_id, layer, **params):
    job = execute(Job(app.action(action_id), {"image": layer, **params}), app)
    assert job.state == JobState.FINISHED, job.error
    return job


def test_blur_levels_resize_crop(gradient):
    app = StudioApp()
    layer = Layer(gradient, name="g", record=Record.opened("/x/g.png"))
    blurred = run(app, "adjust.blur", layer, radius=6).result.images[0].pixels
    assert blurred.shape == layer.pixels.shape
    assert blurred[..., :3].astype(float).std() < layer.pixels[..., :3].astype(float).std()
    # banded processing gives the same answer as one whole-image blur
    import cv2

    whole = cv2.GaussianBlur(layer.pixels, (0, 0), 3.0, borderType=cv2.BORDER_REFLECT)
    assert np.abs(whole.astype(int) - blurred.astype(int)).max() <= 1

    levels = run(app, "adjust.levels", layer, black=50, white=200).result.images[0].pixels
    assert levels[..., :3].min() == 0 and levels[..., :3].max() == 255

    resized = run(app, "adjust.resize", layer, width=32).result.images[0].pixels
    assert resized.shape[:2] == (24, 32)

    cropped = run(app, "adjust.crop", layer, x=30, y=10, width=10, height=10).result.images[0].pixels
    assert (cropped[..., :3] == 250).all()


def test_record_names_the_action_settings_and_parent():
    app = StudioApp()
    layer = Layer(np.zeros((8, 8, 3), np.uint8), name="in.png", record=Record.opened("/x/in.png"))
    job = run(app, "adjust.blur", layer, radius=1.5)
    record = job.result.images[0].record
    assert record.action == "adjust.blur" and record.c2pa_action == "c2pa.filtered"
    assert record.params == {"radius": 1.5} and record.plugin == "adjust"
    assert record.ingredients[0].relationship == "parentOf"
    assert record.ingredients[0].record.c2pa_action == "c2pa.opened"


def test_bad_parameters_give_clear_errors():
    app = StudioApp()
    layer = Layer(np.zeros((8, 8, 3), np.uint8))
    job = execute(Job(app.action("adjust.levels"), {"image": layer, "black": 100, "white": 50}), app)
    assert job.state == JobState.FAILED and "white point" in job.error
    job = execute(Job(app.action("adjust.crop"), {"image": layer, "x": 50}), app)
    assert job.state == JobState.FAILED and "outside" in job.error
