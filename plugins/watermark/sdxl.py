"""The third-party mark that diffusers' Stable Diffusion XL pipelines embed (a weak signal).

``diffusers/pipelines/stable_diffusion_xl/watermark.py`` embeds the fixed
48-bit message ``WATERMARK_MESSAGE`` with invisible-watermark's ``dwtDct``
method: one level of a Haar wavelet transform of the U (chroma) channel, and
in each 4×4 block of its approximation band the largest coefficient (after
the first) is quantised with step 36 so that its remainder says 0 or 1; block
number n carries bit n mod 48. This module reads those bits back the same way
(no dependency on the invisible-watermark package) and compares them with the
message.

Why only a weak signal: the message is the same for every SDXL image and
public, anyone can embed it, it is fragile (JPEG and resizing erase it), and
flat or grey images bias the extracted bits, so chance agreement is more
likely than the binomial p-value says. A match suggests the pixels passed
through an SDXL pipeline with the watermark on; no match says nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import pywt

WATERMARK_MESSAGE = 0b101100111110110010010000011110111011000110011110
WATERMARK_BITS = np.array([int(bit) for bit in bin(WATERMARK_MESSAGE)[2:]], np.uint8)
STEP = 36.0
BLOCK = 4
MATCH_THRESHOLD = 44  # of 48 bits: chance ≈ 1e-9 if the bits were fair coins
MIN_PIXELS = 256 * 256  # invisible-watermark refuses smaller images; so does diffusers
# SDXL makes at most about 2048×2048; the mark does not survive the resizing that a larger picture
# would have needed, so larger pictures are not read (which also keeps the report fast)
MAX_PIXELS = 2048 * 2048


@dataclass
class SdxlCheck:
    matched: int
    bits: int
    p_value: float
    present: bool

    def to_dict(self) -> dict[str, Any]:
        return {"matched_bits": self.matched, "bits": self.bits, "p_value": self.p_value,
                "present": self.present, "strength": "weak signal"}


def extract_bits(rgb: np.ndarray, float_path: bool = True, length: int = len(WATERMARK_BITS)) -> np.ndarray:
    """The ``length`` dwtDct bits of an RGB uint8 image (48: SDXL's message; block n carries bit n mod length)."""
    return bits_from_scores(block_scores(rgb, float_path), length)


def block_scores(rgb: np.ndarray, float_path: bool = True) -> np.ndarray:
    """Each 4×4 block's dwtDct bit (0 or 1) of an RGB uint8 image, in the encoder's block order.

    diffusers hands the encoder float pixels (0..255), for which OpenCV's YUV
    conversion offsets U by 0.5 rather than 128; ``float_path`` reads the bits
    the way they were written then. ``float_path=False`` reads them as
    invisible-watermark's own decoder does (8-bit conversion), which is right
    for marks embedded from 8-bit images.
    """
    bgr = np.ascontiguousarray(rgb[..., 2::-1])
    if float_path:
        bgr = bgr.astype(np.float32)
    u = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV)[..., 1].astype(np.float64)
    rows, cols = u.shape[0] // 4 * 4, u.shape[1] // 4 * 4
    u = u[:rows, :cols]
    approx = pywt.dwt2(u, "haar")[0]  # as the encoder computed it (ties and remainders depend on rounding)
    by, bx = approx.shape[0] // BLOCK, approx.shape[1] // BLOCK
    blocks = approx[:by * BLOCK, :bx * BLOCK].reshape(by, BLOCK, bx, BLOCK).transpose(0, 2, 1, 3)
    flat = blocks.reshape(by * bx, BLOCK * BLOCK)
    pos = np.argmax(np.abs(flat[:, 1:]), axis=1) + 1
    value = np.abs(flat[np.arange(len(flat)), pos])
    return (np.mod(value, STEP) > 0.5 * STEP).astype(np.float64)


def bits_from_scores(scores: np.ndarray, length: int) -> np.ndarray:
    """The message bits from per-block scores: block n votes for bit n mod ``length``."""
    index = np.arange(len(scores)) % length
    sums = np.bincount(index, weights=scores, minlength=length)
    counts = np.bincount(index, minlength=length)
    return ((sums / np.maximum(counts, 1)) * 255 > 127).astype(np.uint8)


def binomial_tail(k: int, n: int) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2)."""
    return sum(math.comb(n, i) for i in range(k, n + 1)) / 2.0**n


def check(rgb: np.ndarray) -> SdxlCheck | None:
    """Compare the image's dwtDct bits with the SDXL message; None if its size rules the mark out."""
    pixels = rgb.shape[0] * rgb.shape[1]
    if pixels < MIN_PIXELS or pixels > MAX_PIXELS or rgb.ndim != 3 or rgb.shape[2] < 3:
        return None
    rgb = np.asarray(rgb[..., :3], np.uint8)
    n = len(WATERMARK_BITS)
    matched = max(int((extract_bits(rgb, path) == WATERMARK_BITS).sum()) for path in (True, False))
    p_value = min(1.0, 2.0 * binomial_tail(matched, n))  # two ways of reading: twice the chances
    return SdxlCheck(matched, n, p_value, matched >= MATCH_THRESHOLD)
