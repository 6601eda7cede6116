"""The p-value is calibrated: on unmarked natural images it is (slightly conservatively) uniform.

The detector's p-value assumes that, without the key's mark, the z-score at
every shift, orientation and lattice is standard normal, and corrects for
taking the largest (Šidák over ``TESTS_PER_KEY`` tests per key). Both parts
are checked here on natural images (scikit-image's samples and Studio's
media samples, at two sizes each) with random keys:

- the z-scores themselves: tens of millions of them, whose tail beyond 4 and
  4.5 standard deviations must match the normal distribution's;
- the p-values: the share below 0.5, 0.2 and 0.05 must not exceed those
  levels (beyond sampling error) and must not be wildly below them;
- and no unmarked image comes near the 1e-6 decision threshold.

bench/watermark_robustness.py runs the same check with many more trials.
"""

import cv2
import numpy as np
import pytest
import skimage.data
from scipy.stats import norm
from wm_helpers import load_rgb

from studio_plugins.watermark import detect, embed
from studio_plugins.watermark.pattern import patterns_for

NAMES = ("astronaut", "coffee", "chelsea", "rocket", "camera", "brick", "grass", "gravel", "moon", "page",
         "text", "retina", "cat", "hubble_deep_field", "immunohistochemistry", "coins", "clock")


def natural_images() -> list[np.ndarray]:
    images = []
    for name in NAMES:
        img = getattr(skimage.data, name)()
        if img.dtype != np.uint8:
            img = (img / img.max() * 255).astype(np.uint8)
        images.append(img[..., :3] if img.ndim == 3 else img)
    images += [load_rgb(n) for n in ("sample1.png", "mars.webp", "earth_apollo17.jpg")]
    out = []
    for img in images:
        h, w = img.shape[:2]
        for scale in (1.0, 1.37):
            size = (max(256, round(w * scale)), max(256, round(h * scale)))
            out.append(cv2.resize(img, size, interpolation=cv2.INTER_CUBIC))
    return out


@pytest.fixture(scope="module")
def null_runs():
    rng = np.random.default_rng(2024)
    p_values, tails = [], np.zeros(3)
    count = 0
    for image in natural_images():
        prepared = detect.prepare(embed.luminance(image))
        for _ in range(3):
            key = rng.bytes(32)
            p_values.append(detect.test_key(prepared, key).p_value)
            sync_fft = np.conj(np.fft.rfft2(patterns_for(key).sync))
            for folded in prepared.folds:
                for name in detect.ORIENTATIONS:
                    z, _ = detect.z_surface(detect.orient(folded, name), sync_fft)
                    tails += [(z >= 4.0).sum(), (z >= 4.5).sum(), (z >= 5.0).sum()]
                    count += z.size
    return np.array(p_values), tails, count


def test_z_scores_have_normal_tails(null_runs):
    _, tails, count = null_runs
    assert count > 10_000_000
    for observed, threshold in zip(tails, (4.0, 4.5, 5.0), strict=True):
        expected = norm.sf(threshold) * count
        # at most 1.5× the normal tail (plus sampling error): heavier tails would make p-values too small
        assert observed <= 1.5 * expected + 4 * np.sqrt(expected) + 2, (threshold, observed, expected)
    assert tails[0] >= 0.3 * norm.sf(4.0) * count  # and the statistic is not degenerate


def test_p_values_are_calibrated(null_runs):
    p_values, _, _ = null_runs
    n = len(p_values)
    assert n >= 100
    for alpha in (0.5, 0.2, 0.05):
        share = float(np.mean(p_values <= alpha))
        margin = 3 * np.sqrt(alpha * (1 - alpha) / n)
        assert share <= alpha + margin, (alpha, share)
        if alpha >= 0.2:
            assert share >= alpha / 3 - margin, (alpha, share)  # conservative, not useless
    assert p_values.min() > 1e-4  # nowhere near the 1e-6 decision threshold
