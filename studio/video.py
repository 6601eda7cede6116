"""Video files with PyAV (imported lazily): what a file holds, and its frames decoded on demand.

:func:`probe` reads a file's streams without decoding pictures. A :class:`VideoSource` is one opened
file: frames are decoded when asked for (seek to the keyframe before, decode forward; playing forward
reuses the open decoder) and kept in a cache bounded in bytes, so a ten-minute 1080p video never sits in
memory. Frame ``n`` is the picture shown at ``n / fps`` seconds (variable-frame-rate files are read by
their timestamps, so ``n`` always means the same instant).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.errors import BadInputError
from studio.formats import VIDEO_SUFFIXES

__all__ = ["VIDEO_SUFFIXES", "VideoInfo", "VideoSource", "first_frame_size", "probe", "read_video"]

MAX_SIDE = 4096  # larger videos (8K) are refused with advice rather than exhausting memory
DEFAULT_CACHE_BYTES = 192 * 2**20
FORWARD_DECODE_SECONDS = 2.0  # a request this far ahead of the decoder decodes forward instead of seeking


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds (``studio video info``)."""

    path: str
    frames: int
    fps: float
    duration: float
    width: int
    height: int
    codec: str
    audio: str | None  # the audio codec, or None without sound
    variable_frame_rate: bool = False
    start_time: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _open(path: Path) -> Any:
    import av

    try:
        return av.open(str(path))
    except av.error.FFmpegError as exc:
        raise BadInputError(f"{path.name} is not a video this program can read ({_reason(exc)}).",
                            "It may be damaged, truncated or of an unsupported kind.") from None


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text.split(":", 1)[-1].strip().rstrip(".") if ":" in text else text


def probe(path: str | Path) -> VideoInfo:
    """Read what ``path`` holds without decoding its pictures; clear errors for what is not a usable video."""
    import av

    from studio.imageio import check_file

    path = Path(path)
    check_file(path, "a video")
    container = _open(path)
    try:
        if not container.streams.video:
            kinds = sorted({s.type for s in container.streams})
            held = f" (it holds {', '.join(kinds)})" if kinds else ""
            raise BadInputError(f"{path.name} has no video stream{held}.", "Open a video file.")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        codec = ctx.name if ctx is not None else ""
        try:
            av.codec.Codec(codec, "r")
        except (av.error.FFmpegError, ValueError):
            which = f"the video codec '{codec}'" if codec else "a video codec"
            raise BadInputError(f"{path.name} uses {which} that this program cannot decode.",
                                "Convert it to H.264 (MP4) or VP9 (WebM).") from None
        width, height = int(ctx.width or 0), int(ctx.height or 0)
        if width <= 0 or height <= 0:
            raise BadInputError(f"{path.name} does not say how large its pictures are; it may be damaged.")
        if max(width, height) > MAX_SIDE:
            raise BadInputError(
                f"{path.name} is {width}×{height}; this version opens videos up to {MAX_SIDE} pixels on a side.",
                "Make a 4K or smaller copy with a video editor and open that.",
            )
        average = float(stream.average_rate or 0) or float(stream.guessed_rate or 0)
        base = float(stream.base_rate or 0) or average
        fps = average or base or 24.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1_000_000
        else:
            duration = 0.0
        frames = int(stream.frames or 0)
        if frames <= 0 and duration > 0:
            frames = max(1, int(round(duration * fps)))
        if duration <= 0 and frames > 0:
            duration = frames / fps
        vfr = bool(average and base and abs(average - base) / base > 0.01)
        start = 0.0
        if stream.start_time is not None and stream.time_base is not None:
            start = float(stream.start_time * stream.time_base)
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
        if frames <= 0:
            raise BadInputError(f"{path.name} holds no video frames.")
        return VideoInfo(str(path), frames, fps, duration, width, height, codec, audio, vfr, start)
    finally:
        container.close()


