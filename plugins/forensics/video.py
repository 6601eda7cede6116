"""Video: container metadata, keyframes analysed as pictures, and a per-frame score for the timeline.

Keyframes (the frames an encoder stores whole) get the upsampling-trace
detector and the spectrum; every frame up to a limit gets the detector's score,
sampled evenly and held in between, as a score track (:class:`studio.results.OutputScores`). PyAV is
imported inside the functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.api import BadInputError, Finding, OutputScores, ReportSection

from .detector import builtin_model, image_score
from .metadata import GENERATOR_SOFTWARE
from .source import check_file

MAX_FRAMES = 2000  # frames read for the per-frame track
MAX_SCORED = 60  # frames scored (evenly spaced); the others hold the last score
FRAME_PATCHES = 12  # detector patches per scored frame (keyframes get KEYFRAME_PATCHES)
KEYFRAME_PATCHES = 48
MAX_KEYFRAMES = 12
SCORE_SIDE = 768  # frames are scored on a centre crop at most this large (full resolution inside it)


@dataclass
class VideoAnalysis:
    path: Path
    fps: float
    frame_count: int
    size: tuple[int, int]
    codec: str
    container: dict[str, str] = field(default_factory=dict)
    stream: dict[str, str] = field(default_factory=dict)
    scores: list[float] = field(default_factory=list)  # one per frame, held between scored frames
    scored_frames: list[int] = field(default_factory=list)
    keyframes: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False


def _gray(frame: Any) -> np.ndarray:
    import cv2

    rgb = frame.to_ndarray(format="rgb24")
    h, w = rgb.shape[:2]
    y0, x0 = max(0, (h - SCORE_SIDE) // 2), max(0, (w - SCORE_SIDE) // 2)
    return cv2.cvtColor(np.ascontiguousarray(rgb[y0:y0 + SCORE_SIDE, x0:x0 + SCORE_SIDE]),
                        cv2.COLOR_RGB2GRAY).astype(np.float32)


def analyse_video(path: str | Path, max_frames: int = MAX_FRAMES, max_scored: int = MAX_SCORED) -> VideoAnalysis:
    """Read ``path`` once: metadata, keyframe results and a per-frame detector score."""
    import av

    path = Path(path)
    check_file(path)
    model = builtin_model()
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise BadInputError(f"{path.name} has no video stream.")
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 24)
            expected = int(stream.frames or 0) or int((float(stream.duration or 0) * float(stream.time_base or 0))
                                                      * fps) or max_frames
            step = max(1, int(np.ceil(min(expected, max_frames) / max_scored)))
            result = VideoAnalysis(path=path, fps=fps, frame_count=0, size=(stream.width, stream.height),
                                   codec=stream.codec_context.name,
                                   container={str(k): str(v) for k, v in container.metadata.items()},
                                   stream={str(k): str(v).lstrip("\x1f") for k, v in stream.metadata.items()})
            last = 0.0
            for index, frame in enumerate(container.decode(stream)):
                if index >= max_frames:
                    result.truncated = True
                    break
                is_key = bool(frame.key_frame)
                if index % step == 0 or (is_key and len(result.keyframes) < MAX_KEYFRAMES):
                    gray = _gray(frame)
                    score = image_score(gray, model, KEYFRAME_PATCHES if is_key else FRAME_PATCHES)
                    if score is not None:
                        last = score
                        result.scored_frames.append(index)
                    if is_key and len(result.keyframes) < MAX_KEYFRAMES:
                        from .spectrum import average_spectra, peak_db

                        spectra = average_spectra(gray)
                        peak = None
                        if spectra is not None:
                            n = spectra[1].shape[0]
                            peak = round(max(peak_db(spectra[1], n // 2), peak_db(spectra[1], n // 4)), 2)
                        result.keyframes.append({"frame": index, "time": round(index / fps, 3),
                                                 "score": None if score is None else round(score, 4),
                                                 "peak_db": peak})
                result.scores.append(round(last, 4))
            result.frame_count = len(result.scores)
    except BadInputError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, IndexError) as exc:
        raise BadInputError(f"{path.name} is not a video this program can read: {exc}.") from None
    if result.frame_count == 0:
        raise BadInputError(f"{path.name} holds no video frames.")
    return result


def score_track(analysis: VideoAnalysis) -> OutputScores:
    """The per-frame detector score as a score track (a curve on the timeline under the video)."""
    return OutputScores(values=list(analysis.scores), name=f"Upsampling traces: {analysis.path.name}",
                        fps=analysis.fps, scored=list(analysis.scored_frames))


def video_sections(path: Path) -> list[ReportSection]:
    analysis = analyse_video(path)
    tags = {**analysis.container, **analysis.stream}
    findings = [Finding("Container", f"{analysis.codec}, {analysis.size[0]}×{analysis.size[1]}, "
                        f"{analysis.fps:g} fps, {analysis.frame_count} frames"
                        + (" (only the first were read)" if analysis.truncated else ""), "")]
    for key in ("encoder", "handler_name", "major_brand", "compatible_brands", "creation_time",
                "com.apple.quicktime.make", "com.apple.quicktime.model", "com.apple.quicktime.software",
                "location", "comment", "title"):
        if tags.get(key):
            findings.append(Finding(f"Tag '{key}'", tags[key][:160],
                                    "Written by the encoder or the app that saved it."))
    generator = [v for v in tags.values() if GENERATOR_SOFTWARE.search(v)]
    camera = any(k.startswith("com.apple.quicktime.make") or k == "location" for k in tags)
    state = "generator-marked" if generator else "camera-metadata" if camera else "no-markers"
    meta = ReportSection(
        title="Video metadata",
        state=state,
        summary=("The container names a generator: " + "; ".join(generator)) if generator else
        ("The container carries camera tags." if camera else
         "No generator or camera markers in the container; encoders and platforms rewrite these tags."),
        findings=findings,
        can_tell="What the encoder and the app that saved the video wrote into the container.",
        cannot_tell="Whether it is true: container tags are rewritten by every re-encode and easy to edit.",
        data={"tags": tags, "codec": analysis.codec, "fps": analysis.fps, "frames": analysis.frame_count},
    )
    scored = [analysis.scores[i] for i in analysis.scored_frames]
    mean = float(np.mean(scored)) if scored else None
    peak = float(np.max(scored)) if scored else None
    key_findings = [Finding(f"Keyframe {k['frame']} ({k['time']:.2f} s)",
                            f"detector {k['score'] if k['score'] is not None else 'n/a'}, "
                            f"spectrum peak {k['peak_db'] if k['peak_db'] is not None else 'n/a'} dB",
                            "A frame the encoder stored whole.") for k in analysis.keyframes]
    if mean is None:
        state, summary = "not-run", "No frame was textured enough for the detector."
    else:
        state = "traces-found" if mean >= 0.8 else "no-traces" if mean <= 0.3 else "inconclusive"
        summary = (f"Upsampling-trace score over {len(scored)} frames: mean {mean:.2f}, highest {peak:.2f}. "
                   "Video compression weakens these traces; the detector was trained on still pictures and is "
                   "not validated against real video generators.")
    frames = ReportSection(
        title="Video frames (upsampling traces)",
        state=state, summary=summary, findings=key_findings,
        can_tell="Whether frames carry periodic upsampling traces like Studio's synthetic training data, and "
                 "where in time they change (the per-frame track on the timeline).",
        cannot_tell="Whether a generator made the video: this is a still-image detector on compressed frames, "
                    "not validated against today's video generators.",
        data={"fps": analysis.fps, "keyframes": analysis.keyframes,
              "mean_score": None if mean is None else round(mean, 4)},
        scores=[score_track(analysis)],
    )
    return [meta, frames]
