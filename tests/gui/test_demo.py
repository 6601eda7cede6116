"""The README's run command on a machine without a display: ``python -m studio.demo OUT``."""

import subprocess
import sys

import numpy as np
from helpers import ROOT, cli_env

from studio.imageio import load_image


def test_headless_demo_generates_marks_signs_and_verifies(tmp_path):
    env = {**cli_env(), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "studio.demo", str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    result = load_image(tmp_path / "result.png")
    assert result.pixels.shape[:2] == (64, 64)  # the built-in model's picture as it was made: marked all the same
    assert result.pixels[..., :3].std() > 10  # a picture, not a blank
    lines = done.stdout.splitlines()
    assert any(line.startswith("exported") and "Invisible watermark, Content Credentials" in line for line in lines)
    verify = [line.strip() for line in lines if line.strip().startswith("verify ·")]
    # the exported file, opened again: provenance first, then the watermark, then the forensic signals
    assert verify[0].startswith("verify · Content Credentials: Content Credentials are intact")
    assert "An AI tool was used" in verify[0]
    assert any(line.startswith("verify · Invisible watermark: Studio watermark: present") for line in verify)
    shot = load_image(tmp_path / "window.png")
    colours = np.unique(shot.pixels.reshape(-1, shot.pixels.shape[2]), axis=0)
    assert shot.pixels.shape[1] >= 1000 and len(colours) > 50  # the window, drawn
