"""Canvas layers: raster images, masks and overlays."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first

from studio.document.provenance import Record

if TYPE_CHECKING:
    from studio.document.clips import Box

LayerKind = Literal["image", "mask", "overlay", "boxes"]
RASTER_KINDS = ("image", "mask", "overlay")


def new_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass(eq=False)
class Layer:
    """One layer of the canvas.

    ``pixels`` is ``H×W×4`` RGBA ``uint8`` for image and overlay layers and
    ``H×W`` ``uint8`` for masks (255 = selected). ``record`` says what produced it;
    a layer whose record is an analysis (:attr:`is_analysis`) is shown but never exported.
    """

    pixels: np.ndarray
    name: str = "Layer"
    kind: LayerKind = "image"
    visible: bool = True
    opacity: float = 1.0
    record: Record | None = None
    id: str = field(default_factory=new_id)
    source: dict[str, Any] | None = None  # where it came from on the timeline ({"clip", "frame"}), if it did

    def __post_init__(self) -> None:
        self.pixels = normalise_pixels(self.pixels, self.kind)

    @property
    def is_analysis(self) -> bool:
        """An analysis overlay (a forensic heatmap): on the canvas, never in an export or its manifest."""
        return self.record is not None and self.record.is_analysis

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])

    def rgba(self) -> np.ndarray:
        """The layer as RGBA, masks shown as a translucent red overlay."""
        if self.kind == "mask":
            out = np.zeros((*self.pixels.shape, 4), np.uint8)
            out[..., 0] = 255
            out[..., 3] = (self.pixels.astype(np.uint16) * 128 // 255).astype(np.uint8)
            return out
        return self.pixels

    def rgb(self) -> np.ndarray:
        """The layer's colour channels (H×W×3) without alpha."""
        if self.kind == "mask":
            return np.repeat(self.pixels[..., None], 3, axis=2)
        return np.ascontiguousarray(self.pixels[..., :3])


@dataclass(eq=False)
class BoxLayer(Layer):
    """Boxes drawn as vectors over the canvas (grounding results): editable, never baked into pixels.

    ``pixels`` is unused (an empty array); ``canvas_size`` is the (width, height) the boxes refer to.
    """

    pixels: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 4), np.uint8))
    name: str = "Boxes"
    kind: LayerKind = "boxes"
    boxes: list[Box] = field(default_factory=list)
    canvas_size: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        self.kind = "boxes"
        self.pixels = np.zeros((0, 0, 4), np.uint8)

    @property
    def size(self) -> tuple[int, int]:
        return self.canvas_size

    def rgba(self) -> np.ndarray:
        return np.zeros((max(1, self.canvas_size[1]), max(1, self.canvas_size[0]), 4), np.uint8)


def normalise_pixels(pixels: np.ndarray, kind: LayerKind) -> np.ndarray:
    """Coerce an array to the layer's storage format (uint8, RGBA or single channel)."""
    arr = np.asarray(pixels)
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating):
            arr = np.clip(arr * 255.0 + 0.5, 0, 255).astype(np.uint8)
        elif arr.dtype == np.uint16:
            arr = (arr >> 8).astype(np.uint8)
        else:
            arr = np.clip(arr, 0, 255).astype(np.uint8)
    if kind == "mask":
        if arr.ndim == 3:
            arr = arr[..., 3] if arr.shape[2] == 4 else arr[..., :3].max(axis=2)
        return np.ascontiguousarray(arr)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(f"an image layer needs H×W×3 or H×W×4 pixels, not {arr.shape}")
    if arr.shape[2] == 3:
        alpha = np.full((*arr.shape[:2], 1), 255, np.uint8)
        arr = np.concatenate([arr, alpha], axis=2)
    return np.ascontiguousarray(arr)


def export_layers(layers: list[Layer]) -> list[Layer]:
    """The layers that make an exported picture: visible pictures (bottom first) — not masks, not vector
    box overlays, not analysis overlays."""
    return [layer for layer in layers if layer.visible and layer.kind in ("image", "overlay") and not layer.is_analysis]


def composite(layers: list[Layer], size: tuple[int, int] | None = None) -> np.ndarray:
    """Flatten visible image and overlay layers (bottom first) into RGBA uint8.

    Masks are not part of the picture and are skipped. Layers smaller than the
    canvas are placed at the top-left corner.
    """
    visible = [layer for layer in layers if layer.visible and layer.kind in ("image", "overlay")]
    if size is None:
        if not visible:
            raise ValueError("nothing visible to flatten")
        size = (max(l.size[0] for l in visible), max(l.size[1] for l in visible))
    width, height = size
    out = np.zeros((height, width, 4), np.float32)
    for layer in visible:
        src = layer.pixels[:height, :width].astype(np.float32) / 255.0
        h, w = src.shape[:2]
        alpha = src[..., 3:4] * float(layer.opacity)
        dst = out[:h, :w]
        out_alpha = alpha + dst[..., 3:4] * (1.0 - alpha)
        safe = np.where(out_alpha > 0, out_alpha, 1.0)
        dst[..., :3] = (src[..., :3] * alpha + dst[..., :3] * dst[..., 3:4] * (1.0 - alpha)) / safe
        dst[..., 3:4] = out_alpha
    return (np.clip(out, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
