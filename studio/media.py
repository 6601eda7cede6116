"""Frames in motion: a clip as an action's input, a timeline range as frames, and encoding them (PyAV).

Frames always stream: a range of a ten-minute video is decoded, marked and encoded one frame at a
time, never held whole in memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first

from studio.document.clips import Clip, VideoClip
from studio.document.provenance import Ingredient, Record
from studio.document.timeline import Timeline
from studio.errors import BadInputError, Cancelled

MP4_CRF = 20  # near visually lossless H.264 masters: the picture and the watermark survive platforms' re-encodes
MP4_PRESET = "medium"  # x264's balanced default
WEBM_CRF = 30
# WebM frames smaller than this on the shorter side are encoded losslessly: VP9 at any usual quality wipes the
# invisible watermark off small, flat frames (the built-in models' 64×64 clips: 0-47 of 64 frames kept it at CRF
# 20-30, all 64 lossless), and such clips stay small (about 4 KB a frame at 64×64)
WEBM_LOSSLESS_BELOW = 256


@dataclass
class AudioSegment:
    """Sound from ``path`` between ``begin`` and ``begin + duration`` seconds, placed at ``at`` seconds."""

    path: Path
    begin: float
    duration: float
    at: float = 0.0


@dataclass
class ClipInput:
    """Frames an action reads (a ``clip`` parameter) or an export writes: streamed, with their rate.

    ``read()`` yields RGB frames (H×W×3 uint8) in order, one pass per call. ``start`` is the timeline
    frame of the first one (boxes or scores found in it go there).
    """

    name: str
    fps: float
    count: int
    size: tuple[int, int]
    read: Callable[[], Iterator[np.ndarray]]
    record: Record | None = None
    start: int = 0
    audio: list[AudioSegment] = field(default_factory=list)
    sources: list[Ingredient] = field(default_factory=list)

    def frames(self) -> Iterator[np.ndarray]:
        return self.read()

    @property
    def duration(self) -> float:
        return self.count / self.fps

    @classmethod
    def from_frames(cls, frames: list[np.ndarray], fps: float, name: str = "Clip",
                    record: Record | None = None) -> ClipInput:
        if not frames:
            raise BadInputError("The clip has no frames.")
        first = frames[0]
        return cls(name, float(fps), len(frames), (int(first.shape[1]), int(first.shape[0])),
                   lambda: (np.ascontiguousarray(f[..., :3]) for f in frames), record)

    @classmethod
    def from_file(cls, path: str | Path, start: float | None = None, end: float | None = None,
                  sha256: str | None = None) -> ClipInput:
        """Frames of a video file between ``start`` and ``end`` seconds (the whole file by default)."""
        from studio.imageio import sha256_file
        from studio.video import VideoSource

        path = Path(path)
        source = VideoSource(path, cache_bytes=0)
        info = source.info
        first, stop = seconds_to_range(start, end, info.fps, info.frames, info.duration)
        digest = sha256 or sha256_file(path)
        record = Record.opened(str(path), digest)
        audio = [AudioSegment(path, first / info.fps, (stop - first) / info.fps)] if info.audio else []
        ingredient = Ingredient(title=path.name, relationship="parentOf", path=str(path), sha256=digest)

        def read() -> Iterator[np.ndarray]:
            try:
                yield from source.frames(first, stop)
            finally:
                source.close()

        return cls(path.name, info.fps, stop - first, (info.width, info.height), read, record, 0, audio, [ingredient])

    @classmethod
    def from_timeline(cls, timeline: Timeline, start: int = 0, end: int | None = None,
                      name: str = "Timeline") -> ClipInput:
        """The timeline's picture from frame ``start`` to ``end - 1`` (the topmost video track at each frame)."""
        end = timeline.duration if end is None else end
        if timeline.duration == 0:
            raise BadInputError("The timeline is empty: there is nothing to export.")
        if start < 0 or end <= start:
            raise BadInputError(f"The range {start}–{end} holds no frames; the end must come after the start.")
        end = min(end, timeline.duration)
        if start >= end:
            raise BadInputError(f"The range starts at frame {start}, after the timeline's end ({timeline.duration}).")
        clips = _clips_in(timeline, start, end)
        if not clips:
            raise BadInputError(f"Frames {start}–{end - 1} hold no picture.")
        size = _largest(clips)
        fps = timeline.fps

        def read() -> Iterator[np.ndarray]:
            black = np.zeros((size[1], size[0], 3), np.uint8)
            for frame in range(start, end):
                clip = timeline.video_clip_at(frame)
                pixels = None if clip is None else clip.frame_at(frame, fps)
                if pixels is None:
                    yield black
                    continue
                pixels = np.ascontiguousarray(pixels[..., :3])
                yield pixels if (pixels.shape[1], pixels.shape[0]) == size else _fit(pixels, size)

        record = _timeline_record(clips, start, end)
        return cls(name, fps, end - start, size, read, record, start, _audio_of(timeline, start, end),
                   list(record.ingredients))


