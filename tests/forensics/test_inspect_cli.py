"""``studio inspect``: one report gathering every plugin's sections; one-line errors for bad files."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from helpers import C2PA_SAMPLES, MEDIA
from PIL import Image

from studio.cli import main

FORENSIC_TITLES = {"Metadata markers", "Pixel forensics: overview", "Error level analysis (ELA)", "Noise residual",
                   "JPEG compression history", "Frequency spectrum (upsampling peaks)", "Copy-move (cloned areas)",
                   "Faces", "Upsampling-trace detector (built-in, experimental)"}


def inspect(capsys, *args) -> tuple[int, str, str]:
    code = main(["inspect", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_report_shape(capsys, ela_splice):
    path, _box = ela_splice
    code, out, err = inspect(capsys, path, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["file"] == str(path) and report["kind"] == "image" and report["combined_score"] is None
    titles = {s["title"] for s in report["sections"]}
    assert FORENSIC_TITLES <= titles
    for section in report["sections"]:
        assert set(section) >= {"title", "state", "summary", "findings", "heatmaps", "can_tell", "cannot_tell",
                                "data", "plugin"}
        assert section["plugin"] and section["summary"]
        assert all(set(f) == {"label", "value", "explanation"} for f in section["findings"])
        assert all(set(h) == {"name", "explanation"} for h in section["heatmaps"])
        text = (section["summary"] + section["state"]).lower()
        assert "fake" not in text.replace("'fake'", "") and section["state"] not in ("fake", "real")
    ela = next(s for s in report["sections"] if s["title"] == "Error level analysis (ELA)")
    assert ela["state"] == "uneven" and ela["heatmaps"][0]["name"] == "Error level"
    assert ela["can_tell"] and ela["cannot_tell"]
    plugins = {s["plugin"] for s in report["sections"]}
    assert "forensics" in plugins


def test_credentials_sections_of_other_plugins_are_gathered(capsys):
    code, out, err = inspect(capsys, C2PA_SAMPLES / "adobe-20220124-C.jpg", "--json")
    assert code == 0, err
    report = json.loads(out)
    plugins = [s["plugin"] for s in report["sections"]]
    assert "forensics" in plugins
    others = [p for p in plugins if p != "forensics"]
    assert plugins[: len(others)] == others  # credentials and watermarks lead the report


def test_text_report_and_heatmap_files(capsys, ela_splice, tmp_path):
    path, _box = ela_splice
    code, out, err = inspect(capsys, path, "--heatmaps", tmp_path / "maps")
    assert code == 0, err
    assert "no combined score" in out and "== Error level analysis (ELA) [forensics]: uneven" in out
    assert "Can tell:" in out and "Cannot tell:" in out
    written = sorted((tmp_path / "maps").glob("*.png"))
    assert any(p.name == "ela-splice.error-level.png" for p in written)
    for png in written:
        with Image.open(png) as im:
            assert im.mode == "RGB" and im.size[0] > 0
            im.load()


def test_video_report_has_a_per_frame_score(capsys):
    code, out, err = inspect(capsys, MEDIA / "legacy.mp4", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["kind"] == "video"
    frames = next(s for s in report["sections"] if s["title"] == "Video frames (upsampling traces)")
    assert len(frames["scores"][0]["values"]) == 60 and frames["data"]["fps"] == 30
    assert all(0.0 <= v <= 1.0 for v in frames["scores"][0]["values"])
    assert frames["data"]["keyframes"][0]["frame"] == 0
    meta = next(s for s in report["sections"] if s["title"] == "Video metadata")
    assert meta["data"]["tags"]["encoder"] == "AVC Coding"


def test_video_analysis_gives_a_timeline_score_clip():
    from studio.document import Document
    from studio.document.apply import apply_result
    from studio.results import ActionResult
    from studio_plugins.forensics.video import analyse_video, score_track

    analysis = analyse_video(MEDIA / "legacy.mp4", max_scored=10)
    doc = Document()
    doc.timeline.fps = 30
    clip = apply_result(doc, ActionResult(scores=[score_track(analysis)])).clips[0]
    assert clip.kind == "score" and clip.length(30) == 60 and len(analysis.scored_frames) >= 10
    assert doc.timeline.scores_at(0) and doc.timeline.tracks[0].kind == "score" and doc.timeline.duration == 60


def bad_files(tmp_path, ela_splice):
    path, _ = ela_splice
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.jpg"
    Image.open(path).convert("RGB").save(truncated, quality=90)
    truncated.write_bytes(truncated.read_bytes()[:4000])
    text = tmp_path / "notes.jpg"
    text.write_text("this is not a picture")
    corrupt_video = tmp_path / "clip.mp4"
    corrupt_video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    garbage_png = tmp_path / "garbage.png"
    garbage_png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(np.random.default_rng(0).integers(0, 255, 500, np.uint8)))
    return {"empty": empty, "truncated": truncated, "text": text, "video": corrupt_video,
            "garbage": garbage_png, "missing": tmp_path / "missing.jpg", "folder": tmp_path}


@pytest.mark.parametrize("kind, message", [
    ("empty", "empty (0 bytes)"), ("truncated", "damaged or truncated"), ("text", "not an image or a video"),
    ("video", "not a video this program can read"), ("garbage", "not an image"), ("missing", "does not exist"),
    ("folder", "is a folder"),
])
def test_bad_input_is_one_line_and_non_zero(capsys, tmp_path, ela_splice, kind, message):
    code, out, err = inspect(capsys, bad_files(tmp_path, ela_splice)[kind], "--json")
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("studio: error:") and message in lines[0]


def test_subprocess_exit_code_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = subprocess.run([sys.executable, "-m", "studio.cli", "inspect", str(bad)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("studio: error: bad.jpg")


def test_detector_flag_refuses_a_pickle(capsys, tmp_path, ela_splice):
    path, _ = ela_splice
    pickled = tmp_path / "cnn.pth"
    pickled.write_bytes(b"\x80\x04not loaded")
    code, _out, err = inspect(capsys, path, "--detector", pickled)
    assert code == 1 and "only .safetensors" in err
