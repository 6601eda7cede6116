"""Finding the tile's scale and rotation from the template's peaks in the power spectrum.

Cropping changes the scale of the mark in the working frame (the frame is
normalised to the image's size, which the crop changed) and a rotation turns
it (by any angle: the square lattice repeats every 90°, the quarter turns and mirrors are then tested
as orientations). The template — a few sinusoids on the tile's lattice — puts a handful of
strong peaks in the power spectrum. The power spectrum ignores where the
tiles start, so the scale and rotation can be searched for alone: the
spectrum is averaged over windows (Welch), divided by its local level (so
only peaks stand out), and sampled where the template's peaks would fall
for each scale and rotation on a grid (the template as marked and mirrored, for flipped copies); the
best few are refined and handed to the coherent test, which alone decides (this step only proposes).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .pattern import TEMPLATE_FREQUENCIES, TILE

WINDOW = 512
MIN_SCALE, MAX_SCALE = 0.7, 2.0
MAX_ROTATION = 90.0  # degrees either way: every angle (the power spectrum repeats every 180°)
SCALE_STEP = 0.01  # relative
ROTATION_STEP = 0.5  # degrees
BACKGROUND_SIGMA = 4.0

_FREQS = np.array(TEMPLATE_FREQUENCIES, np.float64)
_MIRRORED = _FREQS * np.array([-1.0, 1.0])  # the template of a left-right mirrored copy


def whitened_power(white: np.ndarray) -> np.ndarray:
    """Welch-averaged power spectrum (rfft layout, WINDOW×(WINDOW/2+1)) over its local level."""
    h, w = white.shape
    size = min(WINDOW, h, w)
    hann = np.hanning(size).astype(np.float32)
    window = np.outer(hann, hann)
    power = np.zeros((size, size // 2 + 1), np.float64)
    starts_y = sorted({0, (h - size) // 2, h - size})
    starts_x = sorted({0, (w - size) // 2, w - size})
    for y in starts_y:
        for x in starts_x:
            spectrum = np.fft.rfft2(white[y:y + size, x:x + size] * window)
            power += spectrum.real**2 + spectrum.imag**2
    power = power.astype(np.float32)
    background = cv2.GaussianBlur(power, (0, 0), BACKGROUND_SIGMA) + 1e-12
    # again without the peaks (strong ones, such as a JPEG block grid, would hide their neighbours)
    background = cv2.GaussianBlur(np.minimum(power, 3.0 * background), (0, 0), BACKGROUND_SIGMA) + 1e-12
    return power / background


def _sample(power: np.ndarray, fx: np.ndarray, fy: np.ndarray) -> np.ndarray:
    """Bilinear samples of an rfft-layout spectrum at frequency bins (fx, fy), using its symmetry."""
    size = power.shape[0]
    half = power.shape[1] - 1
    flip = fx < 0
    fx = np.where(flip, -fx, fx)
    fy = np.where(flip, -fy, fy)
    fx = np.clip(fx, 0, half - 1e-6)
    x0 = np.floor(fx).astype(np.int64)
    y0 = np.floor(fy).astype(np.int64)
    ax, ay = fx - x0, fy - y0
    y0m, y1m = y0 % size, (y0 + 1) % size
    x1 = np.minimum(x0 + 1, half)
    return (power[y0m, x0] * (1 - ax) * (1 - ay) + power[y0m, x1] * ax * (1 - ay)
            + power[y1m, x0] * (1 - ax) * ay + power[y1m, x1] * ax * ay)


def _sample_plane(power: np.ndarray, fx: np.ndarray, fy: np.ndarray) -> np.ndarray:
    """:func:`_sample` for a whole grid at once: the rfft-layout spectrum unfolded to the centred plane and
    resampled bilinearly by OpenCV."""
    size = power.shape[0]
    half = power.shape[1] - 1
    plane = np.empty((size, size), np.float32)
    plane[:, :half + 1] = power
    mirror_rows = (-np.arange(size)) % size
    plane[:, half + 1:] = power[mirror_rows][:, 1:size - half][:, ::-1]  # P(fy, fx) = P(-fy, -fx)
    plane = np.fft.fftshift(plane)
    centre = size // 2
    return cv2.remap(plane, (fx + centre).astype(np.float32), (fy + centre).astype(np.float32),
                     cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)


def template_score(power: np.ndarray, scales: np.ndarray, angles: np.ndarray,
                   freqs: np.ndarray = _FREQS) -> np.ndarray:
    """Mean whitened power at the template's peaks for every (scale, angle) pair (angles in radians)."""
    size = power.shape[0]
    s = scales[:, None, None]
    c, n = np.cos(angles)[None, :, None], np.sin(angles)[None, :, None]
    k, l = freqs[None, None, :, 0], freqs[None, None, :, 1]
    fx = (c * k - n * l) * size / (TILE * s)
    fy = (n * k + c * l) * size / (TILE * s)
    return _sample(power, fx, fy).mean(axis=-1)


