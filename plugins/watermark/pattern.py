"""The keyed tile (template, sync and payload patterns) and the working resolution.

Every image is looked at in a *working* frame whose shorter side is
``WORK_SIDE`` pixels, so resizing the image does not move the mark. Small
pictures (shorter side under ``SMALL_BELOW``, down to 64 pixels: the built-in
model's 64×64 outputs and video frames) are marked in the *small mode*, whose
working frame has a shorter side of 256 or ``SMALL_WORK_SIDE`` (at most twice
the picture's): at 64×64 one tile covers the picture and its cells are two
pixels. The detector tries every mode, and counts them all in its p-value. The mark
is one ``TILE``×``TILE`` tile repeated across the working frame. Its energy is
shared by three superposed parts:

- the *template*: a dozen sinusoids on the tile's lattice, the same
  frequencies for every key (keyed phases). They make sharp peaks in the power
  spectrum, from which the detector reads a crop's scale and a rotation
  (:mod:`.sync`);
- the *sync* pattern: a keyed ±1 per cell of ``CELL``×``CELL`` pixels, the
  same for every payload. The detector finds the tile's position with it and
  tests for presence with it (:mod:`.detect`);
- the *payload*: each cell carries one of the 258 coded bits of the payload
  (a keyed assignment of cells to bits) times a keyed ±1 chip.

Sync and payload cells are smoothed and band-passed (``SMOOTH_SIGMA``,
``LOW_CUT_SIGMA``): no energy is spent at the lowest frequencies, where
images are loud and the eye is sensitive, nor at the highest, which JPEG,
downscaling and blur remove.

Every keyed value comes from SHAKE-256 of the key, so a mark made today is
found by any later version of Studio (no dependence on numpy's generators).
Changing any constant here changes the scheme: bump ``VERSION``.
"""

from __future__ import annotations

import functools
import hashlib

import cv2
import numpy as np

from . import ecc

WORK_SIDE = 512
SMALL_WORK_SIDE = 128  # the small mode's smallest working frame (see the module's docstring)
SMALL_BELOW = 256  # pictures whose shorter side is under this are marked in the small mode
# the working sides, largest first: a picture is marked at the largest its shorter side reaches, so the working
# frame never enlarges it more than twice (a smaller frame than that would put the mark at lower frequencies,
# where pictures are loud; a larger one at frequencies the picture cannot hold)
WORK_SIDES = (WORK_SIDE, 256, SMALL_WORK_SIDE)
MAX_ASPECT = 4  # the working frame's longer side is at most this many times its shorter side
MAX_WORK_SIDE = MAX_ASPECT * WORK_SIDE
TILE = 128
CELL = 4
GRID = TILE // CELL
SMOOTH_SIGMA = 1.0
LOW_CUT_SIGMA = 2.5  # the tile loses what a blur of this size keeps: no energy is spent where images are loud
# shares of the mark's energy: the template (scale and rotation), the sync pattern
# (position and the presence test), and the payload (the rest)
TEMPLATE_SHARE = 0.2
SYNC_SHARE = 0.25
# the template: a few sinusoids on the tile's lattice (cycles per tile along x, y),
# at radii and angles that no other scale or rotation confuses
TEMPLATE_FREQUENCIES = ((10, 1), (14, 6), (9, 7), (10, 13), (5, 13), (1, 11), (-2, 16), (-5, 12), (-11, 14),
                        (-12, 9), (-11, 4), (-16, 2))
VERSION = b"studio-watermark-v1"


def keyed_bytes(key: bytes, label: str, n: int) -> bytes:
    return hashlib.shake_256(VERSION + b"\0" + label.encode() + b"\0" + key).digest(n)


