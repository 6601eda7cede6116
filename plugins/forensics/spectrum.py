"""The frequency spectrum: periodic peaks that upsampling leaves, and the azimuthal average.

Resampling (enlarging by an upscaler, an editor or a generator's decoder, some
downscaling filters) can make the high-pass residual of the picture periodic:
its spectrum gets peaks at the upsampling frequency (1/2 of the sampling rate
for ×2, 1/4 for ×4; Durall et al. 2020, Frank et al. 2020). Real photos that
were only resized or sharpened show them too, so the verdict threshold is
calibrated on such photos (see :mod:`.signals`). JPEG's 8×8 grid also makes peaks, at multiples of 1/8;
peaks at 1/8 and 3/8 with them show the grid is the cause, unless the odd
multiples of 1/16 are about as strong: then the pattern repeats every 16
pixels (a picture enlarged ×4 from one that was itself upsampled ×4, as a
small generator's output enlarged for export is), which an 8×8 grid does not
make (JPEG's 16×16 chroma blocks add only weaker 1/16 peaks).
"""

from __future__ import annotations

import numpy as np

from studio.api import Finding

from .features import grid_patches, textured
from .heatmap import Analysis, crop_to, scale01
from .signals import flagged, make, rate_words, threshold
from .source import ImageSource

TILE = 256
MAX_TILES = 12
PROFILE_BINS = 64
PEAK_DB = 10.0  # a peak this many dB above the residual spectrum's median is reported
LOCAL_BLOCK = 32
GRID_MARGIN_DB = 6.0  # how far an upsampling peak must rise above JPEG-grid peaks to count
SIGNAL = "forensics.spectrum.upsampling"


