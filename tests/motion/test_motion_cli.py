"""``studio video generate``: a decodable, watermarked, signed MP4 with the asked frames; bad input writes nothing."""

from __future__ import annotations

import json

import pytest

from studio.cli import main


def args(base_model, module_file, out, *extra):
    return ["video", "generate", "a red circle moving right", "--model", str(base_model), "--motion-module",
            str(module_file), "--steps", "2", "--guidance", "1", "--seed", "5", "--out", str(out), "--json", *extra]


def test_the_cli_writes_a_watermarked_signed_mp4_with_the_asked_frames(base_model, module_file, tmp_path, capsys):
    from studio.video import probe
    from studio_plugins.watermark.video import detect_frames, read_frames

    out = tmp_path / "clip.mp4"
    code = main(args(base_model, module_file, out, "--frames", "8", "--fps", "8", "--size", "256x256",
                     "--prompt-at", "4:a blue square", "--prompt-at", "6:a green star"))
    assert code == 0, capsys.readouterr().err
    result = json.loads(capsys.readouterr().out)
    info = probe(out)
    assert (info.codec, info.frames, info.width, info.height, info.fps) == ("h264", 8, 256, 256, 8)
    assert result["outputs"][0]["frames"] == 8
    check = detect_frames(read_frames(out))
    assert check.frames_checked == 8 and check.share >= 0.75, check.summary()
    assert main(["verify", str(out), "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["state"] in ("valid", "trusted") and verdict["ai_tool_used"] is True
    text = json.dumps(verdict)
    assert "c2pa.created" in text and "trainedAlgorithmicMedia" in text


def test_an_init_video_is_a_parent_ingredient(base_model, module_file, tmp_path, capsys):
    from helpers import write_test_video

    src = write_test_video(tmp_path / "src.mp4", frames=12, fps=8, size=(64, 64))
    out = tmp_path / "v2v.mp4"
    code = main(args(base_model, module_file, out, "--frames", "8", "--size", "64x64", "--init-video", str(src),
                     "--strength", "0.5", "--no-watermark"))
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["verify", str(out), "--json"]) == 0
    text = capsys.readouterr().out
    assert "parentOf" in text and "src.mp4" in text


@pytest.mark.parametrize("extra,message", [
    (["--frames", "0"], "at least 1"),
    (["--frames", "10000"], "at most 512"),
    (["--prompt-at", "99:a cat"], "frames 0–15"),
    (["--size", "65x64"], "multiples of 8"),
])
def test_bad_input_is_refused_and_nothing_is_written(base_model, module_file, tmp_path, capsys, extra, message):
    out = tmp_path / "bad.mp4"
    assert main(args(base_model, module_file, out, *extra)) == 1
    assert message in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_an_init_video_that_does_not_decode_is_refused(base_model, module_file, tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    out = tmp_path / "out.mp4"
    assert main(args(base_model, module_file, out, "--init-video", str(broken))) == 1
    assert "broken.mp4" in capsys.readouterr().err
    assert not out.exists()
