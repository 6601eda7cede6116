"""The watermark on video: every frame carries the same mark, checked frame by frame.

``FrameMarker`` marks the frames of one clip: built once per clip (size,
payload, key, strength), it makes everything that does not depend on a
frame's content once, and per frame does only the rest (see its docstring).
The video export step wraps a clip's frames with it, lazily;
``embed_frames`` is the same as a plain function. The mark is the still
embedder's (the same tile, payload and key on every frame, so a cut, a
re-encode or a single grabbed frame still carries it); ``detect_frames``
checks frames and reports the share that carry the mark, the best p-value,
and the payload decoded from the soft bits of all marked frames together
(more robust than any one frame); ``read_frames`` decodes a file with PyAV
for checking.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from studio.api import BadInputError

from . import detect, ecc, embed
from .api import SCHEME, format_p
from .keys import Key, detection_keys, studio_default_key
from .pattern import marking_side, patterns_for, tiled, working_size

DEFAULT_MAX_FRAMES = 24
SSIM_BLOCK = 16  # the SSIM budget is measured on blocks of this many pixels a side ...
SSIM_GRID = (24, 32)  # ... at most this many rows × columns of them, spread evenly over the frame
SSIM_STEP = 3  # every third 7×7 window inside a block (the windows that lie wholly inside it)
PIPELINE_DEPTH = 2  # frames marked ahead of the consumer by the background thread
THREAD_NAME = "studio-watermark"
_BOX = 3  # half the side of SSIM's 7×7 window


class FrameMarker:
    """Marks the frames of one clip with the still embedder's mark, at a fraction of its cost.

    Built once per clip, it makes what does not depend on a frame's content:
    the keyed tile laid over the working frame, the geometry that brings a
    frame down to it, and the sample of SSIM windows. Per frame, :meth:`mark`
    does the rest, in float32 OpenCV operations (which release the GIL):

    1. the luminance, brought down to the working frame (an integer-factor
       area reduction, then a small linear resize);
    2. the perceptual mask there (:func:`embed.mask`), times the tile, and the
       product resized to the frame's size, as :func:`embed.mark_delta` does
       (a frame smaller than the working frame skips both resizes: the mask
       is made at the frame's size, times the tile resized to it once);
    3. the amplitude: the largest that keeps PSNR ≥ ``embed.PSNR_FLOOR``
       (exactly, from the delta's norm) and the luminance's SSIM ≥
       ``embed.SSIM_FLOOR`` (in closed form, :func:`embed.ssim_scale_of`, on
       up to ``SSIM_GRID`` blocks of ``SSIM_BLOCK`` pixels spread over the
       frame), times the strength;
    4. one saturating add of the delta to R, G and B (a pure luminance change).

    Frames must be RGB or RGBA uint8 of the clip's size; alpha is copied as
    it is. ``frames_marked`` and ``min_psnr`` say what was done so far.
    :meth:`mark` takes one frame at a time (frame-sized buffers are reused).

    After H.264 (preset medium, CRF 20-23) the mark is found on most frames:
    66-69 of the 72 frames of bench/video_watermark.py's 1080p clip (the
    misses are B-frames of a slow zoom over smooth content). On small clips
    (about 480×360 and below) with motion, B-frames often lose it; the I- and
    P-frames keep it, so the clip is still found, with its payload.
    """

    def __init__(self, size: tuple[int, int], payload: bytes, key: Key | bytes | None = None,
                 strength: float = embed.DEFAULT_STRENGTH) -> None:
        width, height = (int(v) for v in size)
        embed.check_size(width, height, "The clip's frames are")
        embed.check_strength(strength)
        if len(payload) != 8:
            raise BadInputError(f"The watermark payload must be 8 bytes (64 bits), not {len(payload)}.")
        secret = key.secret if isinstance(key, Key) else (key or studio_default_key().secret)
        self.size = (width, height)
        self.payload = payload
        self.strength = float(strength)
        self.work_size = working_size(width, height, marking_side(width, height))
        ww, wh = self.work_size
        pattern: np.ndarray = np.ascontiguousarray(tiled(patterns_for(secret).tile(payload), ww, wh), np.float32)
        # a frame smaller than the working frame is marked at its own size: the tile brought down to it once,
        # the mask made there (with its blur scaled alike; the mask is smooth, so this is the same product)
        self._small = ww > width
        if self._small:
            pattern = cv2.resize(pattern, (width, height), interpolation=cv2.INTER_LINEAR)
        self._pattern = pattern
        self._mask_sigma = embed.MASK_SIGMA * (width / ww if self._small else 1.0)
        # otherwise down to the working frame: an area reduction by a whole factor (OpenCV's fast path) on the
        # largest part of the frame that divides evenly, then linear to the exact working size
        self._factor = max(1, min(width // ww, height // wh))
        self._crop = (width - width % self._factor, height - height % self._factor)
        self._reduced = (self._crop[0] // self._factor, self._crop[1] // self._factor)
        self._ceiling = 255.0 / 10 ** (embed.PSNR_FLOOR / 20.0)  # the largest RMS change PSNR_FLOOR allows
        self._rows, self._cols = (_block_index(n, side) for n, side in zip(SSIM_GRID, (height, width), strict=True))
        self._blocks = np.ix_(self._rows, self._cols)
        self._windows = np.ix_(_inner_windows(len(self._rows) // SSIM_BLOCK),
                               _inner_windows(len(self._cols) // SSIM_BLOCK))
        # frame-sized buffers, reused from frame to frame (fresh ones cost page faults as much as the work)
        self._buffers: dict[str, np.ndarray] = {
            "gray": np.empty((height, width), np.uint8), "delta": np.empty((height, width), np.float32),
            "signed": np.empty((height, width), np.float32), "part": np.empty((height, width), np.uint8),
            "part3": np.empty((height, width, 3), np.uint8)}
        self._lock = threading.Lock()
        self.frames_marked = 0
        self.min_psnr = math.inf

    def mark(self, frame: np.ndarray) -> np.ndarray:
        """A marked copy of one frame (H×W×3 or ×4 uint8 of the clip's size)."""
        arr = np.asarray(frame)
        width, height = self.size
        if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] not in (3, 4):
            raise BadInputError(f"A video frame must be H×W×3 (RGB) or H×W×4 uint8, not {arr.dtype} of shape "
                                f"{arr.shape}.")
        if arr.shape[:2] != (height, width):
            raise BadInputError(f"A frame of {arr.shape[1]}×{arr.shape[0]} pixels in a clip of {width}×{height}.")
        with self._lock:  # one frame at a time: the buffers are reused
            return self._mark(arr)

    def _mark(self, arr: np.ndarray) -> np.ndarray:
        b = self._buffers
        gray = cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY if arr.shape[2] == 3 else cv2.COLOR_RGBA2GRAY, dst=b["gray"])
        delta = self._delta(gray)
        # the amplitude: PSNR exactly (the RMS of the delta), SSIM on the sampled windows
        rms = cv2.norm(delta) / math.sqrt(delta.size)
        stats = embed.window_stats(gray[self._blocks].astype(np.float32), delta[self._blocks], self._windows)
        psnr_scale = min(8.0, self._ceiling / max(rms, 1e-9))
        scale = embed.ssim_scale_of(stats, embed.SSIM_FLOOR, high=psnr_scale, steps=7) * self.strength
        # rint(rgb + scale·delta), clipped, as two saturating 8-bit adds (the rounded positive part, then the
        # negative part: at each pixel one of them is 0, so this is exact)
        rgb = np.ascontiguousarray(arr[..., :3])
        part, part3 = b["part"], b["part3"]
        cv2.convertScaleAbs(cv2.threshold(delta, 0.0, 0.0, cv2.THRESH_TOZERO, dst=b["signed"])[1], part, scale)
        marked = cv2.add(rgb, cv2.merge((part, part, part), dst=part3))
        cv2.convertScaleAbs(cv2.threshold(delta, 0.0, 0.0, cv2.THRESH_TOZERO_INV, dst=b["signed"])[1], part, scale)
        cv2.subtract(marked, cv2.merge((part, part, part), dst=part3), dst=marked)
        psnr = cv2.PSNR(rgb, marked)
        if arr.shape[2] == 4:
            out = arr.copy()
            out[..., :3] = marked
        else:
            out = marked
        self.frames_marked += 1
        self.min_psnr = min(self.min_psnr, float(psnr))
        return out

    def _delta(self, gray: np.ndarray) -> np.ndarray:
        """The mark's luminance change at strength 1 before the amplitude (float32, the frame's size)."""
        width, height = self.size
        delta = self._buffers["delta"]
        if self._small:
            return cv2.multiply(_mask(gray.astype(np.float32), self._mask_sigma), self._pattern, dst=delta)
        reduced = gray
        if self._factor > 1:
            reduced = cv2.resize(gray[:self._crop[1], :self._crop[0]], self._reduced, interpolation=cv2.INTER_AREA)
        work: np.ndarray = reduced.astype(np.float32)
        if self._reduced != self.work_size:
            work = cv2.resize(work, self.work_size, interpolation=cv2.INTER_LINEAR)
        product = cv2.multiply(_mask(work, self._mask_sigma), self._pattern)
        if self.work_size == (width, height):
            return product
        return cv2.resize(product, (width, height), dst=delta, interpolation=cv2.INTER_LINEAR)

    def mark_frames(self, frames: Iterable[np.ndarray], threaded: bool = True,
                    depth: int = PIPELINE_DEPTH) -> Generator[np.ndarray, None, None]:
        """Marked copies of ``frames``, in order and lazily: nothing is read before the first is asked for.

        ``threaded``: mark in one background thread, up to ``depth`` frames
        ahead of the consumer (so marking overlaps the encoder); the source is
        still read on the consumer's thread. Closing the returned generator
        (or an error on either side) cancels what is queued, waits for the
        frame being marked, stops the thread and closes ``frames`` if it is a
        generator.
        """
        if threaded and depth > 0:
            return self._pipelined(frames, depth)
        return self._serial(frames)

    def _serial(self, frames: Iterable[np.ndarray]) -> Generator[np.ndarray, None, None]:
        source = iter(frames)
        try:
            for frame in source:
                yield self.mark(frame)
        finally:
            _close(source)

    def _pipelined(self, frames: Iterable[np.ndarray], depth: int) -> Generator[np.ndarray, None, None]:
        source = iter(frames)
        pending: deque[Future[np.ndarray]] = deque()
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)
        try:
            for frame in source:
                pending.append(pool.submit(self.mark, frame))
                if len(pending) > depth:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            _close(source)


