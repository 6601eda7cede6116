"""Embedding: add the keyed tile to the luminance, shaped by a perceptual mask.

The tile is laid over the working frame and scaled per pixel by a mask that
puts more of the mark where the image is busy (texture hides it) and less on
flat areas. It is resized to the image's own size, then scaled as a whole to
the largest amplitude that keeps PSNR ≥ ``PSNR_FLOOR`` and the luminance's
SSIM ≥ ``SSIM_FLOOR`` (measured, in closed form, on the image itself), times
the strength. It is added equally to R, G and B (a pure luminance change:
colours do not shift). Alpha is never touched; 16-bit images keep their depth.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from studio.api import BadInputError

from .pattern import KeyPatterns, marking_side, patterns_for, tiled, to_working

MIN_SIDE = 64  # shorter side below which an image cannot carry the mark (from 64 to 255: the small mode)
AMP_FLAT = 1.6  # luminance amplitude (0..255) on flat areas at strength 1
AMP_TEXTURE = 0.30  # extra amplitude per unit of local standard deviation
AMP_MAX = 6.0
PSNR_FLOOR = 41.0  # at strength 1 the mark is scaled down if it would cost more than this
SSIM_FLOOR = 0.985  # likewise for the SSIM of the luminance
MASK_SIGMA = 3.0
DEFAULT_STRENGTH = 1.0
MAX_STRENGTH = 4.0

LUMA = np.array([0.299, 0.587, 0.114], np.float32)


class TooSmallError(BadInputError):
    """The image is too small to carry the mark."""


@dataclass
class EmbedResult:
    pixels: np.ndarray
    psnr: float
    strength: float


def luminance(pixels: np.ndarray) -> np.ndarray:
    """Luminance (float32, 0..255 scale) of an H×W, H×W×1, ×3 or ×4 array of uint8 or uint16."""
    arr = np.asarray(pixels)
    scale = 1.0 / 257.0 if arr.dtype == np.uint16 else 1.0
    if arr.ndim == 2:
        return arr.astype(np.float32) * scale
    if arr.ndim == 3 and arr.shape[2] in (1, 2):
        return arr[..., 0].astype(np.float32) * scale
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        return (arr[..., :3].astype(np.float32) @ LUMA) * scale
    raise BadInputError(f"An image must be H×W, H×W×3 or H×W×4, not an array of shape {arr.shape}.")


def check_pixels(pixels: np.ndarray) -> None:
    arr = np.asarray(pixels)
    if arr.dtype not in (np.uint8, np.uint16):
        raise BadInputError(
            f"The watermark works on 8- or 16-bit images, not {arr.dtype} pixels.",
            "Convert the image to 8 or 16 bits per channel first.",
        )
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 2, 3, 4)):
        raise BadInputError(f"An image must be H×W, H×W×3 or H×W×4, not an array of shape {arr.shape}.")
    height, width = arr.shape[:2]
    check_size(width, height)


def check_size(width: int, height: int, what: str = "The image is") -> None:
    """Raise TooSmallError if a width×height picture (or every frame of a clip) is too small to mark."""
    if min(width, height) < MIN_SIDE:
        raise TooSmallError(
            f"{what} {width}×{height} pixels; the invisible watermark needs at least "
            f"{MIN_SIDE} pixels on the shorter side.",
        )


def check_strength(strength: float) -> None:
    if not 0.0 < strength <= MAX_STRENGTH:
        raise BadInputError(f"The watermark strength must be above 0 and at most {MAX_STRENGTH:g} (got {strength:g}).")


def mask(work_luma: np.ndarray) -> np.ndarray:
    """Per-pixel amplitude (luminance units) at strength 1 on the working frame."""
    mean = cv2.GaussianBlur(work_luma, (0, 0), MASK_SIGMA)
    var = cv2.GaussianBlur(work_luma * work_luma, (0, 0), MASK_SIGMA) - mean * mean
    std = np.sqrt(np.maximum(var, 0.0))
    return np.clip(AMP_FLAT + AMP_TEXTURE * std, AMP_FLAT, AMP_MAX)


def mark_delta(luma: np.ndarray, patterns: KeyPatterns, payload: bytes, strength: float) -> np.ndarray:
    """The luminance change (float32, image size) that carries ``payload``.

    At strength 1 the change is as large as both budgets allow: PSNR at least
    ``PSNR_FLOOR`` and SSIM (of the luminance) at least ``SSIM_FLOOR``.
    """
    height, width = luma.shape
    work = to_working(luma, marking_side(width, height))
    wh, ww = work.shape
    delta = mask(work) * tiled(patterns.tile(payload), ww, wh)
    if (ww, wh) != (width, height):
        delta = cv2.resize(delta, (width, height), interpolation=cv2.INTER_LINEAR)
    rms = float(np.sqrt(np.mean(delta * delta)))
    ceiling = 255.0 / 10 ** (PSNR_FLOOR / 20.0)
    scale = min(ceiling / max(rms, 1e-9), ssim_scale(luma, delta, SSIM_FLOOR))
    return delta * (scale * strength)


def _box(image: np.ndarray) -> np.ndarray:
    return cv2.boxFilter(image, cv2.CV_32F, (7, 7), borderType=cv2.BORDER_REFLECT)


def ssim_scale(luma: np.ndarray, delta: np.ndarray, target: float) -> float:
    """The largest factor k (at most 8) for which SSIM(luma, luma + k·delta) stays at ``target`` or above.

    SSIM as usually measured (7×7 windows, 8-bit range). The window statistics
    are filtered once and the SSIM for any k follows from them in closed form;
    large images are measured on horizontal bands covering about a megapixel.
    """
    height, width = luma.shape
    bands = max(1, int(np.ceil(luma.size / 1_000_000)))
    if bands > 1:
        rows = np.concatenate([np.arange(start, min(start + 64, height))
                               for start in range(0, height, 64 * bands)])
        luma, delta = luma[rows], delta[rows]
    stride = max(1, int(np.sqrt(luma.size / 65536)))  # the windows whose SSIM is averaged
    return ssim_scale_of(window_stats(luma, delta, (slice(None, None, stride), slice(None, None, stride))), target)


def window_stats(luma: np.ndarray, delta: np.ndarray, where: tuple | np.ndarray) -> tuple[np.ndarray, ...]:
    """The 7×7-window statistics SSIM needs (means, variances, covariance), at the windows ``luma[where]``."""
    mu = _box(luma)[where]
    var = _box(luma * luma)[where] - mu * mu
    mu_d = _box(delta)[where]
    cov = _box(luma * delta)[where] - mu * mu_d
    var_d = _box(delta * delta)[where] - mu_d * mu_d
    return mu, var, mu_d, cov, var_d


def ssim_scale_of(stats: tuple[np.ndarray, ...], target: float, high: float = 8.0, steps: int = 10) -> float:
    """:func:`ssim_scale` from :func:`window_stats`: bisection on the closed-form SSIM of luma + k·delta.

    ``high`` is returned if it passes; otherwise ``steps`` halvings of [0, high].
    """
    mu, var, mu_d, cov, var_d = stats
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def ssim(k: float) -> float:
        mu_y = mu + k * mu_d
        var_y = var + 2 * k * cov + k * k * var_d
        cov_xy = var + k * cov
        num = (2 * mu * mu_y + c1) * (2 * cov_xy + c2)
        den = (mu * mu + mu_y * mu_y + c1) * (var + var_y + c2)
        return float(np.mean(num / den))

    low = 0.0
    if ssim(high) >= target:
        return high
    for _ in range(steps):
        mid = 0.5 * (low + high)
        if ssim(mid) >= target:
            low = mid
        else:
            high = mid
    return low


def embed(pixels: np.ndarray, key: bytes, payload: bytes, strength: float = DEFAULT_STRENGTH) -> EmbedResult:
    """Return a marked copy of ``pixels`` (same shape and dtype; alpha untouched)."""
    check_pixels(pixels)
    check_strength(strength)
    arr = np.asarray(pixels)
    delta = mark_delta(luminance(arr), patterns_for(key), payload, strength)
    peak = 65535.0 if arr.dtype == np.uint16 else 255.0
    delta_native = delta * (peak / 255.0)
    if arr.ndim == 2:
        out = np.clip(np.rint(arr + delta_native), 0, peak).astype(arr.dtype)
    else:
        out = arr.copy()  # alpha (the last of 2 or 4 channels) is copied as it is
        colour = 3 if arr.shape[2] >= 3 else 1
        marked = arr[..., :colour] + delta_native[..., None]
        out[..., :colour] = np.clip(np.rint(marked, out=marked), 0, peak, out=marked)
    return EmbedResult(out, psnr(arr, out), strength)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB over the colour channels (alpha ignored)."""
    a, b = np.asarray(a), np.asarray(b)
    peak = 65535.0 if a.dtype == np.uint16 else 255.0
    if a.ndim == 3 and a.shape[2] in (2, 4):
        a, b = a[..., :-1], b[..., :-1]
    diff = a.astype(np.float32) - b.astype(np.float32)
    mse = float(np.mean(diff * diff, dtype=np.float64))
    return float("inf") if mse == 0 else 10.0 * np.log10(peak * peak / mse)
