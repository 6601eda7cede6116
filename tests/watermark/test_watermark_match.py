"""Informed reading: a mark whose payload no longer decodes is matched against the payloads we know."""

from __future__ import annotations

import math

import numpy as np
from wm_helpers import PAYLOAD, jpeg

from studio_plugins.watermark import api, ecc
from studio_plugins.watermark.match import best_candidate


def _soft(payload: bytes, snr: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return ecc.encode(payload) * snr + rng.normal(0, 1, ecc.CODED_BITS)


def _randoms(n: int, seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [rng.bytes(8) for _ in range(n)]


def test_a_reading_too_weak_to_decode_still_picks_its_payload_out_of_many():
    decoded_blind = matched = 0
    for seed in range(20):
        soft = _soft(PAYLOAD, 0.5, seed)  # past where Viterbi and the CRC give up
        payload, ok = ecc.decode(soft)
        decoded_blind += ok and payload == PAYLOAD
        found = best_candidate(soft, [*_randoms(2000, 500 + seed), PAYLOAD])
        matched += found is not None and found.accepted and found.payload == PAYLOAD
    assert matched == 20 and decoded_blind <= 2


def test_no_candidate_is_accepted_by_chance():
    """Pure noise, and a reading of a payload that is not among the candidates: nothing accepted."""
    worst = 0.0
    for seed in range(30):
        candidates = _randoms(3000, 1000 + seed)
        for soft in (np.random.default_rng(seed).normal(0, 1, ecc.CODED_BITS), _soft(PAYLOAD, 1.0, seed)):
            found = best_candidate(soft, candidates)
            assert found is not None and not found.accepted
            worst = min(worst, found.log10_p)
    assert worst > -3.5  # nowhere near the 1e-6 acceptance


def test_wrong_inputs_give_no_match():
    assert best_candidate(None, [PAYLOAD]) is None
    assert best_candidate(_soft(PAYLOAD, 1.0, 0), []) is None
    assert best_candidate(_soft(PAYLOAD, 1.0, 0), [b"short"]) is None
    found = best_candidate(_soft(PAYLOAD, 3.0, 0), [PAYLOAD, PAYLOAD])  # duplicates counted once
    assert found is not None and found.candidates == 1 and math.isclose(found.z, found.z)


def test_a_damaged_picture_is_matched_where_the_blind_decode_fails(photo):
    """A marked photo, shrunk and recompressed until its payload fails its CRC: the known payload is matched."""
    import cv2

    marked = api.embed_image(photo, PAYLOAD).pixels
    candidates = [*_randoms(500, 7), PAYLOAD]
    seen = 0
    for scale in (0.3, 0.25, 0.22, 0.2, 0.18):
        for quality in (60, 45, 30):
            small = cv2.resize(marked, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            if min(small.shape[:2]) < 64:
                continue
            check = api.check_image(jpeg(small, quality))
            if check.payload is not None or not check.present:
                continue  # still decodes, or the mark itself is gone
            seen += 1
            found = best_candidate(check.detection.soft_bits, candidates)
            assert found is not None and found.accepted and found.payload == PAYLOAD
    assert seen >= 1  # the attacks above reach the case: found, payload damaged
