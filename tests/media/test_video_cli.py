"""The command line with media: `studio video info/export`, and actions that take and make clips and boxes."""

import json

import numpy as np
import pytest
from fixture_plugins import media
from helpers import MEDIA, frame_number, write_test_video

from studio.cli import build_parser, main, run_action
from studio.errors import BadInputError
from studio.video import VideoSource, probe


def run_cli(app, argv):
    args = build_parser(app).parse_args(argv)
    return run_action(app, args._action, args)


@pytest.fixture
def media_app(make_app):
    app = make_app()
    app.host.register(media, "mediafix")
    return app


def test_video_info_json_has_the_documented_keys(capsys):
    assert main(["video", "info", str(MEDIA / "legacy.mp4"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert {k: info[k] for k in ("frames", "fps", "duration", "width", "height", "codec", "audio")} == {
        "frames": 60, "fps": 30.0, "duration": 2.0, "width": 720, "height": 1280, "codec": "h264", "audio": "aac"}


def test_video_export_a_range_marked_and_signed(tmp_path, capsys):
    src = write_test_video(tmp_path / "in.mp4", frames=48, size=(320, 256), fps=24, audio=True)
    out = tmp_path / "cut.mp4"
    assert main(["video", "export", str(src), "--start", "0.5", "--end", "1.25", "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "MP4" and report["frames"] == 18 and report["duration"] == pytest.approx(0.75)
    assert "Content Credentials" in report["steps"]
    assert frame_number(VideoSource(out).frame(0)) == 12 and probe(out).audio == "aac"
    assert main(["verify", str(out), "--json"]) == 0
    verified = json.loads(capsys.readouterr().out)
    assert verified["state"] in ("valid", "trusted") and verified["ingredients"][0]["title"] == "in.mp4"
    assert main(["video", "export", str(src), "--out", str(tmp_path / "plain.mp4"), "--no-sign"]) == 0
    assert "carries no Content Credentials" in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["--start", "1", "--end", "1"], "must come after the start"),
    (["--start", "1.5", "--end", "0.5"], "must come after the start"),
    (["--start", "9"], "after the end of the video"),
    (["--start", "-1"], "cannot be negative"),
])
def test_video_export_refuses_empty_ranges(tmp_path, capsys, argv, message):
    src = write_test_video(tmp_path / "in.mp4", frames=48)  # 2 seconds
    out = tmp_path / "out.mp4"
    assert main(["video", "export", str(src), *argv, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not out.exists()


def test_video_export_bad_files_and_names(tmp_path, capsys):
    src = write_test_video(tmp_path / "in.mp4", frames=24)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(src.read_bytes()[:1500])
    for argv, message in [
        ([str(broken), "--out", str(tmp_path / "a.mp4")], "broken.mp4"),
        ([str(tmp_path / "none.mp4"), "--out", str(tmp_path / "a.mp4")], "does not exist"),
        ([str(MEDIA / "sample1.png"), "--out", str(tmp_path / "a.mp4")], "not a video file"),
        ([str(src), "--out", str(tmp_path / "a.png")], "cannot be exported as one PNG"),
    ]:
        assert main(["video", "export", *argv]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.mp4", "in.mp4"]


def test_an_action_on_a_clip_writes_boxes_and_scores_as_json(media_app, tmp_path, capsys):
    src = write_test_video(tmp_path / "in.mp4", frames=24, fps=24)
    out = tmp_path / "found.json"
    assert run_cli(media_app, ["mediafix", "track", str(src), "--start", "0.5", "--out", str(out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    kinds = [o["kind"] for o in printed["outputs"]]
    assert kinds == ["boxes", "scores"]
    boxes = json.loads((tmp_path / "found-1.json").read_text())
    assert boxes["frame_count"] == 12 and boxes["size"] == [320, 256] and boxes["fps"] == 24
    first = boxes["boxes"][0]
    assert first["frame"] == 0 and first["track_id"] == 1 and first["label"] == "red bar"
    # frame 0 of the range is frame 12 of the file, where the bar is 84 pixels across
    assert first["x0"] == pytest.approx(84, abs=2) and first["y0"] == pytest.approx(128, abs=2)
    scores = json.loads((tmp_path / "found-2.json").read_text())
    assert len(scores["values"]) == 12


def test_an_action_that_makes_a_clip_writes_a_signed_video(media_app, tmp_path, png_file, capsys):
    out = tmp_path / "moving.mp4"
    assert run_cli(media_app, ["mediafix", "animate", str(png_file), "--frames", "6", "--fps", "12",
                               "--out", str(out)]) == 0
    assert "6 frames at 12 fps" in capsys.readouterr().out
    info = probe(out)
    assert info.frames == 6 and info.fps == 12
    assert main(["verify", str(out), "--json"]) == 0
    verified = json.loads(capsys.readouterr().out)
    assert verified["state"] in ("valid", "trusted")


def test_a_frame_input_from_a_video_and_boxes_with_an_overlay(media_app, tmp_path, capsys):
    src = write_test_video(tmp_path / "in.mp4", frames=24)
    out = tmp_path / "pick.png"
    assert run_cli(media_app, ["mediafix", "pick", str(src), "--frame", "5", "--out", str(out),
                               "--overlay", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    image, boxes = printed["outputs"]
    from studio.imageio import load_image

    assert frame_number(load_image(image["path"]).pixels) == 5
    assert boxes["kind"] == "boxes" and boxes["boxes"] == 1
    drawn = load_image(boxes["overlay"]).pixels
    found = json.loads(open(boxes["path"]).read())["boxes"][0]
    assert tuple(drawn[int(found["y0"]), int(found["x0"]) + 5, :3]) == (255, 220, 0)  # the box is drawn on it
    with pytest.raises(BadInputError, match="no frame 99"):
        run_cli(media_app, ["mediafix", "pick", str(src), "--frame", "99", "--out", str(out)])
    assert np.isfinite(found["score"])


def test_several_clip_inputs_get_named_range_options(media_app, tmp_path, capsys):
    src = write_test_video(tmp_path / "in.mp4", frames=48, fps=24)
    assert run_cli(media_app, ["mediafix", "compare", str(src), "--second", str(src),
                               "--first-start", "1", "--second-end", "0.5"]) == 0
    assert "24 and 12 frames" in capsys.readouterr().out
