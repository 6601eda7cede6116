"""Error level analysis and noise-residual analysis: where parts of the picture behave unlike the rest.

Both produce a block map in stored orientation (see :class:`Analysis`). A
pasted or retouched region often compresses differently (error level) or
carries a different sensor/processing noise (noise residual) from its
surroundings; so do edges, flat sky, text and saturated areas, which is why
these are maps to look at, not verdicts.
"""

from __future__ import annotations

import numpy as np

from studio.api import Finding

from .heatmap import (
    Analysis,
    block_mean,
    describe_box,
    display_box,
    hot_region,
    is_local,
    scale01,
)
from .signals import flagged, make, rate_words
from .source import ImageSource

ELA_SIGNAL, NOISE_SIGNAL = "forensics.ela.region", "forensics.noise.uneven"

ELA_BLOCK = 8  # the JPEG grid
NOISE_BLOCK = 16  # pixels per noise-level estimate (8×8 wavelet coefficients)
NOISE_Z = 2.5  # robust deviations of log noise level above which a block stands out
NOISE_MIN_LOG_RATIO = 0.9  # ...and at least this far (2.5-fold) from the typical noise level
NOISE_MIN_REGION_FRACTION = 0.01
FLAT_STEP = 3.0  # grey levels: neighbourhoods whose 2×2 means step less than this...
FLAT_RATIO = 3.0  # ...plus this many times their mean |HH| are flat enough to measure noise in
MIN_FLAT = 8  # flat wavelet coefficients a block needs for a noise estimate
CLIPPED = 6  # blocks whose mean grey level is this close to 0 or 255 are clipped: no noise to measure
ELA_MIN_RATIO = 0.25  # error level per unit of texture above which fresh content stands out
MIN_REGION_FRACTION = 0.002  # regions smaller than this share of the image are not reported


def error_level(source: ImageSource, quality: int) -> Analysis:
    """Re-save the luma as JPEG at ``quality`` and map how much each 8×8 block changes.

    Content that was already JPEG-compressed at about this quality barely
    changes; content added since (a paste, a retouch) or never compressed
    changes more. The hot region is found on the error level relative to the
    block's texture, since texture alone raises the error level.
    """
    import cv2

    luma = cv2.cvtColor(source.rgb, cv2.COLOR_RGB2GRAY)  # JPEG keeps most of its error in luma; 3× faster
    ok, encoded = cv2.imencode(".jpg", luma, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE) if ok else None
    if decoded is None:  # pragma: no cover - OpenCV always encodes a grey array
        raise RuntimeError("JPEG encoding failed")
    diff = cv2.absdiff(luma, decoded)
    ela = block_mean(diff, ELA_BLOCK)
    texture = block_mean(cv2.convertScaleAbs(cv2.Laplacian(source.gray, cv2.CV_32F, ksize=1)), ELA_BLOCK)
    # content compressed at about this quality before barely changes whatever its texture; fresh content
    # changes in proportion to its texture: the ratio separates the two
    relative = cv2.medianBlur((ela / (texture * 0.25 + 1.0)).astype(np.float32), 3)
    med = float(np.median(relative))
    mad = float(np.median(np.abs(relative - med))) * 1.4826
    threshold = max(ELA_MIN_RATIO, med + 5.0 * mad)
    scale = max(float(np.percentile(ela, 99.5)), 3.0)
    heat = scale01(ela, scale)
    cell = ELA_BLOCK / source.scale
    findings = [Finding("Mean error level", f"{float(diff.mean()):.2f} (of 255) at quality {quality}",
                        "Average change per pixel when re-saved; low values mean it was saved as JPEG at about "
                        "this quality before.")]
    data: dict = {"quality": quality, "mean": round(float(diff.mean()), 3), "p99": round(scale, 3),
                  "typical_ratio": round(med, 3)}
    region = hot_region(relative, threshold, cell, min_cells=max(4, int(relative.size * MIN_REGION_FRACTION)))
    box = None
    score = 0.0
    if region is not None and is_local(region[0], source):
        box, strength, _cells = region
        score = strength / max(med, 0.05)
        shown = display_box(box, source)
        data["region"] = {"box": shown, "ratio": round(strength, 3), "times_rest": round(score, 2)}
        findings.append(Finding("Region with a higher error level", describe_box(shown, source.display_size()),
                                f"Changes {score:.1f}× more than the rest for its texture: it may have been added or "
                                "retouched after the last compression, or it is simply unlike the rest (text, sharp "
                                "edges, saturated colour, a flat area beside texture)."))
    findings.append(Finding("How often this fires on natural photos", rate_words(ELA_SIGNAL),
                            "Known causes on untouched photos: text, sharp edges, saturated colour and areas of very "
                            "different texture."))
    if box is not None and flagged(ELA_SIGNAL, score):
        state, summary = "uneven", ("One region responds to recompression unlike the rest of the picture "
                                    f"({describe_box(display_box(box, source), source.display_size())}, {score:.1f}× "
                                    "the rest for its texture). Look at it on the heatmap.")
    else:
        state, summary = "uniform", ("No region responds to recompression unlike the rest above the calibrated "
                                     "threshold. This is weak evidence: resaving, resizing or a skilled edit even it "
                                     "out.")
    return Analysis(state=state, summary=summary, findings=findings, heatmap=heat, data=data, box=box,
                    maps={"relative": relative}, signals=[make(ELA_SIGNAL, score)],
                    heatmap_explanation=f"Error level analysis at JPEG quality {quality}: brighter blocks changed "
                                        "more when re-saved. Edges and fine texture are bright by nature; look for "
                                        "areas brighter or darker than similar texture nearby.")


