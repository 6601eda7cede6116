"""The invisible marks of the Stable Diffusion 1.x and 2.x reference scripts (weak signals).

CompVis' ``scripts/txt2img.py`` (SD 1.x) embeds the text ``StableDiffusionV1`` and Stability AI's
``scripts/txt2img.py`` (SD 2.x) the text ``SDV2`` into every picture, with invisible-watermark's
``WatermarkEncoder`` in bytes mode and its ``dwtDct`` method, on the 8-bit BGR picture. The method is
the one the SDXL mark uses (:mod:`.sdxl`): only the message, and with it the number of bits that
repeat over the blocks, differs (136 bits for SD 1.x, 32 for SD 2.x). Front ends built on those scripts
(and many forks) kept the mark; diffusers' SD 1.x/2.x pipelines do not add it.

A weak signal for the same reasons as the SDXL mark: the messages are public and fixed, anyone can
embed them, JPEG and resizing erase them, and flat pictures bias the bits. A match says the pixels
went through one of those scripts (or someone copied its mark); no match says nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .sdxl import MAX_PIXELS, MIN_PIXELS, binomial_tail, bits_from_scores, block_scores

# name, the script's text, its bits
MESSAGES: dict[str, bytes] = {"Stable Diffusion 1.x": b"StableDiffusionV1", "Stable Diffusion 2.x": b"SDV2"}
DETECTION_P = 1e-6  # a match must be this unlikely by chance, counted over every message and reading


@dataclass
class SdMarkCheck:
    """The best agreement of the picture's dwtDct bits with one of the scripts' messages."""

    name: str  # which script's message agrees best
    text: str
    matched: int
    bits: int
    p_value: float
    present: bool

    @property
    def score(self) -> float:
        """−log10 of the chance p-value (6 and more: present)."""
        return -math.log10(max(self.p_value, 1e-300))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "text": self.text, "matched_bits": self.matched, "bits": self.bits,
                "p_value": self.p_value, "present": self.present, "strength": "weak signal"}


def message_bits(text: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(text, np.uint8))


def check(rgb: np.ndarray) -> SdMarkCheck | None:
    """Compare the picture's dwtDct bits with each script's message; None if its size rules the marks out."""
    pixels = rgb.shape[0] * rgb.shape[1]
    if pixels < MIN_PIXELS or pixels > MAX_PIXELS or rgb.ndim != 3 or rgb.shape[2] < 3:
        return None
    rgb = np.asarray(rgb[..., :3], np.uint8)
    trials = 2 * len(MESSAGES)  # two readings (8-bit and float conversions) of each message
    readings = [block_scores(rgb, path) for path in (False, True)]
    best: SdMarkCheck | None = None
    for name, text in MESSAGES.items():
        wanted = message_bits(text)
        matched = max(int((bits_from_scores(scores, len(wanted)) == wanted).sum()) for scores in readings)
        p_value = min(1.0, trials * binomial_tail(matched, len(wanted)))
        found = SdMarkCheck(name, text.decode(), matched, len(wanted), p_value, p_value <= DETECTION_P)
        if best is None or found.p_value < best.p_value:
            best = found
    return best