def coarse_scores(power: np.ndarray, scales: np.ndarray, angles: np.ndarray,
                  templates: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """:func:`template_score` on a regular (log-scale, angle) grid for each template, from one log-polar
    resampling of the spectrum shared by every frequency, scale and angle.

    A template peak at scale s and angle a lies at log-radius log|f| − log s and polar angle φ_f + a, so
    on a log-polar image with rows every half scale step and columns every half angle step each
    frequency's scores are a strided slice of the same image (its own offset rounded to the nearest row
    and column: a quarter of a step at most, which the fine search afterwards removes).
    """
    size = power.shape[0]
    log_step = float(np.log(scales[1] / scales[0])) / 2
    angle_step = float(angles[1] - angles[0]) / 2
    all_freqs = np.concatenate(templates)
    log_r = np.log(np.hypot(all_freqs[:, 0], all_freqs[:, 1]) * size / TILE)
    top = float(log_r.max() - np.log(scales[0]))  # the largest log-radius asked for (smallest scale)
    rows = int(np.ceil((top - (log_r.min() - np.log(scales[-1]))) / log_step)) + 2
    cols = int(round(math.pi / angle_step))  # the power spectrum repeats every half turn
    radius = np.exp(top - log_step * np.arange(rows))[:, None]
    phi = angle_step * np.arange(cols)[None, :]
    polar = _sample_plane(power, radius * np.cos(phi), radius * np.sin(phi))
    step_rows = np.arange(len(scales)) * 2
    step_cols = np.arange(len(angles)) * 2
    out = []
    for freqs in templates:
        total = np.zeros((len(scales), len(angles)), np.float32)
        for k, l in freqs:
            first_row = int(round((top - (np.log(np.hypot(k, l) * size / TILE) - np.log(scales[0]))) / log_step))
            first_col = int(round((math.atan2(l, k) + angles[0]) / angle_step))
            total += polar[np.ix_(first_row + step_rows, (first_col + step_cols) % cols)]
        out.append(total / len(freqs))
    return out


def lattice(scale: float, angle: float) -> np.ndarray:
    """The tile lattice (columns: basis vectors in working pixels) for a scale and an angle (radians)."""
    c, n = math.cos(angle), math.sin(angle)
    return TILE * scale * np.array([[c, -n], [n, c]])


def candidates(white: np.ndarray, limit: int = 3) -> list[tuple[np.ndarray, float]]:
    """Up to ``limit`` (lattice, spectral z-score) proposals, best first."""
    power = whitened_power(white)
    scales = np.exp(np.arange(math.log(MIN_SCALE), math.log(MAX_SCALE), SCALE_STEP))
    angles = np.radians(np.arange(-MAX_ROTATION, MAX_ROTATION, ROTATION_STEP))
    templates = (_FREQS, _MIRRORED)
    grids = coarse_scores(power, scales, angles, templates)
    grid = np.concatenate(grids, axis=1)  # angles of the template, then of its mirror
    centre, spread = float(np.median(grid)), float(grid.std()) or 1e-12
    peaks = grid >= cv2.dilate(grid, np.ones((3, 3), np.uint8))
    order = np.argsort(np.where(peaks, grid, -np.inf), axis=None)[::-1]
    out: list[tuple[np.ndarray, float]] = []
    for flat in order:
        if len(out) >= limit:
            break
        i, j = np.unravel_index(int(flat), grid.shape)
        if not peaks[i, j]:
            break
        freqs, j = templates[j // len(angles)], j % len(angles)
        fine_s = scales[i] * np.exp(np.linspace(-SCALE_STEP, SCALE_STEP, 11))
        fine_a = angles[j] + np.radians(np.linspace(-ROTATION_STEP, ROTATION_STEP, 11))
        fine = template_score(power, fine_s, fine_a, freqs)
        fi, fj = np.unravel_index(int(np.argmax(fine)), fine.shape)
        z = (float(fine[fi, fj]) - centre) / spread
        # the lattice repeats every quarter turn: its angle within ±45°, the rest is an orientation
        angle = (float(fine_a[fj]) + math.pi / 4) % (math.pi / 2) - math.pi / 4
        found = lattice(float(fine_s[fi]), angle)
        if any(np.abs(found - other).max() < 0.3 for other, _ in out):
            continue  # the same lattice proposed again (a turn or a mirror of it)
        out.append((found, z))
    return out