def seconds_to_range(start: float | None, end: float | None, fps: float, frames: int,
                     duration: float) -> tuple[int, int]:
    """Frame indices [first, stop) for a range in seconds, with clear errors for ranges that hold nothing."""
    s = 0.0 if start is None else float(start)
    e = duration if end is None else float(end)
    if not (np.isfinite(s) and np.isfinite(e)):
        raise BadInputError("The start and end must be numbers of seconds.")
    if s < 0:
        raise BadInputError(f"The start ({s:g} s) cannot be negative.")
    if s >= duration:
        raise BadInputError(f"The start ({s:g} s) is after the end of the video ({duration:.2f} s).")
    if e <= s:
        raise BadInputError(f"The end ({e:g} s) must come after the start ({s:g} s): the range holds no frames.")
    first = int(round(s * fps))
    stop = min(frames, max(first + 1, int(round(min(e, duration) * fps))))
    return first, stop


def _clips_in(timeline: Timeline, start: int, end: int) -> list[Clip]:
    seen: list[Clip] = []
    for frame in range(start, end):
        clip = timeline.video_clip_at(frame)
        if clip is not None and clip not in seen:
            seen.append(clip)
    return seen


def _largest(clips: list[Clip]) -> tuple[int, int]:
    width = height = 0
    for clip in clips:
        pixels = clip.source_frame(clip.in_point)
        if pixels is not None:
            width, height = max(width, int(pixels.shape[1])), max(height, int(pixels.shape[0]))
    if not width:
        raise BadInputError("None of the clips in the range has a picture (is a video file missing?).")
    return width, height


