"""The watermark's public functions: mark an image, check an image, for every key at once.

>>> from studio_plugins.watermark.api import embed_image, check_image
>>> marked = embed_image(pixels, bytes.fromhex("0123456789abcdef")).pixels
>>> check_image(marked).present
True

Pixels are numpy arrays: H×W (grey), H×W×2 (grey + alpha), H×W×3 (RGB) or
H×W×4 (RGBA), 8 or 16 bits per channel. The mark lives in the luminance;
alpha is never changed. ``check_image`` looks with every key it is given (by
default the Studio default key and, if it exists, this installation's key)
and corrects its p-value for having tried several.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from studio.api import BadInputError

from . import detect, embed, sdmarks, sdxl
from .keys import Key, detection_keys, studio_default_key
from .pattern import VERSION

SCHEME = VERSION.decode()
# The identifier of this mark in C2PA ``c2pa.soft-binding`` assertions (``alg``) and in the local manifest
# store. The mark is not on the C2PA soft-binding algorithm list (github.com/c2pa-org/softbinding-algorithm-list),
# so it is Studio's own reverse-domain name, not a registered one; the trailing number follows the scheme
# (studio-watermark-v1) and changes when a new scheme could not read the old payloads.
SOFT_BINDING_ALG = "org.studio.watermark.1"
EmbedResult = embed.EmbedResult
TooSmallError = embed.TooSmallError


def embed_image(pixels: np.ndarray, payload: bytes, key: Key | None = None,
                strength: float = embed.DEFAULT_STRENGTH) -> embed.EmbedResult:
    """A marked copy of ``pixels`` carrying the 64-bit ``payload`` (raises TooSmallError, BadInputError)."""
    if len(payload) != 8:
        raise BadInputError(f"The watermark payload must be 8 bytes (64 bits), not {len(payload)}.")
    return embed.embed(pixels, (key or studio_default_key()).secret, payload, strength)


@dataclass
class ImageCheck:
    """What looking for Studio's mark (and the SDXL mark) in one image found."""

    width: int
    height: int
    detection: detect.Detection | None
    key: Key | None
    keys_tried: list[Key]
    sdxl: sdxl.SdxlCheck | None = None
    sd_marks: sdmarks.SdMarkCheck | None = None  # the SD 1.x/2.x scripts' marks
    notes: list[str] = field(default_factory=list)
    # the frames the detection looked at, kept for an informed reading against known payloads (:mod:`.match`)
    prepared: list[detect.Prepared] = field(default_factory=list, repr=False, compare=False)

    @property
    def present(self) -> bool:
        return bool(self.detection and self.detection.present)

    @property
    def payload(self) -> bytes | None:
        if self.detection is not None and self.detection.payload_ok:
            return self.detection.payload
        return None

    def summary(self) -> str:
        if self.detection is None:
            return "Studio watermark: not checked (" + "; ".join(self.notes) + ")"
        d = self.detection
        if d.present:
            payload = f"payload {d.payload_hex}" if d.payload_ok else "payload unreadable (damaged)"
            return (f"Studio watermark: present (p = {format_p(d.log10_p)}, {payload}, "
                    f"{self.key.name if self.key else ''})")
        return f"Studio watermark: absent (p = {format_p(d.log10_p)})"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scheme": SCHEME,
            "size": [self.width, self.height],
            "present": self.present,
            "false_positive_rate": detect.DETECTION_FPR,
            "keys_tried": [k.name for k in self.keys_tried],
            "notes": self.notes,
        }
        if self.detection is not None:
            out.update(self.detection.to_dict())
            out["key"] = self.key.name if self.key and self.detection.present else None
            out["key_id"] = self.key.fingerprint if self.key and self.detection.present else None
        if self.sdxl is not None:
            out["sdxl_watermark"] = self.sdxl.to_dict()
        if self.sd_marks is not None:
            out["sd_script_watermark"] = self.sd_marks.to_dict()
        return out


def format_p(log10_p: float) -> str:
    if log10_p > -3:
        return f"{10 ** log10_p:.3g}"
    exponent = math.floor(log10_p)
    mantissa = 10 ** (log10_p - exponent)
    return f"{mantissa:.1f}e{exponent}"


def check_image(pixels: np.ndarray, keys: list[Key] | None = None, with_sdxl: bool = True) -> ImageCheck:
    """Look for the mark with every key in ``keys`` (default: Studio default + this installation's)."""
    arr = np.asarray(pixels)
    if arr.ndim < 2 or arr.size == 0:
        raise BadInputError(f"Not an image: an array of shape {arr.shape}.")
    keys = keys if keys is not None else detection_keys()
    height, width = arr.shape[:2]
    result = ImageCheck(width, height, None, None, keys)
    if arr.dtype not in (np.uint8, np.uint16):
        raise BadInputError(f"The watermark check reads 8- or 16-bit images, not {arr.dtype} pixels.")
    if with_sdxl and arr.ndim == 3 and arr.shape[2] >= 3:
        rgb = arr[..., :3] if arr.dtype == np.uint8 else (arr[..., :3] // 257).astype(np.uint8)
        result.sdxl = sdxl.check(rgb)
        result.sd_marks = sdmarks.check(rgb)
        if result.sdxl is None and height * width > sdxl.MAX_PIXELS:
            result.notes.append(f"the SDXL and Stable Diffusion 1.x/2.x marks were not looked for: at {width}×{height} "
                                "the picture is larger than those models make, and the marks do not survive "
                                "resizing")
    if min(height, width) < detect.MIN_DETECT_SIDE:
        result.notes.append(f"the image is {width}×{height} pixels, too small to carry the mark")
        return result
    prepared = result.prepared = detect.prepare_all(embed.luminance(arr))
    best: tuple[detect.Detection, Key] | None = None
    for key in keys:
        found = detect.test_all(prepared, key.secret, keys_tried=len(keys))
        if best is None or found.log10_p < best[0].log10_p:
            best = (found, key)
    assert best is not None
    result.detection, result.key = best
    if not result.present and len(keys) == 1 and keys[0].kind == "studio-default":
        result.notes.append("looked with the Studio default key only; a mark made in private mode by another "
                            "installation is found only with that installation's key file (--key-file)")
    return result
