"""The watermark on video: every frame carries the same mark, checked frame by frame.

``embed_frames`` marks each frame independently (the same tile, payload and
key on every frame, so a cut, a re-encode or a single grabbed frame still
carries it); ``detect_frames`` checks frames and reports the share that
carry the mark, the best p-value, and the payload decoded from the soft bits
of all marked frames together (more robust than any one frame). The video
export step (when video lands) calls ``embed_frames`` on the decoded frames
before encoding; ``read_frames`` decodes a file with PyAV for checking.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.api import BadInputError

from . import detect, ecc, embed
from .api import SCHEME, format_p
from .keys import Key, detection_keys, studio_default_key

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")
DEFAULT_MAX_FRAMES = 24


def embed_frames(frames: Iterable[np.ndarray], payload: bytes, key: Key | None = None,
                 strength: float = embed.DEFAULT_STRENGTH) -> Iterator[np.ndarray]:
    """Marked copies of ``frames`` (RGB or RGBA uint8, any size ≥ 256 on the shorter side)."""
    secret = (key or studio_default_key()).secret
    for frame in frames:
        yield embed.embed(frame, secret, payload, strength).pixels


@dataclass
class FrameResult:
    index: int
    present: bool
    log10_p: float
    payload: str | None


@dataclass
class VideoCheck:
    """The share of checked frames that carry the mark, and what they say together."""

    frames_checked: int
    frames_marked: int
    key: Key | None
    keys_tried: list[Key]
    payload: bytes | None
    best_log10_p: float
    frames: list[FrameResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.frames_marked / self.frames_checked if self.frames_checked else 0.0

    @property
    def present(self) -> bool:
        return self.frames_marked > 0

    def summary(self) -> str:
        if not self.frames_checked:
            return "Studio watermark: no frame could be checked"
        if not self.present:
            return (f"Studio watermark: absent in all {self.frames_checked} frames checked "
                    f"(best p = {format_p(self.best_log10_p)})")
        payload = f"payload {self.payload.hex()}" if self.payload else "payload unreadable"
        return (f"Studio watermark: present in {self.frames_marked} of {self.frames_checked} frames checked "
                f"({self.share:.0%}; best p = {format_p(self.best_log10_p)}, {payload})")

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheme": SCHEME,
            "present": self.present,
            "frames_checked": self.frames_checked,
            "frames_marked": self.frames_marked,
            "share_marked": self.share,
            "best_p_value": 10.0 ** self.best_log10_p,
            "log10_best_p_value": self.best_log10_p,
            "payload": self.payload.hex() if self.payload else None,
            "payload_verified": self.payload is not None,
            "key": self.key.name if self.key and self.present else None,
            "keys_tried": [k.name for k in self.keys_tried],
            "false_positive_rate_per_frame": detect.DETECTION_FPR,
            "frames": [vars(f) for f in self.frames],
            "notes": self.notes,
        }


def detect_frames(frames: Iterable[np.ndarray], keys: list[Key] | None = None) -> VideoCheck:
    """Check each frame (RGB/RGBA uint8) for the mark, with every key; combine the payload over frames."""
    keys = keys if keys is not None else detection_keys()
    soft_sum: dict[bytes, np.ndarray] = {}
    marked_by: dict[bytes, int] = {}
    results: list[FrameResult] = []
    best = 0.0
    notes: list[str] = []
    for index, frame in enumerate(frames):
        arr = np.asarray(frame)
        if min(arr.shape[:2]) < detect.MIN_DETECT_SIDE:
            notes.append(f"frame {index} is too small to check")
            continue
        prepared = detect.prepare(embed.luminance(arr))
        found = [(detect.test_key(prepared, k.secret, keys_tried=len(keys)), k) for k in keys]
        d, key = min(found, key=lambda item: item[0].log10_p)
        best = min(best, d.log10_p)
        if d.present and d.soft_bits is not None:
            soft_sum[key.secret] = soft_sum.get(key.secret, 0) + d.soft_bits
            marked_by[key.secret] = marked_by.get(key.secret, 0) + 1
        results.append(FrameResult(index, d.present, d.log10_p, d.payload_hex if d.payload_ok else None))
    agreed: Key | None = None
    payload = None
    if marked_by:
        secret = max(marked_by, key=lambda s: marked_by[s])
        agreed = next(k for k in keys if k.secret == secret)
        decoded, ok = ecc.decode(soft_sum[secret])
        payload = decoded if ok else None
    marked = sum(r.present for r in results)
    return VideoCheck(len(results), marked, agreed, keys, payload, best, results, notes)


def read_frames(path: str | Path, max_frames: int = DEFAULT_MAX_FRAMES) -> Iterator[np.ndarray]:
    """Up to ``max_frames`` RGB frames spread evenly over the video (decoded with PyAV)."""
    import av

    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"{path} does not exist or is not a file.")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise BadInputError(f"{path.name} is not a video this program can read: {exc}.") from None
    with container:
        if not container.streams.video:
            raise BadInputError(f"{path.name} has no video stream.")
        stream = container.streams.video[0]
        total = stream.frames or 0
        every = max(1, math.ceil(total / max_frames)) if total else 1
        taken = 0
        try:
            for n, frame in enumerate(container.decode(stream)):
                if n % every:
                    continue
                yield frame.to_ndarray(format="rgb24")
                taken += 1
                if taken >= max_frames:
                    break
        except av.error.FFmpegError as exc:
            if not taken:
                raise BadInputError(f"{path.name} is damaged: {exc}.") from None
