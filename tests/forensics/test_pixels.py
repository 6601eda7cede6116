"""Pixel forensics: each heatmap lights up where the picture was manipulated."""

from __future__ import annotations

import numpy as np
import pytest
from forensics_helpers import jpeg_roundtrip
from PIL import Image

from studio_plugins.forensics.copymove import copy_move
from studio_plugins.forensics.faces import faces_analysis
from studio_plugins.forensics.heatmap import display_heatmap
from studio_plugins.forensics.jpegtrace import estimate_quality, jpeg_history
from studio_plugins.forensics.residuals import error_level, noise_residual
from studio_plugins.forensics.source import open_image
from studio_plugins.forensics.spectrum import spectrum_analysis


def peak_in(heatmap: np.ndarray, size: tuple[int, int], box: tuple[int, int, int, int]) -> bool:
    """Whether the heatmap's brightest cell (scaled to ``size`` = (w, h)) lies inside ``box``."""
    y, x = np.unravel_index(int(np.argmax(heatmap)), heatmap.shape)
    px = (x + 0.5) * size[0] / heatmap.shape[1]
    py = (y + 0.5) * size[1] / heatmap.shape[0]
    x0, y0, x1, y1 = box
    return x0 <= px <= x1 and y0 <= py <= y1


def overlaps(found: list[int], box: tuple[int, int, int, int], least: float = 0.5) -> bool:
    """Whether ``found`` covers at least ``least`` of ``box``."""
    iw = max(0, min(found[2], box[2]) - max(found[0], box[0]))
    ih = max(0, min(found[3], box[3]) - max(found[1], box[1]))
    return iw * ih >= least * (box[2] - box[0]) * (box[3] - box[1])


def test_error_level_localises_a_pasted_region(ela_splice):
    path, box = ela_splice
    source = open_image(path)
    result = error_level(source, 90)
    assert result.state == "uneven"
    assert overlaps(result.data["region"]["box"], box)
    assert peak_in(result.heatmap, source.size, box)


def test_error_level_of_an_untouched_jpeg_is_uniform(tmp_path, astronaut):
    path = tmp_path / "plain.jpg"
    Image.fromarray(astronaut).save(path, quality=85)
    assert error_level(open_image(path), 85).state == "uniform"


def test_noise_residual_localises_a_noisier_paste(tmp_path):
    import cv2
    import skimage.data

    src = skimage.data.chelsea()
    img = cv2.GaussianBlur(src, (0, 0), 1.0).astype(np.float64)  # a denoised-looking picture...
    box = (250, 60, 370, 160)
    x0, y0, x1, y1 = box
    noisy = src[y0:y1, x0:x1] + np.random.default_rng(0).normal(0, 4, (y1 - y0, x1 - x0, 3))
    img[y0:y1, x0:x1] = noisy  # ...with a piece of a noisier one
    path = tmp_path / "noise.png"
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path)
    source = open_image(path)
    result = noise_residual(source)
    # the region is found and shown; whether it is *flagged* follows the threshold calibrated on natural photos
    assert result.data["region"]["kind"] == "noisier"
    assert any(f.label == "Region noisier than the rest" for f in result.findings)
    assert overlaps(result.data["region"]["box"], box, 0.4)
    assert peak_in(result.heatmap, source.size, box)
    (signal,) = result.signals
    assert signal.id == "forensics.noise.uneven" and signal.score == pytest.approx(result.data["region"]["ratio"], 0.01)
    assert (result.state == "uneven") == (signal.verdict == "flagged")