def noise_sigma_map(gray: np.ndarray, block: int = NOISE_BLOCK) -> np.ndarray:
    """Noise level per ``block``×``block`` block (16×16 by default), measured where the picture is flat
    (NaN where it has no flat part).

    The finest diagonal wavelet band (Haar HH) holds mostly noise, but edges and
    texture leak into it; only coefficients whose neighbourhood varies little
    (the 2×2 means step less than FLAT_STEP plus FLAT_RATIO times the local
    mean |HH|) are used, as noise estimators that pick weak-texture patches do.
    """
    import cv2

    g = gray[: gray.shape[0] // 2 * 2, : gray.shape[1] // 2 * 2]
    a, b, c, d = g[0::2, 0::2], g[0::2, 1::2], g[1::2, 0::2], g[1::2, 1::2]
    hh = np.abs(a - b - c + d) * 0.5
    mean = (a + b + c + d) * 0.25
    step = cv2.dilate(np.maximum(np.abs(np.diff(mean, axis=1, append=mean[:, -1:])),
                                 np.abs(np.diff(mean, axis=0, append=mean[-1:, :]))), np.ones((3, 3), np.uint8))
    # noise raises both the steps and HH; texture and edges raise the steps far more
    flat = (step < FLAT_RATIO * cv2.blur(hh, (5, 5)) + FLAT_STEP).astype(np.float32)
    cells = max(1, block // 2)
    count = block_mean(flat, cells) * cells * cells
    total = block_mean(hh * flat, cells) * cells * cells
    sigma = total / np.maximum(count, 1.0) / 0.7979  # mean |x| of a Gaussian is 0.7979 σ
    sigma[count < MIN_FLAT] = np.nan
    # clipped shadows and highlights carry no noise at all: a known false alarm, so they are not measured
    level = block_mean(mean, cells)
    sigma[(level <= CLIPPED) | (level >= 255 - CLIPPED)] = np.nan
    return sigma


def error_level_heat(source: ImageSource, quality: int, amplification: float = 1.0) -> np.ndarray:
    """The error-level heatmap alone (the analysis view's recomputation): JPEG ``quality``, brightened."""
    import cv2

    luma = cv2.cvtColor(source.rgb, cv2.COLOR_RGB2GRAY)
    ok, encoded = cv2.imencode(".jpg", luma, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    decoded = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE) if ok else None
    if decoded is None:  # pragma: no cover - OpenCV always encodes a grey array
        raise RuntimeError("JPEG encoding failed")
    ela = block_mean(cv2.absdiff(luma, decoded), ELA_BLOCK)
    scale = max(float(np.percentile(ela, 99.5)), 3.0) if ela.size else 3.0
    return scale01(ela, scale / max(amplification, 1e-3))


def noise_heat(source: ImageSource, block: int = NOISE_BLOCK, amplification: float = 1.0) -> np.ndarray:
    """The noise-residual heatmap alone (the analysis view's recomputation): block size, brightened."""
    import cv2

    sigma = noise_sigma_map(source.gray, int(block))
    valid = ~np.isnan(sigma)
    if sigma.size == 0 or not valid.any():
        return np.zeros((max(1, sigma.shape[0]), max(1, sigma.shape[1])), np.float32)
    log_sigma = np.log(np.where(valid, sigma, np.nanmedian(sigma)) + 0.5)
    typical = float(np.median(log_sigma[valid]))
    deviation: np.ndarray = np.where(valid, np.abs(log_sigma - typical), 0.0).astype(np.float32)
    deviation = cv2.morphologyEx(deviation, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    return scale01(deviation, 2.0 / max(amplification, 1e-3))


def noise_residual(source: ImageSource) -> Analysis:
    """Map the local noise level and find a region whose noise is unlike the rest."""
    import cv2

    sigma = noise_sigma_map(source.gray)
    valid = ~np.isnan(sigma)
    if sigma.size == 0 or valid.mean() < 0.05:
        return Analysis(state="not-run", summary="The picture has too few flat areas (or is too small) for a noise "
                                                 "estimate.", signals=[make(NOISE_SIGNAL, None, False)])
    log_sigma = np.log(np.where(valid, sigma, np.nanmedian(sigma)) + 0.5)  # 8-bit rounding alone gives σ ≈ 0.3
    deviation: np.ndarray = np.where(valid, np.abs(log_sigma - float(np.median(log_sigma[valid]))), 0.0)
    deviation = deviation.astype(np.float32)
    spread = float(np.median(deviation[valid])) * 1.4826
    threshold = max(NOISE_MIN_LOG_RATIO, NOISE_Z * spread)
    # measured blocks can be sparse (texture between them): a closing joins neighbours into regions
    deviation = cv2.morphologyEx(deviation, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    heat = scale01(deviation, 2.0)
    cell = NOISE_BLOCK / source.scale
    median_sigma = float(np.nanmedian(sigma))
    findings = [Finding("Typical noise level", f"σ ≈ {median_sigma:.2f} grey levels",
                        "Estimated from the finest wavelet detail in flat areas. Real photos are often uneven: "
                        "shadows, sky, clipped highlights, denoising and compression all change the local level, "
                        "so unevenness alone points neither to a camera nor to a generator.")]
    data: dict = {"median_sigma": round(median_sigma, 3)}
    region = hot_region(deviation, threshold, cell,
                        min_cells=max(4, int(deviation.size * NOISE_MIN_REGION_FRACTION)))
    box = None
    score = 1.0
    if region is not None and is_local(region[0], source):  # most of the picture is not "a region"
        box, strength, _cells = region
        score = float(np.exp(strength))
        shown = display_box(box, source)
        inside = float(np.nanmedian(np.where(deviation >= threshold, sigma, np.nan)))
        kind = "noisier" if inside > median_sigma else "cleaner"
        data["region"] = {"box": shown, "ratio": round(score, 2), "kind": kind}
        findings.append(Finding(f"Region {kind} than the rest", describe_box(shown, source.display_size()),
                                f"Its noise level differs about {score:.1f}-fold from the typical one. A paste from "
                                "another picture can carry other noise; so do flat sky, shadows, clipped highlights "
                                "and foliage in untouched photos."))
    findings.append(Finding("How often this fires on natural photos", rate_words(NOISE_SIGNAL),
                            "Known causes on untouched photos: shadows, flat sky, clipped highlights, foliage or fur "
                            "beside smooth areas, local denoising."))
    if box is not None and flagged(NOISE_SIGNAL, score):
        state = "uneven"
        summary = (f"One area ({describe_box(data['region']['box'], source.display_size())}) is "
                   f"{data['region']['kind']} than the rest, about {score:.1f}-fold. A paste can do this; so can "
                   "shadows, flat sky and foliage. Compare it on the heatmap.")
    elif region is not None:
        state = "varied"
        summary = ("The noise level differs across parts of the picture (flat or very smooth areas beside detailed "
                   "ones), below the calibrated threshold for one region standing out.")
    else:
        state = "uniform"
        summary = "The noise level is consistent across the picture; no region stands out."
    return Analysis(state=state, summary=summary, findings=findings, heatmap=heat, data=data, box=box,
                    signals=[make(NOISE_SIGNAL, score)],
                    heatmap_explanation="Noise residual: brighter blocks have a noise level unlike the picture's "
                                        "typical one (more or less noise). Flat, dark or clipped areas are often "
                                        "bright too.")
