"""Detection: whiten, find the tile lattice, fold, align with the sync pattern, test, decode.

1. The luminance is brought to the working frame and *whitened*: the image's
   own low-frequency content is removed and each neighbourhood is scaled to
   unit variance, so that the mark stands out and every pixel weighs alike.
2. Lattices to try: the nominal one (nothing changed but the size, which the
   working frame undoes) and up to three proposed by the template search in
   the power spectrum (:mod:`.sync`: crops change the scale, rotations the
   angle).
3. Each lattice *folds* the frame into one tile (every pixel added to its
   place in the tile), which sums the mark over all its repeats.
4. The folded tile is cross-correlated with the key's sync pattern at every
   cyclic shift, in each of the 8 flips/quarter-turns. The largest z-score is
   the test statistic. Under the null hypothesis (no mark made with this key)
   each z-score is standard normal, so the p-value is that of the largest of
   ``TESTS_PER_KEY`` standard normals (every shift, orientation and lattice
   counted, a Šidák/Bonferroni correction that is exact for independent tests
   and conservative for correlated ones; tests/watermark/test_watermark_calibration.py
   and bench/watermark_robustness.py check it on unmarked images).
   A proposed (non-nominal) lattice is then refined with the sync pattern;
   the refined z-score is a second statistic, counted over every lattice the
   refinement could have reached, and the p-value is twice the smaller one.
5. At the best alignment the payload's cells give 258 soft coded bits,
   decoded by (CRC-aided list) Viterbi and checked by the CRC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from . import ecc, sync
from .pattern import CELL, TILE, WORK_SIDE, WORK_SIDES, patterns_for, to_working

HIGHPASS_SIGMA = 2.0
NORM_SIGMA = 3.0
CLIP = 3.0
MAX_CANDIDATES = 3  # lattices from the template search, besides the nominal one
DETECTION_FPR = 1e-6
ORIENTATIONS = ("identity", "rot90", "rot180", "rot270", "flip", "flip-rot90", "flip-rot180", "flip-rot270")
REFINE_STEPS = ((0.003, 0.12), (0.0015, 0.06))  # (relative scale, degrees) of the two 3×3 refinement rounds
# every shift of every orientation of every lattice (always counted as if all were tried)
TESTS_PER_KEY = TILE * TILE * len(ORIENTATIONS) * (1 + MAX_CANDIDATES)
# the refinement climbs from the best (lattice, orientation) to one of 7×7 nearby lattices: all of them counted
REFINED_TESTS_PER_KEY = TESTS_PER_KEY * (2 * 2 * len(REFINE_STEPS) - 1) ** 2
MIN_DETECT_SIDE = 64


@dataclass
class Detection:
    """The outcome of looking for one key's mark in one image."""

    present: bool
    p_value: float
    log10_p: float
    z: float
    payload: bytes | None
    payload_ok: bool
    soft_bits: np.ndarray | None = None
    lattice: np.ndarray | None = None
    orientation: str = "identity"
    tests: int = 0
    notes: list[str] = field(default_factory=list)
    mode: str = "standard"  # "small": the small pictures' mode

    @property
    def payload_hex(self) -> str | None:
        return self.payload.hex() if self.payload is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "present": self.present,
            "p_value": self.p_value,
            "log10_p_value": self.log10_p,
            "z": self.z,
            "payload": self.payload_hex if self.payload_ok else None,
            "payload_verified": self.payload_ok,
            "orientation": self.orientation,
            "scale": None if self.lattice is None else float(np.sqrt(abs(np.linalg.det(self.lattice))) / TILE),
            "rotation_degrees": None if self.lattice is None else float(
                math.degrees(math.atan2(self.lattice[1, 0], self.lattice[0, 0]))),
            "tests": self.tests,
            "mode": self.mode,
            "notes": self.notes,
        }


def whiten(work: np.ndarray) -> np.ndarray:
    """Remove the image's low frequencies and normalise local variance (float32, unit-ish variance)."""
    work = work.astype(np.float32)
    high = work - cv2.GaussianBlur(work, (0, 0), HIGHPASS_SIGMA)
    local = cv2.GaussianBlur(high * high, (0, 0), NORM_SIGMA)
    floor = max(float(np.median(local)) * 0.05, 1e-3)
    out = high / np.sqrt(local + floor)
    return np.clip(out, -CLIP, CLIP)


