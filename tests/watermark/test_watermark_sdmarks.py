"""The marks of the Stable Diffusion 1.x/2.x reference scripts are found, made with their real encoder."""

import numpy as np
import pytest
import skimage.data

from studio_plugins.watermark import api, sdmarks
from studio_plugins.watermark.report import build_section

imwatermark = pytest.importorskip("imwatermark", reason="invisible-watermark (installed with --no-deps) is needed")


def script_mark(rgb: np.ndarray, text: str) -> np.ndarray:
    """What scripts/txt2img.py does: WatermarkEncoder, bytes mode, dwtDct, on the 8-bit BGR picture."""
    encoder = imwatermark.WatermarkEncoder()
    encoder.set_watermark("bytes", text.encode("utf-8"))
    bgr = encoder.encode(np.ascontiguousarray(rgb[..., ::-1]), "dwtDct")
    return np.ascontiguousarray(bgr[..., ::-1])


@pytest.mark.parametrize(("name", "text", "script"), [("astronaut", "StableDiffusionV1", "Stable Diffusion 1.x"),
                                                      ("rocket", "SDV2", "Stable Diffusion 2.x")])
def test_a_scripts_mark_is_found_and_named(name, text, script):
    marked = script_mark(getattr(skimage.data, name)()[:512, :512], text)
    check = api.check_image(marked)
    assert check.sd_marks is not None and check.sd_marks.present and check.sd_marks.name == script
    section = build_section(check)
    assert section.state == "weak-signal"
    signal = {s.id: s for s in section.signals}["watermark.sd_dwtdct"]
    assert signal.verdict == "flagged" and signal.score >= 6
    assert any(text in f.value and "weak signal" in f.label for f in section.findings)


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "rocket", "coffee", "brick", "gravel"])
def test_natural_photos_are_not_marked(name):
    rgb = getattr(skimage.data, name)()
    rgb = np.repeat(rgb[..., None], 3, axis=2) if rgb.ndim == 2 else rgb
    check = sdmarks.check(rgb)
    assert check is not None and not check.present and check.p_value > 1e-4
    signal = {s.id: s for s in build_section(api.check_image(rgb)).signals}["watermark.sd_dwtdct"]
    assert signal.verdict == "clear"


@pytest.mark.parametrize("name", ["rocket", "chelsea"])
def test_reads_bits_exactly_like_invisible_watermark(name):
    from studio_plugins.watermark.sdxl import extract_bits

    marked = script_mark(getattr(skimage.data, name)(), "StableDiffusionV1")
    theirs = imwatermark.WatermarkDecoder("bits", 136).decode(np.ascontiguousarray(marked[..., ::-1]), "dwtDct")
    assert np.array_equal(extract_bits(marked, float_path=False, length=136), np.array(theirs, np.uint8))


def test_small_and_huge_pictures_are_not_checked():
    assert sdmarks.check(np.zeros((200, 200, 3), np.uint8)) is None
    assert api.check_image(np.zeros((200, 200, 3), np.uint8)).sd_marks is None
