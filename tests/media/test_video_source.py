"""Video files: probing, frames decoded on demand within a bounded cache, and every bad file told clearly."""

from fractions import Fraction

import numpy as np
import pytest
from helpers import MEDIA, frame_number, stamp, write_test_video

from studio.errors import BadInputError
from studio.video import VideoSource, probe


def test_probe_says_what_the_file_holds(tmp_path):
    path = write_test_video(tmp_path / "v.mp4", frames=30, fps=24, audio=True)
    info = probe(path)
    assert (info.frames, info.width, info.height, info.codec, info.audio) == (30, 320, 256, "h264", "aac")
    assert info.fps == 24 and info.duration == pytest.approx(1.25, abs=0.05) and not info.variable_frame_rate
    legacy = probe(MEDIA / "legacy.mp4")
    assert (legacy.frames, legacy.fps, legacy.width, legacy.height) == (60, 30, 720, 1280)


def test_random_access_decodes_the_asked_frame(tmp_path):
    path = write_test_video(tmp_path / "v.mp4", frames=40, keyint=10)
    source = VideoSource(path)
    order = [0, 39, 5, 17, 18, 19, 2, 33, 33]
    assert [frame_number(source.frame(i)) for i in order] == order
    assert [frame_number(f) for f in source.frames(10, 16)] == list(range(10, 16))
    assert source.frame(999) is not None and frame_number(source.frame(999)) == 39  # clamped to the last


def test_the_cache_stays_within_its_bound(tmp_path):
    path = write_test_video(tmp_path / "v.mp4", frames=40)
    frame_bytes = 320 * 256 * 3
    source = VideoSource(path, cache_bytes=5 * frame_bytes)
    for i in range(40):
        source.frame(i)
    assert source.cached_bytes <= 5 * frame_bytes and source.cached_bytes == 5 * frame_bytes
    hit = source.frame(39)
    assert source.frame(39) is hit  # a cached frame is not decoded again


def test_variable_frame_rate_is_read_by_timestamps(tmp_path):
    import av

    path = tmp_path / "vfr.mkv"
    out = av.open(str(path), mode="w")
    stream = out.add_stream("libx264", rate=25)
    stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
    stream.time_base = Fraction(1, 1000)
    # frames shown at 0, 40, 80, 200, 240 ms: a gap, as a phone's variable-rate recording has
    for n, ms in enumerate([0, 40, 80, 200, 240]):
        img = np.zeros((64, 64, 3), np.uint8)
        stamp(img, n)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = ms, Fraction(1, 1000)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    source = VideoSource(path)
    fps = source.fps
    times = [0.0, 0.04, 0.08, 0.2, 0.24]
    assert source.frame_count >= 5
    # whatever rate the file reports, frame i is the picture on screen at i / fps seconds (to half a frame)
    for i in range(int(0.24 * fps) + 1):
        expected = max(n for n, t in enumerate(times) if t <= (i + 0.5) / fps)
        assert frame_number(source.frame(i)) == expected, (i, fps)
    assert frame_number(source.frame(int(0.15 * fps))) == 2  # inside the gap the last picture holds


@pytest.mark.parametrize("case", ["empty", "text", "truncated", "audio-only", "folder", "missing"])
def test_bad_files_get_one_clear_message(tmp_path, case):
    import av

    path = tmp_path / "bad.mp4"
    if case == "empty":
        path.write_bytes(b"")
    elif case == "text":
        path.write_text("not a video at all")
    elif case == "truncated":
        good = write_test_video(tmp_path / "good.mp4", frames=30)
        path.write_bytes(good.read_bytes()[:2000])
    elif case == "audio-only":
        path = tmp_path / "sound.m4a"
        out = av.open(str(path), mode="w", format="mp4")
        stream = out.add_stream("aac", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 48000, 0
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
        out.close()
    elif case == "folder":
        path = tmp_path / "folder.mp4"
        path.mkdir()
    elif case == "missing":
        path = tmp_path / "nowhere.mp4"
    with pytest.raises(BadInputError) as info:
        probe(path)
    message = str(info.value)
    assert "Traceback" not in message and len(message.splitlines()) <= 2
    expected = {"empty": "empty", "text": "not a video", "truncated": "", "audio-only": "no video stream",
                "folder": "folder", "missing": "does not exist"}[case]
    assert expected in message


def test_a_truncated_video_opens_and_its_lost_frames_fail_clearly(tmp_path):
    good = write_test_video(tmp_path / "good.mp4", frames=60, container="matroska")
    data = good.read_bytes()
    path = tmp_path / "cut.mkv"
    path.write_bytes(data[: len(data) * 2 // 3])
    try:
        source = VideoSource(path)
    except BadInputError:
        return  # refused up front, clearly: also fine
    assert frame_number(source.frame(0)) == 0
    try:
        last = source.frame(source.frame_count - 1)  # the last frames are gone: the last one left is shown
        assert last is not None
    except BadInputError as exc:
        assert "damaged or truncated" in str(exc) or "cannot be decoded" in str(exc)


def test_an_8k_video_is_refused_with_advice(tmp_path):
    path = write_test_video(tmp_path / "8k.mp4", frames=1, size=(7680, 4320))
    with pytest.raises(BadInputError, match="up to 4096"):
        probe(path)


def test_an_unknown_codec_is_named_with_advice(tmp_path):
    good = write_test_video(tmp_path / "good.avi", frames=3, codec="mpeg4", container="avi")
    bad = tmp_path / "odd.avi"
    bad.write_bytes(good.read_bytes().replace(b"FMP4", b"ZQZQ"))  # a codec tag nobody decodes
    with pytest.raises(BadInputError, match="cannot decode") as info:
        probe(bad)
    assert "H.264" in info.value.hint
