"""Clips through the one export pipeline: MP4, WebM, GIF and PNG sequences; sound kept; atomic; cancel."""

import json
import threading

import numpy as np
import pytest
from helpers import MEDIA, frame_number, stamp, write_test_video

from studio.cli import main
from studio.document import Document, FramesClip, Record, StillClip, VideoClip
from studio.errors import BadInputError, Cancelled
from studio.media import ClipInput
from studio.video import VideoSource, probe


def frames_clip(n: int = 12, size=(320, 256)) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    base = rng.integers(40, 200, (size[1], size[0], 3), np.uint8)
    out = []
    for i in range(n):
        img = base.copy()
        stamp(img, i)
        out.append(img)
    return out


def generated_record() -> Record:
    return Record(action="video.generate", title="clip", c2pa_action="c2pa.created",
                  digital_source="trainedAlgorithmicMedia", params={"prompt": "a red circle"})


def verify(path, capsys) -> dict:
    assert main(["verify", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_clip_exports_to_mp4_that_browsers_play_and_that_is_signed(make_app, tmp_path, capsys):
    app = make_app()
    clip = ClipInput.from_frames(frames_clip(), 8, "gen", generated_record())
    report = app.export.export_clip(clip, tmp_path / "gen.mp4")
    info = probe(report.path)
    assert (info.codec, info.width, info.height, info.frames, info.fps) == ("h264", 320, 256, 12, 8)
    import av

    with av.open(str(report.path)) as c:
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p"
    source = VideoSource(report.path)
    assert [frame_number(source.frame(i)) for i in range(12)] == list(range(12))
    result = verify(report.path, capsys)
    assert result["state"] in ("valid", "trusted") and result["ai_tool_used"] is True
    assert report.format == "MP4" and report.frames == 12 and "Content Credentials" in report.steps


def test_webm_gif_and_png_sequences(make_app, tmp_path, capsys):
    app = make_app()
    clip = ClipInput.from_frames(frames_clip(6), 6, "gen", generated_record())
    webm = app.export.export_clip(clip, tmp_path / "gen.webm")
    assert probe(webm.path).codec == "vp9" and probe(webm.path).frames == 6
    assert "WebM video (VP9) files cannot carry Content Credentials: this file is not signed." in webm.notices
    assert main(["verify", str(webm.path)]) == 1
    assert "a format that cannot carry Content Credentials" in capsys.readouterr().err

    gif = app.export.export_clip(clip, tmp_path / "gen.gif")
    from PIL import Image

    with Image.open(gif.path) as im:
        assert im.n_frames == 6 and 160 <= im.info.get("duration") <= 170  # GIF counts in 1/100 s
    assert verify(gif.path, capsys)["state"] in ("valid", "trusted")

    seq = app.export.export_clip(clip, tmp_path / "frames")
    files = sorted((tmp_path / "frames").iterdir())
    assert [f.name for f in files] == [f"frame_{n:04d}.png" for n in range(6)] and seq.frames == 6
    assert verify(files[3], capsys)["state"] in ("valid", "trusted")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_a_video_range_keeps_its_sound(make_app, tmp_path):
    app = make_app()
    src = write_test_video(tmp_path / "talk.mp4", frames=48, fps=24, audio=True)
    clip = ClipInput.from_file(src, 0.5, 1.5)
    assert clip.count == 24 and clip.audio
    mp4 = app.export.export_clip(clip, tmp_path / "cut.mp4")
    info = probe(mp4.path)
    assert info.audio == "aac" and info.frames == 24
    assert frame_number(VideoSource(mp4.path).frame(0)) == 12
    import av

    with av.open(str(mp4.path)) as c:
        seconds = sum(f.samples for f in c.decode(c.streams.audio[0])) / 48000
    assert seconds == pytest.approx(1.0, abs=0.05)
    webm = app.export.export_clip(ClipInput.from_file(src, 0, 1), tmp_path / "cut.webm")
    assert probe(webm.path).audio == "opus"
    gif = app.export.export_clip(ClipInput.from_file(src, 0, 0.5), tmp_path / "cut.gif")
    assert any("carries no sound" in n for n in gif.notices)


def test_a_timeline_range_is_exported_as_shown(make_app, tmp_path):
    app = make_app()
    src = write_test_video(tmp_path / "v.mp4", frames=30)
    doc = Document()
    doc.timeline.fps = 24
    video = VideoClip(name="v", source=VideoSource(src), record=Record.opened(str(src)))
    doc.add_clip(video)
    doc.trim_clip(video, in_point=10, out_point=20)
    doc.move_clip(video, 0)
    doc.add_clip(StillClip(name="card", image=np.full((256, 320, 3), 252, np.uint8), duration=4, start=-1))
    clip = ClipInput.from_timeline(doc.timeline, 5, 13)
    report = app.export.export_clip(clip, tmp_path / "range.mp4")
    source = VideoSource(report.path)
    assert [frame_number(source.frame(i)) for i in range(5)] == [15, 16, 17, 18, 19]
    assert all(source.frame(i)[50, 50, 0] > 240 for i in range(5, 8))
    assert clip.record is not None and [i.title for i in clip.record.ingredients] == ["v", "card"]
    with pytest.raises(BadInputError, match="after"):
        ClipInput.from_timeline(doc.timeline, 8, 8)
    with pytest.raises(BadInputError, match="after the timeline"):
        ClipInput.from_timeline(doc.timeline, 40, 50)


def test_a_cancelled_export_leaves_nothing(make_app, tmp_path):
    app = make_app()
    cancel = threading.Event()
    seen = []

    def progress(done, total, message):
        seen.append(done)
        if done == 5:
            cancel.set()

    dest = tmp_path / "out.mp4"
    clip = ClipInput.from_frames(frames_clip(30), 8, "gen", generated_record())
    with pytest.raises(Cancelled):
        app.export.export_clip(clip, dest, cancel=cancel, progress=progress)
    assert not dest.exists() and list(tmp_path.iterdir()) == [] and 5 in seen
    old = tmp_path / "frames"
    old.mkdir()
    (old / "keep.txt").write_text("the previous export")
    cancel.clear()
    seen.clear()
    with pytest.raises(Cancelled):
        app.export.export_clip(clip, old, cancel=cancel, progress=progress)
    assert [p.name for p in tmp_path.iterdir()] == ["frames"] and (old / "keep.txt").exists()


def test_clip_exports_refuse_what_cannot_be_done(make_app, tmp_path):
    app = make_app()
    clip = ClipInput.from_frames(frames_clip(3), 8)
    with pytest.raises(BadInputError, match="cannot be exported as one PNG"):
        app.export.export_clip(clip, tmp_path / "x.png")
    with pytest.raises(BadInputError, match="unknown extension"):
        app.export.export_clip(clip, tmp_path / "x.avi2")
    with pytest.raises(BadInputError, match="still picture cannot be exported"):
        app.export.export_image(frames_clip(1)[0], tmp_path / "x.mp4", Record(action="t"))
    assert list(tmp_path.iterdir()) == []


def test_odd_sizes_are_trimmed_to_even_with_a_notice(make_app, tmp_path):
    app = make_app()
    report = app.export.export_clip(ClipInput.from_frames(frames_clip(3, (321, 255)), 8), tmp_path / "odd.mp4")
    assert (probe(report.path).width, probe(report.path).height) == (320, 254)
    assert any("even" in n for n in report.notices)


def test_generated_frames_clip_round_trip_through_the_document(make_app, tmp_path):
    from studio.document.apply import apply_result
    from studio.results import ActionResult, OutputClip

    doc = Document()
    applied = apply_result(doc, ActionResult(clips=[OutputClip(frames_clip(8), fps=12, name="gen",
                                                               record=generated_record())]))
    clip = applied.clips[0]
    assert isinstance(clip, FramesClip) and doc.timeline.fps == 12 and doc.timeline.duration == 8
    assert doc.results and doc.results[0].record.is_generated
    doc.undo()
    assert doc.timeline.duration == 0
    with pytest.raises(ValueError):
        OutputClip([], fps=8)
    with pytest.raises(ValueError):
        OutputClip(frames_clip(2), fps=0)


def test_legacy_sample_exports_with_its_credentials_as_ingredient(make_app, tmp_path, capsys):
    app = make_app()
    clip = ClipInput.from_file(MEDIA / "legacy.mp4", 0, 1)
    report = app.export.export_clip(clip, tmp_path / "legacy-cut.mp4")
    result = verify(report.path, capsys)
    assert result["state"] in ("valid", "trusted")
    assert any(i["title"] == "legacy.mp4" for i in result["ingredients"])
