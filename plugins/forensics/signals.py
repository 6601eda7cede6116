"""The forensics plugin's scored signals: stable ids, what each measures, and their calibrated thresholds.

Every pixel signal has a score (higher: more of what it looks for) and a verdict. ``flagged`` means the
score reached the threshold chosen by ``bench/signal_calibration.py`` so that at most a few percent of
natural photos (crops, downscales, JPEG re-encodes, slight blur and sharpening of the photos Studio can get
offline) are flagged; the measured rate on a held-out part of that set ships with it in
``calibration.json`` and is printed beside every verdict. A flag is a reason to look, never a finding
that a picture is generated or edited.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from studio.api import Calibration, Signal, load_calibration

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
TARGET_RATE = 0.05  # the most a signal may flag of natural photos (the bound)

# id: (label: what was measured, the default threshold used when the calibration file has none)
SIGNALS: dict[str, tuple[str, float]] = {
    "forensics.spectrum.upsampling": (
        "Periodic peaks in the residual spectrum at 1/2, 1/4 or 1/16 of the sampling rate (dB above its "
        "median, after JPEG-grid peaks)", 10.0),
    "forensics.noise.uneven": ("One region's noise level differs from the picture's typical level (fold)", 2.5),
    "forensics.ela.region": ("One region changes more on JPEG re-saving than the rest for its texture (×)", 4.0),
    "forensics.jpeg.tables": ("JPEG quantisation tables unlike the standard (IJG) tables (mean step difference)",
                              0.5),
    "forensics.jpeg.region": ("A region that breaks the file's double-JPEG pattern (share of its coefficients)",
                              0.5),
    "forensics.copymove": ("Keypoints repeated elsewhere in the picture under one shift (matches)", 10.0),
    "forensics.faces.unlike_rest": ("A face whose error level is higher than the rest's for its texture (×)", 3.0),
    "forensics.upsampling_detector": ("Built-in upsampling-trace detector (probability, synthetic training data)",
                                      0.8),
    "forensics.aeroblade": ("Autoencoder reconstruction fidelity, best over the available VAEs "
                            "(−log10 of the distance; higher: reconstructed more exactly)", 2.0),
    "forensics.metadata.generator": ("Metadata names an image generator (the file's own claim)", 0.5),
}
# which signals each analysis of sections.SIGNALS gives (for a "not-run" when it fails)
BY_ANALYSIS: dict[str, tuple[str, ...]] = {
    "ela": ("forensics.ela.region",), "noise": ("forensics.noise.uneven",),
    "jpeg": ("forensics.jpeg.tables", "forensics.jpeg.region"), "spectrum": ("forensics.spectrum.upsampling",),
    "copymove": ("forensics.copymove",), "faces": ("forensics.faces.unlike_rest",),
    "detector": ("forensics.upsampling_detector",), "aeroblade": ("forensics.aeroblade",),
}


@lru_cache(maxsize=1)
def calibration() -> Calibration:
    return load_calibration(CALIBRATION_FILE)


def threshold(signal_id: str) -> float:
    return calibration().threshold(signal_id, SIGNALS[signal_id][1])


def flagged(signal_id: str, score: float | None) -> bool:
    return calibration().flagged(signal_id, score, SIGNALS[signal_id][1])


def rate_words(signal_id: str) -> str:
    return calibration().rate_words(signal_id)


def make(signal_id: str, score: float | None, run: bool = True) -> Signal:
    label, default = SIGNALS[signal_id]
    return calibration().signal(signal_id, label, score, default, run)


def not_run(analysis: str) -> list[Signal]:
    return [make(signal_id, None, run=False) for signal_id in BY_ANALYSIS.get(analysis, ())]
