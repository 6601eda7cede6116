"""``studio generate``, ``studio regenerate`` and ``studio models`` end to end, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from PIL import Image

from studio_plugins.diffusion.hashing import model_sha256


def studio(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "studio.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def test_generate_writes_a_png_with_parameters_and_regenerates_it(sd1_folder, tmp_path, isolated_config):
    # exports without the invisible watermark, so the file's pixels are the generated ones
    settings = isolated_config / "config" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"export": {"watermark": False}}))
    out = tmp_path / "circle.png"
    result = studio("generate", "a red circle", "--model", sd1_folder, "--seed", "7", "--steps", "3",
                    "--size", "64x64", "--scheduler", "dpmpp_2m_karras", "--out", out, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["outputs"][0]["path"] == str(out) and report["outputs"][0]["size"] == [64, 64]
    with Image.open(out) as im:
        im.load()
        assert im.size == (64, 64)
        parameters, record = im.text["parameters"], json.loads(im.text["studio"])
    assert parameters.startswith("a red circle\nSteps: 3, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 7, "
                                 "Size: 64x64, Model hash: ")
    assert record["model"]["sha256"] == model_sha256(sd1_folder)
    assert record["digital_source"] == "trainedAlgorithmicMedia"

    again = tmp_path / "again.png"
    result = studio("regenerate", out, "--out", again, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["identical_pixels"] is True and data["path"] == str(again)
    with Image.open(out) as a, Image.open(again) as b:
        assert np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))
        assert json.loads(b.text["studio"])["params"]["seed"] == 7


def test_img2img_and_inpaint_from_files(sd1_folder, tmp_path):
    init, mask, out = tmp_path / "photo.png", tmp_path / "mask.png", tmp_path / "edit.png"
    y, x = np.mgrid[0:48, 0:64]
    Image.fromarray(np.dstack([x * 4, y * 5, x + y]).astype(np.uint8)).save(init)
    m = np.zeros((48, 64), np.uint8)
    m[10:30, 20:40] = 255
    Image.fromarray(m).save(mask)
    result = studio("generate", "a door", "--model", sd1_folder, "--init", init, "--mask", mask, "--strength", "0.8",
                    "--steps", "4", "--seed", "1", "--out", out, "--no-sign", "--no-watermark")
    assert result.returncode == 0, result.stderr
    assert f"wrote {out} (64×48 PNG)" in result.stdout
    with Image.open(out) as im:
        assert "Denoising strength: 0.8" in im.text["parameters"]
        pixels = np.asarray(im.convert("RGB"))
    assert np.array_equal(pixels[m == 0], np.asarray(Image.open(init).convert("RGB"))[m == 0])


def test_errors_are_one_line(tmp_path, sd1_folder):
    bad = tmp_path / "cut.safetensors"
    bad.write_bytes((sd1_folder / "unet" / "diffusion_pytorch_model.safetensors").read_bytes()[:5000])
    result = studio("generate", "x", "--model", bad, "--out", tmp_path / "o.png")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("studio: error: cut.safetensors is truncated")
    result = studio("generate", "x", "--model", sd1_folder, "--size", "100x64", "--out", tmp_path / "o.png")
    assert result.returncode == 1 and "must be a multiple of 8" in result.stderr
    assert not (tmp_path / "o.png").exists()


def test_help_and_models_commands(tmp_path, sd1_folder):
    text = studio("generate", "--help").stdout
    for flag in ("PROMPT", "--model PATH_OR_NAME", "--seed N", "--steps N", "--size WxH", "--init IMAGE",
                 "--strength X", "--mask IMAGE", "--out FILE", "--json", "dpmpp_2m_karras"):
        assert flag in text, flag
    folder = tmp_path / "my-models"
    folder.mkdir()
    (folder / "tiny").symlink_to(sd1_folder, target_is_directory=True)
    (folder / "old.ckpt").write_bytes(b"not really")
    assert studio("models", "folders", "--add", folder).returncode == 0
    listing = {m["name"]: m for m in json.loads(studio("models", "list", "--json").stdout)}
    assert listing["tiny"]["type"] == "SD 1.x (custom) model, diffusers folder"
    assert "pickle checkpoint" in listing["old"]["error"]
    info = json.loads(studio("models", "info", "tiny", "--json").stdout)
    assert info["sha256"] == model_sha256(sd1_folder) and info["family"] == "sd1"
    options = json.loads(studio("models", "options", "--vae-tiling", "--cpu-offload", "model", "--json").stdout)
    assert options["vae_tiling"] is True and options["cpu_offload"] == "model"
