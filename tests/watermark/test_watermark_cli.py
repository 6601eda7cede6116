"""``studio watermark embed`` and ``studio watermark detect``: what a user types and sees."""

import json
import subprocess
import sys

import numpy as np
from helpers import MEDIA, cli_env
from PIL import Image
from wm_helpers import PAYLOAD, jpeg


def studio(*args):
    return subprocess.run([sys.executable, "-m", "studio.cli", *map(str, args)], capture_output=True, text=True,
                          env=cli_env(), timeout=120)


def test_embed_then_detect(tmp_path):
    out = tmp_path / "marked.png"
    result = studio("watermark", "embed", MEDIA / "sample1.png", "--out", out, "--payload", PAYLOAD.hex(),
                    "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["payload"] == PAYLOAD.hex() and data["psnr_db"] >= 40
    assert data["steps"][0] == "Invisible watermark"
    # recompressed as a JPEG by someone else
    with Image.open(out) as im:
        Image.fromarray(jpeg(np.asarray(im.convert("RGB")), 60)).save(tmp_path / "shared.jpg")
    found = studio("watermark", "detect", tmp_path / "shared.jpg", "--json")
    assert found.returncode == 0, found.stderr
    report = json.loads(found.stdout)
    assert report["present"] is True and report["payload"] == PAYLOAD.hex() and report["p_value"] < 1e-6
    text = studio("watermark", "detect", tmp_path / "shared.jpg").stdout
    assert text.startswith("Studio watermark: present (p = ") and PAYLOAD.hex() in text


def test_detect_unmarked_says_absent_and_which_keys(tmp_path):
    result = studio("watermark", "detect", MEDIA / "mars.webp")
    assert result.returncode == 0, result.stderr
    assert "Studio watermark: absent (p = " in result.stdout
    assert "looked with: Studio default key" in result.stdout and "--key-file" in result.stdout
    assert "SDXL watermark (weak signal): does not match" in result.stdout


def test_bad_input_is_one_line(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes((MEDIA / "sample1.png").read_bytes()[:2000])
    bad_key = tmp_path / "key"
    bad_key.write_text("12345")
    cases = [
        (("watermark", "detect", broken), "damaged or truncated"),
        (("watermark", "detect", tmp_path / "missing.png"), "does not exist"),
        (("watermark", "detect", MEDIA / "sample1.png", "--key-file", bad_key), "not a Studio watermark key"),
        (("watermark", "embed", MEDIA / "sample1.png", "--out", tmp_path / "o.png", "--payload", "xyz"),
         "16 hexadecimal digits"),
        (("watermark", "embed", MEDIA / "sample1.png", "--out", tmp_path / "o.png", "--strength", "9"),
         "at most 4"),
    ]
    for args, message in cases:
        result = studio(*args)
        assert result.returncode == 1, (args, result.stdout)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("studio: error: ") and message in lines[0], lines
    assert not (tmp_path / "o.png").exists()


def test_embed_refuses_a_too_small_image(tmp_path):
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((50, 120, 3), np.uint8)).save(small)
    result = studio("watermark", "embed", small, "--out", tmp_path / "o.png")
    assert result.returncode == 1 and "at least 64 pixels" in result.stderr
    assert not (tmp_path / "o.png").exists()
