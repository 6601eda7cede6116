"""How steady an edited clip is: the mean change from one frame to the next, of the edit against the input's.

A clip edited frame by frame flickers when the model makes different choices on near-identical frames. The
figure compares the mean absolute difference between consecutive frames (0–255 per channel) of the edited
clip with that of the input clip: a ratio of 1 means the edit moves no more than the input did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.api import lazy_numpy as np


class FrameChange:
    """Accumulates the frame-to-frame change of the input and of the edit, one frame pair at a time."""

    def __init__(self) -> None:
        self._previous: tuple[np.ndarray, np.ndarray] | None = None
        self.input_total = 0.0
        self.output_total = 0.0
        self.pairs = 0

    def add(self, original: np.ndarray, edited: np.ndarray) -> None:
        original = original[..., :3].astype(np.int16)
        edited = edited[..., :3].astype(np.int16)
        if self._previous is not None:
            before_in, before_out = self._previous
            self.input_total += float(np.abs(original - before_in).mean())
            self.output_total += float(np.abs(edited - before_out).mean())
            self.pairs += 1
        self._previous = (original, edited)

    def figure(self) -> dict[str, Any]:
        """``input_change`` and ``output_change`` (mean over frame pairs), their ``ratio`` (None when the input
        never changes or there is one frame), and the number of ``pairs``."""
        if not self.pairs:
            return {"input_change": None, "output_change": None, "ratio": None, "pairs": 0}
        mean_in = self.input_total / self.pairs
        mean_out = self.output_total / self.pairs
        return {"input_change": round(mean_in, 3), "output_change": round(mean_out, 3),
                "ratio": round(mean_out / mean_in, 3) if mean_in > 0 else None, "pairs": self.pairs}


def describe(figure: dict[str, Any]) -> str:
    """The figure in words, for the job's messages."""
    if not figure["pairs"]:
        return "one frame: no frame-to-frame consistency to measure"
    text = (f"frame-to-frame change {figure['output_change']:.2f} (input {figure['input_change']:.2f}, "
            "mean absolute difference, 0-255)")
    if figure["ratio"] is not None:
        text += f": {figure['ratio']:.2f}× the input's"
    return text