def keyed_signs(key: bytes, label: str, n: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(keyed_bytes(key, label, (n + 7) // 8), np.uint8))[:n]
    return 1.0 - 2.0 * bits.astype(np.float32)


def keyed_permutation(key: bytes, label: str, n: int) -> np.ndarray:
    values = np.frombuffer(keyed_bytes(key, label, 8 * n), dtype=">u8")
    return np.argsort(values, kind="stable")


def smooth_periodic(cells: np.ndarray) -> np.ndarray:
    """Cell values (GRID×GRID) to a smooth periodic TILE×TILE pattern of unit RMS."""
    tile = np.kron(cells.astype(np.float32), np.ones((CELL, CELL), np.float32))
    pad = 8 * CELL
    padded = np.pad(tile, pad, mode="wrap").astype(np.float32, copy=False)
    smooth = cv2.GaussianBlur(padded, (0, 0), SMOOTH_SIGMA)
    band = (smooth - cv2.GaussianBlur(smooth, (0, 0), LOW_CUT_SIGMA))[pad:-pad, pad:-pad]
    return band / float(np.sqrt(np.mean(band**2)))


def cell_filter(tile: np.ndarray) -> np.ndarray:
    """The matched filter of one cell: filter ``tile`` like the pattern, then sum each cell."""
    pad = 8 * CELL
    padded = np.pad(tile.astype(np.float32), pad, mode="wrap")
    smooth = cv2.GaussianBlur(padded, (0, 0), SMOOTH_SIGMA)
    band = (smooth - cv2.GaussianBlur(smooth, (0, 0), LOW_CUT_SIGMA))[pad:-pad, pad:-pad]
    return band.reshape(GRID, CELL, GRID, CELL).sum(axis=(1, 3))


def template_tile(key: bytes) -> np.ndarray:
    """The sum of the template's sinusoids (keyed phases), unit RMS."""
    phases = np.frombuffer(keyed_bytes(key, "template", len(TEMPLATE_FREQUENCIES)), np.uint8) / 256.0
    v, u = np.mgrid[0:TILE, 0:TILE].astype(np.float64) / TILE
    total = np.zeros((TILE, TILE))
    for (k, l), phase in zip(TEMPLATE_FREQUENCIES, phases, strict=True):
        total += np.cos(2 * np.pi * (k * u + l * v + phase))
    return (total / np.sqrt(np.mean(total**2))).astype(np.float32)


class KeyPatterns:
    """Everything derived from one key: the sync tile and the payload's cell layout."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.sync_cells = keyed_signs(key, "sync", GRID * GRID).reshape(GRID, GRID)
        self.sync = smooth_periodic(self.sync_cells)
        self.chips = keyed_signs(key, "chips", GRID * GRID).reshape(GRID, GRID)
        order = keyed_permutation(key, "layout", GRID * GRID)
        bit_of_cell = np.empty(GRID * GRID, np.int64)
        bit_of_cell[order] = np.arange(GRID * GRID) % ecc.CODED_BITS
        self.bit_of_cell = bit_of_cell.reshape(GRID, GRID)
        self.template = template_tile(key)

    def payload_tile(self, payload: bytes) -> np.ndarray:
        coded = ecc.encode(payload).astype(np.float32)
        return smooth_periodic(coded[self.bit_of_cell] * self.chips)

    def tile(self, payload: bytes) -> np.ndarray:
        """The whole mark's tile (unit RMS): template, sync and payload superposed."""
        payload_share = 1.0 - SYNC_SHARE - TEMPLATE_SHARE
        mark = (np.sqrt(TEMPLATE_SHARE) * self.template + np.sqrt(SYNC_SHARE) * self.sync
                + np.sqrt(payload_share) * self.payload_tile(payload))
        return mark / float(np.sqrt(np.mean(mark**2)))

    def soft_bits(self, folded: np.ndarray) -> np.ndarray:
        """Soft coded bits from an aligned folded tile (positive means bit 0)."""
        per_cell = cell_filter(folded) * self.chips
        sums = np.bincount(self.bit_of_cell.ravel(), weights=per_cell.ravel(), minlength=ecc.CODED_BITS)
        counts = np.bincount(self.bit_of_cell.ravel(), minlength=ecc.CODED_BITS)
        soft = sums / np.sqrt(counts)
        scale = float(np.std(soft)) or 1.0
        return soft / scale


@functools.lru_cache(maxsize=8)
def patterns_for(key: bytes) -> KeyPatterns:
    return KeyPatterns(key)


def marking_side(width: int, height: int) -> int:
    """The working side a width×height picture is marked at: ``WORK_SIDE`` from ``SMALL_BELOW`` pixels up,
    below that the small mode's largest side that is at most twice the picture's shorter side."""
    shorter = min(width, height)
    return next((side for side in WORK_SIDES if side <= 2 * shorter), SMALL_WORK_SIDE)


def working_size(width: int, height: int, side: int = WORK_SIDE) -> tuple[int, int]:
    """The working frame's (width, height): shorter side ``side``, longer side capped."""
    scale = side / min(width, height)
    scale = min(scale, MAX_ASPECT * side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def to_working(luma: np.ndarray, side: int = WORK_SIDE) -> np.ndarray:
    h, w = luma.shape
    ww, wh = working_size(w, h, side)
    interp = cv2.INTER_AREA if ww < w else cv2.INTER_LINEAR
    return cv2.resize(luma, (ww, wh), interpolation=interp)


def tiled(tile: np.ndarray, width: int, height: int) -> np.ndarray:
    """``tile`` repeated over a width×height frame, starting at the top-left corner."""
    reps_y, reps_x = -(-height // TILE), -(-width // TILE)
    return np.tile(tile, (reps_y, reps_x))[:height, :width]
