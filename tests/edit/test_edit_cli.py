"""``studio edit`` and ``studio regenerate`` end to end, in a subprocess: the written file keeps the input's size,
carries the edit's record and Content Credentials, regenerates to the same pixels; bad input writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from edit_helpers import actions, active, manifest_store, picture, region_mask
from PIL import Image


def studio(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "studio.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def test_edit_writes_a_signed_picture_of_the_input_size_that_regenerates(ip2p_folder, tmp_path):
    photo, mask, out = tmp_path / "photo.png", tmp_path / "mask.png", tmp_path / "edited.png"
    Image.fromarray(picture()).save(photo)
    Image.fromarray(region_mask()).save(mask)
    result = studio("edit", photo, "make it blue", "--model", ip2p_folder, "--seed", 5, "--steps", 2,
                    "--image-guidance", 1.6, "--guidance", 7, "--mask", mask, "--out", out, "--no-watermark", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["action"] == "edit_image" and report["data"]["size"] == [67, 45]
    assert report["outputs"][0]["path"] == str(out) and report["outputs"][0]["size"] == [67, 45]
    with Image.open(out) as im:
        pixels = np.asarray(im.convert("RGB"))
        record = json.loads(im.text["studio"])
    assert pixels.shape == (45, 67, 3)
    inside = region_mask() == 255
    assert np.array_equal(pixels[~inside], picture()[~inside])  # no watermark asked: the file is the edit
    assert record["params"] | {"model": "…"} == {"instruction": "make it blue", "image_guidance": 1.6, "guidance": 7.0,
                                                 "steps": 2, "seed": 5, "model": "…", "mask": True}

    manifest = active(manifest_store(out))
    edited = actions(manifest)[-1]
    assert edited["action"] == "c2pa.edited"
    assert edited["digitalSourceType"].endswith("compositeWithTrainedAlgorithmicMedia")
    assert edited["parameters"]["org.studio.settings"]["instruction"] == "make it blue"
    assert edited["parameters"]["org.studio.model"]["family"] == "instruct-pix2pix"
    relations = {i["title"]: i["relationship"] for i in manifest["ingredients"]}
    assert relations == {"photo.png": "parentOf", "mask.png": "inputTo"}

    again = tmp_path / "again.png"
    result = studio("regenerate", out, "--out", again, "--json")
    assert result.returncode == 0, result.stderr
    # photo.png and mask.png found through the record; the new pixels (before export) are the file's
    assert json.loads(result.stdout)["identical_pixels"] is True
    with Image.open(again) as im:
        assert im.size == (67, 45) and json.loads(im.text["studio"])["params"]["seed"] == 5


def test_bad_input_is_one_line_and_writes_nothing(ip2p_folder, sd1_folder, tmp_path):
    photo, mask, out = tmp_path / "photo.png", tmp_path / "small-mask.png", tmp_path / "edited.png"
    Image.fromarray(picture()).save(photo)
    Image.fromarray(region_mask(32, 32)).save(mask)
    wrong_size = studio("edit", photo, "make it blue", "--model", ip2p_folder, "--mask", mask, "--out", out)
    wrong_kind = studio("edit", photo, "make it blue", "--model", sd1_folder, "--out", out)
    for result, message in ((wrong_size, "is 32×32 but the picture is 67×45"),
                            (wrong_kind, "a text-to-image model: editing by instruction needs an InstructPix2Pix")):
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr.startswith("studio: error: ") and message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png", "small-mask.png"]


def test_editing_a_video_edits_every_frame_and_reports_consistency(ip2p_single_file, tmp_path):
    from helpers import write_test_video

    from studio.video import probe

    video, out = tmp_path / "walk.mp4", tmp_path / "walk-blue.mp4"
    write_test_video(video, frames=3, size=(64, 48), fps=6)
    result = studio("edit", video, "make it blue", "--model", ip2p_single_file, "--seed", 3, "--steps", 2,
                    "--out", out, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["action"] == "edit_clip" and report["outputs"][0]["frames"] == 3
    figure = report["data"]["consistency"]
    assert figure["pairs"] == 2 and figure["output_change"] > 0 and figure["ratio"] is not None
    assert "3 frames edited with seed 3" in report["messages"][0]
    info = probe(out)
    assert (info.frames, info.width, info.height) == (3, 64, 48)
