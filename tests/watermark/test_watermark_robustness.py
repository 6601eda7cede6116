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


def straightened(pixels, degrees):
    """Turned and cut to the original proportions inside the turned frame, as a straighten tool does."""
    import math

    h, w = pixels.shape[:2]
    t = math.radians(abs(degrees))
    s = 1.0 / (math.cos(t) + math.sin(t) * max(w / h, h / w))
    ch, cw = int(h * s), int(w * s)
    y, x = (h - ch) // 2, (w - cw) // 2
    return rotate(pixels, degrees)[y:y + ch, x:x + cw].copy()


@pytest.mark.parametrize("degrees, flipped", [(12.0, False), (-20.0, False), (37.0, False), (-25.0, True)])
def test_any_angle_with_its_cut_and_a_mirror_is_read(marked, degrees, flipped):
    pixels = centre_crop(marked, 0.1)[:, ::-1] if flipped else marked
    check = api.check_image(straightened(pixels, degrees))
    assert check.present and check.payload == PAYLOAD


def test_wrong_key_finds_nothing(marked):
    from studio_plugins.watermark.keys import Key

    other = Key("someone else's key", "file", bytes(range(32)))
    check = api.check_image(marked, keys=[other])
    assert not check.present and check.payload is None and check.detection.p_value > 1e-3


def test_unmarked_image_is_absent(photo):
    check = api.check_image(photo)
    assert not check.present and check.payload is None
    assert "absent" in check.summary()
