"""JPEG history: quantisation tables, estimated quality, double compression, JPEG traces in other formats.

A JPEG saved twice with different quantisation leaves periodic gaps and peaks
in the histograms of its DCT coefficients (Lukáš & Fridrich 2003; Lin et al.
2009). Blocks whose coefficients do not follow that pattern were probably not
compressed twice in the same way: a paste, or an area retouched before the
last save. A PNG or WebP that shows an 8×8 block pattern was a JPEG before.
"""

from __future__ import annotations

import numpy as np

from studio.api import Finding, Signal

from .heatmap import (
    Analysis,
    crop_to,
    describe_box,
    display_box,
    hot_region,
    is_local,
    scale01,
)
from .signals import flagged, make, rate_words
from .source import ImageSource

TABLES_SIGNAL, REGION_SIGNAL = "forensics.jpeg.tables", "forensics.jpeg.region"

# the example tables of the JPEG standard (ITU T.81 Annex K), natural order
STD_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], dtype=np.float64)
STD_CHROMA = np.array([
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99] + [99] * 32, dtype=np.float64)
# low-frequency AC coefficients (row, col) used for double-quantisation evidence
DQ_FREQUENCIES = ((0, 1), (1, 0), (1, 1), (0, 2), (2, 0), (1, 2), (2, 1), (2, 2), (0, 3), (3, 0), (1, 3), (3, 1))
DQ_MAX_PIXELS = 4_000_000  # the double-compression map uses at most this much of the image (grid-aligned)
MAX_COEFFICIENT = 60
MIN_POPULATED_BINS = 6
DQ_MIN_FREQUENCIES = 4  # frequencies that must show gaps before the file counts as double-compressed
DQ_MIN_SCORE = 0.15  # share of coefficients on allowed values beyond chance that shows double compression


def ijg_table(base: np.ndarray, quality: int) -> np.ndarray:
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return np.clip(np.floor((base * scale + 50) / 100), 1, 255)


def estimate_quality(tables: dict[int, list[int]]) -> tuple[int, bool]:
    """The IJG quality (1–100) whose tables come closest, and whether they match exactly."""
    quality, error = nearest_quality(tables)
    return quality, error == 0.0


def nearest_quality(tables: dict[int, list[int]]) -> tuple[int, float]:
    """The IJG quality whose tables come closest, and the mean difference per quantiser step (0: identical)."""
    luma = np.asarray(tables.get(0, []), dtype=np.float64)
    if luma.size != 64:
        return 0, float("nan")
    chroma = np.asarray(tables.get(1, []), dtype=np.float64)
    best, best_err = 0, np.inf
    for q in range(1, 101):
        err = np.abs(ijg_table(STD_LUMA, q) - luma).sum()
        if chroma.size == 64:
            err += np.abs(ijg_table(STD_CHROMA, q) - chroma).sum()
        if err < best_err:
            best, best_err = q, err
    return best, float(best_err) / (128 if chroma.size == 64 else 64)


def dct_matrix() -> np.ndarray:
    n = np.arange(8)
    m = np.cos(np.pi * (2 * n[None, :] + 1) * n[:, None] / 16) * np.sqrt(2 / 8)
    m[0] /= np.sqrt(2)
    return m