def _fit(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``pixels`` letterboxed into ``size`` (width, height), keeping its aspect."""
    import cv2

    width, height = size
    h, w = pixels.shape[:2]
    scale = min(width / w, height / h)
    nw, nh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    resized = cv2.resize(pixels, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    out = np.zeros((height, width, 3), np.uint8)
    y, x = (height - nh) // 2, (width - nw) // 2
    out[y:y + nh, x:x + nw] = resized
    return out


def _timeline_record(clips: list[Clip], start: int, end: int) -> Record:
    if len(clips) == 1 and clips[0].record is not None and not isinstance(clips[0], VideoClip):
        only = clips[0].record
        return Record(**{**vars(only), "ingredients": list(only.ingredients)})
    ingredients = []
    for clip in clips:
        path = clip.path if isinstance(clip, VideoClip) else None
        sha = clip.source.sha256 if isinstance(clip, VideoClip) and clip.source is not None else None
        ingredients.append(Ingredient(title=clip.name, relationship="parentOf" if len(clips) == 1 else "componentOf",
                                      path=str(path) if path else None, sha256=sha, record=clip.record))
    generated = any(_generated(c.record) for c in clips)
    return Record(action="timeline.export", title="Timeline", c2pa_action="c2pa.edited",
                  params={"start": start, "end": end},
                  digital_source="compositeWithTrainedAlgorithmicMedia" if generated else None,
                  ingredients=ingredients)


def _generated(record: Record | None) -> bool:
    if record is None:
        return False
    return record.is_generated or (record.digital_source or "").endswith("TrainedAlgorithmicMedia") or any(
        _generated(i.record) for i in record.ingredients)


def _audio_of(timeline: Timeline, start: int, end: int) -> list[AudioSegment]:
    """The sound of the video clips shown in the range, each where its pictures are."""
    segments: list[AudioSegment] = []
    fps = timeline.fps
    for clip in _clips_in(timeline, start, end):
        if not isinstance(clip, VideoClip) or clip.source is None or not clip.source.info.audio or clip.missing:
            continue
        first = max(start, clip.start)
        last = min(end, clip.end(fps))
        index = clip.source_index(first, fps)
        if index is None or last <= first:
            continue
        segments.append(AudioSegment(clip.source.path, index / clip.source.fps, (last - first) / fps,
                                     (first - start) / fps))
    return segments


# -- encoding ------------------------------------------------------------------------------

def even(size: tuple[int, int]) -> tuple[int, int]:
    """H.264 and VP9 in 4:2:0 need even sides."""
    return size[0] - size[0] % 2, size[1] - size[1] % 2


def encode_video(frames: Iterable[np.ndarray], path: Path, fmt: str, fps: float, size: tuple[int, int],
                 record: Record, audio: list[AudioSegment] | None = None, count: int = 0,
                 on_frame: Callable[[int], None] | None = None) -> None:
    """Encode ``frames`` into ``path`` as MP4 (H.264, yuv420p), WebM (VP9) or an animated GIF.

    ``on_frame(n)`` is called after each frame (progress; it may raise Cancelled).
    """
    if fmt == "GIF":
        _encode_gif(frames, path, fps, on_frame)
        return
    from fractions import Fraction

    import av

    width, height = even(size)
    if width < 2 or height < 2:
        raise BadInputError(f"A {size[0]}×{size[1]} picture is too small for a video.")
    rate = Fraction(fps).limit_denominator(1001)
    container = av.open(str(path), mode="w", format="mp4" if fmt == "MP4" else "webm")
    try:
        container.metadata["comment"] = json.dumps(record.to_dict(), separators=(",", ":"))
        if fmt == "MP4":
            stream = container.add_stream("libx264", rate=rate)
            stream.options = {"crf": str(MP4_CRF), "preset": MP4_PRESET}
        else:
            stream = container.add_stream("libvpx-vp9", rate=rate)
            quality = ({"lossless": "1"} if min(width, height) < WEBM_LOSSLESS_BELOW
                       else {"crf": str(WEBM_CRF), "b": "0"})
            stream.options = {**quality, "deadline": "realtime", "cpu-used": "8", "row-mt": "1"}
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.thread_type = "AUTO"
        # the sound is encoded lazily alongside the pictures, interleaved by time
        sound = _audio_packets(container, audio, "aac" if fmt == "MP4" else "libopus") if audio else iter(())
        pending: list[Any] = []

        def mux_sound_until(seconds: float) -> None:
            while True:
                if not pending:
                    packet = next(sound, None)
                    if packet is None:
                        return
                    pending.append(packet)
                packet = pending[0]
                if packet.pts is not None and float(packet.pts * packet.time_base) > seconds:
                    return
                container.mux(pending.pop(0))

        n = 0
        for pixels in frames:
            rgb = np.ascontiguousarray(pixels[:height, :width, :3])
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = n
            frame.time_base = Fraction(1) / rate
            for packet in stream.encode(frame):
                container.mux(packet)
            n += 1
            if audio:
                mux_sound_until(n / fps)
            if on_frame is not None:
                on_frame(n)
        if n == 0:
            raise BadInputError("There were no frames to encode.")
        for packet in stream.encode():
            container.mux(packet)
        if audio:
            mux_sound_until(n / fps)
            sound.close()  # type: ignore[attr-defined]
    finally:
        container.close()


def _audio_packets(container: Any, segments: list[AudioSegment], codec: str) -> Iterator[Any]:
    """Encoded sound packets of ``segments`` (decoded, resampled to 48 kHz stereo), lazily, in time order."""
    from fractions import Fraction

    import av

    rate = 48000
    stream = container.add_stream(codec, rate=rate)
    stream.layout = "stereo"
    resampler = av.AudioResampler(format="fltp" if codec == "aac" else "flt", layout="stereo", rate=rate)
    fifo = av.AudioFifo()
    frame_size = 0
    pts = 0

    def drain(final: bool = False) -> Iterator[Any]:
        nonlocal pts, frame_size
        frame_size = frame_size or stream.codec_context.frame_size or 960
        while fifo.samples >= frame_size or (final and fifo.samples > 0):
            chunk = fifo.read(min(frame_size, fifo.samples))
            if chunk is None:
                break
            chunk.pts = pts
            chunk.time_base = Fraction(1, rate)
            pts += chunk.samples
            yield from stream.encode(chunk)

    written = 0
    for seg in segments:
        silence = int(round(seg.at * rate)) - written
        if silence > 0:
            _push_silence(fifo, silence, rate, resampler)
            written += silence
        wanted = int(round(seg.duration * rate))
        got = 0
        try:
            with av.open(str(seg.path)) as src:
                if not src.streams.audio:
                    continue
                astream = src.streams.audio[0]
                if seg.begin > 0:
                    src.seek(int(seg.begin / float(astream.time_base or Fraction(1, rate))), stream=astream,
                             backward=True)
                for frame in src.decode(astream):
                    t = float(frame.time or 0.0)
                    frame.pts = None  # the resampler keeps its own clock
                    for out in resampler.resample(frame):
                        arr = out.to_ndarray()
                        planar = out.format.is_planar
                        width = arr.shape[1] if planar else arr.shape[1] // 2
                        skip = min(width, max(0, int(round((seg.begin - t) * rate)))) if t < seg.begin else 0
                        take = min(width - skip, wanted - got)
                        if take <= 0:
                            continue
                        part = arr[:, skip:skip + take] if planar else arr[:, skip * 2:(skip + take) * 2]
                        piece = av.AudioFrame.from_ndarray(np.ascontiguousarray(part, np.float32),
                                                           format=out.format.name,
                                                           layout="stereo")
                        piece.sample_rate = rate
                        fifo.write(piece)
                        got += take
                    yield from drain()
                    if got >= wanted:
                        break
        except av.error.FFmpegError:
            pass  # the pictures are what matter; a damaged sound track is left out
        written += got
    yield from drain(final=True)
    yield from stream.encode()


def _push_silence(fifo: Any, samples: int, rate: int, resampler: Any) -> None:
    import av

    planar = resampler.format.is_planar
    arr = np.zeros((2, samples) if planar else (1, samples * 2), np.float32)
    frame = av.AudioFrame.from_ndarray(arr, format=resampler.format.name, layout="stereo")
    frame.sample_rate = rate
    frame.pts = None
    fifo.write(frame)


def _encode_gif(frames: Iterable[np.ndarray], path: Path, fps: float, on_frame: Callable[[int], None] | None) -> None:
    """An animated GIF (adaptive palette per frame, looping), with Pillow."""
    from PIL import Image

    def pictures() -> Iterator[Any]:
        for n, pixels in enumerate(frames, 1):
            picture = Image.fromarray(np.ascontiguousarray(pixels[..., :3]))
            yield picture.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
            if on_frame is not None:
                on_frame(n)

    sequence = pictures()
    first = next(sequence, None)
    if first is None:
        raise BadInputError("There were no frames to encode.")
    first.save(path, format="GIF", save_all=True, append_images=sequence, duration=max(20, int(round(1000 / fps))),
               loop=0, optimize=False, disposal=1)


def check_cancel(cancel: Any) -> Callable[[int], None]:
    def on_frame(_n: int) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled()

    return on_frame
