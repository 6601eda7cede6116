"""How the shipped thresholds were measured: a reproducible set of natural-photo variants, and each signal's score.

The set (:func:`variants`) is made from the photos Studio can get offline — scikit-image's bundled photos and
the shared media samples, frames of a video among them — each turned into many variants the way photos
travel: downscaled ×0.25–0.9 with one of five interpolations, cropped at several sizes, slightly blurred or
sharpened, saved as JPEG at quality 50–95 (some twice), PNG or WebP. Every variant follows from its seed.
The photos are split by source (:data:`HELD_OUT` sources never calibrate). ``bench/signal_calibration.py``
picks each threshold on the calibration split (:func:`pick_threshold`) and measures the rate on the held-out
split; ``tests/forensics/test_calibration.py`` re-measures a small held-out sample with the shipped file.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SKIMAGE_PHOTOS = ("astronaut", "brick", "camera", "cell", "chelsea", "clock", "coffee", "coins", "grass", "gravel",
                  "hubble_deep_field", "immunohistochemistry", "moon", "motorcycle_left", "motorcycle_right",
                  "retina", "rocket")
SHARED_PHOTOS = ("earth_apollo17.jpg", "TUSCANY.TIF", "mars.webp", "sample1.png", "legacy.mp4#0", "legacy.mp4#40")
# every other source is held out: never used to pick a threshold
HELD_OUT = frozenset(("astronaut", "camera", "chelsea", "coins", "gravel", "immunohistochemistry",
                      "motorcycle_right", "rocket", "earth_apollo17.jpg", "mars.webp", "legacy.mp4#40"))
INTERPOLATIONS = ("area", "linear", "cubic", "lanczos", "nearest")
CROPS = (128, 192, 256, 384, 512, 768)


@dataclass(frozen=True)
class Variant:
    source: str
    seed: int
    scale: float
    interpolation: str
    crop: int
    filter: str  # "none" | "blur" | "sharpen"
    encoding: str  # "jpeg" | "jpeg-twice" | "png" | "webp" | "jpeg-then-png"
    quality: int

    @property
    def name(self) -> str:
        return (f"{self.source.replace('#', '-')}.{self.seed}.x{self.scale:.2f}-{self.interpolation}.c{self.crop}."
                f"{self.filter}.{self.encoding}{self.quality}")

    @property
    def held_out(self) -> bool:
        return self.source in HELD_OUT


def sources(shared: Path) -> list[str]:
    found = list(SKIMAGE_PHOTOS)
    for name in SHARED_PHOTOS:
        if (shared / name.split("#")[0]).exists():
            found.append(name)
    return found


def load_source(name: str, shared: Path) -> np.ndarray:
    """A source photo as H×W×3 uint8."""
    if name in SKIMAGE_PHOTOS:
        import skimage.data

        fn = {"motorcycle_left": lambda: skimage.data.stereo_motorcycle()[0],
              "motorcycle_right": lambda: skimage.data.stereo_motorcycle()[1]}.get(name) or getattr(skimage.data, name)
        rgb = np.asarray(fn())
    elif "#" in name:
        file, frame = name.split("#")
        rgb = _video_frame(shared / file, int(frame))
    else:
        from PIL import Image

        with Image.open(shared / name) as im:
            rgb = np.asarray(im.convert("RGB"))
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    if rgb.dtype != np.uint8:
        rgb = (rgb / max(1.0, float(rgb.max())) * 255).astype(np.uint8) if rgb.max() > 1 else (rgb * 255).astype(
            np.uint8)
    return np.ascontiguousarray(rgb[..., :3])


def _video_frame(path: Path, index: int) -> np.ndarray:
    import av

    with av.open(str(path)) as container:
        for n, frame in enumerate(container.decode(video=0)):
            if n == index:
                return np.asarray(frame.to_ndarray(format="rgb24"))
    raise ValueError(f"{path.name} has no frame {index}")


def variants(names: list[str], per_source: int, seed: int = 0) -> list[Variant]:
    """``per_source`` variants of each source photo, all drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    out = []
    for name in names:
        for _ in range(per_source):
            out.append(Variant(
                source=name, seed=int(rng.integers(1 << 30)), scale=float(rng.choice([1.0, rng.uniform(0.25, 0.9)],
                                                                                   p=[0.25, 0.75])),
                interpolation=str(rng.choice(INTERPOLATIONS)), crop=int(rng.choice(CROPS)),
                filter=str(rng.choice(["none", "none", "blur", "sharpen"])),
                encoding=str(rng.choice(["jpeg", "jpeg", "jpeg-twice", "png", "webp", "jpeg-then-png"])),
                quality=int(rng.integers(50, 96))))
    return out


