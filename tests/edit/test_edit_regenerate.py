"""Regenerating an edit from its record: the same pixels from the same seed; the input found through the record,
or asked for when it moved."""

from __future__ import annotations

import numpy as np
import pytest
from edit_helpers import picture
from PIL import Image

from studio.document.layers import Layer
from studio.document.provenance import Record
from studio.errors import BadInputError
from studio.imageio import load_image
from studio.jobs import JobState
from studio_plugins.diffusion.edit_regenerate import regenerate_edit


def test_regenerate_reproduces_the_edit_and_asks_for_a_moved_input(app, run_edit, ip2p_folder, tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(picture()).save(path)
    loaded = load_image(path)
    photo = Layer(loaded.pixels, name=path.name, record=Record.opened(str(path), loaded.sha256))
    job, _ = run_edit(instruction="make it blue", image=photo, model=str(ip2p_folder), steps=2, seed=21)
    assert job.state == JobState.FINISHED, job.error
    first = job.result.images[0]
    record = Record.from_dict(first.record.to_dict())  # as read back from a file
    ctx = app.host.context("diffusion")

    pixels, again = regenerate_edit(ctx, record)
    assert np.array_equal(pixels, first.pixels) and again.params["seed"] == 21

    path.rename(tmp_path / "moved.png")
    with pytest.raises(BadInputError, match="made from the picture photo.png, which is not where it was recorded"):
        regenerate_edit(ctx, record)
    pixels, _ = regenerate_edit(ctx, record, image=photo)
    assert np.array_equal(pixels, first.pixels)

    generated = Record(action="generate", title="a cat")
    with pytest.raises(BadInputError, match="not of an edit by instruction"):
        regenerate_edit(ctx, generated)
