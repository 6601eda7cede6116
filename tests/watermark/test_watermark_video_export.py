"""Video export: FrameMarker marks every frame cheaply, the mark survives H.264, the step wraps frames lazily."""

import threading
import types
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
from skimage.metrics import structural_similarity
from wm_helpers import PAYLOAD, load_rgb

from studio.document import Record
from studio.errors import BadInputError
from studio_plugins.watermark import embed
from studio_plugins.watermark.export_step import FORMATS, WatermarkRequiredError, export_step, run
from studio_plugins.watermark.keys import record_payload, studio_default_key
from studio_plugins.watermark.video import THREAD_NAME, FrameMarker, detect_frames, embed_frames, read_frames

SIZE = (640, 360)  # width, height: small, but a real video size (smaller clips lose the mark in H.264 inter frames)
N_FRAMES = 12


def moving_clip(n=N_FRAMES, size=SIZE, seed=0):
    """A slow pan over a photograph with fresh grain on every frame (natural-looking, moving)."""
    width, height = size
    photo = load_rgb("sample1.png")
    rng = np.random.default_rng(seed)
    for i in range(n):
        x, y = 200 + 3 * i, 150 + i
        grain = rng.normal(0, 1.5, (height, width, 3))
        yield np.clip(photo[y:y + height, x:x + width] + grain, 0, 255).round().astype(np.uint8)


@pytest.fixture(scope="module")
def clip():
    return list(moving_clip())


def encode_h264(frames, path, crf=20, preset="medium"):
    """MP4, H.264 yuv420p at the CRF Studio ships (20, preset medium)."""
    return encode(frames, path, "libx264", "yuv420p", {"crf": str(crf), "preset": preset})


def encode(frames, path, codec, pix_fmt, options=None):
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(24))
        stream.width, stream.height = SIZE
        stream.pix_fmt = pix_fmt
        stream.options = options or {}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def watermark_threads():
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_NAME)]


def job_for(frames, size=SIZE, **options):
    """A stand-in for the core's ExportJob of a clip (the fields the step reads and writes)."""
    job = types.SimpleNamespace(pixels=None, frames=frames, size=size, fps=24, format="MP4",
                                record=Record(action="test.export", title="A clip"), options=options,
                                performed=[], notices=[])
    job.option = lambda name, default=None: job.options.get(name, default)
    return job


@pytest.mark.parametrize("crf", [20, 23])
def test_a_marked_clip_is_found_after_h264_with_its_payload(clip, tmp_path, crf):
    marker = FrameMarker(SIZE, PAYLOAD)
    path = encode_h264(marker.mark_frames(clip), tmp_path / "marked.mp4", crf=crf)
    check = detect_frames(read_frames(path))
    assert check.frames_checked == N_FRAMES and check.share >= 0.75, check.summary()
    assert check.payload == PAYLOAD and check.best_log10_p < -20
    assert marker.frames_marked == N_FRAMES


@pytest.mark.parametrize(("codec", "pix_fmt", "suffix"), [("libvpx-vp9", "yuv420p", "webm"), ("gif", "rgb8", "gif")])
def test_the_mark_survives_webm_and_gif_too(clip, tmp_path, codec, pix_fmt, suffix):
    marked = FrameMarker(SIZE, PAYLOAD).mark_frames(clip)
    check = detect_frames(read_frames(encode(marked, tmp_path / f"marked.{suffix}", codec, pix_fmt)))
    assert check.frames_checked == N_FRAMES and check.share >= 0.75, check.summary()
    assert check.payload == PAYLOAD and check.best_log10_p < -20


def test_an_unmarked_clip_is_not_found(clip, tmp_path):
    check = detect_frames(read_frames(encode_h264(clip, tmp_path / "bare.mp4")))
    assert check.frames_checked == N_FRAMES and check.frames_marked == 0 and check.payload is None


def test_every_frame_keeps_the_quality_floor(clip):
    marker = FrameMarker(SIZE, PAYLOAD)
    marked = list(marker.mark_frames(clip))
    for original, frame in zip(clip, marked, strict=True):
        assert frame.shape == original.shape and frame.dtype == np.uint8
        assert embed.psnr(original, frame) >= 40.0
        ssim = structural_similarity(embed.luminance(original), embed.luminance(frame), data_range=255)
        assert ssim >= 0.98
    assert 40.0 <= marker.min_psnr < 60.0


@pytest.mark.parametrize("size", [(640, 360), (640, 512), (1280, 720)])  # below, at and above the working frame
def test_it_is_the_still_embedder_s_mark(clip, size):
    frame = cv2.resize(clip[0], size, interpolation=cv2.INTER_CUBIC)
    marked = FrameMarker(size, PAYLOAD).mark(frame).astype(np.float32) - frame
    still = embed.embed(frame, studio_default_key().secret, PAYLOAD).pixels.astype(np.float32) - frame
    assert np.corrcoef(marked.ravel(), still.ravel())[0, 1] > 0.95


def test_threaded_serial_and_embed_frames_agree(clip):
    threaded = list(FrameMarker(SIZE, PAYLOAD).mark_frames(clip))
    serial = list(FrameMarker(SIZE, PAYLOAD).mark_frames(clip, threaded=False))
    plain = list(embed_frames(clip, PAYLOAD))
    for a, b, c in zip(threaded, serial, plain, strict=True):
        assert np.array_equal(a, b) and np.array_equal(a, c)