def fold(white: np.ndarray, lattice: np.ndarray) -> np.ndarray:
    """Sum the frame into one TILE×TILE tile along ``lattice`` (columns: the tile's sides in frame pixels)."""
    h, w = white.shape
    if np.allclose(lattice, np.eye(2) * TILE):
        ny, nx = -(-h // TILE), -(-w // TILE)
        padded = np.zeros((ny * TILE, nx * TILE), np.float32)
        padded[:h, :w] = white
        return padded.reshape(ny, TILE, nx, TILE).sum(axis=(0, 2), dtype=np.float64)
    scale = math.sqrt(abs(np.linalg.det(lattice))) / TILE
    if scale > 1.1:  # the tile grid samples the frame more sparsely: keep the noise it would skip out
        white = cv2.GaussianBlur(white, (0, 0), 0.5 * scale)
    to_tile = np.linalg.inv(lattice) * TILE  # frame pixel -> tile coordinates
    corners = to_tile @ np.array([[0, w, 0, w], [0, 0, h, h]], np.float64)
    low = np.floor(corners.min(axis=1) / TILE) * TILE
    high = np.ceil(corners.max(axis=1) / TILE) * TILE
    nx, ny = int((high[0] - low[0]) // TILE), int((high[1] - low[1]) // TILE)
    to_frame = lattice / TILE
    matrix = np.hstack([to_frame, (to_frame @ low)[:, None]]).astype(np.float64)
    canvas = cv2.warpAffine(white, matrix, (nx * TILE, ny * TILE), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return canvas.reshape(ny, TILE, nx, TILE).sum(axis=(0, 2), dtype=np.float64)


def orient(tile: np.ndarray, name: str) -> np.ndarray:
    """Undo one of the 8 flips/quarter-turns (applied to the folded tile)."""
    out = tile
    if name.startswith("flip"):
        out = out[:, ::-1]
    turn = name.removeprefix("flip").removeprefix("-") or "identity"
    turns = {"identity": 0, "rot90": 1, "rot180": 2, "rot270": 3}[turn]
    return np.rot90(out, turns)


def z_surface(tile: np.ndarray, sync_fft: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """z-scores of the circular cross-correlation with the sync pattern at every shift, and the best shift.

    Each shift's correlation is standardised by the mean and spread of the
    surface away from its peak, so that under the null hypothesis every value
    is (close to) a standard normal.
    """
    surface = np.fft.irfft2(np.fft.rfft2(tile) * sync_fft, s=tile.shape)
    dy, dx = np.unravel_index(int(np.argmax(surface)), surface.shape)
    keep = np.ones_like(surface, bool)
    r = 2 * CELL
    rows = np.arange(dy - r, dy + r + 1) % TILE
    cols = np.arange(dx - r, dx + r + 1) % TILE
    keep[np.ix_(rows, cols)] = False
    rest = surface[keep]
    std = float(rest.std()) or 1e-12
    return (surface - float(rest.mean())) / std, (int(dy), int(dx))


def correlate(tile: np.ndarray, sync_fft: np.ndarray) -> tuple[float, tuple[int, int]]:
    """Best z-score of the circular cross-correlation with the sync pattern, and its shift."""
    z, (dy, dx) = z_surface(tile, sync_fft)
    return float(z[dy, dx]), (dy, dx)


def log10_p_of_max(z: float, tests: int) -> float:
    """log10 of P(max of ``tests`` independent standard normals >= z)."""
    from scipy.special import log_ndtr  # scipy is slow to import: only detection needs it, not marking

    log_tail = float(log_ndtr(-z))  # ln P(Z >= z)
    # 1 - (1 - q)^n, computed stably: -expm1(n * log1p(-q))
    q = math.exp(log_tail)
    if q > 1e-12:
        p = -math.expm1(tests * math.log1p(-q))
        return math.log10(max(p, 1e-300))
    return (log_tail + math.log(tests)) / math.log(10)


@dataclass
class Prepared:
    """What detection needs from an image, whatever the key: the whitened frame and its folds."""

    white: np.ndarray
    lattices: list[np.ndarray]
    folds: list[np.ndarray]
    side: int = WORK_SIDE  # the working frame's shorter side: the mode looked for

    @property
    def mode(self) -> str:
        return "standard" if self.side == WORK_SIDE else "small"


def prepare(luma: np.ndarray, side: int = WORK_SIDE) -> Prepared:
    """Whiten a luminance image (float, 0..255 scale, native size) and fold it along each candidate lattice.

    ``side``: the working frame's shorter side, i.e. the mode looked for (``WORK_SIDE`` or ``SMALL_WORK_SIDE``).
    """
    height, width = luma.shape
    if min(height, width) < MIN_DETECT_SIDE:
        raise ValueError(f"an image of {width}×{height} pixels is too small to look for the watermark")
    white = whiten(to_working(luma.astype(np.float32), side))
    nominal = np.eye(2) * TILE
    lattices = [nominal] + [c for c, _ in sync.candidates(white, MAX_CANDIDATES)
                            if np.abs(c - nominal).max() > 0.3]
    return Prepared(white, lattices, [fold(white, lattice) for lattice in lattices], side)


def prepare_all(luma: np.ndarray) -> list[Prepared]:
    """:func:`prepare` in every mode (standard and small): a picture may carry either, whatever its size now."""
    return [prepare(luma, side) for side in WORK_SIDES]


def test_key(prepared: Prepared, key: bytes, keys_tried: int = 1, fpr: float = DETECTION_FPR) -> Detection:
    """Test for ``key``'s mark; ``keys_tried`` keys are tested on this image in all (multiple testing)."""
    patterns = patterns_for(key)
    sync_fft = np.conj(np.fft.rfft2(patterns.sync))
    best: tuple[float, np.ndarray, str, tuple[int, int], np.ndarray] | None = None
    for lattice, folded in zip(prepared.lattices, prepared.folds, strict=True):
        for name in ORIENTATIONS:
            tile = orient(folded, name)
            z, shift = correlate(tile, sync_fft)
            if best is None or z > best[0]:
                best = (z, lattice, name, shift, tile)
    assert best is not None
    z, lattice, name = best[:3]
    tests = TESTS_PER_KEY * keys_tried
    log10_p = log10_p_of_max(z, tests)
    if not np.allclose(lattice, np.eye(2) * TILE):
        best = _refine(prepared.white, best, sync_fft)
        refined_log10_p = log10_p_of_max(best[0], REFINED_TESTS_PER_KEY * keys_tried)
        if refined_log10_p < log10_p:
            z, lattice, log10_p, tests = best[0], best[1], refined_log10_p, REFINED_TESTS_PER_KEY * keys_tried
    # two statistics (before and after refining), the smaller p-value taken: twice it is a valid p-value
    log10_p = min(0.0, log10_p + math.log10(2))
    _, _, _, (dy, dx), tile = best
    aligned = np.roll(tile, (-dy, -dx), axis=(0, 1))
    soft = patterns.soft_bits(aligned)
    payload, ok = ecc.decode(soft)
    present = log10_p <= math.log10(fpr)
    return Detection(present=present, p_value=10.0 ** log10_p, log10_p=log10_p, z=z,
                     payload=payload, payload_ok=ok and present, soft_bits=soft, lattice=lattice,
                     orientation=name, tests=tests, mode=prepared.mode)


def _refine(white: np.ndarray, best: tuple, sync_fft: np.ndarray) -> tuple:
    """Sharpen a proposed lattice (the spectrum places it to about half a percent) with the sync pattern.

    Two rounds of a 3×3 grid in scale and angle around the best so far; the
    folds stay in the best orientation. It reads the payload, and its z-score
    is a second statistic, counted over every lattice the climb could reach.
    """
    z, lattice, name, shift, tile = best
    scale = math.sqrt(abs(np.linalg.det(lattice))) / TILE
    angle = math.atan2(lattice[1, 0], lattice[0, 0])
    for rel, degrees in REFINE_STEPS:
        centre_scale, centre_angle = scale, angle
        for i in (-1, 0, 1):
            for j in (-1, 0, 1):
                if i == 0 and j == 0:
                    continue
                s, a = centre_scale * math.exp(i * rel), centre_angle + math.radians(j * degrees)
                candidate = sync.lattice(s, a)
                folded = orient(fold(white, candidate), name)
                cz, cshift = correlate(folded, sync_fft)
                if cz > z:
                    z, lattice, shift, tile, scale, angle = cz, candidate, cshift, folded, s, a
    return z, lattice, name, shift, tile


def test_all(prepared: list[Prepared], key: bytes, keys_tried: int = 1, fpr: float = DETECTION_FPR) -> Detection:
    """:func:`test_key` in each prepared mode; the strongest, counted over every mode tried."""
    found = [test_key(p, key, keys_tried * len(prepared), fpr) for p in prepared]
    return min(found, key=lambda d: d.log10_p)


def detect_luma(luma: np.ndarray, key: bytes, keys_tried: int = 1, fpr: float = DETECTION_FPR) -> Detection:
    """Look for ``key``'s mark in a luminance image (float, 0..255 scale, native size), in every mode."""
    return test_all(prepare_all(luma), key, keys_tried, fpr)
