"""The export step: every exported image gets the invisible mark, before it is encoded and signed.

Options (``job.options``, which start from the ``export`` section of the
settings; the CLI makes ``--watermark/--no-watermark`` from the step, and
``studio watermark embed`` sets the others):

- ``watermark`` (default on): mark the image;
- ``watermark_required``: refuse the export when the image cannot be marked
  (too small, unsupported pixels) instead of exporting it unmarked with a notice;
- ``watermark_strength``: 1 is the default (PSNR ≥ 40 dB, SSIM ≥ 0.98); larger
  is more robust and more visible;
- ``watermark_key``: ``studio`` (the public Studio default key, the default) or
  ``private`` (this installation's secret key);
- ``watermark_payload``: 16 hex digits; by default the payload is an HMAC of
  the provenance record under this installation's key.

What was done is appended to ``job.performed`` as a ``c2pa.watermarked``
action for the signing step, with the payload that links the pixels back to
this export's provenance record.

A clip (``job.pixels`` is None and ``job.frames`` is an iterable of RGB
frames) gets the same mark on every frame: the step replaces ``job.frames``
with a lazy generator of marked frames (:class:`FrameMarker`, one per
export, marking in a background thread a couple of frames ahead of the
encoder) and reads nothing itself. Its ``job.performed`` entry says
``"frames": "every frame"``; ``psnr_db`` (the lowest of any frame) and
``frames_marked`` are filled in as the encoder pulls the frames, so they are
final by the time the file steps (signing) run.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from typing import Any

import numpy as np

from studio.api import BadInputError, ExportJob, ExportStep, PluginContext, StudioError

from . import embed
from .api import SCHEME, SOFT_BINDING_ALG, embed_image
from .keys import Key, embedding_key, parse_payload, record_payload
from .video import FrameMarker

STEP_NAME = "Invisible watermark"
OFF_NOTICE = "This file carries no invisible watermark (switched off)."
FORMATS = ("PNG", "JPEG", "WEBP", "TIFF", "MP4", "WEBM", "GIF")


class WatermarkRequiredError(StudioError):
    """The user asked for a marked export and this image cannot be marked."""


def _settings(job: ExportJob) -> tuple[str, float]:
    mode = str(job.option("watermark_key", "studio"))
    raw = job.option("watermark_strength", embed.DEFAULT_STRENGTH)
    try:
        strength = float(raw)
    except (TypeError, ValueError):
        raise BadInputError(f"The watermark strength must be a number, not {raw!r}.") from None
    return mode, strength


def run(job: ExportJob, ctx: PluginContext | None = None) -> None:
    """Mark ``job.pixels`` (or, for a clip, every frame of ``job.frames``, lazily); record it in ``job.performed``."""
    if job.pixels is None:
        frames = getattr(job, "frames", None)
        if frames is not None:
            _mark_clip(job, frames)
        return
    mode, strength = _settings(job)
    pixels = np.asarray(job.pixels)
    try:
        embed.check_pixels(pixels)
    except BadInputError as exc:
        _cannot_mark(job, exc)
        return
    key = embedding_key(mode)
    payload = _payload(job)
    result = embed_image(pixels, payload, key, strength)
    job.pixels = result.pixels
    job.performed.append({**_entry(key, payload, strength), "psnr_db": round(result.psnr, 2)})


def _cannot_mark(job: ExportJob, exc: BadInputError) -> None:
    """Refuse the export (``watermark_required``) or go on unmarked with a notice."""
    if job.option("watermark_required", False):
        raise WatermarkRequiredError(
            f"Cannot add the invisible watermark: {exc.message}",
            "Nothing was written (the export option 'watermark_required' is on).",
        ) from None
    hint = (f" To mark it, enlarge it to at least {embed.MIN_SIDE} pixels first (Adjust → Resize)."
            if isinstance(exc, embed.TooSmallError) else "")
    job.notices.append(f"{STEP_NAME}: not added. {exc.message} The file is exported without it.{hint}")


def _payload(job: ExportJob) -> bytes:
    explicit = job.option("watermark_payload")
    return parse_payload(str(explicit)) if explicit else record_payload(job.record.to_dict())


def _entry(key: Key, payload: bytes, strength: float) -> dict[str, Any]:
    return {
        "step": STEP_NAME,
        "c2pa_action": "c2pa.watermarked",
        "description": "An invisible watermark was embedded in the pixels; its payload links them to this record.",
        "payload": payload.hex(),
        "alg": SOFT_BINDING_ALG,  # the soft-binding assertion's algorithm, as studio_find_soft_bindings reads it
        "scheme": SCHEME,
        "key": key.kind,
        "key_name": key.name,
        "key_id": key.fingerprint,
        "strength": strength,
    }


def _mark_clip(job: ExportJob, frames: Iterable[np.ndarray]) -> None:
    """Replace ``job.frames`` with a lazy generator of marked frames (nothing is read here)."""
    mode, strength = _settings(job)
    embed.check_strength(strength)
    size = job.size if job.size and job.size[0] > 0 else None
    if size is None:
        job.frames = _mark_sized_by_first(job, frames, mode, strength)
        return
    try:
        embed.check_size(int(size[0]), int(size[1]), "The clip's frames are")
    except BadInputError as exc:
        _cannot_mark(job, exc)
        return
    key = embedding_key(mode)
    payload = _payload(job)
    marker = FrameMarker((int(size[0]), int(size[1])), payload, key, strength)
    entry = _clip_entry(key, payload, strength)
    job.performed.append(entry)
    job.frames = _recorded(marker, frames, entry)


def _clip_entry(key: Key, payload: bytes, strength: float) -> dict[str, Any]:
    return {**_entry(key, payload, strength),
            "description": "An invisible watermark was embedded in every frame's pixels; its payload links them "
                           "to this record.",
            "frames": "every frame", "frames_marked": 0, "psnr_db": None}


def _recorded(marker: FrameMarker, frames: Iterable[np.ndarray],
              entry: dict[str, Any]) -> Generator[np.ndarray, None, None]:
    """``marker``'s marked frames; ``entry`` keeps the count and the lowest PSNR so far."""
    marked = marker.mark_frames(frames)
    try:
        for frame in marked:
            entry["frames_marked"] = marker.frames_marked
            entry["psnr_db"] = round(marker.min_psnr, 2)
            yield frame
    finally:
        marked.close()


def _mark_sized_by_first(job: ExportJob, frames: Iterable[np.ndarray], mode: str,
                         strength: float) -> Iterator[np.ndarray]:
    """For a job that does not say its frame size: the first frame decides (and a too-small clip is told then)."""
    source = iter(frames)
    try:
        first = next(source, None)
        if first is None:
            return
        height, width = np.asarray(first).shape[:2]
        try:
            embed.check_size(width, height, "The clip's frames are")
        except BadInputError as exc:
            _cannot_mark(job, exc)
            yield first
            yield from source
            return
        key = embedding_key(mode)
        payload = _payload(job)
        entry = _clip_entry(key, payload, strength)
        job.performed.append(entry)
        yield from _recorded(FrameMarker((width, height), payload, key, strength), _chain(first, source), entry)
    finally:
        close = getattr(source, "close", None)
        if callable(close):
            close()


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest


def export_step() -> ExportStep:
    return ExportStep(
        name=STEP_NAME,
        run=run,
        stage="pixels",
        order=50,
        option="watermark",
        default=True,
        off_notice=OFF_NOTICE,
        formats=FORMATS,
    )
