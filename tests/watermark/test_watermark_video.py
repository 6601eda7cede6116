"""Video: every frame carries the mark; the share of marked frames survives an H.264 re-encode."""

import json
import subprocess
import sys
from fractions import Fraction

import av
import pytest
from helpers import MEDIA, cli_env
from wm_helpers import PAYLOAD

from studio_plugins.watermark.video import detect_frames, embed_frames, read_frames


@pytest.fixture(scope="module")
def frames():
    return list(read_frames(MEDIA / "legacy.mp4", max_frames=6))


def encode_h264(frames, path, crf=23):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(30))
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_frames_of_a_real_video_are_marked_and_found_after_h264(frames, tmp_path):
    assert len(frames) == 6 and frames[0].shape == (1280, 720, 3)
    marked = list(embed_frames(frames, PAYLOAD))
    path = tmp_path / "marked.mp4"
    encode_h264(marked, path)
    check = detect_frames(read_frames(path))
    assert check.frames_checked == 6 and check.share >= 5 / 6
    assert check.payload == PAYLOAD and check.best_log10_p < -6


def test_unmarked_video_has_no_marked_frames(frames):
    check = detect_frames(frames)
    assert check.frames_checked == 6 and check.frames_marked == 0 and check.payload is None


def test_cli_reports_the_share_of_frames(frames, tmp_path):
    path = tmp_path / "marked.mp4"
    encode_h264(list(embed_frames(frames[:4], PAYLOAD)), path)
    result = subprocess.run([sys.executable, "-m", "studio.cli", "watermark", "detect", str(path), "--json"],
                            capture_output=True, text=True, env=cli_env(), timeout=120)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["frames_checked"] == 4 and data["share_marked"] >= 0.75 and data["payload"] == PAYLOAD.hex()


def test_a_file_that_is_not_a_video(tmp_path):
    from studio.errors import BadInputError

    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"\x00" * 1000)
    with pytest.raises(BadInputError, match="not a video"):
        list(read_frames(fake))