def test_alpha_is_copied_and_frames_are_checked(clip):
    marker = FrameMarker(SIZE, PAYLOAD)
    alpha = np.linspace(0, 255, SIZE[0], dtype=np.uint8)[None].repeat(SIZE[1], 0)
    rgba = np.dstack([clip[0], alpha])
    marked = marker.mark(rgba)
    assert np.array_equal(marked[..., 3], alpha)
    assert np.array_equal(marked[..., :3], marker.mark(clip[0]))
    with pytest.raises(BadInputError, match="clip of 640×360"):
        marker.mark(clip[0][:200])
    with pytest.raises(BadInputError, match="uint8"):
        marker.mark(clip[0].astype(np.float32))
    with pytest.raises(embed.TooSmallError, match="clip's frames are 60×200 pixels"):
        FrameMarker((60, 200), PAYLOAD)


def test_closing_the_marked_frames_stops_the_thread_and_closes_the_source(clip):
    closed = threading.Event()

    def endless():
        try:
            while True:
                yield from clip
        finally:
            closed.set()

    marked = FrameMarker(SIZE, PAYLOAD).mark_frames(endless())
    assert not watermark_threads()  # nothing starts before the first frame is asked for
    for _ in range(3):
        next(marked)
    assert watermark_threads()
    marked.close()
    assert not watermark_threads() and closed.is_set()


def test_errors_on_either_side_stop_the_thread(clip):
    def broken():
        yield from clip[:4]
        raise OSError("the decoder broke")

    with pytest.raises(OSError, match="decoder broke"):
        list(FrameMarker(SIZE, PAYLOAD).mark_frames(broken()))
    assert not watermark_threads()
    with pytest.raises(BadInputError, match="A frame of"):
        list(FrameMarker(SIZE, PAYLOAD).mark_frames([*clip[:3], clip[3][:100], *clip[4:]]))
    assert not watermark_threads()


def test_the_step_declares_the_video_formats():
    step = export_step()
    assert step.formats == FORMATS and {"MP4", "WEBM", "GIF", "PNG", "JPEG"} <= set(step.formats)
    assert step.stage == "pixels"


def test_the_step_wraps_the_frames_lazily(clip):
    pulled = []

    def source():
        for i, frame in enumerate(clip):
            if i == 5:
                raise RuntimeError("read too far")
            pulled.append(i)
            yield frame

    job = job_for(source(), watermark_payload=PAYLOAD.hex())
    run(job, object())  # the per-plugin context the pipeline will pass
    assert pulled == [] and not watermark_threads()
    entry = job.performed[-1]
    assert entry["c2pa_action"] == "c2pa.watermarked" and entry["frames"] == "every frame"
    assert entry["payload"] == PAYLOAD.hex() and entry["key"] == "studio-default" and entry["psnr_db"] is None
    first = next(job.frames)
    assert len(pulled) <= 3  # the first frame and at most two marked ahead of it
    assert embed.psnr(clip[0], first) >= 40
    with pytest.raises(RuntimeError, match="read too far"):
        list(job.frames)
    assert not watermark_threads()


def test_the_step_records_what_it_did_as_the_frames_flow(clip, tmp_path):
    job = job_for(iter(clip))
    run(job)
    path = encode_h264(job.frames, tmp_path / "export.mp4")
    entry = job.performed[-1]
    assert entry["payload"] == record_payload(job.record.to_dict()).hex()  # linked to the record, as stills
    assert entry["frames_marked"] == N_FRAMES and entry["psnr_db"] >= 40
    assert detect_frames(read_frames(path)).payload.hex() == entry["payload"]


def test_the_step_takes_the_size_from_the_first_frame_when_the_job_does_not_say(clip):
    job = job_for(iter(clip), size=None, watermark_payload=PAYLOAD.hex())
    run(job)
    assert job.performed == []
    marked = list(job.frames)
    assert len(marked) == N_FRAMES and job.performed[-1]["frames_marked"] == N_FRAMES
    assert detect_frames(marked[:2]).payload == PAYLOAD


def test_a_clip_too_small_to_mark_goes_on_unmarked_or_refuses():
    frames = iter([np.zeros((50, 70, 3), np.uint8)])
    job = job_for(frames, size=(70, 50))
    run(job)
    assert job.frames is frames and job.performed == []
    assert any("not added" in n and "clip's frames are 70×50" in n and "at least 64 pixels" in n
               for n in job.notices)
    with pytest.raises(WatermarkRequiredError, match="Cannot add the invisible watermark"):
        run(job_for(iter([]), size=(70, 50), watermark_required=True))
    lazy = job_for(iter([np.zeros((50, 70, 3), np.uint8)] * 2), size=None)
    run(lazy)
    assert len(list(lazy.frames)) == 2 and any("not added" in n for n in lazy.notices)


def test_a_still_job_is_marked_as_before(photo):
    job = job_for(None, watermark_payload=PAYLOAD.hex())
    job.pixels, job.format = photo, "PNG"
    run(job)
    assert job.performed[-1]["psnr_db"] >= 40 and "frames" not in job.performed[-1]
    assert job.frames is None and not np.array_equal(job.pixels, photo)
