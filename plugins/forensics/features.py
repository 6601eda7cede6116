"""Features of image patches for the upsampling-trace detector (shared by training and inference).

Generators build images by upsampling feature maps (nearest, bilinear or
transposed convolutions). That leaves periodic traces: the derivatives of the
picture are stronger on some pixel phases than others, the spectrum of the
high-pass residual has peaks at the upsampling frequency, and the high end of
the azimuthally averaged spectrum departs from a natural image's (Durall et
al. 2020, Frank et al. 2020). Each patch (PATCH×PATCH grey levels) becomes a
fixed vector of such measurements, computed for a batch at once with numpy.
"""

from __future__ import annotations

import numpy as np

PATCH = 128
PERIODS = (2, 4, 8)
PROFILE_BINS = 16  # azimuthal spectrum bins; the upper half become features
MIN_PATCH_STD = 3.0  # flatter patches carry no usable traces

FEATURE_NAMES: tuple[str, ...] = (
    *(f"phase_{signal}_{period}" for signal in ("d1x", "d1y", "d2x", "d2y") for period in PERIODS),
    "peak_half", "peak_quarter", "peak_eighth",
    *(f"profile_{i}" for i in range(PROFILE_BINS // 2, PROFILE_BINS)),
    "sharpness", "residual_kurtosis", "residual_corr_x", "residual_corr_y",
    "predict_best_x", "predict_contrast_x", "predict_best_y", "predict_contrast_y",
)


def _phase_contrast(energy: np.ndarray, axis: int, period: int) -> np.ndarray:
    """log(max/min) over pixel phases (mod ``period``) of mean derivative energy along ``axis``; per patch."""
    profile = energy.mean(axis=1 if axis == 2 else 2)  # (N, L): mean over the other axis
    n = profile.shape[1] // period * period
    phases = profile[:, :n].reshape(profile.shape[0], -1, period).mean(axis=1)
    return np.log((phases.max(axis=1) + 1e-3) / (phases.min(axis=1) + 1e-3))


def _phase_prediction(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How well each pixel is predicted linearly from its 4 row neighbours, by column phase (mod 2).

    Any ×2 interpolation makes one phase an exact linear mix of its neighbours
    (Popescu & Farid 2005); a natural picture is equally predictable on both.
    Returns (log of the better phase's relative residual, log of the worse/better ratio) per patch.
    """
    n = p.shape[0]
    centred = p - p.mean(axis=(1, 2), keepdims=True)
    target = centred[:, :, 2:-2]
    regressors = np.stack([centred[:, :, 1:-3], centred[:, :, 3:-1], centred[:, :, :-4], centred[:, :, 4:]], axis=-1)
    residuals = []
    for phase in (0, 1):
        y = target[:, :, phase::2].reshape(n, -1)
        x = regressors[:, :, phase::2].reshape(n, -1, 4)
        xt = x.transpose(0, 2, 1)
        gram = xt @ x + np.eye(4, dtype=np.float32) * 1e-3 * x.shape[1]
        coef = np.linalg.solve(gram, xt @ y[..., None])
        error = y - (x @ coef)[..., 0]
        residuals.append((error ** 2).mean(axis=1) / ((y ** 2).mean(axis=1) + 1e-3) + 1e-4)
    best, worst = np.minimum(*residuals), np.maximum(*residuals)
    return np.log(best), np.log(worst / best)


def _window(n: int) -> np.ndarray:
    w = np.hanning(n).astype(np.float32)
    return np.outer(w, w)


def _radius(n: int) -> np.ndarray:
    f = np.fft.fftfreq(n)
    return np.sqrt(f[None, :] ** 2 + f[:, None] ** 2)


def patch_features(patches: np.ndarray) -> np.ndarray:
    """Features (N × len(FEATURE_NAMES)) of N grey patches (N × PATCH × PATCH, values 0..255)."""
    p = np.asarray(patches, dtype=np.float32)
    if p.ndim == 2:
        p = p[None]
    n, size = p.shape[0], p.shape[1]
    out = []
    d1x = np.abs(np.diff(p, axis=2))
    d1y = np.abs(np.diff(p, axis=1))
    d2x = np.abs(p[:, :, :-2] - 2 * p[:, :, 1:-1] + p[:, :, 2:])
    d2y = np.abs(p[:, :-2, :] - 2 * p[:, 1:-1, :] + p[:, 2:, :])
    for energy, axis in ((d1x, 2), (d1y, 1), (d2x, 2), (d2y, 1)):
        for period in PERIODS:
            out.append(_phase_contrast(energy, axis, period))
    # spectrum of the high-pass residual: peaks at the upsampling frequencies
    lap = p[:, 1:-1, 1:-1] * 4 - p[:, :-2, 1:-1] - p[:, 2:, 1:-1] - p[:, 1:-1, :-2] - p[:, 1:-1, 2:]
    m = lap.shape[1] // 8 * 8
    residual = np.abs(lap[:, :m, :m])
    residual -= residual.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(residual * _window(m))) ** 2
    background = np.median(power.reshape(n, -1), axis=1) + 1e-6

    def peak(k: int) -> np.ndarray:
        points = power[:, 0, k] + power[:, k, 0] + power[:, k, k]
        return np.log(points / 3.0 / background + 1e-6)

    out += [peak(m // 2), peak(m // 4), peak(m // 8)]
    # azimuthally averaged log spectrum of the picture, relative to its low-frequency level
    spectrum = np.log(np.abs(np.fft.fft2((p - p.mean(axis=(1, 2), keepdims=True)) * _window(size))) ** 2 + 1e-3)
    radius = _radius(size)
    bins = np.minimum((radius / 0.5 * PROFILE_BINS).astype(int), PROFILE_BINS)  # bin PROFILE_BINS: corners
    flat_bins = bins.ravel()
    counts = np.bincount(flat_bins, minlength=PROFILE_BINS + 1)[:PROFILE_BINS]
    sums = np.stack([np.bincount(flat_bins, weights=s.ravel(), minlength=PROFILE_BINS + 1)[:PROFILE_BINS]
                     for s in spectrum])
    profile = sums / np.maximum(counts, 1)
    reference = profile[:, 2:5].mean(axis=1, keepdims=True)
    out += list((profile[:, PROFILE_BINS // 2:] - reference).T)
    # residual statistics
    std = p.std(axis=(1, 2)) + 1.0
    out.append(np.log((d1x.std(axis=(1, 2)) + d1y.std(axis=(1, 2))) / 2 + 1.0) - np.log(std))
    lap_flat = lap.reshape(n, -1)
    centred = lap_flat - lap_flat.mean(axis=1, keepdims=True)
    var = (centred ** 2).mean(axis=1) + 1e-6
    out.append(np.log((centred ** 4).mean(axis=1) / var ** 2 + 1e-6))
    out.append((lap[:, :, 1:] * lap[:, :, :-1]).mean(axis=(1, 2)) / var)
    out.append((lap[:, 1:, :] * lap[:, :-1, :]).mean(axis=(1, 2)) / var)
    for patches in (p, p.transpose(0, 2, 1)):
        best, contrast = _phase_prediction(patches)
        out += [best, contrast]
    features = np.stack(out, axis=1).astype(np.float32)
    return np.nan_to_num(features, nan=0.0, posinf=0.0, neginf=0.0)


def grid_patches(gray: np.ndarray, max_patches: int = 96, size: int = PATCH
                 ) -> tuple[np.ndarray, list[tuple[int, int]], tuple[int, int]]:
    """Patches from the centres of an even grid over ``gray``, flat ones left out.

    Returns (patches N×size×size, their top-left corners (x, y), grid shape (rows, cols)).
    """
    h, w = gray.shape
    if h < size or w < size:
        return np.zeros((0, size, size), np.float32), [], (0, 0)
    cols = max(1, min(w // size, int(np.sqrt(max_patches * w / h))))
    rows = max(1, min(h // size, max_patches // cols))
    patches, corners = [], []
    for r in range(rows):
        for c in range(cols):
            cy = int((r + 0.5) * h / rows)
            cx = int((c + 0.5) * w / cols)
            y0 = min(max(0, cy - size // 2), h - size)
            x0 = min(max(0, cx - size // 2), w - size)
            patch = gray[y0:y0 + size, x0:x0 + size]
            patches.append(patch)
            corners.append((x0, y0))
    stack = np.stack(patches).astype(np.float32)
    return stack, corners, (rows, cols)


def textured(patches: np.ndarray) -> np.ndarray:
    """Which patches have enough texture to carry traces."""
    return patches.reshape(len(patches), -1).std(axis=1) >= MIN_PATCH_STD
