"""Error correction for the payload: CRC-16, a rate-1/3 convolutional code, soft Viterbi.

The 64-bit payload gets a CRC-16 (so a wrongly decoded payload is recognised)
and is encoded with the constraint-length-7, rate-1/3 convolutional code of
LTE (generators 133, 171, 165 octal) with a zero tail: 80 bits become
``CODED_BITS`` = 258 coded bits. Decoding is maximum-likelihood over the soft
correlation values (Viterbi), so weak and strong bits are weighed as they
deserve rather than thresholded first.
"""

from __future__ import annotations

import binascii

import numpy as np

PAYLOAD_BITS = 64
CRC_BITS = 16
CONSTRAINT = 7
GENERATORS = (0o133, 0o171, 0o165)
RATE = len(GENERATORS)
MESSAGE_BITS = PAYLOAD_BITS + CRC_BITS
CODED_BITS = (MESSAGE_BITS + CONSTRAINT - 1) * RATE
_STATES = 1 << (CONSTRAINT - 1)
CRC_INIT = 0x1D0F


def _parity(value: int) -> int:
    return bin(value).count("1") & 1


def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Output signs for (state, input) and the two predecessors of every state."""
    signs = np.zeros((_STATES, 2, RATE), np.float64)
    for state in range(_STATES):
        for bit in (0, 1):
            register = (state << 1) | bit
            for j, g in enumerate(GENERATORS):
                signs[state, bit, j] = 1.0 - 2.0 * _parity(register & g)  # bit 0 -> +1, bit 1 -> -1
    nxt = np.arange(_STATES)
    prev = np.stack([nxt >> 1, (nxt >> 1) | (_STATES >> 1)], axis=1)  # the two states that lead to nxt
    inbit = nxt & 1
    return signs, prev, inbit


_SIGNS, _PREV, _INBIT = _tables()


def bits_from_bytes(data: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(data, np.uint8)).astype(np.uint8)


def bytes_from_bits(bits: np.ndarray) -> bytes:
    return np.packbits(np.asarray(bits, np.uint8)).tobytes()


def crc16(payload: bytes) -> int:
    return binascii.crc_hqx(payload, CRC_INIT)


def message_bits(payload: bytes) -> np.ndarray:
    """The 80 message bits: the payload followed by its CRC-16."""
    if len(payload) * 8 != PAYLOAD_BITS:
        raise ValueError(f"the payload must be {PAYLOAD_BITS // 8} bytes, not {len(payload)}")
    return bits_from_bytes(payload + crc16(payload).to_bytes(2, "big"))


def encode(payload: bytes) -> np.ndarray:
    """The coded bits of ``payload`` as ±1 (bit 0 -> +1, bit 1 -> -1), length ``CODED_BITS``."""
    bits = np.concatenate([message_bits(payload), np.zeros(CONSTRAINT - 1, np.uint8)])
    out = np.empty((len(bits), RATE), np.float64)
    state = 0
    for t, bit in enumerate(bits):
        out[t] = _SIGNS[state, int(bit)]
        state = ((state << 1) | int(bit)) & (_STATES - 1)
    return out.reshape(-1)


def viterbi(soft: np.ndarray) -> np.ndarray:
    """Maximum-likelihood message bits (80) from soft values (positive means bit 0)."""
    soft = np.asarray(soft, np.float64).reshape(-1, RATE)
    steps = soft.shape[0]
    metric = np.full(_STATES, -np.inf)
    metric[0] = 0.0
    choices = np.zeros((steps, _STATES), np.uint8)
    prev0, prev1 = _PREV[:, 0], _PREV[:, 1]
    signs0 = _SIGNS[prev0, _INBIT]  # (states, RATE) branch signs from each predecessor
    signs1 = _SIGNS[prev1, _INBIT]
    tail_start = steps - (CONSTRAINT - 1)
    for t in range(steps):
        m0 = metric[prev0] + signs0 @ soft[t]
        m1 = metric[prev1] + signs1 @ soft[t]
        pick = m1 > m0
        metric = np.where(pick, m1, m0)
        if t >= tail_start:  # the tail is zeros: states reached by a 1 are impossible
            metric[_INBIT == 1] = -np.inf
        choices[t] = pick
    state = 0
    bits = np.zeros(steps, np.uint8)
    for t in range(steps - 1, -1, -1):
        bits[t] = _INBIT[state]
        state = int(_PREV[state, choices[t, state]])
    return bits[:MESSAGE_BITS]


def list_viterbi(soft: np.ndarray, size: int) -> list[np.ndarray]:
    """The ``size`` most likely message bit sequences (best first): a parallel list Viterbi decoder."""
    soft = np.asarray(soft, np.float64).reshape(-1, RATE)
    steps = soft.shape[0]
    metric = np.full((_STATES, size), -np.inf)
    metric[0, 0] = 0.0
    from_state = np.zeros((steps, _STATES, size), np.int64)
    from_rank = np.zeros((steps, _STATES, size), np.int64)
    prev = _PREV  # (states, 2)
    branch_signs = _SIGNS[prev, _INBIT[:, None]]  # (states, 2, RATE)
    tail_start = steps - (CONSTRAINT - 1)
    for t in range(steps):
        branch = branch_signs @ soft[t]  # (states, 2)
        options = (metric[prev] + branch[:, :, None]).reshape(_STATES, 2 * size)  # (states, 2*size)
        order = np.argsort(-options, axis=1, kind="stable")[:, :size]
        metric = np.take_along_axis(options, order, axis=1)
        from_state[t] = prev[np.arange(_STATES)[:, None], order // size]
        from_rank[t] = order % size
        if t >= tail_start:
            metric[_INBIT == 1] = -np.inf
    paths = []
    for rank in range(size):
        if not np.isfinite(metric[0, rank]):
            break
        state, r = 0, rank
        bits = np.zeros(steps, np.uint8)
        for t in range(steps - 1, -1, -1):
            bits[t] = _INBIT[state]
            state, r = int(from_state[t, state, r]), int(from_rank[t, state, r])
        paths.append(bits[:MESSAGE_BITS])
    return paths


LIST_SIZE = 8


def _split(bits: np.ndarray) -> tuple[bytes, bool]:
    data = bytes_from_bits(bits)
    payload, crc = data[: PAYLOAD_BITS // 8], int.from_bytes(data[PAYLOAD_BITS // 8:], "big")
    return payload, crc == crc16(payload)


def decode(soft: np.ndarray, list_size: int = LIST_SIZE) -> tuple[bytes, bool]:
    """Decode soft values to (payload, crc_ok).

    The most likely payload is checked first; if its CRC fails, the next most
    likely ones (up to ``list_size``) are tried, and the first with a valid
    CRC wins (CRC-aided list decoding: it rescues payloads a few bits away
    from the best path, at the price of a ``list_size``-times weaker CRC, one
    chance in 8192 of accepting a wrong payload from a hopeless signal). If
    none passes, the best path is returned with ``crc_ok`` False.
    """
    best = _split(viterbi(soft))
    if best[1] or list_size <= 1:
        return best
    for bits in list_viterbi(soft, list_size):
        payload, ok = _split(bits)
        if ok:
            return payload, True
    return best
