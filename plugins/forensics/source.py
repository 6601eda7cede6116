"""Opening a file for forensic analysis: decoded pixels as stored, plus the metadata around them.

Pixels are analysed in the orientation they are stored in (the JPEG 8×8 grid
lives there); heatmaps are turned to the orientation the canvas shows with
:func:`to_display`. Images larger than :data:`MAX_ANALYSIS_PIXELS` are decoded
downscaled and the report says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.api import MAX_PIXELS, formats

MAX_ANALYSIS_PIXELS = 24_000_000  # about 6000×4000: larger images are analysed downscaled
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
RAW_LIMIT = 64 * 2**20


@dataclass
class ImageSource:
    """A decoded image (RGB uint8, as stored) and what its file says about itself."""

    path: Path
    format: str
    size: tuple[int, int]  # (width, height) of the file, as stored
    rgb: np.ndarray  # H×W×3 uint8, possibly downscaled
    info: dict[str, Any] = field(default_factory=dict)
    exif: dict[int, Any] = field(default_factory=dict)
    quantization: dict[int, list[int]] | None = None
    orientation: int = 1
    mode: str = "RGB"
    has_alpha: bool = False
    frames: int = 1
    raw: bytes = b""
    _gray: np.ndarray | None = field(default=None, repr=False)

    @property
    def downscaled(self) -> bool:
        return self.rgb.shape[1] != self.size[0] or self.rgb.shape[0] != self.size[1]

    @property
    def scale(self) -> float:
        """Analysed width / file width (1.0 when analysed at full resolution)."""
        return self.rgb.shape[1] / self.size[0]

    @property
    def gray(self) -> np.ndarray:
        """Luma (ITU-R BT.601, as JPEG uses), rounded to 8 bits, as float32."""
        if self._gray is None:
            import cv2

            self._gray = cv2.cvtColor(self.rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return self._gray

    @property
    def is_jpeg(self) -> bool:
        return self.format == "JPEG"

    def display_size(self) -> tuple[int, int]:
        """(width, height) as shown on the canvas (after the EXIF orientation)."""
        w, h = self.size
        return (h, w) if self.orientation in (5, 6, 7, 8) else (w, h)


def is_video(path: Path) -> bool:
    """A video by its name or its container's signature."""
    return formats.is_video(path, sniff=True)


def check_file(path: Path) -> None:
    """Refuse what cannot be a media file before decoding: missing, a folder, empty."""
    from studio.api import check_file as check_readable

    check_readable(path, "an image or a video")


def open_image(path: str | Path, max_analysis_pixels: int | None = None) -> ImageSource:
    """Decode ``path`` for analysis; every failure is a one-line :class:`BadInputError`.

    Pictures above ``max_analysis_pixels`` (default :data:`MAX_ANALYSIS_PIXELS`) are decoded downscaled.
    """
    from PIL import Image

    from studio.api import check_pixel_count, decoding

    max_analysis_pixels = max_analysis_pixels or MAX_ANALYSIS_PIXELS
    path = Path(path)
    check_file(path)
    with open(path, "rb") as fh:  # the metadata scan needs the bytes; very large files only their start
        raw = fh.read(RAW_LIMIT)
    with decoding(path, "an image or a video"), Image.open(path) as im:
        width, height = im.size
        check_pixel_count(path, width, height, MAX_PIXELS)
        fmt = im.format or "?"
        info = {k: v for k, v in im.info.items() if isinstance(k, str)}
        exif = _exif(im)
        quantization = {k: list(v) for k, v in getattr(im, "quantization", {}).items()} or None
        frames = int(getattr(im, "n_frames", 1) or 1)
        mode = im.mode
        picture: Image.Image = im
        if width * height > max_analysis_pixels:
            factor = math.ceil(math.sqrt(width * height / max_analysis_pixels))
            if fmt == "JPEG":
                im.draft("RGB", (width // factor, height // factor))
            im.load()
            if im.size[0] * im.size[1] > max_analysis_pixels:
                picture = im.reduce(math.ceil(math.sqrt(im.size[0] * im.size[1] / max_analysis_pixels)))
        else:
            im.load()
        has_alpha = "A" in picture.getbands() or "transparency" in picture.info
        rgb = to_rgb(picture)
    orientation = int(exif.get(0x0112, 1) or 1)
    return ImageSource(path=path, format=fmt, size=(width, height), rgb=rgb, info=info, exif=exif,
                       quantization=quantization, orientation=orientation if 1 <= orientation <= 8 else 1,
                       mode=mode, has_alpha=has_alpha, frames=frames, raw=raw)


def _exif(im: Any) -> dict[int, Any]:
    """IFD0 merged with the Exif IFD (Make, Model, Software, exposure, lens...)."""
    try:
        exif = im.getexif()
        tags: dict[int, Any] = dict(exif)
        tags.pop(EXIF_IFD, None)
        tags.update(exif.get_ifd(EXIF_IFD))
        gps = exif.get_ifd(GPS_IFD)
        if gps:
            tags[GPS_IFD] = dict(gps)
        return tags
    except Exception:  # noqa: BLE001 - broken EXIF is reported as absent, not fatal
        return {}


def to_rgb(im: Any) -> np.ndarray:
    """Any decoded PIL image as H×W×3 uint8 (16-bit and float images scaled to 8 bits)."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(im).astype(np.float64)
        if im.mode == "F":
            arr = arr * 255.0
        elif arr.max(initial=0) > 255:
            arr = arr / 65535.0 * 255.0
        gray = np.clip(arr + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if im.mode != "RGB":
        im = im.convert("RGBA").convert("RGB") if im.mode == "P" else im.convert("RGB")
    return np.ascontiguousarray(np.asarray(im))


# EXIF orientation: how the stored pixels are turned to be shown upright (as PIL's exif_transpose does)
def to_display(values: np.ndarray, orientation: int) -> np.ndarray:
    """Turn a 2-D (or H×W×C) array from stored to displayed orientation."""
    a = values
    if orientation == 2:
        a = a[:, ::-1]
    elif orientation == 3:
        a = a[::-1, ::-1]
    elif orientation == 4:
        a = a[::-1, :]
    elif orientation == 5:
        a = np.swapaxes(a, 0, 1)
    elif orientation == 6:
        a = np.rot90(a, -1)
    elif orientation == 7:
        a = np.swapaxes(a, 0, 1)[::-1, ::-1]
    elif orientation == 8:
        a = np.rot90(a, 1)
    return np.ascontiguousarray(a)


def box_to_display(box: tuple[float, float, float, float], size: tuple[int, int],
                   orientation: int) -> tuple[float, float, float, float]:
    """A box (x0, y0, x1, y1) in stored pixel coordinates of an image of ``size`` (w, h), as displayed."""
    w, h = size
    x0, y0, x1, y1 = box
    corners = [(x0, y0), (x1, y1)]
    out = []
    for x, y in corners:
        if orientation == 2:
            x = w - x
        elif orientation == 3:
            x, y = w - x, h - y
        elif orientation == 4:
            y = h - y
        elif orientation == 5:
            x, y = y, x
        elif orientation == 6:
            x, y = h - y, x
        elif orientation == 7:
            x, y = h - y, w - x
        elif orientation == 8:
            x, y = y, w - x
        out.append((x, y))
    (ax, ay), (bx, by) = out
    return (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
