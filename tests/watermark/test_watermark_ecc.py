"""The payload's error correction: CRC-16 and the rate-1/3 convolutional code with soft Viterbi."""

import numpy as np

from studio_plugins.watermark import ecc


def test_clean_round_trip():
    rng = np.random.default_rng(1)
    for _ in range(20):
        payload = rng.bytes(8)
        coded = ecc.encode(payload)
        assert coded.shape == (ecc.CODED_BITS,) and set(np.unique(coded)) <= {-1.0, 1.0}
        assert ecc.decode(coded) == (payload, True)


def test_corrects_noise_that_flips_a_fifth_of_the_coded_bits():
    rng = np.random.default_rng(2)
    decoded = 0
    flipped = []
    for _ in range(40):
        payload = rng.bytes(8)
        soft = ecc.encode(payload) * 1.1 + rng.normal(size=ecc.CODED_BITS)
        flipped.append(np.mean(np.sign(soft) != ecc.encode(payload)))
        decoded += ecc.decode(soft) == (payload, True)
    assert np.mean(flipped) > 0.12  # the raw bits are badly damaged ...
    assert decoded >= 38  # ... and the payload still comes back


def test_crc_rejects_noise():
    rng = np.random.default_rng(3)
    passed = sum(ecc.decode(rng.normal(size=ecc.CODED_BITS))[1] for _ in range(300))
    assert passed <= 2  # 2**-16 per try
