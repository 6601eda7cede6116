"""The command line: generated from the same declarations, one-line errors, --json."""

import json
import subprocess
import sys

import numpy as np
import pytest
from helpers import THIRDPARTY, cli_env
from PIL import Image


def studio(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "studio.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_plugins_json_lists_builtin_thirdparty_and_broken():
    result = studio("plugins", "--json", env=cli_env(THIRDPARTY))
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert plugins["adjust"]["builtin"] and plugins["adjust"]["error"] is None
    assert plugins["example"]["version"] == "0.3.0"
    assert "studio_no_such_module_xyz" in plugins["nowhere"]["error"]


def test_plugins_text_shows_the_load_error():
    result = studio("plugins", env=cli_env(THIRDPARTY))
    assert "nowhere" in result.stdout and "FAILED" in result.stdout and "error:" in result.stdout


def test_doctor_json():
    result = studio("doctor", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["device"]["device"] == "cpu" and report["device"]["reason"]
    assert report["torch"]["installed"] and report["torch"]["version"].startswith("2.")
    assert report["paths"]["config"] and report["libraries"]["pluggy"]


def test_device_flag_is_reported():
    report = json.loads(studio("--device", "cuda", "doctor", "--json").stdout)
    assert report["device"]["device"] == "cpu" and "CUDA was requested" in report["device"]["reason"]


def test_action_command_writes_a_decodable_file(tmp_path, png_file):
    out = tmp_path / "blurred.jpg"
    result = studio("adjust", "blur", png_file, "--radius", "3", "--out", out, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["outputs"][0]["path"] == str(out) and data["outputs"][0]["format"] == "JPEG"
    with Image.open(out) as im:
        assert im.size == (64, 48)


def test_thirdparty_action_is_a_command(tmp_path, png_file):
    out = tmp_path / "inv.png"
    result = studio("example", "invert", png_file, "-o", out, env=cli_env(THIRDPARTY))
    assert result.returncode == 0, result.stderr
    original = np.asarray(Image.open(png_file).convert("RGB")).astype(int)
    assert (np.asarray(Image.open(out).convert("RGB")) == 255 - original).all()


def test_help_is_generated_from_the_declaration():
    result = studio("adjust", "levels", "--help")
    assert "--gamma X" in result.stdout and "midtone gamma" in result.stdout and "max 10" in result.stdout


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b""), "empty (0 bytes)"),
        (lambda p: p.write_text("not an image"), "not an image"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(tmp_path, make, message):
    bad = tmp_path / "bad.png"
    make(bad)
    result = studio("adjust", "blur", bad, "-o", tmp_path / "o.png")
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.png").exists()


def test_absurd_parameter_is_refused(tmp_path, png_file):
    result = studio("adjust", "resize", png_file, "--width", "99999999", "-o", tmp_path / "o.png")
    assert result.returncode == 1 and "at most" in result.stderr
    result = studio("adjust", "blur", png_file, "--radius", "nan", "-o", tmp_path / "o.png")
    assert result.returncode == 1 and "must be a float" in result.stderr


def test_progress_is_printed_to_the_terminal(tmp_path, png_file):
    env = cli_env()
    env["STUDIO_PROGRESS"] = "1"
    result = studio("adjust", "blur", png_file, "-o", tmp_path / "o.png", env=env)
    assert "Gaussian blur [" in result.stderr and "8/8" in result.stderr


def test_disable_from_the_cli_persists(tmp_path):
    assert studio("plugins", "--disable", "adjust").returncode == 0
    plugins = {p["name"]: p for p in json.loads(studio("plugins", "--json").stdout)}
    assert plugins["adjust"]["enabled"] is False
    assert studio("adjust", "blur", "x.png").returncode == 2
    assert studio("plugins", "--enable", "adjust").returncode == 0
