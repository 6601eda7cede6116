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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import ecc
from .detect import DETECTION_FPR, log10_p_of_max

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


def best_candidate(soft: np.ndarray | None, candidates: Sequence[bytes]) -> Match | None:
    """The candidate payload the soft coded bits agree with most, and how unlikely that is by chance."""
    usable = list(dict.fromkeys(c for c in candidates if len(c) * 8 == ecc.PAYLOAD_BITS))
    if soft is None or not usable or len(soft) != ecc.CODED_BITS:
        return None
    values = np.asarray(soft, np.float64)
    values = values / (float(np.std(values)) or 1.0)
    best_z, best_i = -math.inf, -1
    for start in range(0, len(usable), CHUNK):
        signs = np.stack([ecc.encode(c) for c in usable[start:start + CHUNK]])
        z = signs @ values / math.sqrt(ecc.CODED_BITS)
        i = int(np.argmax(z))
        if z[i] > best_z:
            best_z, best_i = float(z[i]), start + i
    return Match(usable[best_i], best_z, log10_p_of_max(best_z, len(usable)), len(usable))
