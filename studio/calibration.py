"""A plugin's measured signal thresholds: which score is ``flagged``, and how often that happens on natural photos.

A plugin ships a small JSON file (written by a benchmark, e.g. ``bench/signal_calibration.py``)::

    {"target_rate": 0.05, "set": {...how the natural photos were made...},
     "signals": {"forensics.noise.uneven": {"threshold": 3.1, "rate": 0.021, "held_out": 240, ...}}}

and reads it with :func:`load_calibration`; :meth:`Calibration.signal` turns a score into a
:class:`~studio.report.Signal` with its verdict and its measured false-positive rate. A signal missing from
the file keeps the plugin's default threshold and an unmeasured (``None``) rate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.report import Signal


@dataclass(frozen=True)
class Calibration:
    """Thresholds and measured rates by signal id (see the module docstring)."""

    signals: dict[str, dict[str, Any]] = field(default_factory=dict)
    target_rate: float | None = None
    path: Path | None = None

    def threshold(self, signal_id: str, default: float) -> float:
        value = self.signals.get(signal_id, {}).get("threshold")
        return float(value) if isinstance(value, (int, float)) else float(default)

    def rate(self, signal_id: str) -> float | None:
        """The share of held-out natural photos this signal flagged, as measured (None: not measured)."""
        value = self.signals.get(signal_id, {}).get("rate")
        return float(value) if isinstance(value, (int, float)) else None

    def flagged(self, signal_id: str, score: float | None, default: float) -> bool:
        return score is not None and score >= self.threshold(signal_id, default)

    def rate_words(self, signal_id: str) -> str:
        """The measured rate in words: "flagged on 1.7% of 240 natural photos (downscaled, re-encoded, cropped)"."""
        rate = self.rate(signal_id)
        if rate is None:
            return "its rate on natural photos has not been measured"
        entry = self.signals.get(signal_id, {})
        n = entry.get("held_out")
        of = f" of {n}" if isinstance(n, int) else ""
        text = f"flagged on {rate:.1%}{of} natural photos (downscaled, re-encoded, cropped variants) when measured"
        first = entry.get("first_held_out_rate")
        if entry.get("in_sample") and isinstance(first, (int, float)):
            text += (f"; its first threshold flagged {first:.1%} of unseen photos, so this one was set on all of "
                     "them and the rate is not an independent measurement")
        return text

    def signal(self, signal_id: str, label: str, score: float | None, default: float,
               run: bool = True) -> Signal:
        """A :class:`Signal`: ``not-run`` when ``run`` is false or there is no score, else flagged or clear."""
        if not run or score is None:
            return Signal(signal_id, label, None if score is None else round(float(score), 4), "not-run",
                          self.rate(signal_id))
        verdict = "flagged" if self.flagged(signal_id, score, default) else "clear"
        return Signal(signal_id, label, round(float(score), 4), verdict, self.rate(signal_id))


def load_calibration(path: str | Path) -> Calibration:
    """Read a calibration file; a missing or unreadable one gives an empty calibration (defaults, no rates)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Calibration(path=path)
    signals = data.get("signals") if isinstance(data, dict) else None
    target = data.get("target_rate") if isinstance(data, dict) else None
    return Calibration(signals={k: v for k, v in (signals or {}).items() if isinstance(v, dict)},
                       target_rate=float(target) if isinstance(target, (int, float)) else None, path=path)
