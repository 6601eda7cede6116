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
"""

from __future__ import annotations

import numpy as np

from studio.api import BadInputError, ExportJob, ExportStep, PluginContext, StudioError

from . import embed
from .api import SCHEME, embed_image
from .keys import embedding_key, parse_payload, record_payload

STEP_NAME = "Invisible watermark"
OFF_NOTICE = "This file carries no invisible watermark (switched off)."


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


def run(job: ExportJob, ctx: PluginContext) -> None:
    """Mark ``job.pixels`` in place of the original; record it in ``job.performed``."""
    if job.pixels is None:
        return
    mode, strength = _settings(job)
    pixels = np.asarray(job.pixels)
    try:
        embed.check_pixels(pixels)
    except BadInputError as exc:
        if job.option("watermark_required", False):
            raise WatermarkRequiredError(
                f"Cannot add the invisible watermark: {exc.message}",
                "Nothing was written (the export option 'watermark_required' is on).",
            ) from None
        hint = (f" To mark it, enlarge it to at least {embed.MIN_SIDE} pixels first (Adjust → Resize)."
                if isinstance(exc, embed.TooSmallError) else "")
        job.notices.append(f"{STEP_NAME}: not added. {exc.message} The file is exported without it.{hint}")
        return
    key = embedding_key(mode)
    explicit = job.option("watermark_payload")
    payload = parse_payload(str(explicit)) if explicit else record_payload(job.record.to_dict())
    result = embed_image(pixels, payload, key, strength)
    job.pixels = result.pixels
    job.performed.append({
        "step": STEP_NAME,
        "c2pa_action": "c2pa.watermarked",
        "description": "An invisible watermark was embedded in the pixels; its payload links them to this record.",
        "payload": payload.hex(),
        "scheme": SCHEME,
        "key": key.kind,
        "key_name": key.name,
        "key_id": key.fingerprint,
        "strength": strength,
        "psnr_db": round(result.psnr, 2),
    })


def export_step() -> ExportStep:
    return ExportStep(
        name=STEP_NAME,
        run=run,
        stage="pixels",
        order=50,
        option="watermark",
        default=True,
        off_notice=OFF_NOTICE,
    )
