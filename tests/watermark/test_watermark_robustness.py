"""The mark survives the usual handling, and the payload comes back (one photo, a few attacks)."""

import pytest
from wm_helpers import PAYLOAD, centre_crop, jpeg, resize, rotate

from studio_plugins.watermark import api

ATTACKS = {
    "jpeg 50": lambda a: jpeg(a, 50),
    "resize x0.5": lambda a: resize(a, 0.5),
    "centre crop 25%": lambda a: centre_crop(a, 0.25),
    "rotation 2°": lambda a: rotate(a, 2.0),
    "screenshot chain": lambda a: jpeg(resize(a, 0.6), 70),
}


@pytest.fixture(scope="module")
def marked(photo):
    return api.embed_image(photo, PAYLOAD).pixels


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_survives(marked, attack):
    check = api.check_image(ATTACKS[attack](marked))
    assert check.present and check.detection.p_value < 1e-6
    assert check.payload == PAYLOAD


def test_flip_and_quarter_turn_are_found(marked):
    for pixels in (marked[:, ::-1], marked.transpose(1, 0, 2)[::-1]):
        assert api.check_image(pixels.copy()).present


def test_wrong_key_finds_nothing(marked):
    from studio_plugins.watermark.keys import Key

    other = Key("someone else's key", "file", bytes(range(32)))
    check = api.check_image(marked, keys=[other])
    assert not check.present and check.payload is None and check.detection.p_value > 1e-3


def test_unmarked_image_is_absent(photo):
    check = api.check_image(photo)
    assert not check.present and check.payload is None
    assert "absent" in check.summary()