def test_double_compression_map_localises_a_fresh_paste(tmp_path, coffee):
    h, w = coffee.shape[:2]
    img = jpeg_roundtrip(coffee, 60).copy()
    box = (w // 2, h // 4, w // 2 + w // 4, h // 2)
    img[box[1]:box[3], box[0]:box[2]] = coffee[box[1]:box[3], box[0]:box[2]]
    path = tmp_path / "dq.jpg"
    Image.fromarray(img).save(path, quality=90)
    source = open_image(path)
    result = jpeg_history(source)
    assert result.state == "double-region"
    assert result.data["quality"] == 90 and result.data["standard_tables"]
    assert overlaps(result.data["region"]["box"], box)
    assert peak_in(result.heatmap, source.size, box)


def test_single_jpeg_and_former_jpeg(tmp_path, coffee):
    single = tmp_path / "single.jpg"
    Image.fromarray(coffee).save(single, quality=75)
    result = jpeg_history(open_image(single))
    assert result.state == "single" and result.data["quality"] == 75
    former = tmp_path / "former.png"
    import skimage.data

    Image.fromarray(jpeg_roundtrip(skimage.data.retina(), 60)).save(former)
    assert jpeg_history(open_image(former)).state == "former-jpeg"


def test_quality_estimate_matches_the_encoder(tmp_path, coffee):
    for quality in (50, 75, 95):
        path = tmp_path / f"q{quality}.jpg"
        Image.fromarray(coffee).save(path, quality=quality)
        assert estimate_quality(open_image(path).quantization) == (quality, True)


def test_copy_move_marks_both_the_source_and_the_copy(tmp_path, astronaut):
    img = astronaut.copy()
    src, dst = (20, 300, 140, 420), (330, 340, 450, 460)
    img[dst[1]:dst[3], dst[0]:dst[2]] = img[src[1]:src[3], src[0]:src[2]]
    path = tmp_path / "clone.jpg"
    Image.fromarray(img).save(path, quality=92)
    source = open_image(path)
    result = copy_move(source)
    # the clone is found and shown; it is *flagged* only above the threshold calibrated on natural photos,
    # where brick and gravel repeat as much as this small clone does
    (signal,) = result.signals
    assert signal.score >= 10 and (result.state == "repeated-areas") == (signal.verdict == "flagged")
    group = result.data["groups"][0]
    boxes = [group["source"], group["copy"]]
    assert any(overlaps(b, src, 0.3) for b in boxes) and any(overlaps(b, dst, 0.3) for b in boxes)
    assert peak_in(result.heatmap, source.size, src) or peak_in(result.heatmap, source.size, dst)
    clean = tmp_path / "clean.jpg"
    Image.fromarray(astronaut).save(clean, quality=92)
    assert copy_move(open_image(clean)).state == "none-found"


def test_faces_are_found_and_analysed_as_regions(tmp_path, astronaut):
    path = tmp_path / "astronaut.jpg"
    Image.fromarray(astronaut).save(path, quality=92)
    source = open_image(path)
    result = faces_analysis(source, error_level(source, 92).maps["relative"])
    assert result.state == "faces-consistent"  # an untouched face is not singled out
    x0, y0, x1, y1 = result.data["faces"][0]["box"]
    assert 150 < (x0 + x1) / 2 < 300 and 60 < (y0 + y1) / 2 < 180  # Eileen Collins's face
    assert peak_in(result.heatmap, source.size, (x0, y0, x1, y1))


def test_upsampling_gives_spectral_peaks(tmp_path, coffee):
    import cv2

    original = tmp_path / "original.png"
    Image.fromarray(coffee).save(original)
    small = cv2.resize(coffee, (300, 200), interpolation=cv2.INTER_AREA)
    upsampled = tmp_path / "upsampled.png"
    Image.fromarray(cv2.resize(small, (600, 400), interpolation=cv2.INTER_NEAREST)).save(upsampled)
    before = spectrum_analysis(open_image(original))
    after = spectrum_analysis(open_image(upsampled))
    assert before.state == "no-peaks" and before.signals[0].verdict == "clear"
    assert after.data["peaks_db"]["1/2"] > before.data["peaks_db"]["1/2"] + 10
    assert after.signals[0].score > before.signals[0].score + 5  # measured; flagged only past the calibration
    assert (after.state == "periodic-peaks") == (after.signals[0].verdict == "flagged")
    assert len(after.data["azimuthal_profile"]) == 64


def test_an_enlarged_generator_picture_is_upsampling_not_a_former_jpeg(tmp_path, coffee):
    """A small generator's output (upsampled ×4 inside its decoder), enlarged ×4 for export: a 16-pixel
    period and jumps every 4 pixels, which once read as an 8×8 JPEG grid."""
    import cv2

    small = cv2.resize(coffee, (100, 75), interpolation=cv2.INTER_AREA)
    decoded = cv2.resize(small, (400, 300), interpolation=cv2.INTER_NEAREST)
    path = tmp_path / "enlarged.png"
    Image.fromarray(cv2.resize(decoded, (1600, 1200), interpolation=cv2.INTER_CUBIC)).save(path)
    source = open_image(path)
    assert jpeg_history(source).state == "not-jpeg"
    spectrum = spectrum_analysis(source)
    assert spectrum.state == "periodic-peaks", spectrum.data["peaks_db"]
    for factor in (2, 4):  # plain enlargements have no 8×8 grid either
        path = tmp_path / f"x{factor}.png"
        Image.fromarray(cv2.resize(coffee, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)).save(path)
        assert jpeg_history(open_image(path)).state == "not-jpeg"


def test_heatmaps_follow_the_exif_orientation(tmp_path, ela_splice):
    path, box = ela_splice
    with Image.open(path) as im:
        exif = im.getexif()
        exif[0x0112] = 6  # shown turned 90° clockwise
        rotated = tmp_path / "rotated.png"
        im.save(rotated, exif=exif)
    source = open_image(rotated)
    result = error_level(source, 90)
    heat = display_heatmap("Error level", result.heatmap, source, "").values
    shown_w, shown_h = source.display_size()
    assert (shown_w, shown_h) == (512, 512) and heat.shape == result.heatmap.shape[::-1]
    x0, y0, x1, y1 = box  # stored box (x0, y0, x1, y1) turned clockwise: x' = h - y, y' = x
    turned = (512 - y1, x0, 512 - y0, x1)
    assert peak_in(heat, (shown_w, shown_h), turned)
    assert overlaps(result.data["region"]["box"], turned)


def test_a_face_retouched_after_compression_stands_out(tmp_path, astronaut):
    img = jpeg_roundtrip(astronaut, 90).copy()
    img[60:170, 170:280] = astronaut[60:170, 170:280]  # the face, put back as never-compressed pixels
    path = tmp_path / "retouched.png"
    Image.fromarray(img).save(path)
    source = open_image(path)
    result = faces_analysis(source, error_level(source, 90).maps["relative"])
    assert result.state == "faces-unlike-rest"
    assert result.data["faces"][0]["unlike_rest"] and result.data["faces"][0]["ela_ratio"] > 3
