"""Heatmaps of an evidence report as overlay layers.

Every :class:`studio.report.Heatmap` (H×W floats in 0..1, any resolution)
becomes an RGBA overlay layer the size of the picture it describes:
colour-mapped (dark purple → yellow) with an opacity that grows with the
value, so that the picture shows through where nothing stands out. Only the
first is visible; the user toggles the others in the Layers panel to compare.
Their records say they are analysis (``Record.is_analysis``): shown on the
canvas, never exported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first

from studio.document import Layer, Record
from studio.report import ReportSection

# a few stops of matplotlib's "inferno" colour map (value, R, G, B)
_STOPS = ((0.00, 0, 0, 4), (0.25, 87, 16, 110), (0.50, 188, 55, 84), (0.75, 249, 142, 9), (1.00, 252, 255, 164))


def colour_map(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A heatmap as an H×W×4 RGBA overlay of ``size`` (width, height)."""
    import cv2

    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float32)), 0.0, 1.0)
    width, height = size
    if v.shape != (height, width):
        v = np.asarray(cv2.resize(v, (width, height), interpolation=cv2.INTER_NEAREST), dtype=np.float32)
    stops = np.array(_STOPS, dtype=np.float64)
    lut = np.stack([np.interp(np.linspace(0, 1, 256), stops[:, 0], stops[:, c]) for c in (1, 2, 3)], axis=1)
    index = (v * 255.0 + 0.5).astype(np.uint8)
    rgba = np.empty((height, width, 4), np.uint8)
    rgba[..., :3] = lut.astype(np.uint8)[index]
    rgba[..., 3] = (np.clip(v * 1.6, 0.0, 1.0) * 200.0 + 25.0).astype(np.uint8)
    return rgba


def heatmap_layers(sections: list[ReportSection], size: tuple[int, int], source: str = "") -> list[Layer]:
    """Overlay layers for every heatmap in ``sections``; only the first is visible."""
    layers: list[Layer] = []
    for section in sections:
        for heatmap in section.heatmaps:
            values = np.asarray(heatmap.values)
            if values.ndim != 2 or values.size == 0:
                continue
            record = Record(action="inspect.heatmap", title=heatmap.name, c2pa_action="c2pa.edited",
                            plugin=section.plugin, params={"signal": section.title, "file": source},
                            extra={"explanation": heatmap.explanation, "analysis": True})
            layers.append(Layer(colour_map(values, size), name=f"{heatmap.name} (heatmap)", kind="overlay",
                                visible=not layers, record=record))
    return layers
