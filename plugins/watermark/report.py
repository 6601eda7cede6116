"""The "Invisible watermark" section of the evidence report (``studio inspect``, the Verify view)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from studio.api import IMAGE_SUFFIXES, VIDEO_SUFFIXES, Finding, ReportSection, Signal, SoftBinding

from .api import SOFT_BINDING_ALG, ImageCheck, format_p
from .video import VideoCheck

TITLE = "Invisible watermark"
CAN_TELL = (
    "Whether the pixels carry Studio's invisible watermark, with the chance (p-value) that an unmarked "
    "image would score as high; the mark survives recompression, resizing, cropping and small rotations. "
    "Its payload links the pixels to the provenance record of the export that made them."
)
CANNOT_TELL = (
    "Absence proves nothing: heavy editing removes the mark, most software adds none, and marks made with "
    "another installation's private key are invisible without that key. The default key is public, so a "
    "determined person could add or remove the mark: it is a signal, not a proof; Content Credentials are "
    "the proof. The SDXL and Stable Diffusion 1.x/2.x script marks are weak signals: fixed, public and fragile."
)


OUTCOMES = {"present": "Studio's invisible watermark found", "absent": "No Studio watermark found",
            "not-checked": "Not checked", "weak-signal": "Only a weak signal (the SDXL mark)"}


CACHED = 4  # files whose check is kept (the report and the credentials' recovery both ask for the same file)


def checked(path: Path, state: dict[str, Any] | None = None) -> ImageCheck | VideoCheck | None:
    """The check of ``path`` (None for a file that is neither an image nor a video), remembered in ``state``
    while the file is unchanged, so that a file verified by two plugins is read once."""
    from .cli import check_file

    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES and suffix not in VIDEO_SUFFIXES:
        return None
    if state is None:
        return check_file(path)
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        return check_file(path)
    cache: dict[Any, Any] = state.setdefault("checked", {})
    if key not in cache:
        result = check_file(path)
        while len(cache) >= CACHED:
            cache.pop(next(iter(cache)))
        cache[key] = result
    found: ImageCheck | VideoCheck = cache[key]
    return found


def section_for(path: Path, state: dict[str, Any] | None = None) -> ReportSection | None:
    result = checked(path, state)
    return build_section(result) if result is not None else None


def soft_binding_in(path: Path, state: dict[str, Any] | None = None,
                    candidates: Sequence[bytes] = ()) -> SoftBinding | None:
    """Studio's mark in ``path`` as a soft binding: present, with a payload that passes its CRC.

    When the payload does not decode, a picture's soft bits are matched against ``candidates`` (the
    payloads the asker knows, e.g. its manifest store's; :mod:`.match`): where the sync search put the
    mark and, for a copy that was only re-encoded, where it was made; a candidate they agree with far
    beyond chance, counted over all of them and every reading, is the binding.
    """
    result = checked(path, state)
    if result is None:
        return None
    if result.present and result.payload is not None:
        log10_p = result.best_log10_p if isinstance(result, VideoCheck) else (
            result.detection.log10_p if result.detection is not None else None)
        return SoftBinding(alg=SOFT_BINDING_ALG, value=bytes(result.payload), log10_p=log10_p,
                           name="Studio's invisible watermark")
    if isinstance(result, VideoCheck) or result.detection is None or not candidates:
        return None
    from .match import Reading, best_of_readings, unmoved_readings

    readings = [Reading(result.detection.soft_bits)] if result.detection.soft_bits is not None else []
    for key in result.keys_tried:
        readings += unmoved_readings(result.prepared, key.secret)
    found = best_of_readings(readings, candidates)
    if found is None or not found.accepted:
        return None
    return SoftBinding(alg=SOFT_BINDING_ALG, value=found.payload, log10_p=found.log10_p,
                       name=f"Studio's invisible watermark (its damaged payload matched one of the {found.candidates} "
                            "known payloads)")


def build_section(result: ImageCheck | VideoCheck) -> ReportSection:
    data: dict[str, Any] = result.to_dict()
    findings: list[Finding] = []
    if isinstance(result, VideoCheck):
        state = "present" if result.present else "absent"
        findings.append(Finding("Frames carrying the mark",
                                f"{result.frames_marked} of {result.frames_checked} ({result.share:.0%})",
                                "Each checked frame is tested on its own at a false-positive rate of 1e-6."))
        findings.append(Finding("Best p-value", format_p(result.best_log10_p),
                                "The chance that an unmarked frame scores this high."))
        if result.payload is not None:
            findings.append(Finding("Payload", result.payload.hex(),
                                    "Decoded from all marked frames together and checked by its CRC."))
    else:
        d = result.detection
        state = "present" if result.present else ("not-checked" if d is None else "absent")
        if d is not None:
            findings.append(Finding("Studio mark", "present" if d.present else "absent",
                                    "Decided at a false-positive rate of 1e-6 over every position, scale and "
                                    "key tried."))
            findings.append(Finding("p-value", format_p(d.log10_p),
                                    "The chance that an image without this mark would score as high "
                                    f"(z = {d.z:.1f})."))
            if d.present:
                findings.append(Finding("Payload", (d.payload_hex or "unreadable") if d.payload_ok else "unreadable",
                                        "64 bits that link the pixels to the export's provenance record; checked "
                                        "by a CRC." if d.payload_ok else
                                        "The mark is there but too damaged to read its 64 bits."))
                key = result.key.name if result.key else ""
                findings.append(Finding("Key", "Studio's default key (public)" if key == "studio-default" else key,
                                        "The Studio default key is public; a private key belongs to one "
                                        "installation."))
        if result.sdxl is not None:
            s = result.sdxl
            findings.append(Finding("SDXL watermark (weak signal)",
                                    f"{'matches' if s.present else 'no match'}: {s.matched}/{s.bits} bits",
                                    "The fixed 48-bit DWT-DCT message that diffusers' SDXL pipelines embed; "
                                    f"chance agreement p ≈ {s.p_value:.2g} (optimistic for flat images)."))
            if s.present and state != "present":
                state = "weak-signal"
        if result.sd_marks is not None:
            m = result.sd_marks
            findings.append(Finding("Stable Diffusion 1.x/2.x script watermark (weak signal)",
                                    f"{'matches' if m.present else 'no match'}: closest is {m.name}'s "
                                    f"“{m.text}”, {m.matched}/{m.bits} bits",
                                    "The fixed DWT-DCT text the SD 1.x (“StableDiffusionV1”) and SD 2.x (“SDV2”) "
                                    f"reference scripts embed; chance agreement p ≈ {m.p_value:.2g} (optimistic for "
                                    "flat images). Anyone can embed it; JPEG and resizing erase it."))
            if m.present and state != "present":
                state = "weak-signal"
        for note in result.notes:  # the command-line flag is for the command line
            findings.append(Finding("Note", note.replace(" (--key-file)", "")))
    summary = result.summary().replace(", studio-default)", ", Studio's default key)")
    return ReportSection(TITLE, state, summary, findings=findings, can_tell=CAN_TELL,
                         cannot_tell=CANNOT_TELL, data=data, outcome=OUTCOMES.get(state, ""),
                         signals=signals_of(result))


CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
LABELS = {
    "watermark.studio": "Studio's invisible watermark (−log10 p; present at p ≤ 1e-6)",
    "watermark.sdxl": "The SDXL pipelines' fixed DWT-DCT mark (−log10 of the chance p-value)",
    "watermark.sd_dwtdct": "The Stable Diffusion 1.x/2.x scripts' DWT-DCT text mark (−log10 of the chance p-value)",
}


def signals_of(result: ImageCheck | VideoCheck) -> list[Signal]:
    """The marks as scored signals: flagged when present (each mark's own statistical threshold)."""
    import math

    from studio.api import load_calibration

    calibration = load_calibration(CALIBRATION_FILE)

    def make(signal_id: str, score: float | None, present: bool | None) -> Signal:
        verdict = "not-run" if present is None else "flagged" if present else "clear"
        return Signal(signal_id, LABELS[signal_id], None if score is None else round(score, 3) + 0.0, verdict,
                      calibration.rate(signal_id))

    if isinstance(result, VideoCheck):
        return [make("watermark.studio", -result.best_log10_p if result.best_log10_p is not None else None,
                     result.present)]
    d = result.detection
    out = [make("watermark.studio", None if d is None else -d.log10_p, None if d is None else result.present)]
    s, m = result.sdxl, result.sd_marks
    out.append(make("watermark.sdxl", None if s is None else -math.log10(max(s.p_value, 1e-300)),
                    None if s is None else s.present))
    out.append(make("watermark.sd_dwtdct", None if m is None else m.score, None if m is None else m.present))
    return out
