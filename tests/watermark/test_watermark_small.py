"""The small mode: pictures and frames from 64 to 255 pixels on the shorter side carry the mark too.

The built-in model draws 64×64 pictures and clips; before the small mode its exports went out unmarked.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from wm_helpers import PAYLOAD, jpeg, resize

from studio.world import render, sample_scene
from studio_plugins.watermark import api, detect, embed
from studio_plugins.watermark.pattern import WORK_SIDES
from studio_plugins.watermark.video import detect_frames, embed_frames


def _scenes(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [render(sample_scene(rng)) for _ in range(n)]


def _screenshot(pixels: np.ndarray, zoom: float) -> np.ndarray:
    """Shown zoomed in a viewer and captured: resampled, nothing else."""
    h, w = pixels.shape[:2]
    return cv2.resize(pixels, (round(w * zoom), round(h * zoom)), interpolation=cv2.INTER_LINEAR)


def test_every_64_pixel_picture_of_the_shapes_world_is_marked_invisibly_and_found():
    pictures = _scenes(12, seed=3)
    assert pictures[0].shape[:2] == (64, 64)
    for picture in pictures:
        result = api.embed_image(picture, PAYLOAD)
        assert result.psnr >= 40.0
        found = api.check_image(result.pixels)
        assert found.present and found.payload == PAYLOAD and found.detection.mode == "small"
        # zoomed in a viewer and captured: still found, payload and all
        for zoom in (2, 3.5):
            assert api.check_image(_screenshot(result.pixels, zoom)).payload == PAYLOAD


@pytest.mark.parametrize("size", [(96, 64), (200, 150), (255, 300)])
def test_small_photos_are_marked_in_the_small_mode(photo, size):
    small = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
    marked = api.embed_image(small, PAYLOAD)
    assert marked.psnr >= 40.0
    assert api.check_image(marked.pixels).payload == PAYLOAD  # (the standard mode may see it too, at its scale 2)
    assert api.check_image(jpeg(marked.pixels, 90)).present


def test_large_pictures_keep_the_standard_mode(photo):
    found = api.check_image(api.embed_image(photo, PAYLOAD).pixels)
    assert found.payload == PAYLOAD and found.detection.mode == "standard"
    # a thumbnail of a large marked picture is still looked for in the standard mode
    assert api.check_image(resize(api.embed_image(photo, PAYLOAD).pixels, 0.5)).detection.mode == "standard"


def test_unmarked_small_pictures_are_not_called_marked(photo):
    """Every mode is tried, so every mode is counted in the p-value: no false mark on plain small pictures."""
    pictures = _scenes(20, seed=11)
    h, w = photo.shape[:2]
    pictures += [cv2.resize(photo[y:y + 300, x:x + 300], (s, s), interpolation=cv2.INTER_AREA)
                 for y, x, s in [(0, 0, 64), (100, 300, 96), (300, 600, 128), (200, 100, 200), (383, 700, 80)]]
    for picture in pictures:
        found = api.check_image(picture)
        assert not found.present
        assert found.detection.log10_p > -4  # nowhere near the 1e-6 threshold
        assert found.detection.tests == len(WORK_SIDES) * detect.TESTS_PER_KEY  # every mode, counted


def test_a_64_pixel_clip_is_marked_frame_by_frame():
    rng = np.random.default_rng(5)
    frames = [render(sample_scene(rng)) for _ in range(8)]
    marked = list(embed_frames(iter(frames), PAYLOAD))
    assert len(marked) == 8 and all(f.shape == (64, 64, 3) for f in marked)
    check = detect_frames(marked)
    assert check.frames_marked == 8 and check.payload == PAYLOAD


def test_below_64_pixels_is_still_refused_clearly():
    with pytest.raises(api.TooSmallError, match="at least 64 pixels"):
        api.embed_image(np.zeros((63, 200, 3), np.uint8), PAYLOAD)
    assert embed.MIN_SIDE == 64


@pytest.mark.parametrize("suffix", ["mp4", "webm"])
def test_a_64_pixel_generated_clip_exports_marked_in_every_frame(make_app, tmp_path, suffix):
    """What the built-in motion model makes (flat shapes, 64×64) leaves the export pipeline marked."""
    from studio.document import Record
    from studio.media import ClipInput
    from studio.world import render_motion, sample_shape
    from studio_plugins.watermark.video import read_frames

    rng = np.random.default_rng(8)
    frames = [np.asarray(f) for f in render_motion(sample_shape(rng), n_frames=16, start="left", end="right",
                                                    background="white", size=64)]
    record = Record(action="video.generate", title="clip", c2pa_action="c2pa.created",
                    digital_source="trainedAlgorithmicMedia", params={"prompt": "a shape moving right"})
    report = make_app().export.export_clip(ClipInput.from_frames(frames, 8, "gen", record), tmp_path / f"c.{suffix}")
    assert not [n for n in report.notices if "watermark" in n.lower() and "not" in n.lower()]
    check = detect_frames(read_frames(report.path))
    assert check.frames_checked == 16 and check.frames_marked == 16 and check.payload is not None
