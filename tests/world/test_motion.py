"""Motion clips of the shapes world and reading them back (the measure of a motion module)."""

import numpy as np
import pytest

from studio.world import sample_scene, short_caption
from studio.world.motion import DIRECTIONS, read_motion, sample_motion


@pytest.mark.parametrize("direction", list(DIRECTIONS))
def test_a_rendered_clip_reads_back_as_its_caption_says(direction):
    rng = np.random.default_rng(3)
    for _ in range(5):
        clip = sample_motion(rng, n_frames=16, direction=direction)
        reading = read_motion(clip.frames)
        assert f"moving {direction}" in clip.caption
        assert reading.direction == direction
        assert all(reading.present) and set(reading.kinds) == {clip.kind} and set(reading.colours) == {clip.colour}
        assert reading.flicker < 1.0


def test_a_still_clip_has_no_direction_and_noise_is_flicker():
    clip = sample_motion(np.random.default_rng(1))
    still = [clip.frames[0]] * 16
    assert read_motion(still).direction is None
    noisy = [np.clip(f.astype(int) + np.random.default_rng(i).integers(-20, 21, f.shape), 0, 255).astype(np.uint8)
             for i, f in enumerate(still)]
    assert read_motion(noisy).flicker > 5


def test_short_captions_leave_attributes_out_but_name_the_kind():
    rng = np.random.default_rng(0)
    lengths = set()
    for _ in range(200):
        scene = sample_scene(rng, n_shapes=1)
        text, asked = short_caption(scene, rng)
        shape = scene.shapes[0]
        assert shape.kind in text and asked["kind"] == shape.kind
        for key, value in asked.items():
            assert value == scene.attributes()[key]
        lengths.add(len(asked))
    assert lengths == {1, 2, 3, 4, 5}
