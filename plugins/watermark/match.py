"""Informed reading: a damaged payload matched against the payloads the asker already knows.

A blind decode needs every one of the 258 coded bits to be read well enough for the Viterbi decoder
and the CRC; after a JPEG, a screenshot or a crop of a small or flat picture the mark is often still
*found* (the sync test) while its payload no longer decodes. The local manifest store knows the
payloads of every export made here, so the question becomes easier: which of these K payloads, if
any, do the soft bits agree with? For each candidate the soft bits are correlated with its coded bits
(±1); under the null hypothesis (the picture does not carry that payload) each correlation, scaled by
√258, is close to a standard normal, so the best of K is tested as the largest of K normals, at the
detector's own false-positive rate. Random 64-bit payloads share about half their coded bits, so a
mark carrying a payload that is not among the candidates does not lift any of them.

The blind reading takes the soft bits where the sync search put the mark. A copy that was only
re-encoded (JPEG, a platform's upload) still carries the mark where it was made: at the origin, unscaled
and unturned, in the working frame of one of the marking modes. There the sync pattern's correlation at
that one position is a second, independent statistic, so each mode's *unmoved* reading scores a candidate
with all the mark's energy (sync and payload together), and finds marks too faint for the blind search
over every position, scale and turn (a document scan, flat pictures after JPEG). Every reading counts in
the number of tests: the best of ``K × readings`` normals, at the detector's own false-positive rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import ecc
from .detect import DETECTION_FPR, Prepared, log10_p_of_max
from .pattern import CELL, SYNC_SHARE, TEMPLATE_SHARE, TILE, patterns_for

CHUNK = 4096  # candidates encoded and scored at a time


@dataclass
class Match:
    payload: bytes
    z: float
    log10_p: float  # counted over every candidate
    candidates: int

    @property
    def accepted(self) -> bool:
        return self.log10_p <= math.log10(DETECTION_FPR)


# weights of the payload and sync statistics in an unmoved reading: their shares of the mark's energy
PAYLOAD_WEIGHT = math.sqrt(1.0 - SYNC_SHARE - TEMPLATE_SHARE)
SYNC_WEIGHT = math.sqrt(SYNC_SHARE)


@dataclass
class Reading:
    """Soft coded bits read at one alignment, with the sync statistic there (None where it was searched for)."""

    soft: np.ndarray
    sync_z: float | None = None


def best_candidate(soft: np.ndarray | None, candidates: Sequence[bytes]) -> Match | None:
    """The candidate payload the soft coded bits agree with most, and how unlikely that is by chance."""
    return best_of_readings([Reading(soft)] if soft is not None else [], candidates)


def best_of_readings(readings: Sequence[Reading], candidates: Sequence[bytes]) -> Match | None:
    """The candidate that agrees best with any of ``readings``, counted over every candidate and reading."""
    usable = list(dict.fromkeys(c for c in candidates if len(c) * 8 == ecc.PAYLOAD_BITS))
    readings = [r for r in readings if len(r.soft) == ecc.CODED_BITS]
    if not usable or not readings:
        return None
    best_z, best_i = -math.inf, -1
    for reading in readings:
        values = np.asarray(reading.soft, np.float64)
        values = values / (float(np.std(values)) or 1.0)
        for start in range(0, len(usable), CHUNK):
            signs = np.stack([ecc.encode(c) for c in usable[start:start + CHUNK]])
            z = signs @ values / math.sqrt(ecc.CODED_BITS)
            if reading.sync_z is not None:  # two independent unit normals under the null: still one
                z = (PAYLOAD_WEIGHT * z + SYNC_WEIGHT * reading.sync_z) / math.hypot(PAYLOAD_WEIGHT, SYNC_WEIGHT)
            i = int(np.argmax(z))
            if z[i] > best_z:
                best_z, best_i = float(z[i]), start + i
    tests = len(usable) * len(readings)
    return Match(usable[best_i], best_z, log10_p_of_max(best_z, tests), len(usable))


def unmoved_readings(prepared: Sequence[Prepared], key: bytes) -> list[Reading]:
    """One reading per marking mode where an unmoved, unscaled copy carries ``key``'s mark (the origin)."""
    patterns = patterns_for(key)
    sync_fft = np.conj(np.fft.rfft2(patterns.sync))
    out = []
    for frame in prepared:
        nominal = frame.folds[0]  # the first lattice is always the nominal one
        surface = np.fft.irfft2(np.fft.rfft2(nominal) * sync_fft, s=nominal.shape)
        keep = np.ones_like(surface, bool)
        near = np.r_[-2 * CELL:2 * CELL + 1] % TILE
        keep[np.ix_(near, near)] = False  # standardised by the surface away from the origin
        rest = surface[keep]
        sync_z = float((surface[0, 0] - rest.mean()) / (rest.std() or 1e-12))
        out.append(Reading(patterns.soft_bits(nominal), sync_z))
    return out
