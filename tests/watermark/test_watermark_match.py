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


def test_unmoved_readings_of_unmarked_pictures_accept_nothing(photo):
    """The readings at the origin of every mode, on pictures that were never marked (photo crops, JPEG'd,
    flat fields, text-like strokes): their best scores stay standard-normal-like and nothing is accepted."""
    import cv2

    from studio_plugins.watermark import keys
    from studio_plugins.watermark.match import best_of_readings, unmoved_readings

    rng = np.random.default_rng(3)
    pictures = [jpeg(photo[y:y + 320, x:x + 400], 75) for y, x in ((0, 0), (60, 90), (150, 30))]
    flat = np.full((300, 300, 3), 200, np.uint8)
    pictures.append(flat)
    strokes = flat.copy()
    for _ in range(40):
        cv2.line(strokes, tuple(int(v) for v in rng.integers(0, 300, 2)),
                 tuple(int(v) for v in rng.integers(0, 300, 2)), (0, 0, 0), 1)
    pictures.append(jpeg(strokes, 75))
    key = keys.studio_default_key().secret
    candidates = _randoms(2000, 77)
    for pixels in pictures:
        check = api.check_image(pixels)
        readings = unmoved_readings(check.prepared, key)
        assert len(readings) == len(check.prepared) >= 2 and all(r.sync_z is not None for r in readings)
        found = best_of_readings(readings, candidates)
        assert found is not None and not found.accepted and found.log10_p > -3.5


def test_an_unmoved_reading_carries_the_sync_and_the_payload(photo):
    """Marked and re-encoded in place: at the origin of its marking mode both statistics are far from chance,
    and together they score higher than the payload alone."""
    from studio_plugins.watermark import keys
    from studio_plugins.watermark.match import Reading, best_of_readings, unmoved_readings

    crop = photo[:300, :420]
    check = api.check_image(jpeg(api.embed_image(crop, PAYLOAD).pixels, 60))
    readings = unmoved_readings(check.prepared, keys.studio_default_key().secret)
    best = max(readings, key=lambda r: r.sync_z or 0.0)
    assert best.sync_z is not None and best.sync_z > 4
    both = best_of_readings([best], [PAYLOAD])
    payload_only = best_of_readings([Reading(best.soft)], [PAYLOAD])
    assert both is not None and payload_only is not None and both.z > payload_only.z > 4
