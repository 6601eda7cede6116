"""The forensics plugin's part of the evidence report: one section per signal.

Each pixel analysis becomes a :class:`ReportSection` with a plain label, what
it can and cannot tell, and a heatmap in the orientation the canvas shows.
One analysis failing (a bug, an odd file) becomes a section that says so; the
others still run. There is deliberately no combined score: the signals are not
calibrated against each other.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import Finding, Heatmap, Parameter, ReportSection

from .heatmap import Analysis, display_heatmap
from .signals import not_run
from .source import ImageSource, is_video, open_image

if TYPE_CHECKING:
    from .faces import FaceFinder

WORKERS = max(1, min(4, os.cpu_count() or 1))
# title, heatmap name, what it can tell, what it cannot tell
SIGNALS: dict[str, tuple[str, str, str, str]] = {
    "ela": ("Error level analysis (ELA)", "Error level",
            "Areas that respond to JPEG recompression unlike the rest: content added or retouched after the "
            "picture was last compressed can stand out.",
            "Whether an area was edited: edges, fine texture, text and saturated colour are bright by nature, and "
            "resaving or resizing evens everything out. It is a map to look at, not a verdict."),
    "noise": ("Noise residual", "Noise residual",
              "Where the picture's fine noise differs: a paste from another camera or a retouched area often has "
              "more or less noise than its surroundings.",
              "Why: flat sky, shadows, clipped highlights and heavy compression also change the noise level."),
    "jpeg": ("JPEG compression history", "Double compression",
             "The quantisation tables and estimated quality, whether the file was JPEG-compressed more than once, "
             "and areas that do not share the rest's compression history.",
             "Who saved it or when; an honest re-save by an app looks the same as a re-save after editing, and "
             "resizing between saves hides the evidence."),
    "spectrum": ("Frequency spectrum (upsampling peaks)", "Local periodicity",
                 "Periodic peaks in the picture's fine detail at the frequencies resampling leaves (1/2, 1/4 of "
                 "the sampling rate), and the high-frequency fall-off.",
                 "Which tool upsampled it: ordinary resizing and upscaling leave the same peaks, JPEG's grid makes "
                 "similar ones, and many generators' traces are too weak for this test."),
    "copymove": ("Copy-move (cloned areas)", "Copy-move",
                 "Areas that appear twice with matching detail: cloning to hide or duplicate something.",
                 "Clones in smooth areas (too few keypoints), and naturally repeating patterns look like clones."),
    "faces": ("Faces", "Faces",
              "Where frontal faces are, and whether each one responds to recompression like the rest of the "
              "picture (a face pasted or swapped in after the last compression may not).",
              "Whether a face is real: the detector misses profiles and small faces, and make-up, focus or "
              "lighting can make a real face differ."),
    "aeroblade": ("Autoencoder reconstruction (AEROBLADE-style)", "Reconstruction error",
                  "How exactly the available autoencoders (VAEs) reconstruct the picture: pictures decoded by a "
                  "latent diffusion model's VAE come back from it closer than photos do; which VAE matched best.",
                  "Pictures of models whose VAE is not available look like photos to it; flat or smooth pictures "
                  "reconstruct well whatever made them; resizing and JPEG weaken it. Measured only on "
                  "pictures of the models whose VAE it uses."),
    "detector": ("Upsampling-trace detector (built-in, experimental)", "Upsampling traces",
                 "How much the picture's patches look like Studio's synthetic training data for generator-style "
                 "upsampling and autoencoder round trips (held-out accuracy and AUC are in the findings).",
                 "Whether a generator made it: the detector was trained only on data made offline in this "
                 "repository and is NOT validated against today's real generators."),
}


# each state in plain words, for the window (the CLI and JSON keep the state's short word)
OUTCOMES = {
    "error": "The analysis failed", "not-run": "Not run on this picture",
    "uniform": "Nothing stands out", "uneven": "One region stands out",
    "varied": "Varies across large areas; no single region stands out",
    "periodic-peaks": "Upsampling peaks found", "no-peaks": "No upsampling peaks",
    "jpeg-grid": "Peaks explained by JPEG compression", "not-meaningful": "Not meaningful at this size",
    "single": "Saved as JPEG once", "double": "Saved as JPEG more than once",
    "double-region": "Saved as JPEG more than once; one region differs", "jpeg": "A JPEG file",
    "not-jpeg": "No sign of JPEG compression", "former-jpeg": "Was a JPEG before",
    "repeated-areas": "Repeated areas found", "none-found": "No repeated areas found",
    "no-faces": "No faces found", "faces-consistent": "Faces respond like the rest",
    "faces-unlike-rest": "A face responds unlike the rest",
    "reconstructed-closely": "Reconstructed unusually exactly by a VAE",
    "reconstructed-like-photos": "Reconstructed like natural photos",
    "traces-found": "Upsampling traces found", "no-traces": "No upsampling traces", "inconclusive": "Inconclusive",
    "above-threshold": "Above the detector's threshold", "below-threshold": "Below the detector's threshold",
    "no-markers": "No generator or camera markers", "camera-metadata": "Camera metadata present",
    "generator-marked": "Metadata names a generator",
    "full-resolution": "Analysed at full resolution", "downscaled": "Analysed downscaled",
}
# what the dark and the bright end of each heatmap mean
LEGENDS = {
    "Error level": ("changed little when re-saved", "changed most when re-saved"),
    "Noise residual": ("noise like the rest of the picture", "noise unlike the rest (more or less)"),
    "Double compression": ("shares the picture's compression history", "a different compression history"),
    "Local periodicity": ("no regular pattern", "a regular pattern, as upsampling leaves"),
    "Copy-move": ("no match elsewhere", "matches another area of the picture"),
    "Faces": ("no face", "a face; brighter where it responds unlike the rest"),
    "Upsampling traces": ("unlike upsampled pictures", "like upsampled pictures"),
    "Reconstruction error": ("reconstructed exactly", "reconstructed least exactly"),
}


def plain_outcomes(sections: list[ReportSection]) -> list[ReportSection]:
    """Fill in each section's outcome in words (where it has none) and its heatmaps' legends."""
    for section in sections:
        if not section.outcome:
            section.outcome = OUTCOMES.get(section.state, "")
        for heatmap in section.heatmaps:
            if heatmap.legend == ("", ""):
                heatmap.legend = LEGENDS.get(heatmap.name, ("low", "high"))
    return sections


def _tunable(section: ReportSection, source: ImageSource) -> None:
    """Give the error-level and noise heatmaps their parameters, recomputed on request."""
    from .residuals import NOISE_BLOCK, error_level_heat, noise_heat

    if not section.heatmaps:
        return
    heatmap: Heatmap = section.heatmaps[0]
    signal = section.data.get("signal")
    if signal == "ela":
        heatmap.parameters = [
            Parameter("quality", "JPEG quality", float(section.data.get("quality", 90)), 50, 100, 1,
                      "The quality the picture is re-saved at. Areas saved at about this quality before change "
                      "little."),
            Parameter("amplification", "Amplification", 1.0, 1.0, 10.0, 0.5,
                      "Brightens small differences.", "×"),
        ]

        def ela(values: dict[str, float]) -> Any:
            heat = error_level_heat(source, int(values.get("quality", 90)), float(values.get("amplification", 1)))
            return display_heatmap(heatmap.name, heat, source, "").values

        heatmap.recompute = ela
    elif signal == "noise":
        heatmap.parameters = [
            Parameter("block", "Block size", float(NOISE_BLOCK), 8, 64, 8,
                      "Pixels per noise estimate: smaller blocks show finer areas, with more scatter.", " px"),
            Parameter("amplification", "Amplification", 1.0, 1.0, 10.0, 0.5,
                      "Brightens small differences of noise level.", "×"),
        ]

        def noise(values: dict[str, float]) -> Any:
            heat = noise_heat(source, int(values.get("block", NOISE_BLOCK)), float(values.get("amplification", 1)))
            return display_heatmap(heatmap.name, heat, source, "").values

        heatmap.recompute = noise


def _run(name: str, fn: Callable[[], Analysis], source: ImageSource) -> ReportSection:
    title, heatmap_name, can, cannot = SIGNALS[name]
    start = time.perf_counter()
    try:
        analysis = fn()
    except Exception as exc:  # noqa: BLE001 - one failing analysis must not take the report down
        return ReportSection(title=title, state="error", summary=f"This analysis failed: {type(exc).__name__}: {exc}",
                             can_tell=can, cannot_tell=cannot, data={"signal": name}, signals=not_run(name))
    heatmaps = []
    if analysis.heatmap is not None and analysis.heatmap.size and float(analysis.heatmap.max()) > 0:
        heatmaps.append(display_heatmap(heatmap_name, analysis.heatmap, source, analysis.heatmap_explanation))
    data = {"signal": name, **analysis.data, "seconds": round(time.perf_counter() - start, 3)}
    signals = analysis.signals or not_run(name)
    return ReportSection(title=title, state=analysis.state, summary=analysis.summary, findings=analysis.findings,
                         heatmaps=heatmaps, can_tell=can, cannot_tell=cannot, data=data, signals=signals)


def overview_section(source: ImageSource) -> ReportSection:
    w, h = source.size
    aw, ah = source.rgb.shape[1], source.rgb.shape[0]
    findings = [Finding("File", f"{source.format}, {w}×{h} pixels ({w * h / 1e6:.1f} MP), mode {source.mode}"
                        + (f", {source.frames} frames (the first is analysed)" if source.frames > 1 else ""), ""),
                Finding("Combined score", "none",
                        "The signals below are not calibrated against each other, so Studio does not add them up "
                        "into one verdict.")]
    if source.orientation != 1:
        findings.append(Finding("EXIF orientation", str(source.orientation),
                                "Analysed as stored; heatmaps are turned to match the picture as shown."))
    if source.downscaled:
        state = "downscaled"
        summary = (f"Very large picture: analysed downscaled from {w}×{h} to {aw}×{ah}. Downscaling erases the "
                   "finest traces, so the JPEG-history, spectrum and detector results are limited or skipped.")
    else:
        state = "full-resolution"
        summary = (f"Analysed at full resolution ({aw}×{ah}). Each signal below is evidence to weigh, none is a "
                   "verdict of 'real' or 'fake'.")
    return ReportSection(
        title="Pixel forensics: overview", state=state, summary=summary, findings=findings,
        can_tell="How the picture was analysed.",
        cannot_tell="Anything on its own; read the signals below together with the Content Credentials and "
                    "metadata.",
        data={"signal": "overview", "size": [w, h], "analysed_size": [aw, ah], "downscaled": source.downscaled,
              "scale": round(source.scale, 4), "combined_score": None},
    )


def image_sections(source: ImageSource, find_faces: FaceFinder | None = None) -> list[ReportSection]:
    """Metadata and every pixel signal for an opened image (``find_faces``: see :func:`.faces.faces_analysis`)."""
    from concurrent.futures import ThreadPoolExecutor

    from .aeroblade import aeroblade_analysis, autoencoders
    from .copymove import copy_move
    from .detector import detector_analysis
    from .faces import faces_analysis
    from .jpegtrace import estimate_quality, jpeg_history
    from .metadata import metadata_section
    from .residuals import error_level, noise_residual
    from .spectrum import spectrum_analysis

    quality = 90
    if source.is_jpeg and source.quantization:
        quality = min(95, max(60, estimate_quality(source.quantization)[0]))
    _ = source.gray  # computed once, before the analyses share it
    ela: dict[str, Analysis] = {}

    def run_ela() -> Analysis:
        ela["result"] = error_level(source, quality)
        return ela["result"]

    def run_faces() -> Analysis:
        return faces_analysis(source, ela["result"].maps.get("relative") if "result" in ela else None, find_faces)

    jobs: list[tuple[str, Callable[[], Analysis]]] = [
        ("ela", run_ela), ("noise", lambda: noise_residual(source)), ("jpeg", lambda: jpeg_history(source)),
        ("spectrum", lambda: spectrum_analysis(source)), ("copymove", lambda: copy_move(source)),
        ("detector", lambda: detector_analysis(source)),
        ("aeroblade", lambda: aeroblade_analysis(source, autoencoders())),
    ]
    # numpy and OpenCV release the GIL: the analyses run side by side on the machine's cores
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="forensics") as pool:
        futures = [pool.submit(_run, name, fn, source) for name, fn in jobs]
        pixel = [f.result() for f in futures]
    faces = _run("faces", run_faces, source)
    for section in pixel[:2]:
        _tunable(section, source)
    return plain_outcomes([metadata_section(source), overview_section(source), *pixel[:5], faces, *pixel[5:]])


def file_sections(path: Path, detectors: list | None = None, find_faces: FaceFinder | None = None
                  ) -> list[ReportSection]:
    """Every section this plugin has for ``path`` (an image or a video)."""
    if is_video(path):
        from .video import video_sections

        return plain_outcomes(video_sections(path))
    source = open_image(path)
    sections = image_sections(source, find_faces)
    if detectors:
        from .userdetector import user_detector_section

        for detector in detectors:
            sections.append(user_detector_section(detector, source))
    return plain_outcomes(sections)