def _mask(work: np.ndarray, sigma: float = embed.MASK_SIGMA) -> np.ndarray:
    """:func:`embed.mask`, in OpenCV's float32 operations (which release the GIL), 5× cheaper.

    The local mean and mean square are blurred at half the size (area-halved
    first, so the mean square keeps the detail), then the mask is brought
    back up: the same mask to within 1% on average (correlation 0.999).
    """
    h, w = work.shape
    if sigma < 2.0:
        x, x2, blur = work, cv2.multiply(work, work), sigma
    else:
        even = work[:h - h % 2, :w - w % 2]
        half = (even.shape[1] // 2, even.shape[0] // 2)
        x = cv2.resize(even, half, interpolation=cv2.INTER_AREA)
        x2 = cv2.resize(cv2.multiply(even, even), half, interpolation=cv2.INTER_AREA)
        blur = sigma / 2
    mean = cv2.GaussianBlur(x, (0, 0), blur)
    var = cv2.GaussianBlur(x2, (0, 0), blur)
    cv2.subtract(var, cv2.multiply(mean, mean), dst=var)
    std = cv2.sqrt(cv2.threshold(var, 0.0, 0.0, cv2.THRESH_TOZERO)[1])
    amp = cv2.addWeighted(std, embed.AMP_TEXTURE, std, 0.0, embed.AMP_FLAT)  # never below AMP_FLAT: std ≥ 0
    amp = np.minimum(amp, np.float32(embed.AMP_MAX))
    return amp if amp.shape == work.shape else cv2.resize(amp, (w, h), interpolation=cv2.INTER_LINEAR)


def _close(source: Iterator[Any]) -> None:
    close = getattr(source, "close", None)
    if callable(close):
        close()


def _block_index(blocks: int, side: int) -> np.ndarray:
    """Pixel indices (along one side) of up to ``blocks`` SSIM_BLOCK-long runs spread evenly over ``side``."""
    blocks = max(1, min(blocks, side // SSIM_BLOCK))
    starts = np.linspace(0, side - SSIM_BLOCK, blocks).round().astype(np.int64)
    return (starts[:, None] + np.arange(SSIM_BLOCK)[None, :]).ravel()


def _inner_windows(blocks: int) -> np.ndarray:
    """Positions (in the mosaic of ``blocks`` blocks) of the 7×7 windows that lie wholly inside one block."""
    inner = np.arange(_BOX, SSIM_BLOCK - _BOX, SSIM_STEP)
    return (np.arange(blocks)[:, None] * SSIM_BLOCK + inner[None, :]).ravel()


def embed_frames(frames: Iterable[np.ndarray], payload: bytes, key: Key | None = None,
                 strength: float = embed.DEFAULT_STRENGTH) -> Iterator[np.ndarray]:
    """Marked copies of ``frames`` (RGB or RGBA uint8, all one size, ≥ 64 on the shorter side), lazily.

    A :class:`FrameMarker` made for the first frame's size marks them all (in
    this thread; use ``FrameMarker.mark_frames`` for the pipelined version).
    """
    marker: FrameMarker | None = None
    for frame in frames:
        if marker is None:
            height, width = np.asarray(frame).shape[:2]
            marker = FrameMarker((width, height), payload, key, strength)
        yield marker.mark(frame)


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
        prepared = detect.prepare_all(embed.luminance(arr))
        found = [(detect.test_all(prepared, k.secret, keys_tried=len(keys)), k) for k in keys]
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
