"""Reading video files into frames with PyAV (imported lazily)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.errors import BadInputError

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi")
MAX_FRAMES = 2000


@dataclass
class VideoFrames:
    frames: list[np.ndarray]  # H×W×3 RGB uint8
    fps: float
    path: Path
    codec: str = ""
    keyframes: list[int] = field(default_factory=list)
    truncated: bool = False


def read_video(path: str | Path, max_frames: int = MAX_FRAMES, max_side: int = 0) -> VideoFrames:
    """Decode up to ``max_frames`` frames (downscaled to ``max_side`` if given); clear errors for bad files."""
    import av

    from studio.imageio import check_file

    path = Path(path)
    check_file(path, "a video")
    frames: list[np.ndarray] = []
    keyframes: list[int] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise BadInputError(f"{path.name} has no video stream.")
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 24)
            codec = stream.codec_context.name
            for frame in container.decode(stream):
                if len(frames) >= max_frames:
                    return VideoFrames(frames, fps, path, codec, keyframes, truncated=True)
                if frame.key_frame:
                    keyframes.append(len(frames))
                if max_side and max(frame.width, frame.height) > max_side:
                    scale = max_side / max(frame.width, frame.height)
                    frame = frame.reformat(width=max(2, round(frame.width * scale)),
                                           height=max(2, round(frame.height * scale)))
                frames.append(frame.to_ndarray(format="rgb24"))
    except BadInputError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, IndexError) as exc:
        if frames:
            return VideoFrames(frames, 24.0, path, "", keyframes, truncated=True)
        raise BadInputError(f"{path.name} is not a video this program can read: {exc}.") from None
    if not frames:
        raise BadInputError(f"{path.name} holds no video frames.")
    return VideoFrames(frames, fps, path, codec, keyframes)