def average_spectra(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Mean power spectra (picture, |Laplacian| residual) over textured tiles, and how many tiles."""
    size = TILE if min(gray.shape) >= TILE else int(min(gray.shape)) // 8 * 8
    if size < 32:
        return None
    tiles, _corners, _grid = grid_patches(gray, MAX_TILES, size)
    keep = textured(tiles)
    tiles = tiles[keep] if keep.any() else tiles
    if len(tiles) == 0:
        return None
    window = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    centred = tiles - tiles.mean(axis=(1, 2), keepdims=True)
    picture = (np.abs(np.fft.fft2(centred * window)) ** 2).mean(axis=0)
    lap = np.zeros_like(tiles)
    lap[:, 1:-1, 1:-1] = np.abs(4 * tiles[:, 1:-1, 1:-1] - tiles[:, :-2, 1:-1] - tiles[:, 2:, 1:-1]
                                - tiles[:, 1:-1, :-2] - tiles[:, 1:-1, 2:])
    lap -= lap.mean(axis=(1, 2), keepdims=True)
    residual = (np.abs(np.fft.fft2(lap * window)) ** 2).mean(axis=0)
    return picture, residual, len(tiles)


def azimuthal_profile(power: np.ndarray, bins: int = PROFILE_BINS) -> np.ndarray:
    """Mean log10 power by radial frequency, 0 to 1/2 cycles per pixel (Durall et al.'s 1-D spectrum)."""
    n = power.shape[0]
    f = np.fft.fftfreq(n)
    radius = np.sqrt(f[None, :] ** 2 + f[:, None] ** 2)
    index = np.minimum((radius / 0.5 * bins).astype(int), bins)
    logp = np.log10(power + 1e-6)
    sums = np.bincount(index.ravel(), weights=logp.ravel(), minlength=bins + 1)[:bins]
    counts = np.bincount(index.ravel(), minlength=bins + 1)[:bins]
    return sums / np.maximum(counts, 1)


def peak_db(residual: np.ndarray, k: int) -> float:
    """Strength in dB of the peaks at frequency k/n on the axes and the diagonal, over the spectrum's median."""
    background = float(np.median(residual)) + 1e-9
    value = (residual[0, k] + residual[k, 0] + residual[k, k]) / 3.0
    return float(10 * np.log10(value / background + 1e-9))


def local_periodicity(gray: np.ndarray) -> np.ndarray:
    """Per 32×32 block: how unevenly derivative energy falls on even and odd pixels (period-2 traces)."""
    g = crop_to(gray, LOCAL_BLOCK)
    h, w = g.shape
    if h == 0 or w == 0:
        return np.zeros((1, 1), np.float32)
    import cv2

    b = LOCAL_BLOCK
    dx = cv2.absdiff(g[:, 1:], g[:, :-1])[:, : w - 2]  # even width, so both phases have w/2 - 1 columns
    dy = cv2.absdiff(g[1:, :], g[:-1, :])[: h - 2, :]
    size = (w // b, h // b)
    ex0 = cv2.resize(np.ascontiguousarray(dx[:, 0::2]), size, interpolation=cv2.INTER_AREA)
    ex1 = cv2.resize(np.ascontiguousarray(dx[:, 1::2]), size, interpolation=cv2.INTER_AREA)
    ey0 = cv2.resize(np.ascontiguousarray(dy[0::2, :]), size, interpolation=cv2.INTER_AREA)
    ey1 = cv2.resize(np.ascontiguousarray(dy[1::2, :]), size, interpolation=cv2.INTER_AREA)
    cx = np.abs(np.log((ex0 + 0.05) / (ex1 + 0.05)))
    cy = np.abs(np.log((ey0 + 0.05) / (ey1 + 0.05)))
    return np.maximum(cx, cy).astype(np.float32)


def grid_explained(peaks: dict[str, float]) -> bool:
    """Whether an 8×8 JPEG grid explains the peaks: its 1/8 and 3/8 peaks are there, the 1/16 ones weaker."""
    grid_level = max(peaks["1/8"], peaks["3/8"])
    return grid_level >= PEAK_DB - 3.0 and peaks["1/16"] < grid_level - 3.0


def upsampling_excess(peaks: dict[str, float]) -> dict[str, float]:
    """Each upsampling frequency's peak (dB), lowered by what a JPEG grid explains: with grid peaks, a peak
    counts only by how far it rises GRID_MARGIN_DB above them (on the same PEAK_DB scale)."""
    grid_level = max(peaks["1/8"], peaks["3/8"])
    out = {}
    for k in ("1/2", "1/4", "1/16"):
        value = peaks[k]
        if grid_explained(peaks):
            value = min(value, value - (grid_level + GRID_MARGIN_DB - PEAK_DB))
        out[k] = value
    return out


def spectrum_analysis(source: ImageSource) -> Analysis:
    spectra = average_spectra(source.gray)
    if spectra is None:
        return Analysis("not-run", "The picture is too small for a spectrum.", signals=[make(SIGNAL, None, False)])
    picture, residual, tiles = spectra
    n = residual.shape[0]
    peaks = {"1/2": peak_db(residual, n // 2), "1/4": peak_db(residual, n // 4),
             "1/8": peak_db(residual, n // 8), "3/8": peak_db(residual, 3 * n // 8),
             "1/16": max(peak_db(residual, k * n // 16) for k in (1, 3, 5, 7))}
    profile = azimuthal_profile(picture)
    high = float(profile[-8:].mean() - profile[8:16].mean())
    # an 8×8 JPEG grid lights up every multiple of 1/8 (but leaves the odd multiples of 1/16 weaker):
    # then only peaks well above the grid's own count
    excess = upsampling_excess(peaks)
    upsampling = {k: v for k, v in excess.items() if flagged(SIGNAL, v)}
    grid_peaks = grid_explained(peaks) and not upsampling
    score = max(peaks["1/2"], peaks["1/4"])
    findings = [
        Finding("Periodic peak score", f"{score:.1f} dB (1/2: {peaks['1/2']:.1f} dB, 1/4: {peaks['1/4']:.1f} dB)",
                "Peak height of the residual's spectrum at the ×2 and ×4 upsampling frequencies over its median; "
                "measured, not a verdict."),
        Finding("JPEG-grid peaks", f"1/8: {peaks['1/8']:.1f} dB, 3/8: {peaks['3/8']:.1f} dB",
                "Peaks here come from an 8×8 JPEG grid, which also lights up 1/4 and 1/2."),
        Finding("16-pixel period", f"odd multiples of 1/16: {peaks['1/16']:.1f} dB",
                "An 8×8 JPEG grid leaves these weaker than its own; a picture enlarged ×4 after an earlier ×4 "
                "upsampling makes them as strong."),
        Finding("High-frequency level", f"{high:.2f} (top of the spectrum vs its middle; 0 is level, "
                "−1 is ten times weaker)",
                "How fast detail falls off. Blur, denoising, compression and resizing all change it; it is a "
                "measurement, not a sign of any source."),
    ]
    data = {"peaks_db": {k: round(v, 2) for k, v in peaks.items()}, "peak_score_db": round(score, 2),
            "high_frequency_level": round(high, 3), "tiles": tiles, "tile": n,
            "azimuthal_profile": [round(float(v), 3) for v in profile]}
    local = local_periodicity(source.gray)
    heat = scale01(local, 1.0)
    best = max(excess.values())
    data["upsampling_score_db"] = round(best, 2)
    findings.append(Finding("How often this fires on natural photos", rate_words(SIGNAL),
                            f"Flagged from {threshold(SIGNAL):.1f} dB. Known causes on real photos: resizing "
                            "(enlarging, and some downscaling filters), sharpening, JPEG's 8×8 grid, fine regular "
                            "patterns (fabric, screens, fences)."))
    if source.downscaled:
        state, summary = "not-meaningful", ("The picture was analysed downscaled, which changes its spectrum; the "
                                            "peaks below say little about the original file.")
        signal = make(SIGNAL, best, run=False)
    else:
        signal = make(SIGNAL, best)
        if grid_peaks:
            state, summary = "jpeg-grid", ("Periodic peaks at 1/2 or 1/4 of the sampling rate, together with the "
                                           "peaks of the JPEG 8×8 grid, which makes the same ones; by themselves "
                                           "they do not point to upsampling.")
        elif upsampling:
            where = ", ".join(f"{k} ({peaks[k]:.1f} dB)" for k in upsampling)
            state, summary = "periodic-peaks", (
                f"Periodic peaks in the residual spectrum at {where} of the sampling rate. Such peaks come from "
                "resampling: enlarging (by an upscaler, an editor or a generator's decoder), some downscaling "
                "filters, sharpening, or a fine regular pattern in the scene; they do not say which. "
                f"This test is {rate_words(SIGNAL)}.")
        else:
            state, summary = "no-peaks", ("No periodic peaks above the calibrated threshold at the upsampling "
                                          "frequencies. Many generators' traces are weaker than this test sees, and "
                                          "resizing or compression erase them.")
    return Analysis(state, summary, findings, heatmap=heat, data=data, signals=[signal],
                    heatmap_explanation="Local periodicity: brighter 32×32 blocks put their detail unevenly on even "
                                        "and odd pixels, a trace of ×2 upsampling (or of fine regular patterns).")