def render(variant: Variant, rgb: np.ndarray) -> tuple[bytes, str]:
    """The variant's file: (bytes, suffix)."""
    import cv2
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(variant.seed)
    h, w = rgb.shape[:2]
    if variant.scale < 1.0:
        size = (max(64, round(w * variant.scale)), max(64, round(h * variant.scale)))
        flag = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
                "lanczos": cv2.INTER_LANCZOS4, "nearest": cv2.INTER_NEAREST}[variant.interpolation]
        rgb = cv2.resize(rgb, size, interpolation=flag)
        h, w = rgb.shape[:2]
    side = min(variant.crop, h, w)
    y0, x0 = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    tall = min(h - y0, int(side * rng.uniform(0.75, 1.0)) if side < h else side)
    im = Image.fromarray(np.ascontiguousarray(rgb[y0:y0 + tall, x0:x0 + side]))
    if variant.filter == "blur":
        im = im.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.4, 1.0))))
    elif variant.filter == "sharpen":
        im = im.filter(ImageFilter.UnsharpMask(radius=2, percent=int(rng.integers(30, 90)), threshold=2))
    buffer = io.BytesIO()
    q = variant.quality
    if variant.encoding in ("jpeg-twice", "jpeg-then-png"):
        first = io.BytesIO()
        im.save(first, format="JPEG", quality=int(rng.integers(60, 96)))
        first.seek(0)
        im = Image.open(first).convert("RGB")
    if variant.encoding in ("png", "jpeg-then-png"):
        im.save(buffer, format="PNG")
        return buffer.getvalue(), ".png"
    if variant.encoding == "webp":
        im.save(buffer, format="WEBP", quality=q)
        return buffer.getvalue(), ".webp"
    im.save(buffer, format="JPEG", quality=q)
    return buffer.getvalue(), ".jpg"


def files(items: list[Variant], shared: Path, folder: Path) -> Iterator[tuple[Variant, Path]]:
    """Write each variant into ``folder`` (sources decoded once each) and yield it with its path."""
    cache: dict[str, np.ndarray] = {}
    for variant in items:
        if variant.source not in cache:
            cache.clear()
            cache[variant.source] = load_source(variant.source, shared)
        data, suffix = render(variant, cache[variant.source])
        path = folder / f"{variant.name}{suffix}"
        path.write_bytes(data)
        yield variant, path


def forensic_scores(path: Path, with_faces: bool = True, with_copymove: bool = True,
                    with_aeroblade: bool = True) -> dict[str, float | None]:
    """Each forensics signal's score for the file (None: not run), as the report computes them."""
    from .detector import detector_analysis
    from .jpegtrace import estimate_quality, jpeg_history
    from .metadata import metadata_section
    from .residuals import error_level, noise_residual
    from .source import open_image
    from .spectrum import spectrum_analysis

    source = open_image(path)
    quality = 90
    if source.is_jpeg and source.quantization:
        quality = min(95, max(60, estimate_quality(source.quantization)[0]))
    ela = error_level(source, quality)
    analyses = [ela, noise_residual(source), jpeg_history(source), spectrum_analysis(source),
                detector_analysis(source)]
    if with_copymove:
        from .copymove import copy_move

        analyses.append(copy_move(source))
    if with_aeroblade:
        from .aeroblade import aeroblade_analysis, autoencoders

        analyses.append(aeroblade_analysis(source, autoencoders()))
    if with_faces:
        from .faces import faces_analysis

        analyses.append(faces_analysis(source, ela.maps.get("relative"), None))
    found: dict[str, float | None] = {}
    for signal in [s for a in analyses for s in a.signals] + metadata_section(source).signals:
        found[signal.id] = signal.score if signal.verdict != "not-run" else None
    return found


def pick_threshold(scores: list[float], target: float, default: float) -> float:
    """The lowest threshold (never below ``default``) at which at most ``target`` of ``scores`` reach it."""
    values = np.sort(np.asarray([s for s in scores if s is not None and math.isfinite(s)], np.float64))[::-1]
    if values.size == 0:
        return float(default)
    allowed = int(math.floor(target * values.size))
    if allowed >= values.size:
        return float(default)
    above = float(values[allowed])
    return float(max(default, np.nextafter(above, np.inf) + 1e-6 * max(1.0, abs(above))))


def flagged_rate(scores: list[float | None], threshold: float) -> tuple[float, int]:
    """(share of the measured scores at or above ``threshold``, how many were measured)."""
    measured = [s for s in scores if s is not None]
    if not measured:
        return 0.0, 0
    return sum(s >= threshold for s in measured) / len(measured), len(measured)


def summary(scores: list[float | None]) -> dict[str, Any]:
    measured = np.asarray([s for s in scores if s is not None], np.float64)
    if measured.size == 0:
        return {"measured": 0}
    return {"measured": int(measured.size), "median": round(float(np.median(measured)), 4),
            "p95": round(float(np.percentile(measured, 95)), 4), "max": round(float(measured.max()), 4)}