class VideoSource:
    """One video file, opened once and shared by every clip cut from it; frames decoded on demand.

    Thread-safe: the GUI's frame server and an export may read the same source.
    """

    def __init__(self, path: str | Path, sha256: str | None = None, info: VideoInfo | None = None,
                 cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.path = Path(path)
        self.info = info or probe(self.path)
        self.sha256 = sha256
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cached = 0
        self._lock = threading.RLock()
        self._container: Any = None
        self._decoder: Iterator[Any] | None = None
        self._position = -1.0  # time (s) of the last picture the open decoder returned
        self._pending: Any = None  # a decoded picture past the one asked for, kept for the next call
        self._current: Any = None  # the last picture the decoder passed (still on screen until the next)
        self.missing = False

    @property
    def fps(self) -> float:
        return self.info.fps

    @property
    def frame_count(self) -> int:
        return self.info.frames

    @property
    def size(self) -> tuple[int, int]:
        return self.info.width, self.info.height

    def close(self) -> None:
        with self._lock:
            if self._container is not None:
                self._container.close()
            self._container = None
            self._decoder = None
            self._pending = None
            self._current = None
            self._position = -1.0

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self._cached = 0

    @property
    def cached_bytes(self) -> int:
        return self._cached

    def frame(self, index: int) -> np.ndarray:
        """The picture (H×W×3 RGB uint8) at frame ``index`` of the file's own frame rate."""
        index = min(max(0, int(index)), self.info.frames - 1)
        with self._lock:
            hit = self._cache.get(index)
            if hit is not None:
                self._cache.move_to_end(index)
                return hit
            pixels = self._decode(index)
            self._remember(index, pixels)
            return pixels

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """Frames ``start`` .. ``stop - 1`` in order (one pass of the decoder, nothing kept)."""
        stop = self.info.frames if stop is None else min(stop, self.info.frames)
        for index in range(max(0, start), stop):
            with self._lock:
                hit = self._cache.get(index)
                yield hit if hit is not None else self._decode(index)

    def _remember(self, index: int, pixels: np.ndarray) -> None:
        if pixels.nbytes > self.cache_bytes:
            return
        self._cache[index] = pixels
        self._cached += pixels.nbytes
        while self._cached > self.cache_bytes and self._cache:
            _, old = self._cache.popitem(last=False)
            self._cached -= old.nbytes

    def _time_of(self, index: int) -> float:
        return self.info.start_time + index / self.info.fps

    def _decode(self, index: int) -> np.ndarray:
        import av

        target = self._time_of(index)
        half = 0.5 / self.info.fps
        try:
            if self._container is None:
                if not self.path.exists():
                    self.missing = True
                    raise BadInputError(f"The video {self.path} is missing (moved or deleted).",
                                        "Put it back, or remove its clips from the timeline.")
                self._container = _open(self.path)
                self._container.streams.video[0].thread_type = "AUTO"  # only before the codec opens
                self._decoder = None
            ahead = target - self._position
            if self._decoder is None or ahead < -1e-6 or ahead > FORWARD_DECODE_SECONDS:
                stream = self._container.streams.video[0]
                offset = int(max(0.0, target) / float(stream.time_base))
                self._container.seek(offset, stream=stream, backward=True, any_frame=False)
                self._decoder = self._container.decode(stream)
                self._pending = None
                self._current = None
                self._position = -1.0
            best = self._current  # in a gap of a variable-rate file the last picture holds
            while True:
                if self._pending is not None:
                    frame, self._pending = self._pending, None
                else:
                    frame = next(self._decoder, None)
                if frame is None:
                    break
                t = float(frame.time) if frame.time is not None else self._position + 1.0 / self.info.fps
                if t > target + half:
                    self._pending = frame
                    break
                best = self._current = frame
                self._position = t
                if t >= target - half:
                    break
        except BadInputError:
            raise
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            self.close()
            raise BadInputError(f"{self.path.name}: frame {index} cannot be decoded ({_reason(exc)}); "
                                "the file may be damaged or truncated.") from None
        if best is None:
            if self._pending is not None:  # the first picture starts after the asked time: show it
                best, self._pending = self._pending, None
            else:
                raise BadInputError(f"{self.path.name}: frame {index} cannot be decoded; the file may be truncated.")
        return np.ascontiguousarray(best.to_ndarray(format="rgb24"))


def first_frame_size(path: str | Path) -> tuple[int, int]:
    """Decode the first frame of ``path``: (width, height); a clear error for anything unusable."""
    import av

    path = Path(path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise BadInputError(f"{path.name} has no video stream.")
            for frame in container.decode(container.streams.video[0]):
                return int(frame.width), int(frame.height)
    except BadInputError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, IndexError) as exc:
        raise BadInputError(f"{path.name} is not a video this program can read: {exc}.") from None
    raise BadInputError(f"{path.name} holds no video frames.")


@dataclass
class VideoFrames:
    """Frames decoded into memory (short clips: tests, the forensic report's samples)."""

    frames: list[np.ndarray]
    fps: float
    path: Path
    codec: str = ""
    truncated: bool = False


def read_video(path: str | Path, max_frames: int = 2000) -> VideoFrames:
    """Decode up to ``max_frames`` frames of a (short) video into memory."""
    source = VideoSource(path, cache_bytes=0)
    try:
        count = min(source.frame_count, max_frames)
        frames = list(source.frames(0, count))
    finally:
        source.close()
    return VideoFrames(frames, source.fps, Path(path), source.info.codec, truncated=source.frame_count > max_frames)
