"""Reading image files safely: every failure is a clear :class:`BadInputError`."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first

from studio.errors import BadInputError
from studio.formats import IMAGE_SUFFIXES

__all__ = ["IMAGE_SUFFIXES", "LoadedImage", "check_file", "check_pixel_count", "decoding", "load_image", "load_mask",
           "sha256_file"]

MAX_PIXELS = 16384 * 16384  # larger headers are refused before decoding (decompression bombs)


@dataclass
class LoadedImage:
    pixels: np.ndarray  # H×W×4 RGBA uint8
    path: Path
    format: str
    mode: str
    info: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""

    @property
    def size(self) -> tuple[int, int]:
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_file(path: str | Path, what: str = "a file") -> int:
    """Refuse what cannot be read, before decoding: missing, unreadable, a folder, empty.

    Returns the size in bytes. ``what`` names what was expected ("an image") in the folder message.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise BadInputError(f"{path} is a folder, not {what}.")
        with open(path, "rb") as fh:
            fh.read(1)
    except FileNotFoundError:
        raise BadInputError(f"{path} does not exist.") from None
    except OSError as exc:
        raise BadInputError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    if size == 0:
        raise BadInputError(f"{path.name} is empty (0 bytes).")
    return size


def check_pixel_count(path: Path, width: int, height: int, max_pixels: int = MAX_PIXELS) -> None:
    """Refuse a header that claims more pixels than this program opens (a decompression bomb)."""
    if width * height > max_pixels:
        raise BadInputError(
            f"{path.name} claims to be {width}×{height} pixels, more than this program "
            f"opens ({max_pixels // 1_000_000} megapixels); it may be a decompression bomb."
        )


@contextlib.contextmanager
def decoding(path: Path, what: str = "an image") -> Iterator[None]:
    """Turn what Pillow raises while decoding ``path`` into one clear :class:`BadInputError`."""
    from PIL import Image, UnidentifiedImageError

    try:
        yield
    except BadInputError:
        raise
    except UnidentifiedImageError:
        raise BadInputError(f"{path.name} is not {what} this program can read.") from None
    except Image.DecompressionBombError:
        raise BadInputError(f"{path.name} is too large to open safely (a decompression bomb?).") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise BadInputError(f"{path.name} is damaged or truncated: {exc}.") from None


def load_image(path: str | Path, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Decode ``path`` to RGBA uint8, refusing anything that is not a whole, sane image."""
    from PIL import Image, ImageOps

    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise BadInputError(f"{path} does not exist.") from None
    except OSError as exc:
        raise BadInputError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    if path.is_dir():
        raise BadInputError(f"{path} is a folder, not an image.")
    if size == 0:
        raise BadInputError(f"{path.name} is empty (0 bytes).")
    with decoding(path), Image.open(path) as im:
        check_pixel_count(path, *im.size, max_pixels)
        fmt = im.format or "?"
        mode = im.mode
        info = {str(k): v for k, v in im.info.items() if isinstance(v, (str, int, float))}
        im.load()
        pixels = _to_rgba(ImageOps.exif_transpose(im))
    return LoadedImage(pixels=pixels, path=path, format=fmt, mode=mode, info=info, sha256=sha256_file(path))


def _to_rgba(im: Any) -> np.ndarray:
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im).astype(np.float64)
        peak = 65535.0 if arr.max(initial=0) > 255 else 255.0
        gray = np.clip(arr / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.dstack([gray, gray, gray, np.full_like(gray, 255)])
    if im.mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        gray = np.clip(arr * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.dstack([gray, gray, gray, np.full_like(gray, 255)])
    if im.mode != "RGBA":
        im = im.convert("RGBA") if "A" in im.getbands() or im.mode == "P" else im.convert("RGB")
    arr = np.asarray(im)
    if arr.shape[2] == 3:
        arr = np.dstack([arr, np.full(arr.shape[:2], 255, np.uint8)])
    return np.ascontiguousarray(arr)


def load_mask(path: str | Path) -> np.ndarray:
    """A mask file as H×W uint8: its alpha if it has transparency, else its brightness."""
    image = load_image(path)
    alpha = image.pixels[..., 3]
    if alpha.min() < 255:
        return np.ascontiguousarray(alpha)
    return np.ascontiguousarray(image.pixels[..., :3].max(axis=2))
