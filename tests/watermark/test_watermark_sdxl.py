"""The SDXL mark that diffusers embeds is recognised (as a weak signal), with its real encoder."""

import numpy as np
import pytest
import skimage.data

from studio_plugins.watermark import api, sdxl

imwatermark = pytest.importorskip("imwatermark", reason="invisible-watermark (installed with --no-deps) is needed")


def sdxl_pipeline_mark(rgb: np.ndarray) -> np.ndarray:
    """What a diffusers SDXL pipeline with the watermark on hands the user: its own watermarker, then 8 bits."""
    import torch
    from diffusers.pipelines.stable_diffusion_xl.watermark import StableDiffusionXLWatermarker

    images = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 127.5 - 1.0
    out = StableDiffusionXLWatermarker().apply_watermark(images)
    return ((out[0].permute(1, 2, 0).numpy() / 2 + 0.5).clip(0, 1) * 255).round().astype(np.uint8)


def test_the_message_is_diffusers_own():
    from diffusers.pipelines.stable_diffusion_xl import watermark

    assert sdxl.WATERMARK_BITS.tolist() == watermark.WATERMARK_BITS


@pytest.mark.parametrize("name", ["astronaut", "chelsea"])
def test_sdxl_output_is_recognised(name):
    original = getattr(skimage.data, name)()
    check = api.check_image(sdxl_pipeline_mark(original))
    assert check.sdxl is not None and check.sdxl.present and check.sdxl.matched >= 46
    assert not check.present  # it is not Studio's mark
    assert not api.check_image(original).sdxl.present


def test_reads_bits_exactly_like_invisible_watermark():
    encoder = imwatermark.WatermarkEncoder()
    encoder.set_watermark("bits", sdxl.WATERMARK_BITS.tolist())
    decoder = imwatermark.WatermarkDecoder("bits", 48)
    for name in ("coffee", "rocket"):
        rgb = getattr(skimage.data, name)()
        marked = encoder.encode(np.ascontiguousarray(rgb[..., ::-1]), "dwtDct")[..., ::-1]
        theirs = np.array(decoder.decode(np.ascontiguousarray(marked[..., ::-1]), "dwtDct"), np.uint8)
        assert np.array_equal(sdxl.extract_bits(np.ascontiguousarray(marked), float_path=False), theirs)


def test_small_images_are_not_checked():
    assert sdxl.check(np.zeros((200, 200, 3), np.uint8)) is None
