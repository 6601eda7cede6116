"""Image adjustments with OpenCV: resize, crop, blur and levels.

A small but complete plugin: each action is declared once and appears as a
panel in the GUI and as ``studio adjust <name>`` on the command line. Work is
done in horizontal bands so that every band is a step with progress, a
preview and a chance to cancel.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.api import lazy_numpy as np  # imported on first use: the window appears first

from studio.api import Action, ActionResult, BadInputError, OutputImage, Param, Progress, hookimpl

MAX_SIDE = 16384
INTERPOLATIONS = ("area", "linear", "cubic", "lanczos", "nearest")

Run = Generator[Progress, None, ActionResult]


def _bands(height: int, steps: int) -> list[tuple[int, int]]:
    steps = max(1, min(steps, height))
    edges = np.linspace(0, height, steps + 1).astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def _source(params: dict[str, Any]) -> Any:
    layer = params["image"]
    if layer is None:
        raise BadInputError("Choose an image layer first.")
    return layer


def run_blur(ctx: Any, params: dict[str, Any]) -> Run:
    import cv2

    layer = _source(params)
    src = layer.pixels
    sigma = float(params["radius"]) / 2.0
    if sigma <= 0:
        return ActionResult([OutputImage(src.copy(), name=f"{layer.name} (blur)")])
    pad = int(np.ceil(sigma * 4)) + 1
    out = src.copy()
    bands = _bands(src.shape[0], 8)
    for n, (top, bottom) in enumerate(bands, 1):
        ctx.check_cancelled()
        a, b = max(0, top - pad), min(src.shape[0], bottom + pad)
        blurred = cv2.GaussianBlur(src[a:b], (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT)
        out[top:bottom] = blurred[top - a: top - a + (bottom - top)]
        yield Progress(n, len(bands), f"band {n}/{len(bands)}", preview=out)
    return ActionResult([OutputImage(out, name=f"{layer.name} (blur {params['radius']:g})")])


def run_levels(ctx: Any, params: dict[str, Any]) -> Run:
    layer = _source(params)
    black, white, gamma = int(params["black"]), int(params["white"]), float(params["gamma"])
    if white <= black:
        raise BadInputError(f"The white point ({white}) must be above the black point ({black}).")
    ramp = np.clip((np.arange(256, dtype=np.float64) - black) / (white - black), 0.0, 1.0)
    lut = np.clip(255.0 * ramp ** (1.0 / gamma) + 0.5, 0, 255).astype(np.uint8)
    src = layer.pixels
    out = src.copy()
    bands = _bands(src.shape[0], 4)
    for n, (top, bottom) in enumerate(bands, 1):
        ctx.check_cancelled()
        out[top:bottom, :, :3] = lut[src[top:bottom, :, :3]]
        yield Progress(n, len(bands), preview=out)
    return ActionResult([OutputImage(out, name=f"{layer.name} (levels)")])


def run_resize(ctx: Any, params: dict[str, Any]) -> Run:
    import cv2

    layer = _source(params)
    width, height = layer.size
    scale = float(params["scale"])
    new_w = int(params["width"]) or round(width * scale)
    new_h = int(params["height"]) or round(height * (new_w / width if params["width"] else scale))
    if new_w < 1 or new_h < 1 or new_w > MAX_SIDE or new_h > MAX_SIDE:
        raise BadInputError(f"{new_w}×{new_h} is not a size this program makes (1 to {MAX_SIDE} pixels a side).")
    flags = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
             "lanczos": cv2.INTER_LANCZOS4, "nearest": cv2.INTER_NEAREST}[params["interpolation"]]
    yield Progress(0, 1, f"resizing to {new_w}×{new_h}")
    ctx.check_cancelled()
    out = cv2.resize(layer.pixels, (new_w, new_h), interpolation=flags)
    yield Progress(1, 1, preview=out)
    return ActionResult([OutputImage(out, name=f"{layer.name} ({new_w}×{new_h})")])


def run_crop(ctx: Any, params: dict[str, Any]) -> Run:
    layer = _source(params)
    width, height = layer.size
    x, y = int(params["x"]), int(params["y"])
    w = int(params["width"]) or width - x
    h = int(params["height"]) or height - y
    if x >= width or y >= height or w < 1 or h < 1:
        raise BadInputError(f"The crop {w}×{h} at ({x}, {y}) lies outside the {width}×{height} image.")
    w, h = min(w, width - x), min(h, height - y)
    ctx.check_cancelled()
    out = np.ascontiguousarray(layer.pixels[y:y + h, x:x + w])
    yield Progress(1, 1, preview=out)
    return ActionResult([OutputImage(out, name=f"{layer.name} (crop {w}×{h})")])


IMAGE = Param("image", "image", required=True, help="the image to adjust")


@hookimpl
def studio_actions() -> list[Action]:
    return [
        Action(
            id="adjust.blur", title="Gaussian blur", run=run_blur, c2pa_action="c2pa.filtered",
            description="Blur the image with a Gaussian kernel.",
            params=(IMAGE, Param("radius", "float", 2.0, "blur radius in pixels (twice the Gaussian sigma)",
                                 minimum=0.0, maximum=200.0, step=0.5)),
        ),
        Action(
            id="adjust.levels", title="Levels", run=run_levels, c2pa_action="c2pa.color_adjustments",
            description="Stretch the tones between a black and a white point, with a gamma.",
            params=(
                IMAGE,
                Param("black", "int", 0, "input level that becomes black", minimum=0, maximum=254),
                Param("white", "int", 255, "input level that becomes white", minimum=1, maximum=255),
                Param("gamma", "float", 1.0, "midtone gamma (above 1 brightens)", minimum=0.1, maximum=10.0, step=0.05),
            ),
        ),
        Action(
            id="adjust.resize", title="Resize", run=run_resize, c2pa_action="c2pa.resized",
            description="Scale the image; give a width (and height) or a scale factor.",
            params=(
                IMAGE,
                Param("scale", "float", 0.5, "scale factor, used when width is 0",
                      minimum=0.01, maximum=16.0, step=0.05),
                Param("width", "int", 0, "new width in pixels (0: from the scale)", minimum=0, maximum=MAX_SIDE),
                Param("height", "int", 0, "new height in pixels (0: keep the aspect ratio)",
                      minimum=0, maximum=MAX_SIDE),
                Param("interpolation", "choice", "area", "resampling filter", choices=INTERPOLATIONS),
            ),
        ),
        Action(
            id="adjust.crop", title="Crop", run=run_crop, c2pa_action="c2pa.cropped",
            description="Keep a rectangle of the image.",
            params=(
                IMAGE,
                Param("x", "int", 0, "left edge", minimum=0, maximum=MAX_SIDE),
                Param("y", "int", 0, "top edge", minimum=0, maximum=MAX_SIDE),
                Param("width", "int", 0, "width (0: to the right edge)", minimum=0, maximum=MAX_SIDE),
                Param("height", "int", 0, "height (0: to the bottom edge)", minimum=0, maximum=MAX_SIDE),
            ),
        ),
    ]
