"""``studio inspect`` with the forensics plugin: its sections, heatmap files, videos and ``--detector``.

The command itself (a core command) is tested in tests/contract/test_inspect.py.
"""

from __future__ import annotations

import json

from helpers import MEDIA
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


def test_detector_flag_refuses_a_pickle(capsys, tmp_path, ela_splice):
    path, _ = ela_splice
    pickled = tmp_path / "cnn.pth"
    pickled.write_bytes(b"\x80\x04not loaded")
    code, _out, err = inspect(capsys, path, "--detector", pickled)
    assert code == 1 and "only .safetensors" in err


def test_detector_flag_adds_a_section_per_detector_after_the_plugins_own(capsys, tmp_path, ela_splice):
    import numpy as np
    from safetensors.numpy import save_file

    from studio_plugins.forensics.features import FEATURE_NAMES

    probes = []
    for name, bias in (("Always high", 3.0), ("Always low", -3.0)):
        probe = tmp_path / f"{name.split()[1]}.safetensors"
        save_file({"weight": np.zeros(len(FEATURE_NAMES), np.float32), "bias": np.array([bias], np.float32)},
                  str(probe), metadata={"name": name, "threshold": "0.5"})
        probes += ["--detector", probe]
    path, _ = ela_splice
    code, out, err = inspect(capsys, path, *probes, "--json")
    assert code == 0, err
    sections = json.loads(out)["sections"]
    assert [s["title"] for s in sections[-2:]] == ["Your detector: Always high", "Your detector: Always low"]
    assert [s["state"] for s in sections[-2:]] == ["above-threshold", "below-threshold"]
    assert {s["plugin"] for s in sections[-2:]} == {"forensics"}