def block_dct(gray: np.ndarray, n: int = 8) -> np.ndarray:
    """The n×n lowest DCT coefficients of every 8×8 block (grid at 0, 0): shape (H/8, W/8, n, n)."""
    g = crop_to(gray, 8).astype(np.float32) - 128.0
    h, w = g.shape
    blocks = g.reshape(h // 8, 8, w // 8, 8)
    m = dct_matrix()[:n].astype(np.float32)
    rows = np.tensordot(blocks, m, axes=([3], [1]))  # (H/8, 8, W/8, n): columns transformed
    out = np.tensordot(rows, m, axes=([1], [1]))  # (H/8, W/8, n, n) with [.., col freq, row freq]
    return out.swapaxes(2, 3)


def allowed_values(q1: int, q2: int) -> np.ndarray:
    """Which quantised values 0..MAX can appear after quantising with q1 and then with q2."""
    k = np.arange(0, MAX_COEFFICIENT * q2 // q1 + 3)
    values = np.rint(k * q1 / q2).astype(int)
    mask = np.zeros(MAX_COEFFICIENT + 1, bool)
    mask[values[values <= MAX_COEFFICIENT]] = True
    return mask


def first_quantiser(hist: np.ndarray, q2: int) -> tuple[int, float]:
    """The earlier quantiser step q1 (> q2) that best explains gaps in ``hist`` (|values| 0..MAX), and how well.

    The score is the share of non-zero coefficients on values that q1 then q2
    allow, minus the share a smooth histogram would put there by chance.
    """
    h = hist[1:].astype(np.float64)
    total = h.sum()
    if total < 300 or (h >= 20).sum() < MIN_POPULATED_BINS:  # too few values to see gaps in
        return 0, 0.0
    smooth = np.convolve(h, np.ones(5) / 5, mode="same")
    best, best_score = 0, 0.0
    for q1 in range(q2 + 1, min(6 * q2, 120) + 1):
        if q1 % q2 == 0 and q2 > 1 and q1 // q2 > 1 and best and q1 % best == 0:
            continue
        allowed = allowed_values(q1, q2)[1:]
        if allowed.all():
            continue
        score = h[allowed].sum() / total - smooth[allowed].sum() / max(smooth.sum(), 1e-9)
        if score > best_score + 0.02:
            best, best_score = q1, score
    return best, best_score


def double_compression(source: ImageSource, luma_table: np.ndarray) -> tuple[np.ndarray | None, dict]:
    """A per-block map of the share of coefficients that break the double-compression pattern.

    Returns (map in 8×8 blocks, or None when the histograms show no double compression; facts).
    """
    import cv2

    gray = source.gray
    h, w = gray.shape
    if h * w > DQ_MAX_PIXELS:  # a grid-aligned central crop keeps the cost bounded
        side = int(np.sqrt(DQ_MAX_PIXELS * w / h)) // 8 * 8
        tall = int(DQ_MAX_PIXELS / max(side, 8)) // 8 * 8
        x0, y0 = (w - side) // 16 * 8, (h - tall) // 16 * 8
        gray = gray[y0:y0 + tall, x0:x0 + side]
    else:
        x0 = y0 = 0
    coefficients = block_dct(gray, 4)
    table = luma_table.reshape(8, 8)
    broken = np.zeros(coefficients.shape[:2], np.float32)
    counted = np.zeros(coefficients.shape[:2], np.float32)
    first: dict[str, int] = {}
    scores = []
    for r, c in DQ_FREQUENCIES:
        if r >= 4 or c >= 4:
            continue
        q2 = int(table[r, c])
        values = np.minimum(np.abs(np.rint(coefficients[:, :, r, c] / q2)).astype(np.int64), MAX_COEFFICIENT)
        hist = np.bincount(values.ravel(), minlength=MAX_COEFFICIENT + 1)
        q1, score = first_quantiser(hist, q2)
        scores.append(score)
        if score < DQ_MIN_SCORE:
            continue
        first[f"{r},{c}"] = q1
        allowed = allowed_values(q1, q2)
        nonzero = (values > 0) & (values < MAX_COEFFICIENT)
        broken += (nonzero & ~allowed[values]).astype(np.float32)
        counted += nonzero.astype(np.float32)
    facts = {"first_quantisers": first, "crop": [int(x0), int(y0), int(gray.shape[1]), int(gray.shape[0])],
             "score": round(float(np.mean(scores)) if scores else 0.0, 3)}
    if len(first) < DQ_MIN_FREQUENCIES:
        return None, facts
    share = cv2.blur(broken, (5, 5)) / (cv2.blur(counted, (5, 5)) + 1.0)  # flat areas (few coefficients) stay dim
    return share, facts


def blockiness(gray: np.ndarray) -> float:
    """How much stronger the jumps across 8-pixel boundaries are than elsewhere (1.0: no grid).

    A JPEG grid puts the jumps at one phase of eight, on every block boundary. A picture enlarged
    ×2 or ×4 has them every 2 or 4 pixels, so the phase four away is as strong; one enlarged ×16
    (×4 after a generator's own ×4) has them on every other boundary only. Neither is an 8×8 grid:
    both score ~1.
    """
    g = gray.astype(np.float32)
    dx = np.abs(np.diff(g, axis=1)).mean(axis=0)
    dy = np.abs(np.diff(g, axis=0)).mean(axis=1)
    scores = []
    for d in (dx, dy):
        n = len(d) // 16 * 16
        if n < 32:
            return 1.0
        phases = d[:n].reshape(-1, 8).mean(axis=0)
        strongest = int(np.argmax(phases))
        reference = max(float(np.median(phases)), float(phases[(strongest + 4) % 8]))
        # every boundary, or only every other one (a 16-pixel period)?
        halves = d[:n].reshape(-1, 16).mean(axis=0)
        base = float(np.median(halves))
        rises = sorted((float(halves[strongest]) - base, float(halves[strongest + 8]) - base))
        if rises[1] > 0 and rises[0] < 0.5 * rises[1]:
            reference = max(reference, float(phases[strongest]))
        scores.append(phases[strongest] / (reference + 1e-6))
    return float(min(scores))


def jpeg_history(source: ImageSource) -> Analysis:
    """The JPEG-history analysis of an image (JPEG or not)."""
    findings: list[Finding] = []
    data: dict = {"format": source.format}
    if not source.is_jpeg:
        score = blockiness(source.gray) if not source.downscaled else 1.0
        data["blockiness"] = round(score, 3)
        if score > 1.25:
            findings.append(Finding("8×8 block pattern", f"{score:.2f}× stronger edges on an 8-pixel grid",
                                    "This file was a JPEG before it was saved as " + source.format + "."))
            return Analysis("former-jpeg", f"Not a JPEG now, but it carries the 8×8 block pattern of an earlier "
                            f"JPEG compression (saved again as {source.format}).", findings, data=data,
                            signals=_not_jpeg())
        return Analysis("not-jpeg", f"A {source.format} file with no sign of an earlier JPEG compression on the "
                        "8-pixel grid (resizing or cropping would hide one).", findings, data=data,
                        signals=_not_jpeg())
    tables = source.quantization or {}
    quality, table_error = nearest_quality(tables)
    standard = table_error == 0.0
    data.update({"quality": quality, "standard_tables": standard, "tables": len(tables),
                 "table_difference": None if np.isnan(table_error) else round(table_error, 3)})
    custom = flagged(TABLES_SIGNAL, table_error) if not np.isnan(table_error) else False
    signals = [make(TABLES_SIGNAL, None if np.isnan(table_error) else table_error, run=not np.isnan(table_error))]
    if tables.get(0):
        luma = tables[0]
        findings.append(Finding("Quantisation tables",
                                f"{len(tables)} table(s); luma starts {', '.join(map(str, luma[:8]))}",
                                "Chosen by the encoder."))
    if standard:
        findings.append(Finding("Estimated quality", f"{quality} (the standard IJG tables)",
                                "The tables of libjpeg and the many programs built on it (Pillow, OpenCV, browsers, "
                                "web services); they say nothing about a camera."))
    elif not np.isnan(table_error):
        findings.append(Finding("Estimated quality",
                                f"≈ {quality} (nearest standard; the tables differ by {table_error:.2f} per step)",
                                ("Custom tables: cameras, phones and some editors write their own; so can any "
                                 "program, generators' front ends included. " if custom else
                                 "Close to the standard tables. ") + f"This test is {rate_words(TABLES_SIGNAL)}."))
    if source.downscaled or not tables.get(0):
        return Analysis("jpeg", "A JPEG file; its compression history was not mapped "
                        + ("because it was analysed downscaled." if source.downscaled else "(no tables)."),
                        findings, data=data, signals=[*signals, make(REGION_SIGNAL, None, False)])
    log_ratio, facts = double_compression(source, np.asarray(tables[0], dtype=np.float64))
    data["double_compression"] = facts
    if log_ratio is None:
        return Analysis("single", f"A JPEG at quality ≈ {quality}. The coefficient histograms show no sign of an "
                        "earlier compression at another quality (it may still have been saved twice at the same "
                        "quality, or resized in between).", findings, data=data,
                        signals=[*signals, make(REGION_SIGNAL, 0.0)])
    smooth = log_ratio
    heat = scale01(smooth, 0.6)
    x0, y0 = facts["crop"][:2]
    full = np.zeros((source.rgb.shape[0] // 8, source.rgb.shape[1] // 8), np.float32)
    full[y0 // 8: y0 // 8 + heat.shape[0], x0 // 8: x0 // 8 + heat.shape[1]] = heat
    findings.append(Finding("Double compression", f"gaps in the DCT histograms at {len(facts['first_quantisers'])} of "
                            f"{len(DQ_FREQUENCIES)} frequencies",
                            "The file was JPEG-compressed at least twice, at different qualities."))
    region = hot_region(smooth, 0.5, 8.0, min_cells=max(16, int(smooth.size * 0.003)))
    box = None
    score, where = 0.0, ""
    if region is not None and is_local(region[0], source):  # most of the picture is not "a region"
        box, score, _cells = region
        box = (box[0] + x0, box[1] + y0, box[2] + x0, box[3] + y0)
        shown = display_box(box, source)
        where = describe_box(shown, source.display_size())
        data["region"] = {"box": shown, "share": round(score, 3)}
        findings.append(Finding("Region not double-compressed like the rest", where,
                                "Its coefficients do not follow the double-compression pattern: it may have been "
                                "pasted or retouched before the last save, or it is too flat or saturated to tell. "
                                f"This test is {rate_words(REGION_SIGNAL)}."))
    signals.append(make(REGION_SIGNAL, score))
    if box is not None and flagged(REGION_SIGNAL, score):
        state, summary = "double-region", (f"A JPEG saved at least twice; one region ({where}) "
                                           "does not share the rest's compression history.")
    else:
        state, summary = "double", ("A JPEG saved at least twice at different qualities (re-saved by an editor, an "
                                    "app or a platform). No region stands apart above the calibrated threshold.")
    return Analysis(state, summary, findings, heatmap=full, data=data, box=box, signals=signals,
                    heatmap_explanation="Double-compression map: brighter 8×8 blocks fit the file's double-JPEG "
                                        "pattern worse (a paste or a retouch before the last save, or a flat area "
                                        "with too little detail to tell).")



def _not_jpeg() -> list[Signal]:
    return [make(TABLES_SIGNAL, None, False), make(REGION_SIGNAL, None, False)]
